"""The monthly service figures (好差评、投诉、督办), per unit and per item, each defined once here.

Every figure is a count of rows whose own date falls in the month (local time), computed
set-based (one grouped query per kind of row), so that a year of a large bureau's data is a
few dozen queries. Aggregates only: no rater, complainant or staff member is named.

Definitions (docs/service-report.md says the same in words):

- ratings: first ratings (not 追加) of the month, removed malicious ones left out, by level;
  好评率 = (非常满意 + 满意 + 基本满意) ÷ all of them; 差评 = 不满意 + 非常不满意;
  default ratings (no rating given in time) counted separately too.
- rectifications: those opened in the month; on time = closed (办结) on or before the
  rectification deadline; followed up = a 回访 recorded. 回访率 counts named bad ratings only.
- complaints: submitted in the month, by kind; answered on time = answered on or before the
  due date (after an approved extension, the extended one).
- supervision orders: raised in the month, by level; replied on time = replied on or before
  the reply deadline.

A rate whose denominator is zero is None ("—" on the page), never 0 %.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from typing import Any

from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from govhall.complaints.constants import ComplaintKind, Level
from govhall.complaints.models import Complaint, SupervisionOrder
from govhall.identity.models import Department
from govhall.ratings.constants import BAD_LEVELS, RatingLevel, RectificationStatus
from govhall.ratings.models import Rating, Rectification

GOOD_LEVELS = (RatingLevel.VERY_SATISFIED, RatingLevel.SATISFIED, RatingLevel.BASIC)
NO_UNIT = ""  # rows not (yet) given to a unit, e.g. an anonymous complaint awaiting assignment


def month_bounds(month: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    """The month's first instant and the next month's, in the platform's time zone."""
    first = month.replace(day=1)
    following = (first + datetime.timedelta(days=32)).replace(day=1)
    start = timezone.make_aware(datetime.datetime.combine(first, datetime.time()))
    end = timezone.make_aware(datetime.datetime.combine(following, datetime.time()))
    return start, end


def rate(part: int, whole: int) -> float | None:
    """``part`` of ``whole`` in per cent to one decimal, or None when there is nothing to count."""
    return round(100 * part / whole, 1) if whole else None


def _rating_counts(ratings: QuerySet[Rating], key: str) -> dict[str, dict[str, int]]:
    counted: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    levels = {f"level_{level}": Count("pk", filter=Q(level=level)) for level in RatingLevel.values}
    for row in ratings.values(key).annotate(
        total=Count("pk"), defaults=Count("pk", filter=Q(is_default=True)), **levels
    ):
        unit = counted[row[key] or NO_UNIT]
        for name, value in row.items():
            if name != key:
                unit[name] += value
    return counted


def _by_unit(rows: QuerySet[Any], **counts: Any) -> dict[str, dict[str, int]]:
    """``counts`` of ``rows`` per unit code (one grouped query); an empty count for a unit not there."""
    counted: dict[str, dict[str, int]] = defaultdict(dict)
    for row in rows.values("department__code").annotate(**counts):
        values = dict(row)
        counted[values.pop("department__code") or NO_UNIT] = values
    return counted


def _ratings_block(counts: dict[str, int]) -> dict[str, Any]:
    total = counts.get("total", 0)
    by_level = {level: counts.get(f"level_{level}", 0) for level in RatingLevel.values}
    good = sum(by_level[level] for level in GOOD_LEVELS)
    bad = sum(by_level[level] for level in BAD_LEVELS)
    return {
        "total": total,
        "by_level": by_level,
        "good_rate": rate(good, total),
        "bad": bad,
        "defaults": counts.get("defaults", 0),
    }


