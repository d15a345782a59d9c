"""Reads of the hall: open days and slots with their free places, the queues a window takes, the board's state."""

from __future__ import annotations

import datetime
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Avg, Count, F, IntegerField, Q, QuerySet, Value, When
from django.db.models import Case as SqlCase
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from govhall.catalog.models import ServiceItem
from govhall.halls.constants import (
    AT_WINDOW_STATUSES,
    BookingStatus,
    HallKind,
    TicketEventKind,
    TicketStatus,
    WindowKind,
)
from govhall.halls.models import (
    Booking,
    Consultation,
    Hall,
    Queue,
    SelfFill,
    Ticket,
    TicketEvent,
    Window,
    WindowShift,
)
from govhall.holidays.queries import get_calendar
from govhall.identity.constants import Role
from govhall.identity.queries import departments_covered
from govhall.lib.workdays import WorkingCalendar
from govhall.publicinfo.queries import current_notices

# An estimate of one service when a queue has served nobody yet today:
DEFAULT_SERVICE_MINUTES = 6


@dataclass(frozen=True)
class Slot:
    starts_at: datetime.datetime
    ends_at: datetime.datetime
    capacity: int
    taken: int

    @property
    def free(self) -> int:
        return max(0, self.capacity - self.taken)


def day_slots(hall: Hall, day: datetime.date) -> list[tuple[datetime.datetime, datetime.datetime]]:
    """The slots of one day: the opening hours cut into ``slot_minutes``, breaks left out (no calendar check)."""
    zone = timezone.get_current_timezone()
    length = datetime.timedelta(minutes=hall.slot_minutes)
    slots = []
    for start, end in hall.periods:
        at = datetime.datetime.combine(day, start, tzinfo=zone)
        close = datetime.datetime.combine(day, end, tzinfo=zone)
        while at + length <= close:
            slots.append((at, at + length))
            at += length
    return slots


def bookable_days(hall: Hall, *, calendar: WorkingCalendar | None = None) -> list[datetime.date]:
    """The working days a booking may be made for: from ``booking_from_days`` working days on, up to the horizon."""
    calendar = calendar or get_calendar()
    today = timezone.localdate()
    first = calendar.add_working_days(today, hall.booking_from_days) if hall.booking_from_days else today
    last = today + datetime.timedelta(days=hall.booking_days_ahead)
    days = []
    day = first
    while day <= last:
        if calendar.is_working_day(day):
            days.append(day)
        day += datetime.timedelta(days=1)
    return days


def booking_capacity(hall: Hall, item: ServiceItem) -> int:
    """Places per slot for an item: the windows that serve it (general windows take every queue) × per window."""
    queues = Queue.objects.filter(hall=hall, is_active=True, is_pickup=False, items=item)
    if not queues.exists():
        return 0
    windows = (
        Window.objects.filter(hall=hall, is_active=True)
        .filter(Q(kind=WindowKind.GENERAL) | Q(kind=WindowKind.SPECIALISED, queues__in=queues))
        .distinct()
        .count()
    )
    return windows * hall.bookings_per_window


def places_taken(hall: Hall, item: ServiceItem, start: datetime.datetime, end: datetime.datetime) -> dict[Any, int]:
    """Places held per slot start in [start, end): live bookings, live holds, and cancellations not yet released."""
    now = timezone.now()
    held = Q(status__in=[BookingStatus.BOOKED, BookingStatus.CHECKED_IN]) | Q(
        status=BookingStatus.HELD, held_until__gt=now
    )
    cooling = Q(
        status=BookingStatus.CANCELLED, cancelled_at__gt=now - datetime.timedelta(minutes=hall.cancel_release_minutes)
    )
    rows = (
        Booking.objects.filter(hall=hall, item=item, starts_at__gte=start, starts_at__lt=end)
        .filter(held | cooling)
        .values("starts_at")
        .annotate(n=Count("pk"))
    )
    return {row["starts_at"]: row["n"] for row in rows}


def list_slots(hall: Hall, item: ServiceItem, day: datetime.date, *, capacity: int | None = None) -> list[Slot]:
    """The slots of one day with their free places (read now); slots too close to now are left out."""
    capacity = booking_capacity(hall, item) if capacity is None else capacity
    slots = day_slots(hall, day)
    if not slots:
        return []
    taken = places_taken(hall, item, slots[0][0], slots[-1][1])
    earliest = timezone.now() + datetime.timedelta(minutes=hall.booking_lead_minutes)
    return [Slot(start, end, capacity, taken.get(start, 0)) for start, end in slots if start >= earliest]


