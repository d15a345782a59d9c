"""Every write of the hall: devices, window shifts, bookings, tickets and calling, window intake.

Calling is the hot path: ``call_next_ticket`` takes the first waiting ticket a window may
take with ``SELECT … FOR UPDATE SKIP LOCKED``, so windows pressing "next" at once each get a
different ticket without waiting on one another. A ticket's changes are its own timestamped
events (``TicketEvent``), not audit records: the audit chain is one row that every record
locks, and a hall calls hundreds of times an hour. Staff and device administration, bookings
(personal data) and window intake are audited.
"""

from __future__ import annotations

import datetime
import secrets
from typing import Any

from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from govhall.audit.actions import record
from govhall.catalog.models import ServiceItem
from govhall.halls import queries
from govhall.halls.constants import (
    AT_WINDOW_STATUSES,
    OPEN_TICKET_STATUSES,
    BookingChannel,
    BookingStatus,
    DeviceKind,
    PriorityGroup,
    TicketCaseKind,
    TicketEventKind,
    TicketSource,
    TicketStatus,
)
from govhall.halls.models import (
    Booking,
    Consultation,
    DailySerial,
    Hall,
    HallDevice,
    Queue,
    SelfFill,
    SlotLock,
    Ticket,
    TicketCase,
    TicketEvent,
    Window,
    WindowShift,
)
from govhall.holidays.queries import get_calendar
from govhall.identity.constants import Role
from govhall.identity.models import LegalEntity, NaturalPerson
from govhall.identity.queries import ID_NUMBER, has_role_for
from govhall.lib.crypto import decrypt_text, encrypt_text, lookup_hash
from govhall.lib.errors import Conflict
from govhall.lib.identifiers import (
    ResidentId,
    from_authoritative_source,
    mask_id_number,
    parse_credit_code,
    parse_resident_id,
)
from govhall.proactive.actions import notify

# A code a person reads out or types at the kiosk: no 0/O or 1/I to mix up.
CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
ELDERLY_AGE = 65


def _now() -> datetime.datetime:
    return timezone.now()


def _touch_board(hall_id: int) -> None:
    """Tell the hall's boards that something changed, once the change is committed."""

    def bump() -> None:
        # A new random token each time, never a counter: a counter lost with the cache (a Redis
        # restart) would start again and repeat a version a board holds with other contents.
        cache.set(f"halls:board:{hall_id}", secrets.randbits(62), timeout=None)

    transaction.on_commit(bump)


def _touch_bookings(hall_id: int, item_id: int) -> None:
    """The calendar of free places of the hall and item is read again, once the change is committed."""
    transaction.on_commit(lambda: cache.set(f"halls:bookings:{hall_id}:{item_id}", secrets.randbits(62), timeout=None))


def _event(ticket: Ticket, kind: str, *, window: Window | None = None, actor: Any = None, note: str = "") -> None:
    TicketEvent.objects.create(ticket=ticket, kind=kind, at=_now(), window=window, actor=actor, note=note[:200])


def parse_id_number(value: str) -> ResidentId:
    """A resident ID number from a form or the card reader (which types it, then Enter)."""
    try:
        return parse_resident_id(value)
    except ValidationError as error:
        raise ValidationError({"id_number": error.messages}) from None


# --- devices -------------------------------------------------------------------------------


def device_key_hash(key: str) -> str:
    return lookup_hash(key.strip(), purpose="hall_device")


@transaction.atomic
def register_device(hall: Hall, *, kind: str, name: str, actor: Any) -> tuple[HallDevice, str]:
    """Register a kiosk or board; return it and its key, which is shown this once and kept only as a hash."""
    if kind not in DeviceKind.values:
        raise ValidationError({"kind": _("请选择设备类型。")})
    key = secrets.token_urlsafe(24)
    device = HallDevice.objects.create(hall=hall, kind=kind, name=name.strip()[:60], key_hash=device_key_hash(key))
    record("halls.device_registered", actor, device, {"hall": hall.code, "kind": kind})
    return device, key


@transaction.atomic
def revoke_device(device: HallDevice, *, actor: Any) -> HallDevice:
    """Stop a device at once: its key is refused from the next request on."""
    device = HallDevice.objects.select_for_update().get(pk=device.pk)
    if device.revoked_at is None:
        device.revoked_at = _now()
        device.save(update_fields=["revoked_at"])
        record("halls.device_revoked", actor, device, {"hall": device.hall.code})
    key = f"halls:device:{device.key_hash}"
    cache.delete(key)
    # Again after commit: a request between the delete and the commit may have cached the old row:
    transaction.on_commit(lambda: cache.delete(key))
    return device


# --- window shifts -------------------------------------------------------------------------


def _check_clerk_of(user: Any, hall: Hall) -> None:
    if not has_role_for(user, Role.CLERK, hall.department):
        raise PermissionDenied(_("您不是该大厅的窗口人员，不能签入窗口。"))


