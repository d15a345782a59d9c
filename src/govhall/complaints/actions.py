"""Every write to complaints and supervision orders: one function per business operation.

Each runs in one transaction, locks the row it changes, appends the object's event and writes
the audit record. Status changes go through ``move()`` (complaints) and ``_move_order()``
(orders), each checked against its one transition table.
"""

from __future__ import annotations

import datetime
import secrets
import uuid
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from govhall.audit.actions import record
from govhall.cases.constants import OPEN_STATUSES as OPEN_CASE_STATUSES
from govhall.cases.constants import Warning as CaseWarning
from govhall.cases.models import Case
from govhall.catalog.models import ServiceItem
from govhall.complaints.constants import (
    ANONYMOUS_COMPLAINTS_PER_HOUR,
    EXTENSION_MAX_WORKING_DAYS,
    LEVEL_RANK,
    ORDER_TRANSITIONS,
    REOPEN_WINDOW_DAYS,
    REPLY_WORKING_DAYS,
    RUNNING_STATUSES,
    TRANSITIONS,
    ComplaintChannel,
    ComplaintKind,
    ComplaintStatus,
    Escalation,
    Level,
    LimitKey,
    ObjectKind,
    OrderStatus,
    Satisfaction,
    Source,
    Warning,
)
from govhall.complaints.models import (
    Complaint,
    ComplaintEvent,
    ComplaintTimeLimit,
    SupervisionEvent,
    SupervisionEvidence,
    SupervisionOrder,
)
from govhall.holidays.queries import get_calendar
from govhall.identity.constants import Role, UserKind
from govhall.identity.models import Department, Membership, User
from govhall.identity.queries import departments_covered
from govhall.lib.crypto import decrypt_text, encrypt_text, lookup_hash
from govhall.lib.errors import Conflict
from govhall.lib.identifiers import mask_phone, normalise_phone
from govhall.lib.ratelimit import over_limit
from govhall.lib.storage import discard_files_on_rollback, keep_inspected_files
from govhall.lib.uploads import inspect_files
from govhall.lib.workdays import WorkingCalendar
from govhall.proactive.actions import notify, notify_contact, notify_many

PHONE = "complaint_phone"
QUERY_CODE = "complaint_query_code"
# Letters and digits that cannot be mistaken for one another when read out on the phone:
_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
STAFF_ROLES = (Role.CLERK, Role.REVIEWER, Role.APPROVER, Role.SUPERVISOR)
HANDLING_ROLES = (Role.CLERK, Role.SUPERVISOR)


class InvalidTransition(Conflict):
    """The complaint or order is not in a status from which this action is allowed."""


class RateLimited(ValidationError):
    """Too many anonymous complaints from one address."""


def _today() -> datetime.date:
    return timezone.localdate()


def _random(length: int) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def _actor_label(actor: Any) -> str:
    return actor.get_username() if isinstance(actor, User) else str(actor or "system")


def _holds(actor: Any, roles: tuple[str, ...], department_id: int) -> bool:
    """Does ``actor`` hold one of ``roles`` in the department or a unit above it?"""
    if not getattr(actor, "is_active", False):
        return False
    return department_id in departments_covered(actor, list(roles))


def _no_role() -> PermissionDenied:
    return PermissionDenied(_("您在该单位没有执行这个操作所需的岗位角色。"))


def _bureau() -> Department:
    root = Department.objects.filter(parent__isnull=True, is_active=True).order_by("sort_order", "pk").first()
    if root is None:
        raise ValidationError(_("尚未设置受理投诉的单位，请联系系统管理员。"))
    return root


# Supervision orders (督办) -----------------------------------------------------------------


def _order_number(day: datetime.date) -> str:
    return f"DB{day:%Y%m%d}{_random(6)}"


def _reply_due(level: str, calendar: WorkingCalendar) -> tuple[datetime.date, bool]:
    count = calendar.count_working_days(_today(), REPLY_WORKING_DAYS[Level(level)])
    return count.date, count.is_provisional


def _order_event(order: SupervisionOrder, kind: str, actor: Any, note: str = "", **data: Any) -> SupervisionEvent:
    event = SupervisionEvent.objects.create(
        order=order,
        kind=kind,
        actor=actor if isinstance(actor, User) else None,
        actor_label=_actor_label(actor),
        note=note,
        data=data,
    )
    record(f"complaints.order_{kind}", actor, order, {"status": order.status, "level": order.level, **data})
    return event


def _move_order(order: SupervisionOrder, to: str) -> None:
    if to not in ORDER_TRANSITIONS[order.status]:
        raise InvalidTransition(
            _("督办单当前为“%(status)s”，不能进行这个操作。") % {"status": order.get_status_display()},
            code="invalid_transition",
        )
    order.status = to


def _unit_people(department_id: int, roles: tuple[str, ...], *, with_supervisors_above: bool) -> list[User]:
    """The active holders of ``roles`` in the unit, and (if asked) the supervisors in it or a unit above it."""
    chain: list[int] = []
    parents = dict(Department.objects.values_list("pk", "parent_id"))
    current: int | None = department_id
    while current is not None and current not in chain:
        chain.append(current)
        current = parents.get(current)
    condition = Q(department_id=department_id, role__in=roles)
    if with_supervisors_above:
        condition |= Q(department_id__in=chain, role=Role.SUPERVISOR)
    ids = Membership.objects.filter(condition, user__is_active=True).values_list("user_id", flat=True).distinct()
    return list(User.objects.filter(pk__in=list(ids)).order_by("pk"))


