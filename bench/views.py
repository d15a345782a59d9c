"""The ceilings served next to the platform: a bare one-row insert and a bare one-row read."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_POST

from bench.models import Ping
from govhall.licences.models import Licence


@require_POST
def bare_insert(request: HttpRequest) -> HttpResponse:
    """Insert one row and answer: what any Django write costs on this server (sessions, CSRF, one commit)."""
    ping = Ping.objects.create(note=request.POST.get("note", "")[:64])
    return JsonResponse({"id": ping.pk})


def bare_read(request: HttpRequest) -> HttpResponse:
    """Read one licence row by its unique identifier and answer it as JSON: the floor under verification."""
    row = Licence.objects.filter(identifier=request.GET.get("id", "")).values("identifier", "status").first()
    return JsonResponse(row or {}, status=200 if row else 404)