@transaction.atomic
def sign_in_window(window: Window, *, clerk: Any) -> WindowShift:
    """Take a window for a shift. A window is held by one person, and a person holds one window."""
    _check_clerk_of(clerk, window.hall)
    if not window.is_active:
        raise Conflict(_("该窗口已停用，请选择其他窗口。"))
    held = WindowShift.objects.select_related("clerk").filter(window=window, ended_at=None).first()
    if held and held.clerk_id == clerk.pk:
        return held
    if held:
        raise Conflict(
            _("%(window)s 已由 %(name)s 签入；请选择其他窗口，或请其先签出。")
            % {"window": window, "name": held.clerk.full_name or held.clerk.username}
        )
    mine = WindowShift.objects.filter(clerk=clerk, ended_at=None).first()
    if mine:
        raise Conflict(_("您已签入%(window)s，请先签出再换窗口。") % {"window": mine.window})
    try:
        with transaction.atomic():
            shift = WindowShift.objects.create(window=window, clerk=clerk, started_at=_now())
    except IntegrityError:
        raise Conflict(_("该窗口刚被其他人签入，请选择其他窗口。")) from None
    record("halls.window_signed_in", clerk, window, {"hall": window.hall.code})
    _touch_board(window.hall_id)
    return shift


@transaction.atomic
def sign_out_window(*, clerk: Any) -> None:
    """End the clerk's shift. A ticket still at the window must be finished, missed or transferred first."""
    shift = WindowShift.objects.select_for_update().filter(clerk=clerk, ended_at=None).first()
    if shift is None:
        return
    if Ticket.objects.filter(window=shift.window, status__in=AT_WINDOW_STATUSES).exists():
        raise Conflict(_("窗口还有正在办理的号，请先办结、过号或转移后再签出。"))
    shift.ended_at = _now()
    shift.save(update_fields=["ended_at"])
    record("halls.window_signed_out", clerk, shift.window, {"hall": shift.window.hall.code})
    _touch_board(shift.window.hall_id)


def _window_of(clerk: Any, window: Window) -> Window:
    # The shift's row is locked: two presses at one window (a double click, a second tab) and a
    # sign-out take turns, so a window never gets two tickets nor a ticket after its clerk left.
    shift = WindowShift.objects.select_for_update().filter(window=window, clerk=clerk, ended_at=None).exists()
    if not shift:
        raise PermissionDenied(_("您没有签入%(window)s，不能在此窗口叫号或办理。") % {"window": window})
    return window


# --- bookings ------------------------------------------------------------------------------


def _new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))


def hold_booking(
    hall: Hall,
    item: ServiceItem,
    starts_at: datetime.datetime,
    *,
    name: str = "",
    id_number: str = "",
    person: NaturalPerson | None = None,
    account: Any = None,
    channel: str = BookingChannel.WEB,
) -> Booking:
    """Hold a place in a slot for ``Hall.hold_minutes`` while the person completes the booking.

    Checks, in the person's words: the day is bookable (a working day within the horizon), the
    slot is one of the day's and not too close, the person is not blocked for no-shows, has no
    other booking of the item that day, and a place is free. The last is atomic: the slot's
    lock row is locked while the places are counted and the hold is written, so two people
    never take the last place. Raises ValidationError / Conflict and changes nothing then.
    """
    if person is not None:
        # The account's own person: the number is already kept encrypted and hashed the same way.
        name, id_hash = person.name, person.id_number_hash
        encrypted, masked = person.id_number_encrypted, person.id_number_masked
    else:
        parsed = parse_id_number(id_number)
        id_hash = lookup_hash(parsed.number, purpose=ID_NUMBER)
        encrypted, masked = encrypt_text(parsed.number), mask_id_number(parsed.number)
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("请填写预约人姓名。")})
    if not hall.is_active:
        raise Conflict(_("该大厅暂不接受预约。"))
    starts_at = starts_at.astimezone(timezone.get_current_timezone())
    day = starts_at.date()
    calendar = get_calendar()
    if starts_at <= _now():
        raise ValidationError({"starts_at": _("不能预约已经过去的时间，请另选时段。")})
    if not calendar.is_working_day(day):
        raise ValidationError({"starts_at": _("%(day)s 不是工作日，大厅不办公，请另选日期。") % {"day": day}})
    if day not in queries.bookable_days(hall, calendar=calendar):
        raise ValidationError(
            {
                "starts_at": _("该日期不在可预约范围内（可预约 %(days)s 天内的工作日），请另选日期。")
                % {"days": hall.booking_days_ahead}
            }
        )
    slot = next((pair for pair in queries.day_slots(hall, day) if pair[0] == starts_at), None)
    if slot is None:
        raise ValidationError({"starts_at": _("没有这个预约时段，请从列出的时段中选择。")})
    if starts_at < _now() + datetime.timedelta(minutes=hall.booking_lead_minutes):
        raise ValidationError(
            {
                "starts_at": _("距该时段开始已不足 %(minutes)s 分钟，不能再预约，请另选时段。")
                % {"minutes": hall.booking_lead_minutes}
            }
        )
    capacity = queries.booking_capacity(hall, item)
    if capacity == 0:
        raise ValidationError({"item": _("该大厅不办理此事项，请选择其他大厅。")})
    blocked_until = queries.is_blocked_for_no_shows(hall, id_hash)
    if blocked_until:
        raise Conflict(
            _("您近期多次预约未到，网上预约暂停至 %(day)s；期间可直接到大厅取号办理。")
            % {"day": timezone.localtime(blocked_until).date()}
        )
    with transaction.atomic():
        # Holds of this person that ran out are given up first, so they do not block a new one:
        Booking.objects.filter(id_number_hash=id_hash, status=BookingStatus.HELD, held_until__lte=_now()).update(
            status=BookingStatus.EXPIRED
        )
        lock, _created = SlotLock.objects.get_or_create(hall=hall, item=item, starts_at=starts_at)
        SlotLock.objects.select_for_update().get(pk=lock.pk)
        taken = queries.places_taken(hall, item, starts_at, slot[1]).get(starts_at, 0)
        if taken >= capacity:
            raise Conflict(_("这个时段已约满，请另选时段。"))
        try:
            with transaction.atomic():
                booking = Booking.objects.create(
                    code=_new_code(),
                    hall=hall,
                    item=item,
                    day=day,
                    starts_at=starts_at,
                    ends_at=slot[1],
                    status=BookingStatus.HELD,
                    account=account,
                    name=name[:100],
                    id_number_hash=id_hash,
                    id_number_encrypted=encrypted,
                    id_number_masked=masked,
                    channel=channel,
                    held_until=_now() + datetime.timedelta(minutes=hall.hold_minutes),
                )
        except IntegrityError:
            raise Conflict(
                _("您当天已预约过该事项（每人每天每个事项只能预约一次），可在“我的预约”中查看或改约。")
            ) from None
        record("halls.booking_held", account, booking, {"hall": hall.code, "item": item.implementation_code})
        _touch_bookings(hall.pk, item.pk)
    return booking


