"""Case statuses and the one transition table every status change is checked against."""

import datetime
import enum

from django.db import models
from django.utils.translation import gettext_lazy as _

# The person a window clerk identified at the counter; the intake page serves only them:
SESSION_INTAKE_PERSON = "intake_person"
# The company the person at the window acts for, once the hall checked the authorisation (public id):
SESSION_INTAKE_ENTITY = "intake_entity"
# Answers the person typed at the hall's kiosk (自助填单), as {"item": code, "answers": {...}}:
SESSION_INTAKE_ANSWERS = "intake_answers"
# The items whose next online application the person started from a proactive service, as
# {str(item id): CaseOrigin value}; set by the app that led them there (proactive), read and
# forgotten by the application page. A hint of the person's path for the indicators, never a
# permission:
SESSION_STARTED_FROM = "started_from"


class Channel(models.TextChoices):
    """Where an application was filed (办件渠道)."""

    ONLINE = "online", _("网上申请")
    WINDOW = "window", _("窗口受理")


class CaseOrigin(models.TextChoices):
    """What led to the application (办件发起方式): the applicant, or a service the government offered first.

    A renewal filed after an expiry reminder is recognised by the indicators from the reminder
    itself (stats/measures.py), not marked here.
    """

    SELF = "", _("申请人自行发起")
    SUGGESTION = "suggestion", _("推荐办理")


class CaseStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("待受理")
    CORRECTION_REQUESTED = "correction_requested", _("待补正")
    NOT_ACCEPTED = "not_accepted", _("不予受理")
    IN_PROGRESS = "in_progress", _("办理中")
    COUNTERSIGNING = "countersigning", _("会签中")
    SPECIAL_PROCEDURE = "special_procedure", _("特别程序中")
    FORWARDED = "forwarded", _("已报上级审批")
    APPROVED = "approved", _("准予许可")
    DENIED = "denied", _("不予许可")
    CLOSED = "closed", _("已办结")
    WITHDRAWN = "withdrawn", _("已撤回")


S = CaseStatus

# Which status may follow which (STYLE.md: one table, one move()):
TRANSITIONS: dict[str, frozenset[str]] = {
    S.DRAFT: frozenset({S.SUBMITTED, S.WITHDRAWN}),
    S.SUBMITTED: frozenset({S.IN_PROGRESS, S.CORRECTION_REQUESTED, S.NOT_ACCEPTED, S.WITHDRAWN}),
    S.CORRECTION_REQUESTED: frozenset({S.SUBMITTED, S.IN_PROGRESS, S.WITHDRAWN}),
    S.IN_PROGRESS: frozenset(
        {
            S.IN_PROGRESS,
            S.CORRECTION_REQUESTED,
            S.COUNTERSIGNING,
            S.SPECIAL_PROCEDURE,
            S.FORWARDED,
            S.APPROVED,
            S.DENIED,
            S.WITHDRAWN,
        }
    ),
    S.COUNTERSIGNING: frozenset({S.COUNTERSIGNING, S.IN_PROGRESS}),
    S.SPECIAL_PROCEDURE: frozenset({S.IN_PROGRESS}),
    # With the higher authority: the bureau waits for its decision (not in its inbox, no clock):
    S.FORWARDED: frozenset({S.APPROVED, S.DENIED}),
    S.APPROVED: frozenset({S.APPROVED, S.CLOSED}),  # APPROVED → APPROVED: a 缴费 step after approval completes
    S.DENIED: frozenset({S.CLOSED}),
    S.NOT_ACCEPTED: frozenset(),
    S.CLOSED: frozenset(),
    S.WITHDRAWN: frozenset(),
}

# The clock stops while the applicant or a special procedure has the case:
PAUSED_STATUSES = frozenset({S.CORRECTION_REQUESTED, S.SPECIAL_PROCEDURE})
OPEN_STATUSES = frozenset({S.SUBMITTED, S.CORRECTION_REQUESTED, S.IN_PROGRESS, S.COUNTERSIGNING, S.SPECIAL_PROCEDURE})
FINISHED_STATUSES = frozenset({S.NOT_ACCEPTED, S.CLOSED, S.WITHDRAWN})


class Warning(models.TextChoices):
    NONE = "none", _("正常")
    YELLOW = "yellow", _("即将到期")
    RED = "red", _("已超期")


