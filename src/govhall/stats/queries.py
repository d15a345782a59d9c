"""Reads of the stats app: the kept monthly service reports, and the indicators from the summary table."""

from __future__ import annotations

import dataclasses
import datetime
import uuid
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet, Sum
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from govhall.identity.constants import RECORD_ROLES
from govhall.identity.models import Department, User
from govhall.identity.queries import departments_below, departments_covered, get_department_tree, list_roles
from govhall.stats.figures import name_items
from govhall.stats.measures import COUNTERS, FLOW, MEASURES, P90, STOCK, Measure, evaluate, facet_labels
from govhall.stats.models import ComputedDay, Figure, ServiceReport


def reports_key() -> int:
    """Changes whenever a report is kept (kept reports never change): the public page's cache version."""
    return ServiceReport.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def list_report_months() -> list[datetime.date]:
    """The months whose reports are kept, newest first."""
    return list(ServiceReport.objects.values_list("month", flat=True))


def list_reports() -> list[ServiceReport]:
    """The kept reports, newest first, without their figures."""
    return list(ServiceReport.objects.defer("figures"))


def get_report(month: datetime.date | None = None) -> ServiceReport | None:
    """The kept report of ``month``, or the newest one; None if there is none."""
    reports = ServiceReport.objects.all()
    return (reports.filter(month=month.replace(day=1)) if month else reports).first()


def may_read_internal_reports(user: User) -> bool:
    """The internal 通报 circulates to the staff who handle or supervise services (not to the administrators)."""
    return any(membership.role in RECORD_ROLES for membership in list_roles(user))


def access_report_for_staff(user: User, public_id: str | uuid.UUID) -> ServiceReport:
    """A kept report for a member of staff who may read the 通报; 404 otherwise."""
    if not may_read_internal_reports(user):
        raise Http404
    try:
        return ServiceReport.objects.get(public_id=public_id)
    except ServiceReport.DoesNotExist:
        raise Http404 from None


# Indicators ------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Scope:
    """Whose figures: ``departments`` None is the whole bureau (rows without a unit included)."""

    departments: list[int] | None
    label: str
    code: str = ""


@dataclasses.dataclass
class MonthFigures:
    """A month's sums per counter for a scope, the measures' values, and how complete the days are."""

    month: datetime.date
    sums: dict[str, int]
    histograms: dict[str, dict[str, int]]
    values: dict[str, float | None]
    days_expected: int
    days_complete: int
    days_partial: int
    stock_day: datetime.date | None

    @property
    def days_missing(self) -> int:
        return self.days_expected - self.days_complete - self.days_partial

    @property
    def is_complete(self) -> bool:
        return self.days_complete == self.days_expected


FIRST_YEAR = 2000  # no figures before this (and no date arithmetic near year 1)


def parse_month(text: str, *, today: datetime.date | None = None) -> datetime.date:
    """The first day of a "YYYY-MM" month; blank is this month. Raises ValidationError for a bad or future month."""
    today = today or timezone.localdate()
    if not text:
        return today.replace(day=1)
    try:
        month = datetime.date.fromisoformat(text.strip() + "-01")
    except ValueError:
        raise ValidationError(_("月份的格式应为“2026-11”。"), code="bad_month") from None
    if month > today.replace(day=1):
        raise ValidationError(_("%(month)s还没有到，没有统计数据。") % {"month": text.strip()}, code="future_month")
    if month.year < FIRST_YEAR:
        raise ValidationError(_("%(year)d 年以前没有统计数据。") % {"year": FIRST_YEAR}, code="early_month")
    return month


def month_days(month: datetime.date, *, today: datetime.date | None = None) -> tuple[datetime.date, datetime.date]:
    """The month's first day and its last day so far."""
    today = today or timezone.localdate()
    following = (month + datetime.timedelta(days=32)).replace(day=1)
    return month, min(following - datetime.timedelta(days=1), today)


def may_read_indicators(user: User) -> bool:
    """The dashboards are for the staff who handle or supervise services (the same as the 通报)."""
    return may_read_internal_reports(user)


