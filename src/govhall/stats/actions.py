"""Writes of the stats app: keeping a month's service report, and the schedule that keeps them."""

from __future__ import annotations

import datetime
import hashlib
import secrets

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from govhall.audit.actions import record
from govhall.lib.schedule import queue_once
from govhall.lib.storage import save_until_committed
from govhall.stats.documents import render_service_report
from govhall.stats.figures import compute_month
from govhall.stats.models import ComputedDay, Figure, ServiceReport
from govhall.stats.queries import indicator_summary

# The report task looks for ended months this often:
REPORTS_EVERY_SECONDS = 6 * 3600
# The indicators task computes today so far, and every day not computed since it was over:
INDICATORS_EVERY_SECONDS = 3600
COMPUTE_LOCK = 7_302_030  # the advisory lock that serialises the indicators' writes on PostgreSQL


def keep_service_report(
    month: datetime.date, *, actor: object = None, today: datetime.date | None = None
) -> ServiceReport:
    """Compute ``month``'s figures, render the 通报 and keep both; return the kept report.

    Only a month that is over can be kept (its figures no longer change); a month already
    kept is returned as it was, never made again. Raises ValidationError for a month that
    has not ended.
    """
    first = month.replace(day=1)
    today = today or timezone.localdate()
    if first >= today.replace(day=1):
        raise ValidationError(
            _("%(month)s尚未结束，月度通报在次月生成。") % {"month": f"{first.year}年{first.month}月"},
            code="month_not_over",
        )
    kept = ServiceReport.objects.filter(month=first).first()
    if kept is not None:
        return kept
    figures = compute_month(first)
    # The month's indicators from its daily figures, every day of it computed first:
    following = (first + datetime.timedelta(days=32)).replace(day=1)
    # (all of them again: a rating removed as malicious or an alarm acknowledged after a day was
    # computed would otherwise leave that day's figures behind the report's own):
    compute_days(first, following - datetime.timedelta(days=1))
    figures["indicators"] = indicator_summary(first)
    pdf = render_service_report(first, figures, made_on=today)
    try:
        with transaction.atomic():
            name = save_until_committed(
                f"reports/{first:%Y}/service-{first:%Y-%m}-{secrets.token_hex(4)}.pdf",
                ContentFile(pdf),
                storage=ServiceReport._meta.get_field("pdf").storage,
            )
            report = ServiceReport.objects.create(
                month=first, figures=figures, pdf=name, sha256=hashlib.sha256(pdf).hexdigest()
            )
            record("stats.service_report_kept", actor or "system", report, {"month": f"{first:%Y-%m}"})
    except IntegrityError:  # another worker kept it a moment ago: that one stands
        return ServiceReport.objects.get(month=first)
    return report


def keep_missing_reports(*, today: datetime.date | None = None) -> list[ServiceReport]:
    """Keep the report of every ended month since the first month with any rating, complaint or order."""
    from govhall.complaints.models import Complaint, SupervisionOrder
    from govhall.ratings.models import Rating

    today = today or timezone.localdate()
    starts = [
        first.date() if isinstance(first, datetime.datetime) else first
        for first in (
            Rating.objects.order_by("rated_at").values_list("rated_at", flat=True).first(),
            Complaint.objects.order_by("submitted_at").values_list("submitted_at", flat=True).first(),
            SupervisionOrder.objects.order_by("raised_at").values_list("raised_at", flat=True).first(),
        )
        if first is not None
    ]
    if not starts:
        return []
    month = min(starts).replace(day=1)
    this_month = today.replace(day=1)
    kept = set(ServiceReport.objects.values_list("month", flat=True))
    made = []
    while month < this_month:
        if month not in kept:
            made.append(keep_service_report(month, today=today))
        month = (month + datetime.timedelta(days=32)).replace(day=1)
    return made


def schedule_reports(*, delay_seconds: int = REPORTS_EVERY_SECONDS) -> bool:
    """Queue the next run of the report task unless one is already waiting (``lib.schedule``).

    The task keeps every ended month's report and queues its own next run, so the new
    month's report is kept within hours of the 1st.
    """
    from govhall.stats.tasks import keep_reports

    return queue_once(keep_reports, delay_seconds=delay_seconds)


# Indicators ------------------------------------------------------------------------------------


def compute_day(day: datetime.date, *, now: datetime.datetime | None = None, calendar: object = None) -> int:
    """Compute every counter of ``day`` into ``Figure`` rows, replacing that day's rows; return how many.

    Raises ValidationError for a day in the future. See ``compute_days``.
    """
    return _compute_run(day, day, now=now or timezone.now(), calendar=calendar)


