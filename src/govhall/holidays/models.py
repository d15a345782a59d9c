"""The holiday table behind every legal time limit (STANDARDS.md §5).

``lib`` holds no models, so the table lives in this small app; ``lib.workdays`` counts on
the calendar that ``holidays.queries.get_calendar`` builds from it.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class DayKind(models.TextChoices):
    OFF = "off", _("放假")
    WORKDAY = "workday", _("调休上班")


class Holiday(models.Model):
    """One date that differs from the plain Monday-to-Friday week."""

    date = models.DateField(_("日期"), unique=True)
    kind = models.CharField(_("类型"), max_length=16, choices=DayKind.choices)
    name = models.CharField(_("名称"), max_length=50)
    source = models.CharField(_("依据"), max_length=200, help_text=_("如：国务院办公厅关于2026年部分节假日安排的通知"))

    class Meta:
        verbose_name = _("节假日与调休")
        verbose_name_plural = _("节假日与调休")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()} {self.name}"


class CalendarYear(models.Model):
    """A year whose State Council notice has been entered in full."""

    year = models.PositiveIntegerField(_("年份"), unique=True)
    source = models.CharField(_("依据"), max_length=200)

    class Meta:
        verbose_name = _("已录入年度")
        verbose_name_plural = _("已录入年度")
        ordering = ["year"]

    def __str__(self) -> str:
        return str(self.year)