def _tell_unit_of_order(order: SupervisionOrder, subject_of: Any, *, roles: tuple[str, ...]) -> None:
    people = _unit_people(order.department_id, roles, with_supervisors_above=True)
    messages = []
    for user in people:
        with translation.override(user.language or settings.LANGUAGE_CODE):
            subject = subject_of(order)
            body = _("督办事由：%(reason)s\n回复期限：%(due)s。请在期限内回复并上传佐证材料。") % {
                "reason": order.reason,
                "due": order.reply_due_on.isoformat(),
            }
        messages.append((user, subject, body, f"/desk/supervision/{order.public_id}/"))
    notify_many(messages)


def _raised_subject(order: SupervisionOrder) -> str:
    return _("%(unit)s 收到%(level)s督办：%(object)s") % {
        "unit": order.department.name,
        "level": order.get_level_display(),
        "object": order.object_label or order.get_object_kind_display(),
    }


def raise_supervision_order(
    *,
    object_kind: str,
    object_id: uuid.UUID,
    department: Department,
    level: str,
    reason: str,
    case: Case | None = None,
    raised_by: User | None = None,
    source: str = Source.MANUAL,
    object_label: str = "",
) -> SupervisionOrder:
    """Raise a supervision order on one object for the unit to reply to; or return the open one.

    Idempotent: at most one order per (object_kind, object_id) is open (a partial unique
    constraint); a second call returns it, raising its level (and bringing its reply
    deadline forward) if the new level is higher. The reply deadline is ``REPLY_WORKING_DAYS``
    of the level on the working-day calendar. A manual order (``source="manual"`` with
    ``raised_by``) must come from a supervisor over the unit (PermissionDenied). The unit's
    clerks and head (approvers) and the supervisors over it are notified after commit.
    Raises ValidationError for an unknown kind, level or source, or an empty reason.
    """
    problems = {}
    if object_kind not in ObjectKind.values:
        problems["object_kind"] = _("督办对象类型无效。")
    if level not in Level.values:
        problems["level"] = _("督办等级须为黄牌或红牌。")
    if source not in Source.values:
        problems["source"] = _("督办来源无效。")
    if not reason.strip():
        problems["reason"] = _("请写明督办事由。")
    if problems:
        raise ValidationError(problems)
    if source == Source.MANUAL and raised_by is not None and not _holds(raised_by, (Role.SUPERVISOR,), department.pk):
        raise PermissionDenied(_("只有负责该单位的监督人员可以发起督办。"))
    with transaction.atomic():
        existing = (
            SupervisionOrder.objects.select_for_update()
            .filter(object_kind=object_kind, object_id=object_id, status__in=[OrderStatus.OPEN, OrderStatus.REPLIED])
            .first()
        )
        if existing is not None:
            return _raise_level(existing, level, raised_by, reason)
        calendar = get_calendar()
        due, provisional = _reply_due(level, calendar)
        order = SupervisionOrder(
            number=_order_number(_today()),
            object_kind=object_kind,
            object_id=object_id,
            object_label=object_label[:200],
            case=case,
            department=department,
            level=level,
            source=source,
            reason=reason.strip(),
            reply_due_on=due,
            reply_due_is_provisional=provisional,
            raised_by=raised_by,
        )
        try:
            # A concurrent call for the same object may win the constraint; then answer with its order:
            with transaction.atomic():
                order.save()
        except IntegrityError:
            existing = SupervisionOrder.objects.select_for_update().get(
                object_kind=object_kind, object_id=object_id, status__in=[OrderStatus.OPEN, OrderStatus.REPLIED]
            )
            return _raise_level(existing, level, raised_by, reason)
        _order_event(order, "raised", raised_by, order.reason, source=source, due=due.isoformat())
        _tell_unit_of_order(order, _raised_subject, roles=(Role.CLERK, Role.APPROVER))
    return order


def _raise_level(order: SupervisionOrder, level: str, actor: Any, reason: str) -> SupervisionOrder:
    if LEVEL_RANK[Level(level)] <= LEVEL_RANK[Level(order.level)]:
        return order
    due, provisional = _reply_due(level, get_calendar())
    order.level = level
    if due < order.reply_due_on:
        order.reply_due_on, order.reply_due_is_provisional = due, provisional
    order.save(update_fields=["level", "reply_due_on", "reply_due_is_provisional"])
    _order_event(order, "level_raised", actor, reason, due=order.reply_due_on.isoformat())
    _tell_unit_of_order(order, _raised_subject, roles=(Role.CLERK, Role.APPROVER))
    return order


def _lock_order(order: SupervisionOrder) -> SupervisionOrder:
    return SupervisionOrder.objects.select_for_update().select_related("department").get(pk=order.pk)


