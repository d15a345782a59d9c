"""The audit administrator's page: the chain's signed checkpoints, sealing, retention, and the export."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_POST

from govhall.audit.actions import record_export
from govhall.audit.export import export_lines
from govhall.audit.forms import ExportForm
from govhall.audit.queries import get_audit_overview
from govhall.identity.constants import Role
from govhall.identity.decorators import staff_required
from govhall.identity.queries import has_role


def _audit_admin_only(request: HttpRequest) -> None:
    # "Not yours" looks like "does not exist", as everywhere on the desk:
    if not has_role(request.user, Role.AUDIT_ADMIN):
        raise Http404


def _page(request: HttpRequest, form: ExportForm, status: int = 200) -> HttpResponse:
    return render(
        request,
        "audit/desk_audit.html",
        {"surface": "desk", "overview": get_audit_overview(), "form": form},
        status=status,
    )


@staff_required
def desk_audit_view(request: HttpRequest) -> HttpResponse:
    """The chain's head, its latest signed checkpoints, sealing and retention, and the export form."""
    _audit_admin_only(request)
    today = timezone.localdate()
    return _page(request, ExportForm(initial={"start": today.replace(day=1), "end": today}))


@staff_required
@require_POST
def desk_audit_export_view(request: HttpRequest) -> HttpResponseBase:
    """Download the records of a date range as signed JSON Lines; the export itself is audited."""
    _audit_admin_only(request)
    form = ExportForm(request.POST)
    if not form.is_valid():
        return _page(request, form, status=400)
    start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    exported = record_export(start, end, actor=request.user, request=request)
    response = StreamingHttpResponse(export_lines(exported), content_type="application/jsonl; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="audit-{start:%Y%m%d}-{end:%Y%m%d}.jsonl"'
    return response