# The calendar of free places per day is kept this long in the shared cache, and dropped when a
# booking of the hall and item commits: a hold that ran out or a released cancellation shows
# within the minute. It cannot overbook: holding a slot counts its places again under its lock.
FREE_DAYS_SECONDS = 60


def bookings_version(hall_id: int, item_id: int) -> int:
    return int(cache.get(f"halls:bookings:{hall_id}:{item_id}") or 0)


def free_places_by_day(
    hall: Hall, item: ServiceItem, days: list[datetime.date], *, capacity: int | None = None
) -> dict[datetime.date, int]:
    """Free places per bookable day, for the calendar of the booking page (one query for all days; kept a minute)."""
    if not days:
        return {}
    key = f"halls:free-days:{hall.pk}:{item.pk}:{bookings_version(hall.pk, item.pk)}:{days[0]}:{days[-1]}"
    kept = cache.get(key)
    if kept is not None:
        return {datetime.date.fromisoformat(day): n for day, n in kept.items()}
    capacity = booking_capacity(hall, item) if capacity is None else capacity
    zone = timezone.get_current_timezone()
    start = datetime.datetime.combine(days[0], datetime.time.min, tzinfo=zone)
    end = datetime.datetime.combine(days[-1] + datetime.timedelta(days=1), datetime.time.min, tzinfo=zone)
    taken = places_taken(hall, item, start, end)
    earliest = timezone.now() + datetime.timedelta(minutes=hall.booking_lead_minutes)
    free: dict[datetime.date, int] = {}
    for day in days:
        free[day] = sum(
            max(0, capacity - taken.get(slot_start, 0))
            for slot_start, _ in day_slots(hall, day)
            if slot_start >= earliest
        )
    cache.set(key, {day.isoformat(): n for day, n in free.items()}, timeout=FREE_DAYS_SECONDS)
    return free


def halls_for_item(item: ServiceItem) -> QuerySet[Hall]:
    """The open halls with a queue that takes the item (where it can be booked or handled)."""
    return Hall.objects.filter(
        is_active=True, queues__items=item, queues__is_active=True, queues__is_pickup=False
    ).distinct()


def queue_for_item(hall: Hall, item: ServiceItem) -> Queue | None:
    """The queue of the hall that takes the item (the first by the hall's order), not a pick-up queue."""
    return (
        Queue.objects.filter(hall=hall, items=item, is_active=True, is_pickup=False)
        .order_by("sort_order", "prefix")
        .first()
    )


def kiosk_items(hall: Hall) -> list[tuple[str, str]]:
    """(implementation code, name) of the live items the hall takes, for 自助填单, by name."""
    from govhall.catalog.queries import live_versions

    items = Queue.objects.filter(hall=hall, is_active=True, is_pickup=False).values("items")
    versions = live_versions().filter(item_id__in=items).select_related("item")
    return sorted(((v.item.implementation_code, v.name) for v in versions), key=lambda pair: pair[1])


def self_filled_answers(window: Window, person: Any) -> dict[str, Any] | None:
    """The answers typed at the kiosk with the ticket at the window, if they are this person's
    (the ID number typed there is the one on the ID card the clerk checked); else None."""
    ticket = (
        Ticket.objects.filter(window=window, status__in=AT_WINDOW_STATUSES)
        .select_related("self_fill__version__item")
        .first()
    )
    fill = getattr(ticket, "self_fill", None) if ticket else None
    if fill is None or fill.id_number_hash != person.id_number_hash:
        return None
    return {"item": fill.version.item.implementation_code, "answers": fill.answers}


def self_filled_item_name(ticket: Ticket) -> str:
    """The name of the item filled at the kiosk with this ticket, or ""."""
    fill = SelfFill.objects.filter(ticket=ticket).select_related("version").first()
    return fill.version.name if fill else ""