@discard_files_on_rollback
@transaction.atomic
def reply_to_order(
    order: SupervisionOrder, *, actor: User, reply: str, evidence: list[UploadedFile] | None = None
) -> SupervisionOrder:
    """The unit replies to an order, with evidence files; the supervisors over it are told.

    Any business role in the unit (or a unit above it) may reply. A reply after the order
    closed is refused (InvalidTransition), as is an empty reply (ValidationError); nothing
    is stored then, files included.
    """
    order = _lock_order(order)
    if not _holds(actor, STAFF_ROLES, order.department_id):
        raise _no_role()
    if order.status == OrderStatus.CLOSED:
        raise InvalidTransition(_("该督办单已办结，不能再回复。"), code="order_closed")
    if not reply.strip():
        raise ValidationError({"reply": _("请填写回复内容。")})
    inspected = inspect_files(evidence or [], field="evidence")
    _move_order(order, OrderStatus.REPLIED)
    order.reply = reply.strip()
    order.replied_by = actor
    order.replied_at = timezone.now()
    order.save()
    keep_inspected_files(SupervisionEvidence, evidence or [], inspected, order=order, uploaded_by=actor)
    _order_event(order, "replied", actor, order.reply, files=len(inspected))
    supervisors = _unit_people(order.department_id, (), with_supervisors_above=True)
    messages = []
    for user in supervisors:
        with translation.override(user.language or settings.LANGUAGE_CODE):
            subject = _("督办单 %(number)s 已回复") % {"number": order.number}
        messages.append((user, subject, order.reply, f"/desk/supervision/{order.public_id}/"))
    notify_many(messages)
    return order


@transaction.atomic
def close_order(order: SupervisionOrder, *, actor: User, note: str = "") -> SupervisionOrder:
    """A supervisor over the unit accepts the reply and closes the order."""
    order = _lock_order(order)
    if not _holds(actor, (Role.SUPERVISOR,), order.department_id):
        raise _no_role()
    _move_order(order, OrderStatus.CLOSED)
    order.closed_at = timezone.now()
    order.save()
    _order_event(order, "closed", actor, note)
    return order


@transaction.atomic
def return_order(order: SupervisionOrder, *, actor: User, reason: str) -> SupervisionOrder:
    """A supervisor sends a reply back: the order is open again, with a new reply deadline."""
    order = _lock_order(order)
    if not _holds(actor, (Role.SUPERVISOR,), order.department_id):
        raise _no_role()
    if order.status != OrderStatus.REPLIED:
        raise InvalidTransition(_("只有已回复的督办单可以退回。"), code="invalid_transition")
    if not reason.strip():
        raise ValidationError({"reason": _("请写明退回理由。")})
    _move_order(order, OrderStatus.OPEN)
    order.reply_due_on, order.reply_due_is_provisional = _reply_due(order.level, get_calendar())
    order.escalation, order.escalated_on = Escalation.NONE, None
    order.save()
    _order_event(order, "returned", actor, reason, due=order.reply_due_on.isoformat())
    _tell_unit_of_order(order, _raised_subject, roles=(Role.CLERK, Role.APPROVER))
    return order


def _escalate(order: SupervisionOrder, actor: Any, note: str) -> str:
    """催办 first, then 通报; return what was done. The order must be open and locked."""
    if order.status != OrderStatus.OPEN:
        raise InvalidTransition(_("只有待回复的督办单可以催办或通报。"), code="invalid_transition")
    if order.escalation == Escalation.REPORTED:
        raise InvalidTransition(_("该督办单已通报。"), code="already_reported")
    kind = "urged" if order.escalation == Escalation.NONE else "reported"
    order.escalation = Escalation.URGED if kind == "urged" else Escalation.REPORTED
    order.escalated_on = _today()
    order.save(update_fields=["escalation", "escalated_on"])
    _order_event(order, kind, actor, note)

    def subject_of(order: SupervisionOrder) -> str:
        if kind == "urged":
            return _("催办：%(unit)s 的督办单 %(number)s 未按期回复") % {
                "unit": order.department.name,
                "number": order.number,
            }
        return _("通报：%(unit)s 的督办单 %(number)s 经催办仍未回复") % {
            "unit": order.department.name,
            "number": order.number,
        }

    # The unit's head (its approvers) and the supervisors over it; its clerks as well:
    _tell_unit_of_order(order, subject_of, roles=(Role.CLERK, Role.APPROVER))
    return kind


@transaction.atomic
def escalate_order(order: SupervisionOrder, *, actor: User, note: str = "") -> SupervisionOrder:
    """A supervisor urges (催办) an open order, or reports (通报) one already urged."""
    order = _lock_order(order)
    if not _holds(actor, (Role.SUPERVISOR,), order.department_id):
        raise _no_role()
    _escalate(order, actor, note)
    return order


# Complaints ----------------------------------------------------------------------------------


def _tracking_number(day: datetime.date) -> str:
    return f"TS{day:%Y%m%d}{_random(6)}"


def query_code_hash(tracking_number: str, code: str) -> str:
    return lookup_hash(f"{tracking_number}:{code.strip().upper()}", purpose=QUERY_CODE)


def _move(complaint: Complaint, to: str, *, actor: Any, kind: str, note: str = "", **data: Any) -> ComplaintEvent:
    """Change the status of a locked complaint along the transition table; append the event and audit it."""
    if to not in TRANSITIONS[complaint.status]:
        raise InvalidTransition(
            _("投诉当前为“%(status)s”，不能进行这个操作。") % {"status": complaint.get_status_display()},
            code="invalid_transition",
        )
    from_status = complaint.status
    complaint.status = to
    complaint.save()
    return _complaint_event(complaint, kind, actor, note, from_status=from_status, to_status=to, **data)