def indicator_scope_for(user: User, unit_code: str = "") -> Scope:
    """The scope a member of staff may see: a unit they cover (``unit_code``), or all they cover.

    Raises PermissionDenied for staff without a handling or supervising role, and for a unit
    outside what they cover (said plainly: the unit exists or not, either way it is not theirs).
    """
    if not may_read_indicators(user):
        raise PermissionDenied(_("统计指标面向办理和监督岗位的工作人员；您的岗位不在其中。"))
    covered = departments_covered(user, RECORD_ROLES)
    roots = list(Department.objects.filter(parent__isnull=True).values_list("pk", flat=True))
    whole_bureau = bool(roots) and set(roots) <= set(covered)
    if unit_code:
        unit = Department.objects.filter(code=unit_code).first()
        if unit is None or unit.pk not in covered:
            raise PermissionDenied(_("您无权查看该单位的统计，或该单位不存在。请从列表中选择单位。"))
        if unit.parent_id is None and whole_bureau:
            return Scope(None, unit.name, unit.code)
        return Scope(departments_below([unit.pk]), unit.name, unit.code)
    if whole_bureau:
        root = Department.objects.filter(pk=roots[0]).first()
        return Scope(None, root.name if root else str(_("全局")), root.code if root else "")
    return Scope(covered, str(_("我所在的单位")))


def list_units_for(user: User) -> list[tuple[Department, int]]:
    """The units a member of staff may pick on the dashboard, as a tree (department, depth)."""
    covered = set(departments_covered(user, RECORD_ROLES))
    return [(department, depth) for department, depth in get_department_tree() if department.pk in covered]


def _figures(first: datetime.date, last: datetime.date, scope: Scope) -> QuerySet[Figure]:
    rows = Figure.objects.filter(day__gte=first, day__lte=last)
    if scope.departments is not None:
        rows = rows.filter(department_id__in=scope.departments)
    return rows


HISTOGRAMS = ["handling_spread"]  # the counters that keep a histogram (measures.py)


def _add_histogram(into: dict[str, int], histogram: dict[str, int] | None) -> None:
    """Add a day's handling-time histogram (working days → cases) to a month's or a unit's."""
    for days, count in (histogram or {}).items():
        into[days] = into.get(days, 0) + count


def _stock_day(first: datetime.date, last: datetime.date) -> datetime.date | None:
    return (
        ComputedDay.objects.filter(day__gte=first, day__lte=last).order_by("-day").values_list("day", flat=True).first()
    )


def month_figures(month: datetime.date, scope: Scope, *, today: datetime.date | None = None) -> MonthFigures:
    """Sum the month's figures for the scope and evaluate every available measure on them.

    Flow counters add up the days; stock counters (items) take the month's last computed day.
    Three queries on the summary table and one on the computed days, whatever the data size.
    """
    first, last = month_days(month, today=today)
    flows = [c.key for c in COUNTERS.values() if c.basis == FLOW]
    stocks = [c.key for c in COUNTERS.values() if c.basis == STOCK]
    rows = _figures(first, last, scope)
    sums: dict[str, int] = {
        row["counter"]: row["total"]
        for row in rows.filter(counter__in=flows).values("counter").annotate(total=Sum("value"))
    }
    stock_day = _stock_day(first, last)
    if stock_day is not None:
        sums.update(
            (row["counter"], row["total"])
            for row in _figures(stock_day, stock_day, scope)
            .filter(counter__in=stocks)
            .values("counter")
            .annotate(total=Sum("value"))
        )
    histograms: dict[str, dict[str, int]] = {}
    for counter, histogram in rows.filter(counter__in=HISTOGRAMS).values_list("counter", "histogram"):
        _add_histogram(histograms.setdefault(counter, {}), histogram)
    computed = dict(ComputedDay.objects.filter(day__gte=first, day__lte=last).values_list("day", "is_complete"))
    values = {m.key: evaluate(m, sums, histograms) for m in MEASURES.values() if m.is_available}
    if not computed:
        values = dict.fromkeys(values)  # no day computed: nothing is known, not zero
    return MonthFigures(
        month=month,
        sums=sums,
        histograms=histograms,
        values=values,
        days_expected=(last - first).days + 1,
        days_complete=sum(1 for done in computed.values() if done),
        days_partial=sum(1 for done in computed.values() if not done),
        stock_day=stock_day,
    )