def compute_month(month: datetime.date) -> dict[str, Any]:
    """The figures of ``month`` (any day in it), per unit and per item, with the bureau's totals."""
    start, end = month_bounds(month)
    ratings = Rating.objects.filter(rated_at__gte=start, rated_at__lt=end, is_follow_up=False, is_removed=False)
    rectifications = Rectification.objects.filter(created_at__gte=start, created_at__lt=end)
    complaints = Complaint.objects.filter(submitted_at__gte=start, submitted_at__lt=end)
    orders = SupervisionOrder.objects.filter(raised_at__gte=start, raised_at__lt=end)

    by_unit_ratings = _rating_counts(ratings, "department__code")
    by_item_ratings = _rating_counts(
        ratings.filter(case__isnull=False), "case__item_version__item__implementation_code"
    )

    local = timezone.get_current_timezone()
    fixes = _by_unit(
        rectifications.annotate(closed_day=TruncDate("closed_at", tzinfo=local)),
        opened=Count("pk"),
        on_time=Count(
            "pk",
            filter=Q(status=RectificationStatus.CLOSED)
            & (Q(rectify_due_on__isnull=True) | Q(closed_day__lte=F("rectify_due_on"))),
        ),
        named=Count("pk", filter=Q(rating__rater__isnull=False)),
        followed_up=Count("pk", filter=Q(rating__rater__isnull=False, follow_up_at__isnull=False)),
    )
    complaint_rows = _by_unit(
        complaints.annotate(answered_day=TruncDate("answered_at", tzinfo=local)),
        total=Count("pk"),
        answered=Count("pk", filter=Q(answered_at__isnull=False)),
        answered_on_time=Count("pk", filter=Q(answered_at__isnull=False, answered_day__lte=F("due_on"))),
        **{f"kind_{kind}": Count("pk", filter=Q(kind=kind)) for kind in ComplaintKind.values},
    )
    order_rows = _by_unit(
        orders.annotate(replied_day=TruncDate("replied_at", tzinfo=local)),
        total=Count("pk"),
        red=Count("pk", filter=Q(level=Level.RED)),
        yellow=Count("pk", filter=Q(level=Level.YELLOW)),
        replied_on_time=Count("pk", filter=Q(replied_at__isnull=False, replied_day__lte=F("reply_due_on"))),
    )

    codes = set(by_unit_ratings) | set(fixes) | set(complaint_rows) | set(order_rows)
    names = dict(Department.objects.filter(code__in=codes).values_list("code", "name"))
    units = [
        _unit(code, names.get(code, ""), by_unit_ratings[code], fixes[code], complaint_rows[code], order_rows[code])
        for code in codes
    ]
    units.sort(key=lambda unit: (unit["code"] == NO_UNIT, unit["name"]))

    item_names = name_items(set(by_item_ratings))
    items: list[dict[str, Any]] = [
        {"code": code, "name": item_names.get(code, code), "ratings": _ratings_block(counts)}
        for code, counts in by_item_ratings.items()
    ]
    items.sort(key=lambda item: (-item["ratings"]["total"], item["name"]))

    totals = _unit(
        "",
        "",
        _sum(by_unit_ratings.values()),
        _sum(fixes.values()),
        _sum(complaint_rows.values()),
        _sum(order_rows.values()),
    )
    return {"month": month.strftime("%Y-%m"), "units": units, "items": items, "totals": totals}


def _sum(rows: Any) -> dict[str, int]:
    summed: dict[str, int] = defaultdict(int)
    for row in rows:
        for name, value in row.items():
            summed[name] += value
    return summed


def _unit(
    code: str,
    name: str,
    ratings: dict[str, int],
    fixes: dict[str, int],
    complaints: dict[str, int],
    orders: dict[str, int],
) -> dict[str, Any]:
    opened, named = fixes.get("opened", 0), fixes.get("named", 0)
    total_complaints, answered = complaints.get("total", 0), complaints.get("answered", 0)
    total_orders = orders.get("total", 0)
    return {
        "code": code,
        "name": name,
        "ratings": _ratings_block(ratings),
        "rectifications": {
            "opened": opened,
            "on_time": fixes.get("on_time", 0),
            "on_time_rate": rate(fixes.get("on_time", 0), opened),
            "follow_up_rate": rate(fixes.get("followed_up", 0), named),
        },
        "complaints": {
            "total": total_complaints,
            "by_kind": {kind: complaints.get(f"kind_{kind}", 0) for kind in ComplaintKind.values},
            "answered": answered,
            "answered_on_time_rate": rate(complaints.get("answered_on_time", 0), answered),
        },
        "orders": {
            "total": total_orders,
            "red": orders.get("red", 0),
            "yellow": orders.get("yellow", 0),
            "replied_on_time_rate": rate(orders.get("replied_on_time", 0), total_orders),
        },
    }


def name_items(codes: set[str]) -> dict[str, str]:
    """The newest version's name of each item, by implementation code (the reports and the indicators)."""
    from govhall.catalog.models import ItemVersion

    names: dict[str, str] = {}
    # The newest version's name of each item:
    for code, name in (
        ItemVersion.objects.filter(item__implementation_code__in=codes)
        .order_by("item__implementation_code", "-pk")
        .values_list("item__implementation_code", "name")
    ):
        names.setdefault(code, name)
    return names


def ranked_units(figures: dict[str, Any]) -> list[dict[str, Any]]:
    """The units of a month's figures in the order of the 通报: 好评率, then complaints answered on time, then orders.

    A unit without ratings ranks after those with them; the rows not given to a unit are left out.
    """

    def key(unit: dict[str, Any]) -> tuple[Any, ...]:
        good = unit["ratings"]["good_rate"]
        answered = unit["complaints"]["answered_on_time_rate"]
        return (
            good is None,
            -(good or 0),
            answered is None,
            -(answered or 0),
            unit["orders"]["total"],
            unit["name"],
        )

    return sorted((unit for unit in figures["units"] if unit["code"] != NO_UNIT), key=key)