def _complaint_event(
    complaint: Complaint,
    kind: str,
    actor: Any,
    note: str = "",
    *,
    from_status: str = "",
    to_status: str = "",
    **data: Any,
) -> ComplaintEvent:
    event = ComplaintEvent.objects.create(
        complaint=complaint,
        kind=kind,
        from_status=from_status,
        to_status=to_status,
        actor=actor if isinstance(actor, User) else None,
        actor_label=_actor_label(actor),
        note=note,
        data=data,
    )
    record(f"complaints.{kind}", actor, complaint, {"from": from_status, "to": to_status, **data})
    return event


def _lock(complaint: Complaint) -> Complaint:
    return Complaint.objects.select_for_update().get(pk=complaint.pk)


def submit_complaint(
    *,
    kind: str,
    title: str,
    content: str,
    channel: str = ComplaintChannel.PORTAL,
    complainant: User | None = None,
    is_anonymous: bool = True,
    name: str = "",
    phone: str = "",
    email: str = "",
    about_department: Department | None = None,
    about_staff: User | None = None,
    about_staff_text: str = "",
    item: ServiceItem | None = None,
    case: Case | None = None,
    is_urgent: bool = False,
    hotline_number: str = "",
    entered_by: User | None = None,
    address: str | None = None,
) -> tuple[Complaint, str]:
    """File a complaint; return it and its query code (shown once; kept only as a keyed hash).

    Anonymous complaints are limited to ``ANONYMOUS_COMPLAINTS_PER_HOUR`` per ``address``
    (RateLimited). A 12345 work order (``channel="hotline_12345"``) needs its number, and the
    same number is refused the second time; staff channels (hall, supervision phone, 12345)
    need ``entered_by``, a staff member. The text is stored as typed (shown escaped). The
    handling unit is the unit complained about, else the case's or item's unit, else the
    bureau. Raises ValidationError with every problem at once; nothing is stored then.
    """
    title, content, hotline_number = title.strip(), content.strip(), hotline_number.strip()
    problems: dict[str, str] = {}
    if kind not in ComplaintKind.values:
        problems["kind"] = _("请选择投诉类型。")
    if channel not in ComplaintChannel.values:
        problems["channel"] = _("投诉渠道无效。")
    if not title:
        problems["title"] = _("请填写标题。")
    elif len(title) > 100:
        problems["title"] = _("标题不能超过100个字。")
    if not content:
        problems["content"] = _("请写明投诉的事情经过。")
    elif len(content) > 5000:
        problems["content"] = _("投诉内容不能超过5000个字。")
    staff_channels = {ComplaintChannel.HALL, ComplaintChannel.SUPERVISION_PHONE, ComplaintChannel.HOTLINE_12345}
    if channel in staff_channels and (entered_by is None or entered_by.kind != UserKind.STAFF):
        problems["channel"] = _("只有工作人员可以录入大厅、监督电话和12345热线的投诉。")
    if channel == ComplaintChannel.HOTLINE_12345 and not hotline_number:
        problems["hotline_number"] = _("请填写12345工单编号。")
    elif hotline_number and channel != ComplaintChannel.HOTLINE_12345:
        problems["hotline_number"] = _("只有12345热线工单需要填写工单编号。")
    normalised_phone = ""
    if phone.strip():
        try:
            normalised_phone = normalise_phone(phone.strip())
        except ValidationError:
            problems["phone"] = _("联系电话格式不正确，请填写11位手机号码或带区号的固定电话。")
    email = email.strip()
    if email and ("@" not in email or len(email) > 254):
        problems["email"] = _("电子邮箱格式不正确。")
    if not is_anonymous and complainant is None and not name.strip():
        problems["name"] = _("实名投诉请填写姓名。")
    if case is not None and about_department is None:
        about_department = case.department
    if problems:
        raise ValidationError(problems)
    # Counted before the transaction: a refused flood writes nothing.
    if (
        complainant is None
        and entered_by is None
        and address is not None
        and over_limit(f"complaint-rate:{address}", ANONYMOUS_COMPLAINTS_PER_HOUR, 3600)
    ):
        raise RateLimited(_("您提交投诉过于频繁，请一小时后再试，或拨打监督电话。"), code="rate_limited")
    department = about_department or (case.department if case else None) or (item.department if item else None)
    code = _random(8)
    with transaction.atomic():
        if hotline_number and Complaint.objects.filter(hotline_number=hotline_number).exists():
            raise ValidationError(
                {"hotline_number": _("12345工单 %(number)s 已经录入过，不能重复录入。") % {"number": hotline_number}}
            )
        number = _tracking_number(_today())
        complaint = Complaint(
            tracking_number=number,
            query_code_hash=query_code_hash(number, code),
            channel=channel,
            hotline_number=hotline_number,
            kind=kind,
            is_urgent=is_urgent,
            title=title,
            content=content,
            about_department=about_department,
            about_staff=about_staff,
            about_staff_text=about_staff_text.strip()[:100],
            item=item,
            case=case,
            department=department or _bureau(),
            complainant=complainant if not is_anonymous else None,
            is_anonymous=is_anonymous,
            complainant_name="" if is_anonymous else (name.strip() or (complainant.full_name if complainant else "")),
        )
        if normalised_phone:
            complaint.phone_encrypted = encrypt_text(normalised_phone)
            complaint.phone_hash = lookup_hash(normalised_phone, purpose=PHONE)
            complaint.phone_masked = mask_phone(normalised_phone)
        if email:
            complaint.email_encrypted = encrypt_text(email)
            complaint.email_masked = _mask_email(email)
        try:
            with transaction.atomic():
                complaint.save()
        except IntegrityError as exc:
            raise ValidationError(
                {"hotline_number": _("12345工单 %(number)s 已经录入过，不能重复录入。") % {"number": hotline_number}}
            ) from exc
        _complaint_event(
            complaint,
            "submitted",
            entered_by or complainant or "anonymous",
            to_status=ComplaintStatus.SUBMITTED,
            channel=channel,
        )
        _tell_unit(complaint, gettext_noop("收到新的投诉：%(title)s"), roles=HANDLING_ROLES)
    return complaint, code


