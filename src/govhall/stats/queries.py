"""Reads of the stats app: the kept monthly service reports."""

from __future__ import annotations

import datetime
import uuid

from django.http import Http404

from govhall.identity.constants import RECORD_ROLES
from govhall.identity.models import User
from govhall.identity.queries import list_roles
from govhall.stats.models import ServiceReport


def reports_key() -> int:
    """Changes whenever a report is kept (kept reports never change): the public page's cache version."""
    return ServiceReport.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def list_report_months() -> list[datetime.date]:
    """The months whose reports are kept, newest first."""
    return list(ServiceReport.objects.values_list("month", flat=True))


def list_reports() -> list[ServiceReport]:
    """The kept reports, newest first, without their figures."""
    return list(ServiceReport.objects.defer("figures"))


def get_report(month: datetime.date | None = None) -> ServiceReport | None:
    """The kept report of ``month``, or the newest one; None if there is none."""
    reports = ServiceReport.objects.all()
    return (reports.filter(month=month.replace(day=1)) if month else reports).first()


def may_read_internal_reports(user: User) -> bool:
    """The internal 通报 circulates to the staff who handle or supervise services (not to the administrators)."""
    return any(membership.role in RECORD_ROLES for membership in list_roles(user))


def access_report_for_staff(user: User, public_id: str | uuid.UUID) -> ServiceReport:
    """A kept report for a member of staff who may read the 通报; 404 otherwise."""
    if not may_read_internal_reports(user):
        raise Http404
    try:
        return ServiceReport.objects.get(public_id=public_id)
    except ServiceReport.DoesNotExist:
        raise Http404 from None
