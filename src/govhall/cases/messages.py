"""What the applicant is told when their case moves: the outcome and what to do next.

One message per event the applicant hears of (``actions.APPLICANT_EVENTS``). The subject
stands alone — it is the whole SMS and the line in the workspace — so it names the item,
the outcome and the next step; the body adds the details (the corrections asked for, the
reason and its legal basis, the licence issued) and the case number. Written in the
language active when called (``actions`` picks the applicant's).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from govhall.cases.constants import Decision
from govhall.cases.models import Case, CaseEvent
from govhall.licences.models import Licence

# What people end their free text with; cut before the text goes inside a sentence, so a
# reason typed as "材料不全。" does not end up as "理由：材料不全。；依据：…":
_CLOSING = " \t\r\n。．.；;，,、：:！!"


@dataclass(frozen=True)
class ApplicantMessage:
    subject: str
    body: str


def clause(text: str) -> str:
    """Free text made fit to stand inside a sentence: no closing punctuation, no outer spaces."""
    return text.strip().rstrip(_CLOSING)


def day(value: datetime.date | None) -> str:
    """A date as the reader's language writes it (2026年12月11日, Dec. 11, 2026); "—" if unknown."""
    return date_format(value, "DATE_FORMAT") if value else "—"


def licence_of(case: Case) -> Licence | None:
    """The licence the case's approval issued, if any (one per case)."""
    return Licence.objects.select_related("licence_type").filter(case_public_id=case.public_id).first()


def _last(case: Case, kind: str) -> CaseEvent | None:
    return case.events.filter(kind=kind).order_by("-pk").first()


def _paragraphs(*parts: str) -> str:
    return "\n".join(part for part in parts if part)


def applicant_message(case: Case, event: CaseEvent) -> ApplicantMessage:
    """The message for ``event`` of ``case``; raises KeyError for an event the applicant is not told of."""
    return _BUILDERS[event.kind](case, event, case.item_version.name)


def _reference(case: Case) -> str:
    return _("办件编号：%(reference)s") % {"reference": case.reference or "—"}


def _submitted(case: Case, event: CaseEvent, item: str) -> ApplicantMessage:
    return ApplicantMessage(
        _("您的“%(item)s”申请已提交，正在等待窗口受理；受理或需要补正时会再通知您。") % {"item": item},
        _paragraphs(_reference(case), _("目前不需要您做什么。受理后，可在办件页面下载受理通知书。")),
    )


def _accepted(case: Case, event: CaseEvent, item: str) -> ApplicantMessage:
    return ApplicantMessage(
        _("您的“%(item)s”申请已受理，承诺于%(due)s前办结，目前不需要您做什么。")
        % {"item": item, "due": day(case.due_on)},
        _paragraphs(
            _reference(case),
            _("受理日期：%(accepted)s；承诺办结日期：%(due)s；法定办结日期：%(statutory)s。")
            % {"accepted": day(case.accepted_on), "due": day(case.due_on), "statutory": day(case.statutory_due_on)},
            _("受理通知书可在办件页面下载。"),
        ),
    )


def _correction_requested(case: Case, event: CaseEvent, item: str) -> ApplicantMessage:
    items = [clause(str(i)) for i in event.data.get("corrections", [])]
    listed = "\n".join(f"{n}. {text}" for n, text in enumerate(items, start=1))
    paused = _("补正期间，办理时限暂停计算。") if case.accepted_on else ""
    return ApplicantMessage(
        ngettext(
            "您的“%(item)s”申请需要补正%(count)d项内容，请在办件页面一次性补正后提交。",
            "您的“%(item)s”申请需要补正%(count)d项内容，请在办件页面一次性补正后提交。",
            len(items),
        )
        % {"item": item, "count": len(items)},
        _paragraphs(_reference(case), _("需要补正的内容："), listed, paused),
    )


def _correction_answered(case: Case, event: CaseEvent, item: str) -> ApplicantMessage:
    return ApplicantMessage(
        _("您对“%(item)s”申请的补正已收到，正在等待窗口审核，目前不需要您做什么。") % {"item": item},
        _paragraphs(
            _reference(case),
            _("办理时限已恢复计算，承诺于%(due)s前办结。") % {"due": day(case.due_on)}
            if case.accepted_on
            else _("窗口审核后会通知您是否受理。"),
        ),
    )


def grounds(reason: str, basis: str) -> str:
    """The reason and legal basis of a refusal or decision, as two sentences."""
    return _("理由：%(reason)s。依据：%(basis)s。") % {"reason": clause(reason), "basis": clause(basis)}


def remedy() -> str:
    """Where the applicant can turn against a refusal (行政复议法 art. 20, 行政诉讼法 art. 46)."""
    return _("如有异议，可在收到决定之日起60日内申请行政复议，或在6个月内提起行政诉讼。")


def _not_accepted(case: Case, event: CaseEvent, item: str) -> ApplicantMessage:
    return ApplicantMessage(
        _("您的“%(item)s”申请不予受理，理由：%(reason)s。理由、依据和救济途径见办件页面。")
        % {"item": item, "reason": clause(event.opinion)},
        _paragraphs(
            _reference(case),
            grounds(event.opinion, str(event.data.get("basis", ""))),
            _("条件具备后，您可以重新提交申请。"),
            remedy(),
        ),
    )


