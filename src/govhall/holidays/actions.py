"""Writes to the holiday table: a whole year's notice at once, or one corrected day."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from govhall.audit.actions import record
from govhall.holidays.models import CalendarYear, DayKind, Holiday


@transaction.atomic
def load_year(
    year: int,
    *,
    source: str,
    days: list[tuple[datetime.date, str, str]],
    actor: Any = None,
) -> int:
    """Replace a year's entries with ``days`` (date, kind, name) from one notice; idempotent.

    Raises ValidationError if a date is outside ``year``, or a make-up workday is not on a
    weekend, or a day off on a weekend is listed as anything but a holiday.
    """
    for day, kind, _name in days:
        if day.year != year:
            raise ValidationError(_("%(date)s 不属于 %(year)d 年。") % {"date": day, "year": year})
        if kind == DayKind.WORKDAY and day.weekday() < 5:
            raise ValidationError(_("%(date)s 是工作日，不能登记为调休上班日。") % {"date": day})
    Holiday.objects.filter(date__year=year).delete()
    Holiday.objects.bulk_create([Holiday(date=d, kind=k, name=n, source=source) for d, k, n in days])
    CalendarYear.objects.update_or_create(year=year, defaults={"source": source})
    record("holidays.year_loaded", actor, ("holidays.calendaryear", str(year), str(year)), {"days": len(days)})
    return len(days)


@transaction.atomic
def save_holiday(holiday: Holiday, *, actor: Any = None) -> Holiday:
    """Save one corrected or added day (from the admin), with its audit record."""
    if holiday.kind == DayKind.WORKDAY and holiday.date.weekday() < 5:
        raise ValidationError(_("%(date)s 是工作日，不能登记为调休上班日。") % {"date": holiday.date})
    created = holiday.pk is None
    holiday.save()
    record("holidays.day_saved", actor, holiday, {"created": created, "kind": holiday.kind})
    return holiday


@transaction.atomic
def delete_holiday(holiday: Holiday, *, actor: Any = None) -> None:
    record("holidays.day_deleted", actor, holiday, {"date": holiday.date.isoformat()})
    holiday.delete()


def days_from_holidays_library(year: int) -> list[tuple[datetime.date, str, str]]:
    """A year's entries from the State Council notice that the python-holidays library holds for it.

    Raises ValidationError if the library has only the statutory rules for ``year`` (no
    published notice): such a year is counted provisionally until its notice is entered.
    """
    import holidays

    from govhall.lib.workdays import library_has_notice

    if not library_has_notice(year):
        raise ValidationError(
            _("python-holidays 库没有 %(year)d 年的国务院放假通知，请按国务院通知录入。") % {"year": year}
        )
    china = holidays.China(years=year, categories=holidays.PUBLIC, language="zh_CN")
    days = [(day, DayKind.OFF, str(name)[:50]) for day, name in sorted(china.items()) if day.year == year]
    days += [(day, DayKind.WORKDAY, "调休") for day in sorted(china.weekend_workdays) if day.year == year]
    return sorted(days)


def days_from_libraries(year: int) -> tuple[list[tuple[datetime.date, str, str]], str]:
    """A year's notice from chinese-calendar, else from python-holidays; with the library it came from.

    Raises ValidationError if neither holds the year's published notice.
    """
    try:
        return days_from_chinese_calendar(year), "chinese-calendar"
    except ValidationError:
        pass
    try:
        return days_from_holidays_library(year), "python-holidays"
    except ValidationError as exc:
        raise ValidationError(
            _("chinese-calendar 和 python-holidays 库都没有 %(year)d 年的国务院放假通知，请按通知录入。")
            % {"year": year}
        ) from exc


def days_from_chinese_calendar(year: int) -> list[tuple[datetime.date, str, str]]:
    """A year's entries as the chinese-calendar library knows them (it stops at its last year).

    Raises ValidationError if the library has no data for ``year``.
    """
    import chinese_calendar

    start, end = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    days: list[tuple[datetime.date, str, str]] = []
    day = start
    try:
        while day <= end:
            is_holiday, name = chinese_calendar.get_holiday_detail(day)
            if is_holiday and name:
                days.append((day, DayKind.OFF, _holiday_name(str(name))))
            elif not is_holiday and day.weekday() >= 5:
                days.append((day, DayKind.WORKDAY, _holiday_name(str(name)) if name else "调休"))
            day += datetime.timedelta(days=1)
    except NotImplementedError as exc:
        raise ValidationError(
            _("chinese-calendar 库没有 %(year)d 年的数据，请按国务院通知手工录入。") % {"year": year}
        ) from exc
    return days


_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利纪念日",
}


def _holiday_name(english: str) -> str:
    return _NAMES.get(english, english)