def call_order(now: datetime.datetime) -> Any:
    """The rank windows call by: checked-in bookings whose slot has begun, then priority groups (then arrival)."""
    return SqlCase(
        When(booked_start__lte=now, then=Value(0)),
        When(~Q(priority_group=""), then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )


def queues_for_window(window: Window) -> list[int]:
    """The ids of the queues a window calls from: a general window every queue but pick-up, others their own."""
    if window.kind == WindowKind.GENERAL:
        return list(
            Queue.objects.filter(hall_id=window.hall_id, is_active=True, is_pickup=False).values_list("pk", flat=True)
        )
    if window.kind == WindowKind.PICKUP:
        own = list(window.queues.filter(is_active=True).values_list("pk", flat=True))
        return own or list(
            Queue.objects.filter(hall_id=window.hall_id, is_active=True, is_pickup=True).values_list("pk", flat=True)
        )
    return list(window.queues.filter(is_active=True).values_list("pk", flat=True))


def current_shift(user: Any) -> WindowShift | None:
    """The window shift the user holds now, if any."""
    return WindowShift.objects.select_related("window__hall").filter(clerk=user, ended_at=None).first()


def halls_for_clerk(user: Any) -> QuerySet[Hall]:
    """The halls whose department (or a unit above it) the user is a window clerk of."""
    return Hall.objects.filter(is_active=True, department_id__in=departments_covered(user, (Role.CLERK,)))


def ticket_at_window(window: Window) -> Ticket | None:
    return (
        Ticket.objects.select_related("queue", "booking").filter(window=window, status__in=AT_WINDOW_STATUSES).first()
    )


def average_service_seconds(hall: Hall, day: datetime.date) -> dict[int, float]:
    """The average service time per queue today, from the tickets finished so far."""
    rows = (
        Ticket.objects.filter(hall=hall, day=day, status=TicketStatus.DONE)
        .values("queue_id")
        .annotate(avg=Avg(F("finished_at") - F("started_at")))
    )
    averages = {}
    for row in rows:
        value = row["avg"]
        if isinstance(value, datetime.timedelta):
            averages[row["queue_id"]] = value.total_seconds()
        elif value is not None:  # SQLite answers the interval in microseconds
            averages[row["queue_id"]] = float(value) / 1_000_000
    return averages


def _windows_open_per_queue(hall: Hall) -> dict[int, int]:
    held = WindowShift.objects.filter(window__hall=hall, ended_at=None).values("window_id")
    open_windows = Window.objects.filter(hall=hall, pk__in=held, is_active=True).prefetch_related("queues")
    counts: dict[int, int] = {}
    queue_ids = list(Queue.objects.filter(hall=hall, is_active=True).values_list("pk", "is_pickup"))
    for window in open_windows:
        if window.kind == WindowKind.GENERAL:
            served = [pk for pk, is_pickup in queue_ids if not is_pickup]
        else:
            served = [queue.pk for queue in window.queues.all()]
        for pk in served:
            counts[pk] = counts.get(pk, 0) + 1
    return counts


def queue_overview(hall: Hall) -> list[dict[str, Any]]:
    """Per queue: waiting count and an estimated wait in minutes (waiting × average service ÷ open windows)."""
    today = timezone.localdate()
    waiting = dict(
        Ticket.objects.filter(hall=hall, day=today, status=TicketStatus.WAITING)
        .values("queue_id")
        .annotate(n=Count("pk"))
        .values_list("queue_id", "n")
    )
    averages = average_service_seconds(hall, today)
    windows = _windows_open_per_queue(hall)
    overview = []
    for queue in Queue.objects.filter(hall=hall, is_active=True):
        count = waiting.get(queue.pk, 0)
        per_person = averages.get(queue.pk, DEFAULT_SERVICE_MINUTES * 60)
        open_windows = max(1, windows.get(queue.pk, 0))
        overview.append(
            {
                "prefix": queue.prefix,
                "name": queue.name,
                "waiting": count,
                "windows_open": windows.get(queue.pk, 0),
                "estimated_minutes": round(count * per_person / open_windows / 60),
                "queue": queue,
            }
        )
    return overview


def ticket_position(ticket: Ticket) -> tuple[int, int]:
    """How many are ahead of a waiting ticket in its queue, and the estimated wait in minutes.

    An estimate: a transfer to one window, or windows taking several queues, change the order.
    """
    if ticket.status != TicketStatus.WAITING:
        return 0, 0
    # Ahead: whoever the windows would call first, in their order (bookings whose slot has
    # begun, then priority groups, then arrival):
    now = timezone.now()
    has_begun = ticket.booked_start is not None and ticket.booked_start <= now
    rank = 0 if has_begun else 1 if ticket.priority_group else 2
    ahead = (
        Ticket.objects.filter(queue_id=ticket.queue_id, day=ticket.day, status=TicketStatus.WAITING)
        .exclude(pk=ticket.pk)
        .annotate(rank=call_order(now))
        .filter(
            Q(rank__lt=rank)
            | Q(rank=rank, arrived_at__lt=ticket.arrived_at)
            | Q(rank=rank, arrived_at=ticket.arrived_at, pk__lt=ticket.pk)
        )
        .count()
    )
    per_person = average_service_seconds(ticket.hall, ticket.day).get(ticket.queue_id, DEFAULT_SERVICE_MINUTES * 60)
    open_windows = max(1, _windows_open_per_queue(ticket.hall).get(ticket.queue_id, 0))
    return ahead, round((ahead + 1) * per_person / open_windows / 60)


def board_version(hall_id: int) -> int:
    """A token that changes whenever something the hall's board shows changes (kept in the shared cache).

    Several app servers must share the cache (Redis, ``GOVHALL_REDIS_URL``), as they do for
    sessions and rate limits; with the per-process memory cache a board could miss a change
    made through another process.
    """
    return int(cache.get(f"halls:board:{hall_id}") or 0)


def board_tag(hall_id: int) -> str:
    """What the board's ETag says: the hall's version, the day, and the published public information
    (a new 通知公告 shows on the boards; its key is read from the database at most every few seconds
    per process, so an unchanged board still costs no query)."""
    from govhall.publicinfo.queries import published_key

    published = hashlib.blake2b(repr(published_key()).encode(), digest_size=6).hexdigest()
    return f"{hall_id}-{board_version(hall_id)}-{timezone.localdate().isoformat()}-{published}"


def board_json(hall_id: int, tag: str) -> str:
    """The board's data as JSON, rendered once per change (``board_tag``) and kept for every board.

    Kept a minute at most, so that a change that moves no ticket (the hall's notice) shows too.
    """
    key = f"halls:board-json:{tag}"
    body = cache.get(key)
    if body is None:
        body = json.dumps(board_state(Hall.objects.get(pk=hall_id)), cls=DjangoJSONEncoder, ensure_ascii=False)
        cache.set(key, body, timeout=60)
    return str(body)


def board_state(hall: Hall, *, recent: int = 8) -> dict[str, Any]:
    """What a display board shows: the calls (newest first, with ids to announce new ones), queues, the notice."""
    today = timezone.localdate()
    events = (
        TicketEvent.objects.filter(
            ticket__hall=hall, ticket__day=today, kind__in=[TicketEventKind.CALLED, TicketEventKind.RECALLED]
        )
        .select_related("ticket", "window")
        .order_by("-pk")[:recent]
    )
    calls = [
        {
            "id": event.pk,
            "ticket": event.ticket.number,
            "window": event.window.number if event.window else None,
            "at": event.at.isoformat(),
        }
        for event in events
    ]
    return {
        "hall": hall.name,
        "version": board_version(hall.pk),
        "now": timezone.now().isoformat(),
        "calls": calls,
        "queues": [
            {key: row[key] for key in ("prefix", "name", "waiting", "windows_open", "estimated_minutes")}
            for row in queue_overview(hall)
        ],
        "notice": hall.notice,
        "notices": [{"title": entry.title, "published_on": entry.published_on} for entry in current_notices(limit=3)],
    }


def active_bookings_for(account: Any) -> QuerySet[Booking]:
    return Booking.objects.select_related("hall", "item").filter(account=account).order_by("-starts_at")


def access_booking_for(account: Any, public_id: Any) -> Booking:
    booking = Booking.objects.select_related("hall", "item").filter(account=account, public_id=public_id).first()
    if booking is None:
        raise Http404
    return booking


def is_blocked_for_no_shows(hall: Hall, id_number_hash: str) -> datetime.datetime | None:
    """Until when online booking is blocked for this person after repeated no-shows, or None."""
    since = timezone.now() - datetime.timedelta(days=hall.no_show_window_days)
    recent = list(
        Booking.objects.filter(id_number_hash=id_number_hash, status=BookingStatus.NO_SHOW, starts_at__gte=since)
        .order_by("-starts_at")
        .values_list("starts_at", flat=True)[: hall.no_show_limit]
    )
    if len(recent) < hall.no_show_limit:
        return None
    until = recent[0] + datetime.timedelta(days=hall.no_show_block_days)
    return until if until > timezone.now() else None


def item_name(item: ServiceItem) -> str:
    """The item's name as its live guide gives it (its latest version's where none is live)."""
    from govhall.catalog.queries import live_versions

    name = live_versions().filter(item=item).values_list("name", flat=True).first()
    return name or item.versions.order_by("-number").values_list("name", flat=True).first() or item.implementation_code


def window_holders(hall_ids: list[int]) -> dict[int, Any]:
    """Window id → the clerk holding it now, for the halls given."""
    shifts = WindowShift.objects.filter(window__hall_id__in=hall_ids, ended_at=None).select_related("clerk")
    return {shift.window_id: shift.clerk for shift in shifts}


def waiting_for_window(window: Window) -> list[Ticket]:
    """The tickets this window would call, in the order it would call them (for the counter's list)."""
    return list(
        Ticket.objects.select_related("queue")
        .filter(
            hall_id=window.hall_id,
            day=timezone.localdate(),
            status=TicketStatus.WAITING,
            queue_id__in=queues_for_window(window),
        )
        .filter(Q(target_window=None) | Q(target_window=window))
        .annotate(rank=call_order(timezone.now()))
        .order_by("rank", "arrived_at", "pk")[:20]
    )


def consultations_at(window: Window, day: datetime.date) -> QuerySet[Consultation]:
    zone = timezone.get_current_timezone()
    start = datetime.datetime.combine(day, datetime.time.min, tzinfo=zone)
    return Consultation.objects.filter(hall_id=window.hall_id, created_at__gte=start).order_by("-created_at")


@dataclass(frozen=True)
class Progress:
    reference: str
    item_name: str
    status: str
    due_on: datetime.date | None
    events: list[tuple[datetime.datetime, str]]


def case_progress(reference: str, id_number: str) -> Progress:
    """A case's progress for the kiosk: its number and the applicant's ID number must both match.

    "No such case" and "not this person's" get the same answer. Raises ValidationError.
    """
    from govhall.cases.models import Case
    from govhall.cases.queries import list_events_for_applicant
    from govhall.identity.queries import ID_NUMBER as ID_PURPOSE
    from govhall.lib.crypto import lookup_hash
    from govhall.lib.identifiers import parse_resident_id

    try:
        number = parse_resident_id(id_number).number
    except ValidationError as error:
        raise ValidationError({"id_number": error.messages}) from None
    case = (
        Case.objects.select_related("item_version", "person")
        .filter(reference=reference.strip().upper() if reference.strip().isascii() else reference.strip())
        .first()
    )
    if case is None or case.person is None or case.person.id_number_hash != lookup_hash(number, purpose=ID_PURPOSE):
        raise ValidationError(_("没有找到与该办件编号和身份证号码都相符的办件，请核对后重新输入。"))
    events = [(event.created_at, event.get_kind_display()) for event in list_events_for_applicant(case)[:8]]
    return Progress(case.reference or "", case.item_version.name, case.get_status_display(), case.due_on, events)


def halls_for_stats(user: Any) -> list[Hall]:
    """The halls whose figures the user may read: their clerks, approvers and supervisors."""
    covered = departments_covered(user, (Role.CLERK, Role.APPROVER, Role.SUPERVISOR))
    order = [kind for kind, _label in HallKind.choices]
    return sorted(Hall.objects.filter(department_id__in=covered), key=lambda h: (order.index(h.kind), h.code))


def faq_candidates(departments: list[int]) -> QuerySet[Consultation]:
    """Window consultations about the items of these units that the clerks proposed for the FAQ and no
    editor has drafted yet, newest first."""
    from django.db.models import OuterRef, Subquery

    from govhall.catalog.models import ItemVersion

    latest_name = ItemVersion.objects.filter(item=OuterRef("item_id")).order_by("-number").values("name")[:1]
    return (
        Consultation.objects.filter(is_faq_candidate=True, faq__isnull=True, item__department_id__in=departments)
        .select_related("hall", "item")
        .annotate(item_name=Subquery(latest_name))
        .order_by("-created_at")
    )