@transaction.atomic
def confirm_booking(booking: Booking, *, account: Any = None) -> Booking:
    """Confirm a held booking (the second step); repeated, it changes nothing. The person is told."""
    booking = Booking.objects.select_for_update().select_related("hall", "item").get(pk=booking.pk)
    if booking.status == BookingStatus.BOOKED:
        return booking
    if booking.status != BookingStatus.HELD or (booking.held_until and booking.held_until <= _now()):
        raise Conflict(
            _("预留的时段已超过 %(minutes)s 分钟未确认，已释放；请重新选择时段。")
            % {"minutes": booking.hall.hold_minutes}
        )
    booking.status = BookingStatus.BOOKED
    booking.booked_at = _now()
    booking.held_until = None
    booking.save(update_fields=["status", "booked_at", "held_until"])
    record("halls.booking_confirmed", account or booking.account, booking, {"hall": booking.hall.code})
    if booking.account is not None:
        local = timezone.localtime(booking.starts_at)
        notify(
            booking.account,
            _("预约成功：%(item)s") % {"item": queries.item_name(booking.item)},
            body=_(
                "您已预约 %(when)s 到%(hall)s办理“%(item)s”，预约码 %(code)s。请在预约时间前到大厅自助机签到取号；不能前往时请提前取消。"
            )
            % {
                "when": local.strftime("%Y-%m-%d %H:%M"),
                "hall": booking.hall.name,
                "item": queries.item_name(booking.item),
                "code": booking.code,
            },
            link=f"/my/appointments/{booking.public_id}/",
        )
    return booking


@transaction.atomic
def cancel_booking(booking: Booking, *, actor: Any) -> Booking:
    """Cancel a booking before its slot. Its place is free again only after ``cancel_release_minutes``."""
    booking = Booking.objects.select_for_update().select_related("hall").get(pk=booking.pk)
    if booking.status in (BookingStatus.CANCELLED, BookingStatus.EXPIRED):
        return booking
    if booking.status == BookingStatus.HELD and booking.held_until and booking.held_until <= _now():
        # A hold that ran out freed its place already; "cancelling" it must not take the place
        # away again for the release time:
        booking.status = BookingStatus.EXPIRED
        booking.save(update_fields=["status"])
        return booking
    if booking.status not in (BookingStatus.HELD, BookingStatus.BOOKED):
        raise Conflict(_("该预约已签到或已结束，不能取消。"))
    if booking.starts_at <= _now():
        raise Conflict(_("预约时间已到，不能再取消。"))
    booking.status = BookingStatus.CANCELLED
    booking.cancelled_at = _now()
    booking.save(update_fields=["status", "cancelled_at"])
    record("halls.booking_cancelled", actor, booking, {"hall": booking.hall.code})
    _touch_bookings(booking.hall_id, booking.item_id)
    return booking


# --- tickets -------------------------------------------------------------------------------


def _check_open(hall: Hall) -> None:
    now = timezone.localtime()
    if not get_calendar().is_working_day(now.date()):
        raise Conflict(_("今天不是工作日，大厅不办公，不能取号。"))
    periods = hall.periods
    if now.time() < periods[0][0].replace(hour=max(0, periods[0][0].hour - 1)) or now.time() >= periods[-1][1]:
        raise Conflict(
            _("现在不在取号时间（%(start)s—%(end)s），请在开放时间内取号。")
            % {"start": periods[0][0].strftime("%H:%M"), "end": periods[-1][1].strftime("%H:%M")}
        )