def _mask_email(email: str) -> str:
    local, _at, domain = email.partition("@")
    return f"{local[:1]}***@{domain}"[:120]


def _tell_unit(complaint: Complaint, template: str, *, roles: tuple[str, ...]) -> None:
    """Tell the handling unit's staff holding ``roles`` (and the supervisors over it) of the complaint."""
    messages = []
    for user in _unit_people(complaint.department_id, roles, with_supervisors_above=True):
        with translation.override(user.language or settings.LANGUAGE_CODE):
            subject = _(template) % {"title": complaint.title, "number": complaint.tracking_number}
        messages.append((user, subject, complaint.tracking_number, f"/desk/complaints/{complaint.public_id}/"))
    notify_many(messages)


def _tell_complainant(complaint: Complaint, subject: str, body: str = "", *, body_is_message: bool = False) -> None:
    """Tell the complainant (the notification path sends it by SMS/email after commit).

    ``subject`` (and ``body`` with ``body_is_message``) are message ids (``gettext_noop``),
    translated here with ``%(number)s`` and ``%(due)s``; otherwise ``body`` is sent as written.
    One with an account is told in their language, with a link to their follow page; one
    without (anonymous, or named by phone) at the phone number or email they gave, in
    Chinese, with the follow page where the tracking number and query code open it; one who
    gave neither reads the answer there.
    """
    recipient = complaint.complainant
    params = {"number": complaint.tracking_number, "due": complaint.due_on}
    if recipient is not None:
        with translation.override(recipient.language or settings.LANGUAGE_CODE):
            text = _(body) % params if body_is_message else body
            notify(recipient, _(subject) % params, body=text, link=f"/complaints/follow/{complaint.public_id}/")
        return
    if not (complaint.phone_encrypted or complaint.email_encrypted):
        return
    with translation.override(settings.LANGUAGE_CODE):
        text = _(body) % params if body_is_message else body
        notify_contact(
            phone=decrypt_text(complaint.phone_encrypted) if complaint.phone_encrypted else "",
            email=decrypt_text(complaint.email_encrypted) if complaint.email_encrypted else "",
            subject=_(subject) % params,
            body=text,
            link="/complaints/follow/",
        )


def _limit_days(complaint: Complaint) -> int:
    key = LimitKey.URGENT if complaint.is_urgent else complaint.kind
    row = ComplaintTimeLimit.objects.filter(key=key).first()
    if row is None:
        # A row removed by hand: the general complaint limit, never no limit at all:
        row = ComplaintTimeLimit.objects.filter(key=LimitKey.OTHER).first()
    return row.working_days if row else 10


def _set_due(complaint: Complaint, start: datetime.date) -> None:
    calendar = get_calendar()
    count = calendar.count_working_days(start, _limit_days(complaint))
    more = complaint.extension_days if complaint.extension_approved else 0
    moved = calendar.count_working_days(count.date, more)
    complaint.due_on = moved.date
    complaint.due_is_provisional = count.is_provisional or moved.is_provisional


def _check_handler(actor: Any, complaint: Complaint) -> None:
    if not _holds(actor, HANDLING_ROLES, complaint.department_id):
        raise _no_role()


@transaction.atomic
def accept_complaint(complaint: Complaint, *, actor: User, note: str = "") -> Complaint:
    """Accept a submitted complaint and start its time limit (the kind's row of the time-limit table)."""
    complaint = _lock(complaint)
    _check_handler(actor, complaint)
    complaint.accepted_on = _today()
    _set_due(complaint, complaint.accepted_on)
    _move(complaint, ComplaintStatus.ACCEPTED, actor=actor, kind="accepted", note=note, due=str(complaint.due_on))
    _tell_complainant(
        complaint,
        gettext_noop("您的投诉 %(number)s 已受理"),
        gettext_noop("我们将在 %(due)s 前答复您。"),
        body_is_message=True,
    )
    return complaint


@transaction.atomic
def reject_complaint(complaint: Complaint, *, actor: User, reason: str) -> Complaint:
    """Refuse to accept a complaint, saying why (the complainant reads the reason)."""
    complaint = _lock(complaint)
    _check_handler(actor, complaint)
    if not reason.strip():
        raise ValidationError({"reason": _("请写明不予受理的理由。")})
    complaint.reject_reason = reason.strip()
    _move(complaint, ComplaintStatus.REJECTED, actor=actor, kind="rejected", note=complaint.reject_reason)
    _tell_complainant(complaint, gettext_noop("您的投诉 %(number)s 不予受理"), complaint.reject_reason)
    return complaint


