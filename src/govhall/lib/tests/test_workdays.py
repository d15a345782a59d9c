"""The worked examples of STANDARDS.md §5 on the calendar seeded into the database."""

from __future__ import annotations

import datetime

import chinese_calendar
import pytest

from django.utils import translation

from govhall.holidays.actions import load_year
from govhall.holidays.queries import add_working_days, get_calendar, working_days_between
from govhall.lib.workdays import BeyondCalendar, Count, WorkingCalendar

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


# 2027 without its notice: the 办法's statutory holidays, each one on a Saturday or Sunday made up
# on the following working day(s) (Art. 6). 除夕 is Friday 02-05, 初一 Saturday, 初二 Sunday, 初三
# Monday 02-08: the weekend's two holidays are made up on 02-09 and 02-10.
STATUTORY_2027_OFF = [
    "2027-01-01",  # 元旦, Friday
    "2027-02-05",  # 除夕
    "2027-02-08",  # 初三
    "2027-02-09",  # 初一 (Saturday) made up
    "2027-02-10",  # 初二 (Sunday) made up
    "2027-04-05",  # 清明, Monday
    "2027-05-03",  # 05-01 (Saturday) made up
    "2027-05-04",  # 05-02 (Sunday) made up
    "2027-06-09",  # 端午, Wednesday
    "2027-09-15",  # 中秋, Wednesday
    "2027-10-01",  # 国庆, Friday
    "2027-10-04",  # 10-02 (Saturday) made up
    "2027-10-05",  # 10-03 (Sunday) made up
]


def test_a_year_without_its_notice_has_the_statutory_holidays_and_the_make_up_days_of_the_law() -> None:
    calendar = get_calendar()
    assert 2027 not in calendar.covered_years
    day, off = D("2027-01-01"), []
    while day.year == 2027:
        if day.weekday() < 5 and not calendar.is_working_day(day):
            off.append(day.isoformat())
        day += datetime.timedelta(days=1)
    assert off == STATUTORY_2027_OFF
    # No 调休 weekend without a notice; 2027 has 261 weekdays, 13 of them off:
    assert not any(calendar.is_working_day(D(d)) for d in ["2027-02-06", "2027-02-07", "2027-05-01", "2027-10-02"])
    assert working_days_between(D("2026-12-31"), D("2027-12-31")) == 261 - 13


def test_a_count_into_a_year_without_its_notice_skips_its_holidays_and_says_it_is_provisional() -> None:
    calendar = get_calendar()
    count = calendar.count_working_days(D("2026-12-31"), 1)
    assert count.date == D("2027-01-04") and count.is_provisional
    # 2026-12-04 + 20 working days: the 20th is 2027-01-04, 元旦 2027-01-01 skipped (on plain
    # weekdays it was 01-01 itself).
    assert calendar.count_working_days(D("2026-12-04"), 20) == Count(D("2027-01-04"), True)
    # Within the loaded year, nothing is provisional:
    assert calendar.count_working_days(D("2026-12-04"), 10) == Count(D("2026-12-18"), False)


def test_loading_the_notice_makes_the_year_certain(db: None) -> None:
    load_year(
        2027,
        source="国务院办公厅关于2027年部分节假日安排的通知",
        days=[(D("2027-01-01"), "off", "元旦"), (D("2027-01-02"), "off", "元旦")],
    )
    calendar = get_calendar()
    assert calendar.count_working_days(D("2026-12-31"), 1) == Count(D("2027-01-04"), False)
    # The notice, not the statutory rules, decides: no make-up days it does not name.
    assert calendar.is_working_day(D("2027-02-09"))


@pytest.mark.parametrize(("start", "days", "year"), [("2099-12-20", 20, 2100), ("2024-06-03", 1, 2024)])
def test_a_count_beyond_every_notice_and_the_rules_is_refused_in_the_user_s_language(
    start: str, days: int, year: int
) -> None:
    calendar = get_calendar()
    with pytest.raises(BeyondCalendar) as refused:
        calendar.add_working_days(D(start), days)
    assert refused.value.year == year
    assert refused.value.messages == [
        f"无法计算 {year} 年的工作日：该年度的国务院放假安排尚未录入，且超出了按《全国年节及纪念日放假办法》"
        "推算的范围（2025—2099 年）。请系统管理员先录入该年度的放假安排。"
    ]
    with translation.override("en"):
        assert refused.value.messages == [
            f"Working days in {year} cannot be counted: the State Council's holiday arrangements for that year "
            "have not been entered, and it is outside the years the statutory holidays of the 全国年节及纪念日放假办法 "
            "can be applied to (2025–2099). Ask the system administrator to enter that year's holiday "
            "arrangements first."
        ]


def test_it_refuses_a_negative_number_of_days() -> None:
    with pytest.raises(ValueError):
        WorkingCalendar.from_rows([], []).add_working_days(D("2026-01-05"), -1)