# For lists, one translation look-up per row: get_status_display builds the whole choice list
# with its lazy labels on every call, and making the enum member costs ~20 µs a row.
_STATUS_LABELS = dict(CaseStatus.choices)
_WARNING_LABELS = dict(Warning.choices)


def status_label(status: str) -> str:
    return str(_STATUS_LABELS.get(status, status))


def warning_label(warning: str) -> str:
    return str(_WARNING_LABELS.get(warning, warning))


# Beside a due date counted on the statutory holidays of a year whose notice is not loaded:
PROVISIONAL_DUE = _("预计，待国务院公布放假安排后确定")


def due_cells(due_on: datetime.date | None, warning: str, provisional: bool = False) -> tuple[str, str]:
    """What a list's due-date cell shows of a case: the date (or "—"), and " <its warning>" if it has one.

    A provisional date (``Case.due_is_provisional``) says so after it.
    """
    after = f" {warning_label(warning)}" if warning != Warning.NONE else ""
    if provisional and due_on:
        after += f"（{PROVISIONAL_DUE}）"
    return (due_on.isoformat() if due_on else "—", after)


class EventKind(models.TextChoices):
    SUBMITTED = "submitted", _("提交申请")
    ACCEPTED = "accepted", _("受理")
    CORRECTION_REQUESTED = "correction_requested", _("一次性告知补正")
    CORRECTION_ANSWERED = "correction_answered", _("申请人补正")
    NOT_ACCEPTED = "not_accepted", _("不予受理")
    STEP_COMPLETED = "step_completed", _("完成环节")
    COUNTERSIGN_REQUESTED = "countersign_requested", _("发起会签")
    COUNTERSIGN_ANSWERED = "countersign_answered", _("会签答复")
    SPECIAL_PROCEDURE_STARTED = "special_procedure_started", _("启动特别程序")
    SPECIAL_PROCEDURE_ENDED = "special_procedure_ended", _("结束特别程序")
    FORWARDED = "forwarded", _("报上级审批")
    EXTENSION_REQUESTED = "extension_requested", _("申请延期")
    EXTENSION_APPROVED = "extension_approved", _("批准延期")
    EXTENSION_REFUSED = "extension_refused", _("不予延期")
    DUE_DATES_RECOUNTED = "due_dates_recounted", _("按放假安排重算办结日期")
    DECIDED = "decided", _("作出决定")
    CLOSED = "closed", _("办结")
    WITHDRAWN = "withdrawn", _("撤回")
    # Written by the payments app at the 缴费 step (DESIGN §3a):
    FEE_ORDERED = "fee_ordered", _("开具缴款通知")
    FEE_PAID = "fee_paid", _("缴费")
    FEE_ORDER_ENDED = "fee_order_ended", _("缴款通知作废或过期")
    FEE_REFUND_REQUESTED = "fee_refund_requested", _("申请退款")
    FEE_REFUNDED = "fee_refunded", _("退款")
    # Written by the delivery app, from the choice to the service of the result (送达):
    DELIVERY_CHOSEN = "delivery_chosen", _("选择送达方式")
    RESULT_READY = "result_ready", _("结果待送达")
    WAYBILL_CREATED = "waybill_created", _("EMS寄出")
    DELIVERY_FAILED = "delivery_failed", _("未能送达")
    SERVED = "served", _("送达")
    MATERIALS_PICKUP = "materials_pickup", _("预约上门收取纸质材料")
    MATERIALS_RECEIVED = "materials_received", _("纸质材料寄达")


class Decision(models.TextChoices):
    APPROVE = "approve", _("准予")
    DENY = "deny", _("不予")


class CaseAction(enum.StrEnum):
    """What staff can do to a case on the desk; the values are the desk's and the API's action names.

    Who may take which one, and when, is ``actions.check_case_action`` (one rule for the
    action, the desk page and the API's case view).
    """

    ACCEPT = "accept"
    CORRECTION = "correction"
    NOT_ACCEPT = "not-accept"
    COMPLETE_STEP = "complete-step"
    COUNTERSIGN = "countersign"
    COUNTERSIGN_ANSWER = "countersign-answer"
    DECIDE = "decide"
    FORWARD = "forward"
    CLOSE = "close"
    SPECIAL_START = "special-start"
    SPECIAL_END = "special-end"
    EXTENSION_REQUEST = "extension-request"
    EXTENSION_APPROVE = "extension-approve"
    EXTENSION_REFUSE = "extension-refuse"
