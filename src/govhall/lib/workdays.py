"""Working-day arithmetic on the Chinese holiday calendar (STANDARDS.md §5).

A working day is Monday to Friday, minus the State Council's days off, plus its make-up
workdays (调休). The calendar itself is data (the ``holidays`` app keeps it in the
database); this module only counts. A date in a year the table does not cover falls back to
plain weekdays, and says so in the log, because a deadline computed that way may be wrong.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

logger = logging.getLogger(__name__)

ONE_DAY = datetime.timedelta(days=1)


@dataclass(frozen=True)
class WorkingCalendar:
    """Which dates are working days.

    ``exceptions`` maps a date to True (a make-up workday on a weekend) or False (a day off
    on a weekday, or a holiday on any day). ``covered_years`` are the years whose notice is
    in the table; outside them only weekends are days off.
    """

    exceptions: Mapping[datetime.date, bool]
    covered_years: frozenset[int]

    @classmethod
    def from_rows(cls, rows: Iterable[tuple[datetime.date, bool]], covered_years: Iterable[int]) -> WorkingCalendar:
        return cls(exceptions=dict(rows), covered_years=frozenset(covered_years))

    def is_working_day(self, day: datetime.date) -> bool:
        if day in self.exceptions:
            return self.exceptions[day]
        if day.year not in self.covered_years:
            logger.warning(
                "working-day calendar has no notice for %s; counting %s as a plain weekday",
                day.year,
                day.isoformat(),
            )
        return day.weekday() < 5

    def add_working_days(self, start: datetime.date, days: int) -> datetime.date:
        """Return the date ``days`` working days after ``start``; ``start`` itself is not counted.

        With ``days == 0`` the answer is ``start`` (an immediate item is due the same day).
        """
        if days < 0:
            raise ValueError("days must not be negative")
        day = start
        left = days
        warned: set[int] = set()
        while left:
            day += ONE_DAY
            if self._is_working_day_quietly(day, warned):
                left -= 1
        return day

    def working_days_between(self, start: datetime.date, end: datetime.date) -> int:
        """Count working days after ``start`` up to and including ``end`` (0 if end <= start).

        ``add_working_days(d, n)`` and this function agree:
        ``working_days_between(d, add_working_days(d, n)) == n``.
        """
        count = 0
        day = start
        warned: set[int] = set()
        while day < end:
            day += ONE_DAY
            if self._is_working_day_quietly(day, warned):
                count += 1
        return count

    def _is_working_day_quietly(self, day: datetime.date, warned: set[int]) -> bool:
        # Log the fallback once per year and call, not once per day counted:
        if day in self.exceptions:
            return self.exceptions[day]
        if day.year not in self.covered_years and day.year not in warned:
            warned.add(day.year)
            logger.warning(
                "working-day calendar has no notice for %s; counting its days as plain weekdays",
                day.year,
            )
        return day.weekday() < 5
