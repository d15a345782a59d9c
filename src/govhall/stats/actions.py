"""Writes of the stats app: keeping a month's service report, and the schedule that keeps them."""

from __future__ import annotations

import datetime
import hashlib
import secrets

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from govhall.audit.actions import record
from govhall.lib.schedule import queue_once
from govhall.lib.storage import save_until_committed
from govhall.stats.documents import render_service_report
from govhall.stats.figures import compute_month
from govhall.stats.models import ServiceReport

# The report task looks for ended months this often:
REPORTS_EVERY_SECONDS = 6 * 3600


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
