"""The hall's figures (大厅统计): computed from the day's tickets and their events into ``HallStat``.

Per hall and per queue, item, window, clerk and hour of arrival: tickets issued, served and missed,
bookings made for the day, honoured and not, consultations, cases filed at the window, and the
average, 90th percentile and longest waiting and service times (waiting with and without a
booking). A day is computed once it is over (the upkeep round computes yesterday), and again
on demand; the rows of a day are replaced whole.
"""

from __future__ import annotations

import datetime
import math
from collections import defaultdict
from collections.abc import Iterable
from io import BytesIO
from typing import Any

from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from govhall.catalog.models import ServiceItem
from govhall.halls.constants import BookingStatus, TicketCaseKind, TicketStatus
from govhall.halls.models import Booking, Consultation, Hall, HallStat, Queue, Ticket, TicketCase
from govhall.halls.queries import item_name

DIMENSIONS = ("hall", "queue", "item", "window", "clerk", "hour")


def _p90(values: list[int]) -> int | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]


def _avg(values: list[int]) -> int | None:
    return round(sum(values) / len(values)) if values else None


def _item_of(ticket: Ticket, queue_items: dict[int, list[ServiceItem]]) -> ServiceItem | None:
    """What the ticket came for: the first case filed with it (else collected), its booking's item, or its
    queue's only item. A ticket of a queue of several items that served no case has no item."""
    links = sorted(ticket.case_links.all(), key=lambda link: (link.kind != TicketCaseKind.FILED, link.pk))
    if links:
        return links[0].case.item_version.item
    if ticket.booking is not None:
        return ticket.booking.item
    items = queue_items.get(ticket.queue_id, [])
    return items[0] if len(items) == 1 else None


def _groups(ticket: Ticket, item: ServiceItem | None) -> Iterable[tuple[str, str, str]]:
    yield "hall", "", ""
    yield "queue", ticket.queue.prefix, ticket.queue.name
    if item is not None:
        yield "item", item.implementation_code, ""  # named once per item, below
    if ticket.window is not None:
        yield "window", str(ticket.window.number), str(ticket.window)
    if ticket.clerk_id:
        yield "clerk", str(ticket.clerk_id), str(ticket.clerk)
    yield (
        "hour",
        f"{timezone.localtime(ticket.arrived_at).hour:02d}",
        f"{timezone.localtime(ticket.arrived_at).hour:02d}:00",
    )


@transaction.atomic
def compute_day(hall: Hall, day: datetime.date) -> int:
    """Compute one hall's figures for one day (replacing any kept); return the rows written."""
    rows: dict[tuple[str, str], dict[str, Any]] = defaultdict(lambda: defaultdict(list))
    labels: dict[tuple[str, str], str] = {}
    tickets = (
        Ticket.objects.filter(hall=hall, day=day)
        .select_related("queue", "window", "clerk", "booking__item")
        .prefetch_related(Prefetch("case_links", TicketCase.objects.select_related("case__item_version__item")))
    )
    queue_items: dict[int, list[ServiceItem]] = defaultdict(list)
    for queue in Queue.objects.filter(hall=hall).prefetch_related("items"):
        queue_items[queue.pk] = list(queue.items.all())
    items: dict[str, ServiceItem] = {}
    for ticket in tickets:
        item = _item_of(ticket, queue_items)
        if item is not None:
            items.setdefault(item.implementation_code, item)
        for dimension, key, label in _groups(ticket, item):
            group = rows[(dimension, key)]
            labels[(dimension, key)] = label
            group["issued"].append(1)
            if ticket.status == TicketStatus.DONE:
                group["served"].append(1)
            if ticket.status == TicketStatus.MISSED:
                group["missed"].append(1)
            if ticket.booking_id:
                group["booked_tickets"].append(1)
            group["cases_filed"].extend(1 for link in ticket.case_links.all() if link.kind == TicketCaseKind.FILED)
            wait = ticket.waiting_seconds
            if wait is not None:
                group["wait"].append(wait)
                group["wait_booked" if ticket.booking_id else "wait_walk_in"].append(wait)
            service = ticket.service_seconds
            if service is not None and ticket.status == TicketStatus.DONE:
                group["service"].append(service)
    whole = rows[("hall", "")]
    labels[("hall", "")] = hall.name
    bookings = Booking.objects.filter(hall=hall, day=day)
    whole["bookings_made"] = [1] * bookings.exclude(status__in=[BookingStatus.HELD, BookingStatus.EXPIRED]).count()
    whole["bookings_honoured"] = [1] * bookings.filter(status=BookingStatus.CHECKED_IN).count()
    whole["no_shows"] = [1] * bookings.filter(status=BookingStatus.NO_SHOW).count()
    zone = timezone.get_current_timezone()
    start = datetime.datetime.combine(day, datetime.time.min, tzinfo=zone)
    consultations = Consultation.objects.filter(
        hall=hall, created_at__gte=start, created_at__lt=start + datetime.timedelta(days=1)
    ).select_related("clerk", "item")
    for consultation in consultations:
        whole["consultations"].append(1)
        by_clerk = ("clerk", str(consultation.clerk_id))
        rows[by_clerk]["consultations"].append(1)
        labels.setdefault(by_clerk, str(consultation.clerk))
        by_item = ("item", consultation.item.implementation_code)
        rows[by_item]["consultations"].append(1)
        items.setdefault(consultation.item.implementation_code, consultation.item)
    for code, item in items.items():
        labels[("item", code)] = item_name(item)
    HallStat.objects.filter(hall=hall, day=day).delete()
    stats = []
    for (dimension, key), group in rows.items():
        stats.append(
            HallStat(
                hall=hall,
                day=day,
                dimension=dimension,
                key=key,
                label=labels.get((dimension, key), "")[:100],
                issued=len(group["issued"]),
                served=len(group["served"]),
                missed=len(group["missed"]),
                booked_tickets=len(group["booked_tickets"]),
                bookings_made=len(group["bookings_made"]),
                bookings_honoured=len(group["bookings_honoured"]),
                no_shows=len(group["no_shows"]),
                consultations=len(group["consultations"]),
                cases_filed=len(group["cases_filed"]),
                wait_avg=_avg(group["wait"]),
                wait_p90=_p90(group["wait"]),
                wait_max=max(group["wait"]) if group["wait"] else None,
                wait_avg_booked=_avg(group["wait_booked"]),
                wait_avg_walk_in=_avg(group["wait_walk_in"]),
                service_avg=_avg(group["service"]),
                service_p90=_p90(group["service"]),
                service_max=max(group["service"]) if group["service"] else None,
            )  # fmt: skip
        )
    HallStat.objects.bulk_create(stats)
    return len(stats)


