from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from govhall import __version__
from govhall.cases.queries import list_cases_of_applicant
from govhall.identity.constants import RECORD_ROLES, SESSION_ACTING_FOR, Role
from govhall.identity.decorators import applicant_required, staff_required
from govhall.identity.queries import list_entities_for, list_roles
from govhall.portal.context_processors import LARGE_TEXT_COOKIE
from govhall.portal.health import check_database, check_worker
from govhall.proactive.queries import list_notifications
from govhall.sharing.queries import outbox_lag


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/home.html", {"surface": "portal"})


def site_search(request: HttpRequest) -> HttpResponse:
    """全站搜索: guides and public information matching every word, from one box (the catalog's segmenter)."""
    from govhall.catalog.queries import search_guides
    from govhall.publicinfo.queries import search_entries

    query = request.GET.get("q", "").strip()[:100]
    guides = search_guides(query, limit=20) if query else []
    entries = search_entries(query, limit=20) if query else []
    return render(
        request, "portal/search.html", {"surface": "portal", "q": query, "guides": guides, "entries": entries}
    )


@applicant_required
def workspace(request: HttpRequest) -> HttpResponse:
    entities = list_entities_for(request.user)  # type: ignore[arg-type]
    acting_for = request.session.get(SESSION_ACTING_FOR, "")
    current = next((e for e in entities if str(e.public_id) == acting_for), None)
    return render(
        request,
        "portal/workspace.html",
        {
            "surface": "workspace",
            "entities": entities,
            "acting_entity": current,
            "cases": list_cases_of_applicant(request.user)[:50],  # type: ignore[arg-type]
            "notifications": list_notifications(request.user),  # type: ignore[arg-type]
        },
    )


@staff_required
def desk(request: HttpRequest) -> HttpResponse:
    roles = list_roles(request.user)  # type: ignore[arg-type]
    is_security_admin = any(membership.role == Role.SECURITY_ADMIN for membership in roles)
    is_audit_admin = any(membership.role == Role.AUDIT_ADMIN for membership in roles)
    return render(
        request,
        "portal/desk.html",
        {
            "surface": "desk",
            "roles": roles,
            "is_security_admin": is_security_admin,
            "is_audit_admin": is_audit_admin,
            "reads_reports": any(membership.role in RECORD_ROLES for membership in roles),
            "is_archivist": any(membership.role == Role.ARCHIVIST for membership in roles),
            "manages_exchange": any(membership.role in (Role.SUPERVISOR, Role.SYSTEM_ADMIN) for membership in roles),
        },
    )


@require_POST
def text_size(request: HttpRequest) -> HttpResponse:
    """Switch the large-text mode on or off (a cookie, so it works before login too)."""
    target = request.POST.get("next", "/")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        target = "/"
    response = redirect(target)
    if request.POST.get("size") == "large":
        response.set_cookie(LARGE_TEXT_COOKIE, "large", max_age=365 * 86400, samesite="Lax")
    else:
        response.delete_cookie(LARGE_TEXT_COOKIE)
    return response


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Database and worker health as JSON: 200 when usable, 503 when not."""
    database = check_database()
    worker = check_worker() if database["status"] == "ok" else {"status": "unknown"}
    healthy = database["status"] == "ok" and worker["status"] in {"ok", "starting"}
    body = {
        "status": "ok" if healthy else "error",
        "version": __version__,
        "environment": settings.ENVIRONMENT,
        "database": database,
        "worker": worker,
    }
    if database["status"] == "ok":
        # How far behind the provincial outbox is (docs/exchange.md); it never makes the platform unusable:
        body["exchange"] = outbox_lag()
    return JsonResponse(body, status=200 if healthy else 503)
