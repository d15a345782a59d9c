"""Kept reports: the monthly service report (好差评、投诉、督办通报) as it was generated, figures and PDF."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from govhall.lib.storage import private_storage


class ServiceReport(models.Model):
    """One month's figures per unit and item, and the internal 通报 made from them; never changed once kept.

    The public page reads ``figures`` (aggregates only: no rater, complainant or staff name);
    the PDF ranks the units for the bureau's staff.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    month = models.DateField(_("月份"), unique=True, help_text=_("该月的第一天"))
    figures = models.JSONField(_("统计数据"))
    pdf = models.FileField(_("通报"), storage=private_storage, upload_to="reports/%Y/")
    sha256 = models.CharField(max_length=64)
    generated_at = models.DateTimeField(_("生成时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("月度服务通报")
        verbose_name_plural = _("月度服务通报")
        ordering = ["-month"]

    def __str__(self) -> str:
        return self.month.strftime("%Y-%m")


class Figure(models.Model):
    """One counter's value on one day for one unit, item and facet: what the indicators are made of.

    Written only by ``stats.actions.compute_day``, which replaces a day's rows as a whole, so
    a rerun for any past day gives the same rows. ``facet`` is the case's channel (online,
    province) or a look-up's purpose; empty where the counter has none. A month's figure is
    the sum of its days (a flow counter) or its last computed day (a stock counter, such as
    the items in use). ``histogram`` holds, for the handling-time counter, how many cases
    took each number of working days, so that months and units add up to a true p90.
    """

    day = models.DateField(_("日期"))
    counter = models.CharField(_("计数项"), max_length=40)
    department = models.ForeignKey(
        "identity.Department", verbose_name=_("单位"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    item_code = models.CharField(_("事项实施编码"), max_length=31, blank=True)
    facet = models.CharField(_("渠道或目的"), max_length=24, blank=True)
    value = models.BigIntegerField(_("数值"))
    histogram = models.JSONField(null=True, blank=True)

    class Meta:
        verbose_name = _("统计数")
        verbose_name_plural = _("统计数")
        indexes = [
            models.Index(fields=["counter", "day"], name="stats_figure_counter_day"),
            # A day's (or a month's) rows replaced as a whole by compute_day:
            models.Index(fields=["day"], name="stats_figure_day"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.counter}={self.value}"


class ComputedDay(models.Model):
    """That a day's figures were computed, when, and whether the day was over then.

    A day computed while it was still running (today, on demand) is partial; the nightly run
    computes it again once it is over. A month with a day missing or partial says so.
    """

    day = models.DateField(_("日期"), unique=True)
    computed_at = models.DateTimeField(_("计算时间"))
    is_complete = models.BooleanField(_("全天已计算"), default=False)
    rows = models.PositiveIntegerField(_("行数"), default=0)

    class Meta:
        verbose_name = _("已计算日期")
        verbose_name_plural = _("已计算日期")
        ordering = ["-day"]

    def __str__(self) -> str:
        return self.day.isoformat()