def _issue(
    queue: Queue,
    *,
    source: str,
    resident: ResidentId | None = None,
    priority_group: str = "",
    booking: Booking | None = None,
    actor: Any = None,
) -> Ticket:
    today = timezone.localdate()
    serial, _created = DailySerial.objects.get_or_create(queue=queue, day=today)
    # The serial row is locked while it is read and increased: two kiosks never share a number.
    serial = DailySerial.objects.select_for_update().get(pk=serial.pk)
    if serial.last >= queue.daily_quota:
        raise Conflict(
            _("“%(queue)s”今日号源已发完（%(quota)s 个），请明天再来或网上预约。")
            % {"queue": queue.name, "quota": queue.daily_quota}
        )
    serial.last += 1
    serial.save(update_fields=["last"])
    if priority_group and priority_group not in PriorityGroup.values:
        raise ValidationError({"priority_group": _("请选择列出的优先群体。")})
    birth = resident.birth_date if resident else None
    is_elderly = birth is not None and (
        today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day)) >= ELDERLY_AGE
    )
    # Age is read from the ID number, never declared:
    if priority_group == PriorityGroup.ELDERLY and not is_elderly:
        raise ValidationError({"priority_group": _("65 岁以上老年人优先，请刷身份证或输入身份证号码。")})
    if is_elderly and not priority_group:
        priority_group = PriorityGroup.ELDERLY
    ticket = Ticket.objects.create(
        hall=queue.hall,
        queue=queue,
        day=today,
        serial=serial.last,
        number=f"{queue.prefix}{serial.last:03d}",
        source=source,
        booking=booking,
        booked_start=booking.starts_at if booking else None,
        priority_group=priority_group,
        id_number_hash=lookup_hash(resident.number, purpose=ID_NUMBER) if resident else "",
        id_number_masked=mask_id_number(resident.number) if resident else "",
        arrived_at=_now(),
    )
    _event(ticket, TicketEventKind.ISSUED, actor=actor)
    _touch_board(queue.hall_id)
    return ticket


@transaction.atomic
def take_ticket(
    queue: Queue, *, source: str = TicketSource.KIOSK, id_number: str = "", priority_group: str = "", actor: Any = None
) -> Ticket:
    """Issue the next ticket of a queue (kiosk, clerk or API), with the person's ID number if given.

    A person aged 65 or more is put in the priority group by the ID number. Raises Conflict when
    the hall is closed or the day's numbers are gone, ValidationError for a bad ID number.
    """
    resident = parse_id_number(id_number) if id_number.strip() else None
    if source == TicketSource.KIOSK and priority_group and priority_group != PriorityGroup.ELDERLY:
        # Other priority groups are checked against a document, so only a clerk issues them:
        raise ValidationError({"priority_group": _("需要优先办理的，请到服务台由工作人员核验证件后取号。")})
    if not queue.is_active or not queue.hall.is_active:
        raise Conflict(_("该业务暂停取号，请咨询大厅工作人员。"))
    _check_open(queue.hall)
    return _issue(queue, source=source, resident=resident, priority_group=priority_group, actor=actor)


def self_fill(hall: Hall, version: Any, *, id_number: str, answers: dict[str, Any]) -> Ticket:
    """自助填单 at the kiosk: keep the answers typed for the item and issue a ticket of the queue that takes it.

    ``answers`` are what the form accepted (the rest is completed at the window). The answers
    open the intake form only for the person whose ID card the clerk checks (see SelfFill).
    """
    resident = parse_id_number(id_number)
    queue = queries.queue_for_item(hall, version.item)
    if queue is None:
        raise ValidationError(_("本大厅不办理这个事项，请到服务台咨询。"))
    with transaction.atomic():
        ticket = take_ticket(queue, source=TicketSource.KIOSK, id_number=resident.number)
        fill = SelfFill.objects.create(
            ticket=ticket, version=version, id_number_hash=ticket.id_number_hash, answers=answers
        )
        # Audited without the answers or the number (kept for the day only): which kiosk form, which ticket:
        record("halls.self_fill_kept", "kiosk", fill, {"ticket": ticket.number, "hall": hall.code,
                                                      "item": version.item.implementation_code, "fields": sorted(answers)})  # fmt: skip
    return ticket


def open_self_fill(window: Window, *, clerk: Any, person: Any) -> dict[str, Any] | None:
    """The kiosk's answers for the ticket at the window, opened for the person whose ID card the clerk
    checked (audited, without the answers); None if there are none or they are someone else's."""
    answers = queries.self_filled_answers(window, person)
    if answers:
        record("halls.self_fill_opened", clerk, person, {"window": window.number, "item": answers["item"]})
    return answers