def unit_figures(month: datetime.date, scope: Scope, *, today: datetime.date | None = None) -> list[dict[str, Any]]:
    """Each unit in the scope with its own figures rolled up from the units below it, for the ranking table."""
    first, last = month_days(month, today=today)
    per_department: dict[int | None, dict[str, int]] = {}
    flows = [c.key for c in COUNTERS.values() if c.basis == FLOW]
    stocks = [c.key for c in COUNTERS.values() if c.basis == STOCK]
    stock_day = _stock_day(first, last)
    queries = [_figures(first, last, scope).filter(counter__in=flows)]
    if stock_day is not None:
        queries.append(_figures(stock_day, stock_day, scope).filter(counter__in=stocks))
    for query in queries:
        for row in query.values("department_id", "counter").annotate(total=Sum("value")):
            per_department.setdefault(row["department_id"], {})[row["counter"]] = row["total"]
    histograms: dict[int | None, dict[str, int]] = {}
    for department_id, histogram in (
        _figures(first, last, scope).filter(counter="handling_spread").values_list("department_id", "histogram")
    ):
        _add_histogram(histograms.setdefault(department_id, {}), histogram)
    tree = get_department_tree()
    children: dict[int | None, list[int]] = {}
    for department, _depth in tree:
        children.setdefault(department.parent_id, []).append(department.pk)
    visible = set(scope.departments) if scope.departments is not None else None
    units = []
    for department, depth in tree:
        if depth == 0 or (visible is not None and department.pk not in visible):
            continue  # the bureau itself is the headline, not a row
        below, stack = [], [department.pk]
        while stack:
            pk = stack.pop()
            below.append(pk)
            stack.extend(children.get(pk, []))
        sums: dict[str, int] = {}
        handling: dict[str, int] = {}
        for pk in below:
            for counter, total in per_department.get(pk, {}).items():
                sums[counter] = sums.get(counter, 0) + total
            _add_histogram(handling, histograms.get(pk))
        units.append(
            {
                "department": department,
                "depth": depth,
                "sums": sums,
                "values": {
                    m.key: evaluate(m, sums, {"handling_spread": handling}) for m in MEASURES.values() if m.is_available
                },
            }
        )
    return units


def trend(
    measure: Measure, scope: Scope, month: datetime.date, *, months: int = 12
) -> list[tuple[datetime.date, float | None]]:
    """The measure's value in each of the ``months`` months up to ``month`` (one query on the summary table)."""
    starts = [month]
    while len(starts) < months:
        starts.insert(0, (starts[0] - datetime.timedelta(days=1)).replace(day=1))
    first, last = starts[0], month_days(month)[1]
    rows = _figures(first, last, scope).filter(counter__in=measure.counters)
    stock = any(COUNTERS[key].basis == STOCK for key in measure.counters)
    per_month: dict[datetime.date, dict[str, int]] = {start: {} for start in starts}
    histograms: dict[datetime.date, dict[str, dict[str, int]]] = {start: {} for start in starts}
    if stock:
        last_days: dict[datetime.date, datetime.date] = {}
        for day in ComputedDay.objects.filter(day__gte=first, day__lte=last).values_list("day", flat=True):
            start = day.replace(day=1)
            last_days[start] = max(day, last_days.get(start, day))
        rows = rows.filter(day__in=list(last_days.values()))
    for row in rows.values("day", "counter").annotate(total=Sum("value")):
        sums = per_month[row["day"].replace(day=1)]
        sums[row["counter"]] = sums.get(row["counter"], 0) + row["total"]
    if measure.kind == P90:
        for day, counter, histogram in rows.values_list("day", "counter", "histogram"):
            _add_histogram(histograms[day.replace(day=1)].setdefault(counter, {}), histogram)
    return [(start, evaluate(measure, per_month[start], histograms[start])) for start in starts]