def _extension_approved(case: Case, event: CaseEvent, item: str) -> ApplicantMessage:
    requested = _last(case, "extension_requested")
    days = int(event.data.get("days", case.extension_days) or 0)
    reason = clause(requested.opinion) if requested else ""
    return ApplicantMessage(
        ngettext(
            "您的“%(item)s”申请办理期限延长%(days)d个工作日，改为%(due)s前办结，目前不需要您做什么。",
            "您的“%(item)s”申请办理期限延长%(days)d个工作日，改为%(due)s前办结，目前不需要您做什么。",
            days,
        )
        % {"item": item, "days": days, "due": day(case.due_on)},
        _paragraphs(_reference(case), _("延期理由：%(reason)s。") % {"reason": reason} if reason else ""),
    )


def _withdrawn(case: Case, event: CaseEvent, item: str) -> ApplicantMessage:
    return ApplicantMessage(
        _("您的“%(item)s”申请已撤回，办理终止；如需办理，可以重新提交申请。") % {"item": item},
        _paragraphs(
            _reference(case),
            _("撤回原因：%(reason)s。") % {"reason": clause(event.opinion)} if clause(event.opinion) else "",
        ),
    )


def _procedure(case: Case, event: CaseEvent) -> str:
    started = event if event.kind == "special_procedure_started" else _last(case, "special_procedure_started")
    return clause(str(started.data.get("procedure", ""))) if started else ""


def _special_procedure_started(case: Case, event: CaseEvent, item: str) -> ApplicantMessage:
    return ApplicantMessage(
        _("您的“%(item)s”申请正在进行%(procedure)s（特别程序），所需时间不计入办理时限，目前不需要您做什么。")
        % {"item": item, "procedure": _procedure(case, event) or _("特别程序")},
        _paragraphs(
            _reference(case),
            _("说明：%(note)s。") % {"note": clause(event.opinion)} if clause(event.opinion) else "",
            _("程序结束后会再通知您。"),
        ),
    )


def _special_procedure_ended(case: Case, event: CaseEvent, item: str) -> ApplicantMessage:
    return ApplicantMessage(
        _("您的“%(item)s”申请的%(procedure)s已结束，恢复办理，承诺于%(due)s前办结。")
        % {"item": item, "procedure": _procedure(case, event) or _("特别程序"), "due": day(case.due_on)},
        _paragraphs(_reference(case), _("目前不需要您做什么。")),
    )


def _forwarded(case: Case, event: CaseEvent, item: str) -> ApplicantMessage:
    return ApplicantMessage(
        _("您的“%(item)s”申请已由本局初审，报送上级机关审批；上级机关作出决定后会通知您，目前不需要您做什么。")
        % {"item": item},
        _reference(case),
    )


def _decided(case: Case, event: CaseEvent, item: str) -> ApplicantMessage:
    reasons = grounds(case.decision_reason, case.decision_basis)
    if (event.data or {}).get("above"):  # decided by the higher authority the case was forwarded to
        reasons = _paragraphs(_("作出决定的机关：%(body)s。") % {"body": event.data.get("decided_by", "")}, reasons)
    if case.decision != Decision.APPROVE:
        return ApplicantMessage(
            _("您的“%(item)s”申请不予许可，理由：%(reason)s。理由、依据和救济途径见办件页面。")
            % {"item": item, "reason": clause(case.decision_reason)},
            _paragraphs(_reference(case), reasons, remedy()),
        )
    licence = licence_of(case)
    if licence is None:
        return ApplicantMessage(
            _("您的“%(item)s”申请已准予许可，决定理由和依据可在办件页面查看。") % {"item": item},
            _paragraphs(_reference(case), reasons),
        )
    return ApplicantMessage(
        _("您的“%(item)s”申请已准予，电子证照已发放，可在“我的证照”下载。") % {"item": item},
        _paragraphs(
            _reference(case),
            _("证照：%(type)s，证照编号%(number)s，有效期至%(until)s。")
            % {
                "type": licence.licence_type.name,
                "number": licence.number,
                "until": day(licence.valid_until) if licence.valid_until else _("长期"),
            },
            reasons,
        ),
    )


def _closed(case: Case, event: CaseEvent, item: str) -> ApplicantMessage:
    if case.decision == Decision.APPROVE and licence_of(case) is not None:
        subject = _("您的“%(item)s”申请已办结（准予许可），电子证照可在“我的证照”下载。") % {"item": item}
    elif case.decision == Decision.APPROVE:
        subject = _("您的“%(item)s”申请已办结（准予许可），办理结果可在办件页面查看。") % {"item": item}
    elif case.decision == Decision.DENY:
        subject = _("您的“%(item)s”申请已办结（不予许可），理由、依据和救济途径见办件页面。") % {"item": item}
    else:
        subject = _("您的“%(item)s”申请已办结，办理结果可在办件页面查看。") % {"item": item}
    return ApplicantMessage(subject, _reference(case))


_BUILDERS = {
    "submitted": _submitted,
    "accepted": _accepted,
    "correction_requested": _correction_requested,
    "correction_answered": _correction_answered,
    "not_accepted": _not_accepted,
    "extension_approved": _extension_approved,
    "withdrawn": _withdrawn,
    "special_procedure_started": _special_procedure_started,
    "special_procedure_ended": _special_procedure_ended,
    "forwarded": _forwarded,
    "decided": _decided,
    "closed": _closed,
}