@transaction.atomic
def check_in_booking(hall: Hall, code: str, *, source: str = TicketSource.CHECK_IN) -> Ticket:
    """Check in a booking at the hall by its code (typed or read from its QR) and issue its ticket.

    Allowed from ``check_in_early_minutes`` before the slot to ``late_grace_minutes`` after; a
    booked ticket is called first once its slot has begun. Repeated, it returns the same ticket.
    """
    code = "".join(code.split()).upper()
    booking = Booking.objects.select_for_update().select_related("item", "hall").filter(code=code).first()
    if booking is None or booking.hall_id != hall.pk:
        raise ValidationError(
            {"code": _("没有找到这个预约码，请核对后重新输入；预约在其他大厅的，请到预约的大厅签到。")}
        )
    if booking.status == BookingStatus.CHECKED_IN:
        return booking.ticket
    if booking.status != BookingStatus.BOOKED:
        raise Conflict(_("该预约已取消或已失效，请直接取号。"))
    now = _now()
    if booking.day != timezone.localdate():
        raise Conflict(_("您预约的是 %(day)s，今天不能签到；请在预约当天来签到。") % {"day": booking.day})
    if now < booking.starts_at - datetime.timedelta(minutes=hall.check_in_early_minutes):
        raise Conflict(
            _("签到最早在预约时间前 %(minutes)s 分钟开始，请稍后再来签到。") % {"minutes": hall.check_in_early_minutes}
        )
    if now > booking.starts_at + datetime.timedelta(minutes=hall.late_grace_minutes):
        raise Conflict(
            _("您已超过预约时间 %(minutes)s 分钟以上，预约失效，请直接取普通号。")
            % {"minutes": hall.late_grace_minutes}
        )
    queue = (
        Queue.objects.filter(hall=hall, is_active=True, is_pickup=False, items=booking.item)
        .order_by("sort_order")
        .first()
    )
    if queue is None:
        raise Conflict(_("该事项暂停办理，请咨询大厅工作人员。"))
    resident = parse_resident_id(decrypt_text(booking.id_number_encrypted))
    ticket = _issue(queue, source=source, resident=resident, booking=booking)
    booking.status = BookingStatus.CHECKED_IN
    booking.checked_in_at = now
    booking.save(update_fields=["status", "checked_in_at"])
    return ticket


@transaction.atomic
def call_next_ticket(window: Window, *, clerk: Any) -> Ticket | None:
    """Call the next ticket this window may take; None when nobody waits.

    Two clerks may press "next" at once; SKIP LOCKED gives each a different ticket, and the
    one-ticket-per-window constraint refuses a second call while one is at the window.
    """
    _window_of(clerk, window)
    if Ticket.objects.filter(window=window, status__in=AT_WINDOW_STATUSES).exists():
        raise Conflict(_("当前号还在窗口，请先办结、过号或转移，再叫下一位。"))
    now = _now()
    queue_ids = queries.queues_for_window(window)
    candidates = (
        Ticket.objects.filter(
            hall_id=window.hall_id, day=timezone.localdate(), status=TicketStatus.WAITING, queue_id__in=queue_ids
        )
        .filter(Q(target_window=None) | Q(target_window=window))
        .annotate(rank=queries.call_order(now))
        .order_by("rank", "arrived_at", "pk")
        .select_for_update(skip_locked=True)
    )
    ticket = candidates.first()
    if ticket is None:
        return None
    ticket.status = TicketStatus.CALLED
    ticket.window = window
    ticket.clerk = clerk
    ticket.call_count = 1
    ticket.first_called_at = ticket.first_called_at or now
    ticket.last_called_at = now
    ticket.save(
        update_fields=["status", "window", "clerk", "call_count", "first_called_at", "last_called_at", "updated_at"]
    )
    _event(ticket, TicketEventKind.CALLED, window=window, actor=clerk)
    _touch_board(window.hall_id)
    return ticket


def _at_window(window: Window, clerk: Any, statuses: tuple[str, ...]) -> Ticket:
    _window_of(clerk, window)
    ticket = (
        Ticket.objects.select_for_update()
        .select_related("hall", "queue")
        .filter(window=window, status__in=AT_WINDOW_STATUSES)
        .first()
    )
    if ticket is None:
        raise Conflict(_("窗口现在没有号，请先叫号。"))
    if ticket.status not in statuses:
        raise Conflict(
            _("%(number)s 现在是“%(status)s”，不能这样操作。")
            % {"number": ticket.number, "status": ticket.get_status_display()}
        )
    return ticket


@transaction.atomic
def recall_ticket(window: Window, *, clerk: Any) -> Ticket:
    """Call the ticket at the window again, no sooner than the hall's recall interval."""
    ticket = _at_window(window, clerk, (TicketStatus.CALLED,))
    now = _now()
    wait = (
        ticket.hall.recall_seconds - int((now - ticket.last_called_at).total_seconds()) if ticket.last_called_at else 0
    )
    if wait > 0:
        raise Conflict(_("刚刚呼叫过，请 %(seconds)s 秒后再重呼。") % {"seconds": wait})
    ticket.call_count += 1
    ticket.last_called_at = now
    ticket.save(update_fields=["call_count", "last_called_at", "updated_at"])
    _event(ticket, TicketEventKind.RECALLED, window=window, actor=clerk)
    _touch_board(window.hall_id)
    return ticket