def indicators_key() -> str:
    """Changes whenever a day is computed: the public page's cache version."""
    latest = ComputedDay.objects.order_by("-computed_at").values_list("computed_at", flat=True).first()
    return latest.isoformat() if latest else ""


def get_measure(key: str) -> Measure:
    """A measure by its key; 404 for a name that does not exist."""
    try:
        return MEASURES[key]
    except KeyError:
        raise Http404(_("没有名为“%(key)s”的指标。") % {"key": key[:40]}) from None


def breakdown(measure: Measure, scope: Scope, month: datetime.date, *, by: str) -> list[dict[str, Any]]:
    """The measure for the month split by item (``by="item"``) or by channel or purpose (``by="facet"``).

    Only for measures counted on days (a stock of items has no channel); one query. Parts
    with nothing to count are left out. Sorted by the denominator (or the count), largest first.
    """
    if any(COUNTERS[key].basis == STOCK for key in measure.counters) or measure.kind == P90:
        return []
    field = {"item": "item_code", "facet": "facet"}[by]
    first, last = month_days(month)
    parts: dict[str, dict[str, int]] = {}
    for row in (
        _figures(first, last, scope)
        .filter(counter__in=measure.counters)
        .values(field, "counter")
        .annotate(total=Sum("value"))
    ):
        parts.setdefault(row[field], {})[row["counter"]] = row["total"]
    labels = name_items(set(parts)) if by == "item" else facet_labels(COUNTERS[measure.numerator].source)
    rows = [
        {
            "key": key,
            "label": labels.get(key, key) or "—",
            "numerator": sums.get(measure.numerator, 0),
            "denominator": sums.get(measure.denominator, 0) if measure.denominator else None,
            "value": evaluate(measure, sums, {}),
        }
        for key, sums in parts.items()
        if key
    ]
    rows.sort(key=lambda row: (-int(row["denominator"] or row["numerator"] or 0), str(row["label"])))
    return rows


# The plan's targets and the measures the units are ranked on, in the monthly 通报:
PLAN_MEASURES = ("online_level3", "online_level4", "in_hall", "on_time", "late", "reuse_rate", "good_rate")


def indicator_summary(month: datetime.date) -> dict[str, Any]:
    """The month's indicators for the 通报, as plain data to keep: the bureau against the plan, and each unit.

    Units are ranked on 按时办结率 (higher first), then 超期办结率 and the average handling
    time (lower first); a unit that closed nothing comes last.
    """
    from govhall.stats.measures import HEADLINE

    scope = Scope(None, "")
    figures = month_figures(month, scope)
    available = [key for key in dict.fromkeys(PLAN_MEASURES + HEADLINE) if MEASURES[key].is_available]
    units = [
        {"code": unit["department"].code, "name": unit["department"].name,
         "values": {key: unit["values"].get(key) for key in HEADLINE if key in available}}
        for unit in unit_figures(month, scope)
        if unit["depth"] == 1  # the bureau's units; a unit below is inside its parent's row
    ]  # fmt: skip

    def rank(unit: dict[str, Any]) -> tuple[Any, ...]:
        values = unit["values"]
        on_time, late, average = values.get("on_time"), values.get("late"), values.get("handling_average")
        return (on_time is None, -(on_time or 0), late or 0, average or 0, unit["name"])

    units.sort(key=rank)
    return {
        "complete": figures.is_complete,
        "measures": [
            {
                "key": key,
                "title": str(MEASURES[key].title),
                "kind": MEASURES[key].kind,
                "target": MEASURES[key].target,
                "lower_is_better": MEASURES[key].lower_is_better,
                "value": figures.values.get(key),
            }
            for key in available
        ],  # fmt: skip
        "headline": [key for key in HEADLINE if key in available],
        "units": units,
    }