@transaction.atomic
def assign_complaint(
    complaint: Complaint, *, actor: User, department: Department, assignee: User | None = None, note: str = ""
) -> Complaint:
    """Hand an accepted complaint to a unit (and one of its staff) to investigate.

    A complaint about a person is never given to that person (ValidationError); the assignee
    must hold a role in the unit. The actor must handle complaints of the current unit.
    """
    complaint = _lock(complaint)
    _check_handler(actor, complaint)
    if assignee is not None:
        if complaint.about_staff_id is not None and assignee.pk == complaint.about_staff_id:
            raise ValidationError({"assignee": _("这件投诉针对的就是该工作人员，不能交由其本人办理。")})
        if not _holds(assignee, STAFF_ROLES, department.pk):
            raise ValidationError({"assignee": _("承办人不在所选单位任职。")})
    complaint.department = department
    complaint.assignee = assignee
    _move(
        complaint,
        ComplaintStatus.ASSIGNED,
        actor=actor,
        kind="assigned",
        note=note,
        department=department.code,
        assignee=assignee.get_username() if assignee else "",
    )
    _tell_unit(complaint, gettext_noop("投诉 %(number)s 已交办给您的单位：%(title)s"), roles=HANDLING_ROLES)
    if assignee is not None:
        with translation.override(assignee.language or settings.LANGUAGE_CODE):
            subject = _("投诉 %(number)s 交由您办理") % {"number": complaint.tracking_number}
        notify(assignee, subject, link=f"/desk/complaints/{complaint.public_id}/")
    return complaint


def _check_investigator(actor: Any, complaint: Complaint) -> None:
    if complaint.assignee_id == getattr(actor, "pk", None) and getattr(actor, "is_active", False):
        return
    _check_handler(actor, complaint)


@transaction.atomic
def start_investigation(complaint: Complaint, *, actor: User, note: str = "") -> Complaint:
    """The unit (or the assignee) starts investigating an assigned complaint."""
    complaint = _lock(complaint)
    _check_investigator(actor, complaint)
    if complaint.about_staff_id is not None and complaint.about_staff_id == actor.pk:
        raise PermissionDenied(_("这件投诉针对的就是您本人，不能由您办理。"))
    _move(complaint, ComplaintStatus.INVESTIGATING, actor=actor, kind="investigating", note=note)
    return complaint


@transaction.atomic
def answer_complaint(complaint: Complaint, *, actor: User, answer: str) -> Complaint:
    """Answer the complainant: the answer is shown on the follow page and sent to an account holder."""
    complaint = _lock(complaint)
    _check_investigator(actor, complaint)
    if complaint.about_staff_id is not None and complaint.about_staff_id == actor.pk:
        raise PermissionDenied(_("这件投诉针对的就是您本人，不能由您办理。"))
    if not answer.strip():
        raise ValidationError({"answer": _("请填写答复内容。")})
    complaint.answer = answer.strip()
    complaint.answered_at = timezone.now()
    complaint.warning = Warning.NONE
    late = complaint.due_on is not None and _today() > complaint.due_on
    _move(complaint, ComplaintStatus.ANSWERED, actor=actor, kind="answered", note=complaint.answer, late=late)
    _tell_complainant(complaint, gettext_noop("您的投诉 %(number)s 已答复"), complaint.answer)
    return complaint


@transaction.atomic
def close_complaint(complaint: Complaint, *, actor: User, note: str = "") -> Complaint:
    """Close an answered complaint (filed; it may still be reopened within the window)."""
    complaint = _lock(complaint)
    _check_handler(actor, complaint)
    complaint.closed_at = timezone.now()
    _move(complaint, ComplaintStatus.CLOSED, actor=actor, kind="closed", note=note)
    return complaint


def can_reopen(complaint: Complaint) -> bool:
    """May the complainant reopen it now (answered or closed, within REOPEN_WINDOW_DAYS of the answer)?"""
    if complaint.status not in (ComplaintStatus.ANSWERED, ComplaintStatus.CLOSED) or complaint.answered_at is None:
        return False
    return timezone.now() <= complaint.answered_at + datetime.timedelta(days=REOPEN_WINDOW_DAYS)


@transaction.atomic
def reopen_complaint(complaint: Complaint, *, reason: str, actor: Any = "complainant") -> Complaint:
    """The complainant, not satisfied, reopens an answered complaint within the window; its clock restarts."""
    complaint = _lock(complaint)
    if not can_reopen(complaint):
        raise InvalidTransition(
            _("答复已超过%(days)d天，不能再申请重新办理；如有新的情况，请重新提交投诉。") % {"days": REOPEN_WINDOW_DAYS}
            if complaint.answered_at
            else _("投诉尚未答复，不能申请重新办理。"),
            code="reopen_window",
        )
    if not reason.strip():
        raise ValidationError({"reason": _("请写明对答复不满意的原因。")})
    complaint.reopen_count += 1
    complaint.closed_at = None
    complaint.extension_days, complaint.extension_approved = 0, False
    _set_due(complaint, _today())
    _move(complaint, ComplaintStatus.INVESTIGATING, actor=actor, kind="reopened", note=reason.strip())
    _tell_unit(complaint, gettext_noop("投诉 %(number)s 被投诉人申请重新办理"), roles=HANDLING_ROLES)
    return complaint