@transaction.atomic
def miss_ticket(window: Window, *, clerk: Any) -> Ticket:
    """Mark the called ticket missed (过号) after the hall's number of calls; the window is free again."""
    ticket = _at_window(window, clerk, (TicketStatus.CALLED,))
    if ticket.call_count < ticket.hall.calls_before_missed:
        raise Conflict(
            _("已呼叫 %(count)s 次；呼叫满 %(limit)s 次仍未到才能过号，请先重呼。")
            % {"count": ticket.call_count, "limit": ticket.hall.calls_before_missed}
        )
    ticket.status = TicketStatus.MISSED
    ticket.finished_at = _now()
    ticket.save(update_fields=["status", "finished_at", "updated_at"])
    _event(ticket, TicketEventKind.MISSED, window=window, actor=clerk)
    _touch_board(window.hall_id)
    return ticket


@transaction.atomic
def start_serving(window: Window, *, clerk: Any) -> Ticket:
    """The person has come to the window: service time starts."""
    ticket = _at_window(window, clerk, (TicketStatus.CALLED,))
    ticket.status = TicketStatus.SERVING
    ticket.started_at = _now()
    ticket.save(update_fields=["status", "started_at", "updated_at"])
    _event(ticket, TicketEventKind.STARTED, window=window, actor=clerk)
    return ticket


@transaction.atomic
def pause_ticket(window: Window, *, clerk: Any, note: str = "") -> Ticket:
    """Pause the service (the person fetches a document, copies are made); paused time is not service time."""
    ticket = _at_window(window, clerk, (TicketStatus.SERVING,))
    ticket.status = TicketStatus.PAUSED
    ticket.paused_at = _now()
    ticket.save(update_fields=["status", "paused_at", "updated_at"])
    _event(ticket, TicketEventKind.PAUSED, window=window, actor=clerk, note=note)
    return ticket


def _end_pause(ticket: Ticket, now: datetime.datetime) -> None:
    if ticket.paused_at:
        ticket.paused_seconds += int((now - ticket.paused_at).total_seconds())
        ticket.paused_at = None


@transaction.atomic
def resume_ticket(window: Window, *, clerk: Any) -> Ticket:
    ticket = _at_window(window, clerk, (TicketStatus.PAUSED,))
    _end_pause(ticket, _now())
    ticket.status = TicketStatus.SERVING
    ticket.save(update_fields=["status", "paused_at", "paused_seconds", "updated_at"])
    _event(ticket, TicketEventKind.RESUMED, window=window, actor=clerk)
    return ticket


@transaction.atomic
def finish_ticket(window: Window, *, clerk: Any) -> Ticket:
    """The service is over (办结 at the window): the window is free for the next call."""
    ticket = _at_window(window, clerk, (TicketStatus.SERVING, TicketStatus.PAUSED))
    now = _now()
    _end_pause(ticket, now)
    ticket.status = TicketStatus.DONE
    ticket.finished_at = now
    ticket.save(update_fields=["status", "finished_at", "paused_at", "paused_seconds", "updated_at"])
    _event(ticket, TicketEventKind.DONE, window=window, actor=clerk)
    _touch_board(window.hall_id)
    return ticket


@transaction.atomic
def transfer_ticket(
    window: Window, *, clerk: Any, to_window: Window | None = None, to_queue: Queue | None = None, note: str = ""
) -> Ticket:
    """Send the ticket at the window to another window or another queue; it keeps its place in line."""
    ticket = _at_window(window, clerk, AT_WINDOW_STATUSES)
    if to_window is None and to_queue is None:
        raise ValidationError({"to": _("请选择转到的窗口或业务类别。")})
    if (to_window and (to_window.hall_id != window.hall_id or to_window.pk == window.pk)) or (
        to_queue and to_queue.hall_id != window.hall_id
    ):
        raise ValidationError({"to": _("只能转到本大厅的其他窗口或业务类别。")})
    queue = to_queue or ticket.queue
    if not queue.is_active or (
        to_window and (not to_window.is_active or queue.pk not in queries.queues_for_window(to_window))
    ):
        raise ValidationError({"to": _("所选窗口不办理该业务类别，转过去将无人叫号；请另选窗口或同时改业务类别。")})
    now = _now()
    _end_pause(ticket, now)
    ticket.status = TicketStatus.WAITING
    ticket.window = None
    ticket.clerk = None
    ticket.call_count = 0
    ticket.started_at = None
    ticket.paused_seconds = 0
    ticket.target_window = to_window
    if to_queue:
        ticket.queue = to_queue
    ticket.save()
    target = str(to_window) if to_window else to_queue.name if to_queue else ""
    _event(ticket, TicketEventKind.TRANSFERRED, window=window, actor=clerk, note=(target + " " + note).strip())
    _touch_board(window.hall_id)
    return ticket