def _compute_run(first: datetime.date, last: datetime.date, *, now: datetime.datetime, calendar: object = None) -> int:
    """Replace the figures of the days ``first``–``last`` (at most a month or so) in one transaction.

    One grouped query per counter over the days. A reader sees the old days or the new ones,
    never half. Computing a past day again gives the same rows as long as its data has not
    changed (every counter is dated by its own event: submitted, accepted, closed,
    answered…). A day not over yet is marked partial.
    """
    from govhall.holidays.queries import get_calendar
    from govhall.stats.measures import count_rows, counters_to_compute, live_items

    today = timezone.localdate(now)
    if last > today:
        raise ValidationError(_("%(day)s 还没有到，不能统计。") % {"day": last.isoformat()}, code="future_day")
    calendar = calendar or get_calendar()
    live_by_day: dict[datetime.date, list[object]] = {}

    def live(day: datetime.date) -> list[object]:
        if day not in live_by_day:
            live_by_day[day] = live_items(day)
        return live_by_day[day]

    rows = [
        Figure(
            day=row["day"],
            counter=counter.key,
            department_id=row["unit"],
            item_code=row["item"][:31],
            facet=row["facet"][:24],
            value=row["value"],
            histogram=row["histogram"],
        )
        for counter in counters_to_compute()
        for row in count_rows(counter, first, last, calendar=calendar, live=live)
        if row["value"] or row["histogram"]
    ]
    days = [first + datetime.timedelta(days=n) for n in range((last - first).days + 1)]
    per_day: dict[datetime.date, int] = {}
    for figure in rows:
        per_day[figure.day] = per_day.get(figure.day, 0) + 1
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # Two runs over the same days (the hourly task, a report being kept) take turns:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [COMPUTE_LOCK])
        Figure.objects.filter(day__gte=first, day__lte=last).delete()
        Figure.objects.bulk_create(rows, batch_size=2000)
        ComputedDay.objects.filter(day__gte=first, day__lte=last).delete()
        ComputedDay.objects.bulk_create(
            [ComputedDay(day=day, computed_at=now, is_complete=day < today, rows=per_day.get(day, 0)) for day in days]
        )
    return len(rows)


def first_day_with_data() -> datetime.date | None:
    """The first day anything was filed in the catalog or the cases (where the indicators start)."""
    from govhall.cases.models import Case
    from govhall.catalog.models import ItemVersion

    starts = [
        first
        for first in (
            Case.objects.filter(submitted_at__isnull=False)
            .order_by("submitted_at")
            .values_list("submitted_at", flat=True)
            .first(),
            ItemVersion.objects.filter(published_at__isnull=False)
            .order_by("published_at")
            .values_list("published_at", flat=True)
            .first(),
        )
        if first is not None
    ]
    return timezone.localdate(min(starts)) if starts else None


def compute_days(
    first: datetime.date, last: datetime.date, *, only_missing: bool = False, now: datetime.datetime | None = None
) -> list[datetime.date]:
    """Compute every day from ``first`` to ``last`` (up to today); with ``only_missing``, only days not computed whole.

    The days go in runs of at most one calendar month, each one transaction and one query
    per counter, so ten years is some 120 runs. Returns the days computed.
    """
    from govhall.holidays.queries import get_calendar

    now = now or timezone.now()
    last = min(last, timezone.localdate(now))
    done = (
        set(ComputedDay.objects.filter(is_complete=True, day__gte=first, day__lte=last).values_list("day", flat=True))
        if only_missing
        else set()
    )
    calendar = get_calendar()
    computed: list[datetime.date] = []
    run: list[datetime.date] = []
    day = first
    while day <= last + datetime.timedelta(days=1):
        ends_run = day > last or day in done or (run and day.month != run[0].month)
        if ends_run and run:
            _compute_run(run[0], run[-1], now=now, calendar=calendar)
            computed += run
            run = []
        if day <= last and day not in done:
            run.append(day)
        day += datetime.timedelta(days=1)
    return computed


def compute_missing_days(*, now: datetime.datetime | None = None) -> list[datetime.date]:
    """The nightly work: every day since the first data that is not computed whole, and today so far."""
    now = now or timezone.now()
    first = first_day_with_data()
    if first is None:
        return []
    return compute_days(first, timezone.localdate(now), only_missing=True, now=now)


def schedule_indicators(*, delay_seconds: int = INDICATORS_EVERY_SECONDS) -> bool:
    """Queue the next run of the indicators task unless one is already waiting (``lib.schedule``)."""
    from govhall.stats.tasks import compute_indicators

    return queue_once(compute_indicators, delay_seconds=delay_seconds)
