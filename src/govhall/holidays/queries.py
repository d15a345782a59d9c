"""The working-day calendar as the rest of the platform uses it."""

from __future__ import annotations

import datetime

from govhall.holidays.models import CalendarYear, DayKind, Holiday
from govhall.lib.workdays import WorkingCalendar


def get_calendar() -> WorkingCalendar:
    """Load the whole holiday table (a few dozen rows a year) into a calendar to count on.

    Callers that count many deadlines load it once and reuse it.
    """
    rows = [(day, kind == DayKind.WORKDAY) for day, kind in Holiday.objects.values_list("date", "kind")]
    return WorkingCalendar.from_rows(rows, CalendarYear.objects.values_list("year", flat=True))


def add_working_days(start: datetime.date, days: int) -> datetime.date:
    """The date ``days`` working days after ``start`` (the start day is not counted)."""
    return get_calendar().add_working_days(start, days)


def working_days_between(start: datetime.date, end: datetime.date) -> int:
    """Working days after ``start`` up to and including ``end``."""
    return get_calendar().working_days_between(start, end)
