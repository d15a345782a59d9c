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
