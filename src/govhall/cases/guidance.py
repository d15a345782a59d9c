"""What the applicant is told to expect next, for each status of their case (their case page)."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from govhall.cases.constants import CaseStatus
from govhall.cases.models import Case


@dataclass(frozen=True)
class NextStep:
    text: str
    needs_applicant: bool  # something is asked of the applicant (shown as such)
    detail: str = ""


def _date(value: object) -> str:
    return value.isoformat() if value is not None and hasattr(value, "isoformat") else "—"


def next_step_for_applicant(case: Case) -> NextStep:
    """Say plainly where the case stands, whether anything is needed from the applicant, and by when."""
    status = case.status
    if status == CaseStatus.DRAFT:
        return NextStep(_("申请尚未提交。请补全内容后提交。"), True)
    if status == CaseStatus.SUBMITTED:
        return NextStep(_("申请已提交，等待窗口受理。目前不需要您做什么；受理后这里会显示承诺办结日期。"), False)
    if status == CaseStatus.CORRECTION_REQUESTED:
        return NextStep(_("需要您按下面列出的要求一次性补正。补正期间，办理时限暂停计算。"), True)
    if status in {CaseStatus.IN_PROGRESS, CaseStatus.COUNTERSIGNING}:
        return NextStep(
            _("正在办理，承诺于 %(due)s 前办结（法定期限 %(statutory)s）。目前不需要您做什么。")
            % {"due": _date(case.due_on), "statutory": _date(case.statutory_due_on)},
            False,
        )
    if status == CaseStatus.SPECIAL_PROCEDURE:
        event = case.events.filter(kind="special_procedure_started").order_by("-pk").first()
        return NextStep(
            _("正在进行特别程序（听证、检验检测、专家评审等），所需时间不计入办理时限。"),
            False,
            event.opinion if event else "",
        )
    if status == CaseStatus.NOT_ACCEPTED:
        event = case.events.filter(kind="not_accepted").order_by("-pk").first()
        reason = event.opinion if event else ""
        basis = str(event.data.get("basis", "")) if event else ""
        return NextStep(
            _("申请不予受理。"),
            False,
            _("理由：%(reason)s；依据：%(basis)s。如有异议，可依法申请行政复议或者提起行政诉讼。")
            % {"reason": reason, "basis": basis},
        )
    if status in {CaseStatus.APPROVED, CaseStatus.DENIED} or (status == CaseStatus.CLOSED and case.decision):
        approved = case.decision == "approve"
        detail = _("理由：%(reason)s；依据：%(basis)s。") % {
            "reason": case.decision_reason,
            "basis": case.decision_basis,
        }
        if approved:
            return NextStep(_("已准予许可。结果证照签发后可在“我的证照”中下载和核验。"), False, detail)
        return NextStep(
            _("不予许可。"),
            False,
            detail + _("如有异议，可依法申请行政复议或者提起行政诉讼。"),
        )
    if status == CaseStatus.CLOSED:
        return NextStep(_("已办结。"), False)
    return NextStep(_("您已撤回这件申请。"), False)
