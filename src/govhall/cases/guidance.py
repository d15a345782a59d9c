"""What the applicant is told to expect next, for each status of their case (their case page)."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext as _

from govhall.cases.constants import CaseStatus, Decision
from govhall.cases.messages import clause, grounds, licence_of, remedy
from govhall.cases.models import Case


@dataclass(frozen=True)
class NextStep:
    text: str
    needs_applicant: bool  # something is asked of the applicant (shown as such)
    detail: str = ""
    link: str = ""  # where to go for it (the licence, the guide to apply again)
    link_text: str = ""


def _date(value: object) -> str:
    return value.isoformat() if value is not None and hasattr(value, "isoformat") else "—"


def _provisional_dates(case: Case) -> str:
    # A date counted on the statutory holidays of a year whose notice is not out yet says so:
    if case.due_is_provisional:
        return _("以上日期为预计，待国务院公布放假安排后确定；如有调整，将另行通知。")
    if case.statutory_due_is_provisional:
        return _("法定办结日期为预计，待国务院公布放假安排后确定；如有调整，将另行通知。")
    return ""


def next_step_for_applicant(case: Case) -> NextStep:
    """Say plainly where the case stands, whether anything is needed from the applicant, and by when."""
    status = case.status
    if status == CaseStatus.DRAFT:
        return NextStep(_("申请尚未提交。请补全内容后提交。"), True)
    if status == CaseStatus.SUBMITTED:
        return NextStep(_("申请已提交，等待窗口受理。目前不需要您做什么；受理后这里会显示承诺办结日期。"), False)
    if status == CaseStatus.CORRECTION_REQUESTED:
        if case.accepted_on:
            return NextStep(_("需要您按下面列出的要求一次性补正。补正期间，办理时限暂停计算。"), True)
        return NextStep(_("需要您按下面列出的要求一次性补正。补正后，窗口再决定是否受理。"), True)
    if status in {CaseStatus.IN_PROGRESS, CaseStatus.COUNTERSIGNING}:
        return NextStep(
            _("正在办理，承诺于 %(due)s 前办结（法定办结日期 %(statutory)s）。目前不需要您做什么。")
            % {"due": _date(case.due_on), "statutory": _date(case.statutory_due_on)},
            False,
            _provisional_dates(case),
        )
    if status == CaseStatus.SPECIAL_PROCEDURE:
        event = case.events.filter(kind="special_procedure_started").order_by("-pk").first()
        procedure = clause(str(event.data.get("procedure", ""))) if event else ""
        return NextStep(
            _("正在进行%(procedure)s（特别程序），所需时间不计入办理时限。目前不需要您做什么；结束后会通知您。")
            % {"procedure": procedure or _("听证、检验检测或专家评审")},
            False,
            clause(event.opinion) + "。" if event and clause(event.opinion) else "",
        )
    if status == CaseStatus.NOT_ACCEPTED:
        event = case.events.filter(kind="not_accepted").order_by("-pk").first()
        return NextStep(
            _("申请不予受理。条件具备后，您可以重新提交申请。"),
            False,
            grounds(event.opinion if event else "", str(event.data.get("basis", "")) if event else "") + remedy(),
            reverse("catalog:guide_detail", args=[case.item_version.public_id]),
            _("查看办事指南"),
        )
    if case.decision == Decision.APPROVE and status in {CaseStatus.APPROVED, CaseStatus.CLOSED}:
        reasons = grounds(case.decision_reason, case.decision_basis)
        licence = licence_of(case)
        if licence is None:
            return NextStep(_("已准予许可。"), False, reasons)
        return NextStep(
            _("已准予许可，电子证照已发放，可在“我的证照”中下载和核验。"),
            False,
            reasons,
            reverse("licences:my_licence_pdf", args=[licence.public_id]),
            _("下载电子证照（%(type)s，PDF）") % {"type": licence.licence_type.name},
        )
    if case.decision == Decision.DENY and status in {CaseStatus.DENIED, CaseStatus.CLOSED}:
        return NextStep(_("不予许可。"), False, grounds(case.decision_reason, case.decision_basis) + remedy())
    if status == CaseStatus.CLOSED:
        return NextStep(_("已办结。"), False)
    return NextStep(
        _("您已撤回这件申请，办理已终止。如需办理，可以重新提交申请。"),
        False,
        "",
        reverse("catalog:guide_detail", args=[case.item_version.public_id]),
        _("查看办事指南"),
    )
