"""The monthly service report: its public figures on the portal, and the internal 通报 on the desk."""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from govhall.identity.decorators import staff_required
from govhall.identity.models import User
from govhall.lib.pagecache import anonymous_page_cache
from govhall.lib.storage import private_download
from govhall.ratings.constants import RatingLevel
from govhall.stats import queries


@anonymous_page_cache(queries.reports_key)
def service_report(request: HttpRequest, month: str = "") -> HttpResponse:
    """The public page: a kept month's figures per unit and item, no person named."""
    chosen = None
    if month:
        try:
            chosen = datetime.date.fromisoformat(month + "-01")
        except ValueError:
            raise Http404 from None
    report = queries.get_report(chosen)
    if chosen and report is None:
        raise Http404
    figures = report.figures if report else None
    for item in figures["items"] if figures else []:
        item["level_counts"] = [
            (label, item["ratings"]["by_level"].get(value, 0)) for value, label in RatingLevel.choices
        ]
    return render(
        request,
        "stats/service_report.html",
        {"report": report, "figures": figures, "months": queries.list_report_months(), "levels": RatingLevel.choices},
    )


@staff_required
def desk_reports(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    if not queries.may_read_internal_reports(user):
        raise PermissionDenied(_("月度通报发给办理和监督岗位的工作人员；您的岗位不在其中。"))
    return render(request, "stats/desk_reports.html", {"surface": "desk", "reports": queries.list_reports()})


@staff_required
def desk_report_pdf(request: HttpRequest, public_id: str) -> FileResponse:
    report = queries.access_report_for_staff(request.user, public_id)  # type: ignore[arg-type]
    return private_download(
        report.pdf, content_type="application/pdf", filename=f"service-report-{report.month:%Y-%m}.pdf"
    )
