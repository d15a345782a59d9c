"""Working-day arithmetic on the Chinese holiday calendar (STANDARDS.md §5).

A working day is Monday to Friday, minus the State Council's days off, plus its make-up
workdays (调休). The calendar itself is data (the ``holidays`` app keeps each year's notice
in the database); this module only counts.

A year whose notice is not loaded is *provisional*: its days off are the statutory holidays
of the 全国年节及纪念日放假办法 (2024 revision, in force 2025-01-01) — 元旦 1 day, 春节 4
(除夕 and 初一–初三), 清明 1, 劳动节 2, 端午 1, 中秋 1, 国庆 3 — and, by its Art. 6, a holiday
that falls on a Saturday or Sunday is made up on the following working day(s). The lunar
dates and 清明 come from the python-holidays library (its ``China`` class applies exactly
these rules to a year without a notice). There are no 调休 weekends in such a year: only a
notice sets them. A count that touches a provisional year says so (``Count.is_provisional``),
so that the due date can be marked and recomputed when the notice is loaded.

A year that is neither loaded nor within ``RULES_FIRST_YEAR``–``RULES_LAST_YEAR`` cannot be
counted: ``BeyondCalendar`` is raised, never a silent count on plain weekdays.
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

ONE_DAY = datetime.timedelta(days=1)

# The 2024 revision of the 办法 is in force from 2025-01-01; earlier years follow older rules,
# and a year before it is counted only on its loaded notice:
RULES_FIRST_YEAR = 2025
# python-holidays has the lunar calendar to 2100 and computes 清明 reliably to 2099:
RULES_LAST_YEAR = 2099


class BeyondCalendar(ValidationError):
    """A count reached a year with no loaded notice that the statutory rules cannot cover either."""

    def __init__(self, year: int) -> None:
        self.year = year
        super().__init__(
            _(
                "无法计算 %(year)d 年的工作日：该年度的国务院放假安排尚未录入，且超出了按《全国年节及纪念日放假办法》"
                "推算的范围（%(first)d—%(last)d 年）。请系统管理员先录入该年度的放假安排。"
            ),
            code="beyond_calendar",
            params={"year": year, "first": RULES_FIRST_YEAR, "last": RULES_LAST_YEAR},
        )


@functools.cache
def statutory_exceptions(year: int) -> Mapping[datetime.date, bool]:
    """The days of ``year`` that differ from the plain week when no notice is loaded (False: a day off).

    Computed by python-holidays: the statutory holidays of the 办法 with Art. 6's make-up days
    for a year without a notice; for a year the library already holds a published notice for,
    that notice (its days off and 调休 weekends). Raises BeyondCalendar outside the rules' range.
    """
    if not RULES_FIRST_YEAR <= year <= RULES_LAST_YEAR:
        raise BeyondCalendar(year)
    import holidays

    china = holidays.China(years=year, categories=holidays.PUBLIC)
    days: dict[datetime.date, bool] = {day: False for day in china if day.year == year}
    days.update({day: True for day in china.weekend_workdays if day.year == year})
    return days


def library_has_notice(year: int) -> bool:
    """Does python-holidays hold the State Council's published notice for ``year`` (not only the rules)?"""
    from holidays.countries.china import ChinaStaticHolidays

    return year in ChinaStaticHolidays.special_public_holidays


@dataclass(frozen=True)
class Count:
    """A counted date, and whether it depends on a year counted on the statutory rules only."""

    date: datetime.date
    is_provisional: bool


@dataclass(frozen=True)
class WorkingCalendar:
    """Which dates are working days.

    ``exceptions`` maps a date to True (a make-up workday on a weekend) or False (a day off
    on a weekday, or a holiday on any day), as the loaded notices say. ``covered_years`` are
    the years whose notice is loaded; every other year is counted on the statutory rules
    (``statutory_exceptions``) and is provisional, or refused beyond their range.
    """

    exceptions: Mapping[datetime.date, bool]
    covered_years: frozenset[int]

    @classmethod
    def from_rows(cls, rows: Iterable[tuple[datetime.date, bool]], covered_years: Iterable[int]) -> WorkingCalendar:
        return cls(exceptions=dict(rows), covered_years=frozenset(covered_years))

    def is_provisional(self, year: int) -> bool:
        """Is ``year`` counted on the statutory rules (its notice not loaded)? Raises BeyondCalendar if not even that."""
        if year in self.covered_years:
            return False
        statutory_exceptions(year)
        return True

    def is_working_day(self, day: datetime.date) -> bool:
        """Raises BeyondCalendar for a day of a year that neither a notice nor the rules cover."""
        if day in self.exceptions:
            return self.exceptions[day]
        if day.year in self.covered_years:
            return day.weekday() < 5
        return statutory_exceptions(day.year).get(day, day.weekday() < 5)

    def count_working_days(self, start: datetime.date, days: int) -> Count:
        """The date ``days`` working days after ``start`` (``start`` itself is not counted), and whether it is provisional.

        With ``days == 0`` the answer is ``start`` (an immediate item is due the same day), never provisional.
        Raises BeyondCalendar if the count reaches a year that cannot be counted.
        """
        if days < 0:
            raise ValueError("days must not be negative")
        day = start
        left = days
        while left:
            day += ONE_DAY
            if self.is_working_day(day):
                left -= 1
        return Count(day, self.is_provisional_between(start, day))

    def add_working_days(self, start: datetime.date, days: int) -> datetime.date:
        """The date ``days`` working days after ``start``; ``start`` itself is not counted (see count_working_days)."""
        return self.count_working_days(start, days).date

    def working_days_between(self, start: datetime.date, end: datetime.date) -> int:
        """Count working days after ``start`` up to and including ``end`` (0 if end <= start).

        ``add_working_days(d, n)`` and this function agree:
        ``working_days_between(d, add_working_days(d, n)) == n``.
        """
        count = 0
        day = start
        while day < end:
            day += ONE_DAY
            if self.is_working_day(day):
                count += 1
        return count

    def is_provisional_between(self, start: datetime.date, end: datetime.date) -> bool:
        """Does counting the days after ``start`` up to ``end`` touch a provisional year?"""
        if end <= start:
            return False
        return any(self.is_provisional(year) for year in range((start + ONE_DAY).year, end.year + 1))