@transaction.atomic
def identify_at_window(window: Window, *, clerk: Any, name: str, id_number: str, phone: str = "") -> NaturalPerson:
    """Identify the person at the window by their ID number (the person is registered if new).

    The ticket at the window takes the person's ID number if it had none.
    """
    from govhall.identity.actions import register_person
    from govhall.identity.queries import find_person_by_id_number

    _window_of(clerk, window)
    parsed = parse_id_number(id_number)
    known = find_person_by_id_number(parsed.number)
    if known is not None and known.name != name.strip():
        raise ValidationError({"name": _("该身份证号码登记的姓名与填写的不一致，请核对证件上的姓名。")})
    try:
        person = register_person(name=name, id_number=parsed.number, phone=phone, actor=clerk)
    except ValidationError as error:
        raise ValidationError({"name": error.messages}) from None
    Ticket.objects.filter(window=window, status__in=AT_WINDOW_STATUSES, id_number_hash="").update(
        id_number_hash=person.id_number_hash, id_number_masked=person.id_number_masked
    )
    record("halls.person_identified", clerk, person, {"window": window.pk})
    return person


@transaction.atomic
def identify_entity_at_window(
    window: Window, *, clerk: Any, agent: NaturalPerson, credit_code: str, name: str, authorisation_checked: bool
) -> LegalEntity:
    """A company or organisation applying through its agent (经办人) at the window.

    The credit code is checked (check digit) and the name must be the one on record (a new code
    is registered from the business licence); the clerk must have checked the letter of
    authorisation bearing its seal (or the legal representative's own ID). Nothing lasting is
    granted: the case filed now is the entity's, and its first event says the letter was checked
    at the window; acting for the entity online still needs the entity's own authorisation.
    """
    from govhall.identity.actions import register_entity

    _window_of(clerk, window)
    problems: dict[str, str] = {}
    try:
        # Read by the clerk from the original business licence or registration certificate:
        code = parse_credit_code(credit_code, on_record=from_authoritative_source).code
    except ValidationError as error:
        code = ""
        problems["credit_code"] = error.messages[0]
    name = name.strip()
    if not 2 <= len(name) <= 200:
        problems["entity_name"] = _("请填写单位名称，与营业执照或登记证书上的一致。")
    if not authorisation_checked:
        problems["authorisation_checked"] = _(
            "请核验加盖单位公章的授权委托书原件；法定代表人本人办理的，核验其身份证件。"
        )
    known = LegalEntity.objects.filter(credit_code=code).first() if code else None
    if known is not None and name and known.name != name:
        problems["entity_name"] = _("该统一社会信用代码登记的单位名称是“%(name)s”，与填写的不一致，请核对。") % {
            "name": known.name
        }
    if problems:
        raise ValidationError(problems)
    entity = known or register_entity(name=name, credit_code=code, actor=clerk)
    record("halls.agent_checked", clerk, entity, {"window": window.pk, "agent": agent.id_number_masked})
    return entity


def hand_over_at_window(window: Window, *, clerk: Any, pickup_code: str, collector: Any) -> tuple[Any, Ticket | None]:
    """Hand a result over at the window (出件) against its pick-up code, and link the ticket served to the case.

    The delivery work checks the code and the collector and records the service (a refused code
    is audited there, outside its refused transaction). The result handed over stays handed over
    if the ticket cannot be linked (the clerk signed out meanwhile): the ticket is then None.
    """
    from govhall.delivery.actions import hand_over
    from govhall.delivery.queries import handed_over_with

    with transaction.atomic():
        _window_of(clerk, window)  # refused before anything is handed over
    delivery = hand_over(pickup_code, collector, actor=clerk)
    ticket = None
    try:
        for handed in handed_over_with(delivery):  # a 一件事's results are handed over together
            ticket = link_case(window, handed.case, clerk=clerk, kind=TicketCaseKind.COLLECTED)
    except PermissionDenied:
        ticket = None
    return delivery, ticket


@transaction.atomic
def link_case(window: Window, case: Any, *, clerk: Any, kind: str = TicketCaseKind.FILED) -> Ticket | None:
    """Link the ticket at the clerk's window to a case served for the person there (filed, or collected).

    A ticket may serve several cases; linking the same case twice changes nothing.
    """
    _window_of(clerk, window)
    ticket = Ticket.objects.select_for_update().filter(window=window, status__in=AT_WINDOW_STATUSES).first()
    if ticket is None:
        return None
    _link, created = TicketCase.objects.get_or_create(ticket=ticket, case=case, defaults={"kind": kind})
    if created:
        _event(ticket, TicketEventKind.CASE_LINKED, window=ticket.window, actor=clerk, note=case.reference or "")
    return ticket


# --- upkeep --------------------------------------------------------------------------------


def keep_halls(now: datetime.datetime | None = None) -> dict[str, int]:
    """The hall's upkeep: expire holds, mark no-shows, remind tomorrow's bookings, close yesterday's tickets,
    and compute the figures of the days just over."""
    now = now or _now()
    today = timezone.localdate(now)
    expired = Booking.objects.filter(status=BookingStatus.HELD, held_until__lte=now).update(
        status=BookingStatus.EXPIRED
    )
    no_shows = 0
    for hall in Hall.objects.all():
        no_shows += Booking.objects.filter(
            hall=hall,
            status=BookingStatus.BOOKED,
            starts_at__lt=now - datetime.timedelta(minutes=hall.late_grace_minutes),
        ).update(status=BookingStatus.NO_SHOW)
    closed = 0
    for ticket in Ticket.objects.filter(day__lt=today, status__in=OPEN_TICKET_STATUSES):
        with transaction.atomic():
            Ticket.objects.filter(pk=ticket.pk).update(status=TicketStatus.CLOSED, finished_at=now, window=None)
            _event(ticket, TicketEventKind.CLOSED, note=_("日终未办结，自动关闭"))
            closed += 1
    reminded = remind_bookings(now)
    # What was typed at a kiosk is kept for its day only:
    SelfFill.objects.filter(ticket__day__lt=today).delete()
    from govhall.halls.statistics import compute_missing_days

    figures = compute_missing_days(today)
    return {
        "expired_holds": expired, "no_shows": no_shows, "closed_tickets": closed, "reminded": reminded,
        "stat_rows": figures,
    }  # fmt: skip