def compute_missing_days(today: datetime.date | None = None, *, back: int = 7) -> int:
    """Compute every hall's finished days of the last ``back`` days that have no figures yet."""
    today = today or timezone.localdate()
    written = 0
    for hall in Hall.objects.all():
        done = set(
            HallStat.objects.filter(
                hall=hall, dimension="hall", day__gte=today - datetime.timedelta(days=back)
            ).values_list("day", flat=True)
        )
        busy = set(
            Ticket.objects.filter(hall=hall, day__gte=today - datetime.timedelta(days=back), day__lt=today)
            .values_list("day", flat=True)
            .distinct()
        )
        for day in sorted(busy - done):
            written += compute_day(hall, day)
    return written


def list_days(hall: Hall, start: datetime.date, end: datetime.date) -> list[HallStat]:
    return list(HallStat.objects.filter(hall=hall, dimension="hall", day__gte=start, day__lte=end).order_by("day"))


def list_breakdown(hall: Hall, day: datetime.date) -> dict[str, list[HallStat]]:
    rows = HallStat.objects.filter(hall=hall, day=day).exclude(dimension="hall").order_by("dimension", "key")
    breakdown: dict[str, list[HallStat]] = {dimension: [] for dimension in DIMENSIONS[1:]}
    for row in rows:
        breakdown[row.dimension].append(row)
    return breakdown


COLUMNS = [
    ("day", gettext_lazy("日期")), ("dimension", gettext_lazy("维度")), ("label", gettext_lazy("名称")), ("issued", gettext_lazy("取号")), ("served", gettext_lazy("办结")),
    ("missed", gettext_lazy("过号")), ("booked_tickets", gettext_lazy("预约取号")), ("bookings_made", gettext_lazy("当日预约数")),
    ("bookings_honoured", gettext_lazy("预约到场")), ("no_shows", gettext_lazy("爽约")), ("consultations", gettext_lazy("咨询")),
    ("cases_filed", gettext_lazy("窗口受理办件")), ("wait_avg", gettext_lazy("平均等候（秒）")), ("wait_p90", gettext_lazy("等候90分位（秒）")),
    ("wait_max", gettext_lazy("最长等候（秒）")), ("wait_avg_booked", gettext_lazy("预约平均等候（秒）")),
    ("wait_avg_walk_in", gettext_lazy("现场取号平均等候（秒）")), ("service_avg", gettext_lazy("平均办理（秒）")),
    ("service_p90", gettext_lazy("办理90分位（秒）")), ("service_max", gettext_lazy("最长办理（秒）")),
]  # fmt: skip


def _cell(value: Any) -> Any:
    # A name typed as "=…" is text, never a formula a spreadsheet would run:
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def workbook(hall: Hall, start: datetime.date, end: datetime.date) -> bytes:
    """The figures of the days as an XLSX workbook: every dimension, one row each."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = _("大厅统计")
    sheet.append([str(label) for _name, label in COLUMNS])
    rows = HallStat.objects.filter(hall=hall, day__gte=start, day__lte=end).order_by("day", "dimension", "key")
    for row in rows:
        sheet.append([_cell(getattr(row, name)) if name != "day" else row.day.isoformat() for name, _label in COLUMNS])
    out = BytesIO()
    book.save(out)
    return out.getvalue()