@transaction.atomic
def rate_answer(complaint: Complaint, *, satisfaction: int, comment: str = "", actor: Any = "complainant") -> Complaint:
    """The complainant rates the answer (once; a reopened and answered-again complaint may be rated again)."""
    complaint = _lock(complaint)
    if complaint.status not in (ComplaintStatus.ANSWERED, ComplaintStatus.CLOSED):
        raise InvalidTransition(_("投诉答复后才能评价。"), code="not_answered")
    if complaint.satisfaction is not None:
        raise ValidationError({"satisfaction": _("您已经评价过这次答复。")})
    if satisfaction not in Satisfaction.values:
        raise ValidationError({"satisfaction": _("请选择满意程度。")})
    complaint.satisfaction = satisfaction
    complaint.satisfaction_comment = comment.strip()[:1000]
    complaint.save(update_fields=["satisfaction", "satisfaction_comment", "updated_at"])
    _complaint_event(complaint, "rated", actor, complaint.satisfaction_comment, satisfaction=satisfaction)
    return complaint


@transaction.atomic
def request_complaint_extension(complaint: Complaint, *, actor: User, days: int, reason: str) -> Complaint:
    """Ask a supervisor for more working days, before the deadline (after it, the complaint is late)."""
    complaint = _lock(complaint)
    _check_investigator(actor, complaint)
    if complaint.status not in RUNNING_STATUSES or complaint.due_on is None:
        raise InvalidTransition(_("只有办理中的投诉可以申请延期。"), code="invalid_transition")
    if _today() > complaint.due_on:
        raise InvalidTransition(_("办理期限已过，不能再申请延期。"), code="too_late")
    if complaint.extension_approved:
        raise InvalidTransition(_("这件投诉已经延期过一次。"), code="already_extended")
    problems = {}
    if not 1 <= days <= EXTENSION_MAX_WORKING_DAYS:
        problems["days"] = _("延期须为1至%(max)d个工作日。") % {"max": EXTENSION_MAX_WORKING_DAYS}
    if not reason.strip():
        problems["reason"] = _("请写明延期理由。")
    if problems:
        raise ValidationError(problems)
    complaint.extension_days = days
    complaint.extension_reason = reason.strip()
    complaint.save(update_fields=["extension_days", "extension_reason", "updated_at"])
    _complaint_event(complaint, "extension_requested", actor, complaint.extension_reason, days=days)
    _tell_unit(complaint, gettext_noop("投诉 %(number)s 申请延期，请审批"), roles=())
    return complaint


@transaction.atomic
def approve_complaint_extension(complaint: Complaint, *, actor: User, note: str = "") -> Complaint:
    """A supervisor over the unit grants the requested extension, before the deadline."""
    complaint = _lock(complaint)
    if not _holds(actor, (Role.SUPERVISOR,), complaint.department_id):
        raise PermissionDenied(_("延期须由监督人员批准。"))
    if not complaint.extension_days or complaint.extension_approved:
        raise InvalidTransition(_("没有待批准的延期申请。"), code="no_request")
    if complaint.due_on is None or _today() > complaint.due_on:
        raise InvalidTransition(_("办理期限已过，不能再批准延期。"), code="too_late")
    complaint.extension_approved = True
    assert complaint.accepted_on is not None
    old_due = complaint.due_on
    calendar = get_calendar()
    moved = calendar.count_working_days(old_due, complaint.extension_days)
    complaint.due_on = moved.date
    complaint.due_is_provisional = complaint.due_is_provisional or moved.is_provisional
    complaint.warning = Warning.NONE
    complaint.save()
    _complaint_event(complaint, "extension_approved", actor, note, days=complaint.extension_days, due=str(moved.date))
    return complaint


@transaction.atomic
def refuse_complaint_extension(complaint: Complaint, *, actor: User, reason: str) -> Complaint:
    """A supervisor turns the extension down; the deadline stays."""
    complaint = _lock(complaint)
    if not _holds(actor, (Role.SUPERVISOR,), complaint.department_id):
        raise PermissionDenied(_("延期须由监督人员批准。"))
    if not complaint.extension_days or complaint.extension_approved:
        raise InvalidTransition(_("没有待批准的延期申请。"), code="no_request")
    if not reason.strip():
        raise ValidationError({"reason": _("请写明不予延期的理由。")})
    days = complaint.extension_days
    complaint.extension_days = 0
    complaint.save(update_fields=["extension_days", "updated_at"])
    _complaint_event(complaint, "extension_refused", actor, reason.strip(), days=days)
    return complaint


# Sweeps ------------------------------------------------------------------------------------