def remind_bookings(now: datetime.datetime) -> int:
    """Remind, once, each person booked for the next working day (through their notifications)."""
    calendar = get_calendar()
    today = timezone.localdate(now)
    next_day = calendar.add_working_days(today, 1)
    reminded = 0
    bookings = Booking.objects.select_related("hall", "item", "account").filter(
        status=BookingStatus.BOOKED, day__gt=today, day__lte=next_day, reminded_at=None, account__isnull=False
    )
    for booking in bookings:
        if booking.account is None:
            continue
        with transaction.atomic():
            # Only the run that sets reminded_at sends: a second worker finds it set.
            if not Booking.objects.filter(pk=booking.pk, reminded_at=None).update(reminded_at=now):
                continue
            local = timezone.localtime(booking.starts_at)
            notify(
                booking.account,
                _("预约提醒：%(when)s %(item)s")
                % {"when": local.strftime("%m-%d %H:%M"), "item": queries.item_name(booking.item)},
                body=_(
                    "您预约了 %(when)s 到%(hall)s（%(address)s）办理“%(item)s”，预约码 %(code)s。请提前到自助机签到；不能前往请及时取消。"
                )
                % {
                    "when": local.strftime("%Y-%m-%d %H:%M"),
                    "hall": booking.hall.name,
                    "address": booking.hall.address,
                    "item": queries.item_name(booking.item),
                    "code": booking.code,
                },
                link=f"/my/appointments/{booking.public_id}/",
            )
            reminded += 1
    return reminded


def schedule_upkeep(*, delay_seconds: int | None = None) -> bool:
    """Queue the next upkeep round for the worker (one waits at a time)."""
    from django.conf import settings

    from govhall.halls.tasks import keep_halls as task
    from govhall.lib.schedule import queue_once

    delay = settings.HALLS_UPKEEP_SECONDS if delay_seconds is None else delay_seconds
    return queue_once(task, delay_seconds=delay)


@transaction.atomic
def record_consultation(
    window: Window, *, clerk: Any, item_code: str, question: str, answer: str, is_faq_candidate: bool = False
) -> Consultation:
    """Record a consultation (咨询) answered at the window, with the ticket being served if any.

    Marked as a FAQ candidate, it is offered to the content editors for the item's FAQ.
    """
    _window_of(clerk, window)
    item = ServiceItem.objects.filter(implementation_code=item_code.strip()).first()
    problems = {}
    if item is None:
        problems["item"] = _("请选择咨询的事项。")
    if not question.strip():
        problems["question"] = _("请填写咨询的问题。")
    if not answer.strip():
        problems["answer"] = _("请填写给出的答复。")
    if problems:
        raise ValidationError(problems)
    assert item is not None
    ticket = Ticket.objects.filter(window=window, status__in=AT_WINDOW_STATUSES).first()
    consultation = Consultation.objects.create(
        hall=window.hall, ticket=ticket, item=item, question=question.strip()[:2000], answer=answer.strip()[:4000],
        clerk=clerk, is_faq_candidate=is_faq_candidate,
    )  # fmt: skip
    record("halls.consultation_recorded", clerk, consultation, {"item": item.implementation_code})
    return consultation


@transaction.atomic
def consultation_to_faq(consultation: Consultation, *, actor: Any) -> Any:
    """A content editor turns a window consultation marked as a FAQ candidate into a draft 常见问题 of its item.

    The draft is public information's own: reviewed for secrecy and approved before it is published.
    """
    from govhall.publicinfo.actions import draft_faq
    from govhall.publicinfo.queries import editor_departments

    consultation = Consultation.objects.select_for_update().select_related("item__department").get(pk=consultation.pk)
    if not consultation.is_faq_candidate:
        raise ValidationError(_("这条咨询没有被建议列入常见问题。"))
    if consultation.faq_id is not None:
        raise ValidationError(_("这条咨询已经转为常见问题。"))
    item = consultation.item
    if item.department_id not in editor_departments(actor):
        raise PermissionDenied(_("只有该事项所属单位的内容编辑可以新建它的常见问题。"))
    department = item.department
    entry = draft_faq(
        actor=actor, department=department, question=consultation.question, answer=consultation.answer, item=item
    )
    consultation.faq = entry
    consultation.save(update_fields=["faq"])
    record("halls.consultation_to_faq", actor, consultation, {"entry": str(entry.public_id)})
    return entry
