"""The worked examples of STANDARDS.md §5 on the calendar seeded into the database."""

from __future__ import annotations

import datetime
import logging

import chinese_calendar
import pytest

from govhall.holidays.queries import add_working_days, get_calendar, working_days_between
from govhall.lib.workdays import WorkingCalendar

D = datetime.date.fromisoformat

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("accepted", "days", "due"),
    [
        ("2026-09-24", 5, "2026-10-09"),
        ("2026-09-18", 3, "2026-09-22"),
        ("2026-02-12", 5, "2026-02-26"),
        ("2025-12-30", 3, "2026-01-05"),
    ],
)
def test_it_computes_every_worked_example(accepted: str, days: int, due: str) -> None:
    assert add_working_days(D(accepted), days) == D(due)
    assert working_days_between(D(accepted), D(due)) == days


def test_it_counts_248_working_days_in_2026() -> None:
    assert working_days_between(D("2025-12-31"), D("2026-12-31")) == 248


@pytest.mark.parametrize("year", [2025, 2026])
def test_it_agrees_with_chinese_calendar_on_every_day_of_the_seeded_years(year: int) -> None:
    calendar = get_calendar()
    day = D(f"{year}-01-01")
    while day.year == year:
        assert calendar.is_working_day(day) == chinese_calendar.is_workday(day), day
        day += datetime.timedelta(days=1)


def test_it_does_not_count_the_day_of_acceptance() -> None:
    assert add_working_days(D("2026-11-23"), 1) == D("2026-11-24")
    assert add_working_days(D("2026-11-23"), 0) == D("2026-11-23")


def test_it_falls_back_to_weekdays_beyond_the_table_and_says_so(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="govhall.lib.workdays"):
        # 2027-01-01 is a Friday: a holiday in reality, but no notice is in the table yet.
        assert add_working_days(D("2026-12-31"), 1) == D("2027-01-01")
    assert "2027" in caplog.text


def test_it_refuses_a_negative_number_of_days() -> None:
    with pytest.raises(ValueError):
        WorkingCalendar.from_rows([], []).add_working_days(D("2026-01-05"), -1)