def sweep_supervision(today: datetime.date | None = None) -> dict[str, int]:
    """The periodic sweep: mark complaints late, raise orders for late cases and complaints, escalate late orders.

    Set-based: one query per kind of object finds what needs an order (the open orders
    excluded in the same query), each order is raised in its own transaction (so one failure
    does not undo the others), and overdue orders are escalated one step (催办, then 通报).
    """
    today = today or _today()
    counts = {
        "complaints_yellow": 0,
        "complaints_red": 0,
        "case_orders": 0,
        "complaint_orders": 0,
        "urged": 0,
        "reported": 0,
    }
    with transaction.atomic():
        running = Complaint.objects.filter(status__in=sorted(RUNNING_STATUSES), due_on__isnull=False)
        counts["complaints_red"] = (
            running.filter(due_on__lt=today).exclude(warning=Warning.RED).update(warning=Warning.RED)
        )
        # Yellow on its last working day (or the day before it):
        line = get_calendar().add_working_days(today, 1)
        counts["complaints_yellow"] = (
            running.filter(due_on__gte=today, due_on__lte=line)
            .exclude(warning=Warning.YELLOW)
            .update(warning=Warning.YELLOW)
        )
    open_orders = SupervisionOrder.objects.filter(status__in=[OrderStatus.OPEN, OrderStatus.REPLIED])
    late_cases = (
        Case.objects.filter(status__in=sorted(OPEN_CASE_STATUSES), warning=CaseWarning.RED)
        .exclude(public_id__in=open_orders.filter(object_kind=ObjectKind.CASE).values("object_id"))
        .select_related("department", "item_version")
        .order_by("due_on", "pk")
    )
    for case in late_cases.iterator(chunk_size=500):
        raise_supervision_order(
            object_kind=ObjectKind.CASE,
            object_id=case.public_id,
            object_label=f"{case.reference} {case.item_version.name}"[:200],
            department=case.department,
            level=Level.RED,
            reason=_("办件 %(reference)s 已超过承诺办结日期 %(due)s。")
            % {"reference": case.reference, "due": case.due_on},
            case=case,
            source=Source.LATE_CASE,
        )
        counts["case_orders"] += 1
    late_complaints = (
        Complaint.objects.filter(status__in=sorted(RUNNING_STATUSES), warning=Warning.RED)
        .exclude(public_id__in=open_orders.filter(object_kind=ObjectKind.COMPLAINT).values("object_id"))
        .select_related("department")
        .order_by("due_on", "pk")
    )
    for complaint in late_complaints.iterator(chunk_size=500):
        raise_supervision_order(
            object_kind=ObjectKind.COMPLAINT,
            object_id=complaint.public_id,
            object_label=f"{complaint.tracking_number} {complaint.title}"[:200],
            department=complaint.department,
            level=Level.RED,
            reason=_("投诉 %(number)s 已超过办理期限 %(due)s。")
            % {"number": complaint.tracking_number, "due": complaint.due_on},
            case=complaint.case,
            source=Source.LATE_COMPLAINT,
        )
        counts["complaint_orders"] += 1
    overdue = SupervisionOrder.objects.filter(status=OrderStatus.OPEN, reply_due_on__lt=today).exclude(
        escalation=Escalation.REPORTED
    )
    for pk in list(overdue.values_list("pk", flat=True)):
        with transaction.atomic():
            order = SupervisionOrder.objects.select_for_update().select_related("department").get(pk=pk)
            if order.status != OrderStatus.OPEN or order.escalation == Escalation.REPORTED:
                continue
            # One step per sweep, and the next step only after another reply period has passed:
            if order.escalation == Escalation.URGED and order.escalated_on is not None:
                since = get_calendar().working_days_between(order.escalated_on, today)
                if since < REPLY_WORKING_DAYS[Level(order.level)]:
                    continue
            kind = _escalate(order, "system", _("督办单逾期未回复"))
            counts[kind] += 1
    if any(counts.values()):
        with transaction.atomic():
            record("complaints.supervision_swept", "system", None, {"day": today.isoformat(), **counts})
    return counts


def schedule_sweep(*, delay_seconds: int | None = None) -> bool:
    """Queue the next run of the sweep task unless one is already waiting (``lib.schedule.queue_once``)."""
    from govhall.complaints.constants import SWEEP_INTERVAL_SECONDS
    from govhall.complaints.tasks import sweep_supervision_task
    from govhall.lib.schedule import queue_once

    return queue_once(
        sweep_supervision_task, delay_seconds=SWEEP_INTERVAL_SECONDS if delay_seconds is None else delay_seconds
    )


def reveal_contact(complaint: Complaint, *, actor: User, request: Any = None) -> dict[str, str]:
    """The complainant's full phone number and email, for a handler to call back; every view is audited.

    Only staff who handle the complaint (its unit's clerks and supervisors, or its assignee)
    may see them (PermissionDenied); never the person complained about.
    """
    _check_investigator(actor, complaint)
    if complaint.about_staff_id is not None and complaint.about_staff_id == actor.pk:
        raise PermissionDenied(_("这件投诉针对的就是您本人，不能由您办理。"))
    contact = {
        "phone": decrypt_text(complaint.phone_encrypted) if complaint.phone_encrypted else "",
        "email": decrypt_text(complaint.email_encrypted) if complaint.email_encrypted else "",
    }
    with transaction.atomic():
        record("complaints.contact_viewed", actor, complaint, {"purpose": "回访投诉人"}, request=request)
    return contact


# Reference data ------------------------------------------------------------------------------


@transaction.atomic
def save_time_limit(limit: ComplaintTimeLimit, *, actor: Any) -> ComplaintTimeLimit:
    """Save a row of the time-limit table (the system administrator's admin page); audited.

    Applies to complaints accepted from now on; a running complaint keeps its deadline.
    """
    if limit.working_days > 60:
        raise ValidationError({"working_days": _("办理时限不能超过60个工作日。")})
    before = ComplaintTimeLimit.objects.filter(pk=limit.pk).values_list("working_days", flat=True).first()
    limit.save()
    record("complaints.time_limit_saved", actor, limit, {"key": limit.key, "from": before, "to": limit.working_days})
    return limit
