"""Licence pages: public verification, published keys and status lists, the holder's licences and 加注件, the desk record."""

from __future__ import annotations

import datetime
import uuid
from collections import defaultdict
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from govhall.audit.actions import client_ip, log_entry, record
from govhall.catalog.queries import licence_types_issued_online
from govhall.identity.decorators import applicant_required, staff_required
from govhall.identity.models import User
from govhall.lib.credentials import published_keys
from govhall.lib.ratelimit import over_limit
from govhall.lib.storage import private_download
from govhall.licences import actions, queries
from govhall.licences.constants import COPY_MAX_DAYS, COPY_PURPOSE_MAX_LENGTH, TRANSITIONS
from govhall.licences.documents import face_rows
from govhall.licences.models import Licence, LicenceCopy

VERIFY_LIMIT_PER_MINUTE = 60


def _throttled(request: HttpRequest) -> bool:
    """At most VERIFY_LIMIT_PER_MINUTE checks a minute from one address (shared through the cache)."""
    return over_limit(f"verify-rate:{client_ip(request)}", VERIFY_LIMIT_PER_MINUTE)


def verify_request(request: HttpRequest, identifier: str, payload: str) -> queries.Verification:
    """Verify by identifier or QR payload and audit the check (who asked, what, the answer)."""
    result = queries.verify_payload(payload) if payload else queries.verify_identifier(identifier)
    # Hundreds of public checks a second must not queue on the audit chain's one lock:
    # each is logged at once and sealed into the chain in batches (audit.SealedEntry):
    log_entry(
        "licences.verified",
        request.user if isinstance(request.user, User) else "anonymous",
        result.licence,
        {"by": "payload" if payload else "identifier", "genuine": result.genuine, "status": result.status},
        request=request,
    )
    return result


def verify_copy_request(request: HttpRequest, public_id: uuid.UUID) -> queries.CopyVerification:
    """Verify a 加注件 by its id and audit the check, as for a licence."""
    result = queries.verify_copy(public_id)
    log_entry(
        "licences.verified",
        request.user if isinstance(request.user, User) else "anonymous",
        result.copy,
        {
            "by": "copy",
            "genuine": result.genuine,
            "expired": result.expired,
            "status": result.licence_check.status if result.licence_check else "",
        },
        request=request,
    )
    return result


def _too_many(request: HttpRequest, identifier: str) -> HttpResponse:
    return render(
        request,
        "licences/verify.html",
        {"error": _("查询过于频繁，请一分钟后再试。"), "identifier": identifier},
        status=429,
    )


def _as_copy_id(text: str) -> uuid.UUID | None:
    """A 加注件 id (a UUID) typed into the identifier box; a licence identifier never parses as one."""
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


def verify(request: HttpRequest) -> HttpResponse:
    """Public: type or scan an identifier (or a 加注件 id), or paste a QR payload; no login needed."""
    identifier = request.GET.get("id", "").strip()[:200]
    # ``p`` is what QR codes carry; ``payload`` is the form's box and older codes' name:
    payload = (request.GET.get("p") or request.GET.get("payload", "")).strip()[:4000]
    result = None
    status = 200
    if not payload and (copy_id := _as_copy_id(identifier)):
        return _verify_copy(request, copy_id, identifier)
    if identifier or payload:
        if _throttled(request):
            return _too_many(request, identifier)
        result = verify_request(request, identifier, payload)
        full = result.licence if result.licence and _may_see_full(request.user, result.licence) else None
        return render(
            request,
            "licences/verify.html",
            {"result": result, "public": result.public(), "full": full, "identifier": identifier},
            status=status,
        )
    return render(request, "licences/verify.html", {"identifier": identifier})


def verify_copy(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """Public: the link printed on a 加注件; same limit and audit as any other check."""
    return _verify_copy(request, public_id, str(public_id))


def _verify_copy(request: HttpRequest, public_id: uuid.UUID, identifier: str) -> HttpResponse:
    if _throttled(request):
        return _too_many(request, identifier)
    result = verify_copy_request(request, public_id)
    full = result.copy.licence if result.copy and _may_see_full(request.user, result.copy.licence) else None
    return render(
        request,
        "licences/verify.html",
        {
            "copy_result": result,
            "copy_public": result.public(),
            "full": full,
            "identifier": identifier,
        },
    )


def _may_see_full(user: Any, licence: Licence) -> bool:
    # Staff whose units may open the licence's desk page see its full record here too:
    return isinstance(user, User) and queries.staff_licences(user).filter(pk=licence.pk).exists()


def jwks(request: HttpRequest) -> JsonResponse:
    """The public keys QR payloads and status lists are signed with (current and retired)."""
    response = JsonResponse(published_keys())
    response["Cache-Control"] = "public, max-age=3600"
    return response


def status_list(request: HttpRequest, purpose: str) -> HttpResponse:
    if purpose not in ("revocation", "suspension"):
        raise Http404
    token = queries.status_list(purpose)
    if token is None:
        actions.publish_status_lists()
        token = queries.status_list(purpose)
    response = HttpResponse(token, content_type="application/vc+jwt")
    response["Cache-Control"] = "public, max-age=300"
    return response


# Workspace -----------------------------------------------------------------------------------


def _my_licences_page(
    request: HttpRequest, *, failed: Licence | None = None, errors: dict[str, list[str]] | None = None
) -> HttpResponse:
    assert isinstance(request.user, User)
    licences = list(queries.licences_of(request.user)[:200])
    copies: dict[int, list[LicenceCopy]] = defaultdict(list)
    for copy in queries.list_copies_of(request.user).filter(licence__in=[lic.pk for lic in licences])[:1000]:
        copies[copy.licence_id].append(copy)
    today = timezone.localdate()
    latest = today + datetime.timedelta(days=COPY_MAX_DAYS)
    rows = []
    for lic in licences:
        check = queries.judge(lic)
        rows.append(
            {
                "licence": lic,
                "check": check,
                "copies": copies[lic.pk],
                # Only a valid licence with its signed file can be copied (actions.make_licence_copy):
                "copyable": check.usable and bool(lic.document),
                "latest": min(latest, lic.valid_until) if lic.valid_until else latest,
                "errors": errors if failed is not None and failed.pk == lic.pk else {},
                "values": request.POST if failed is not None and failed.pk == lic.pk else {},
            }
        )
    return render(
        request,
        "licences/my_licences.html",
        {
            "surface": "workspace",
            "rows": rows,
            "today": today,
            "earliest": today + datetime.timedelta(days=1),
            "purpose_max": COPY_PURPOSE_MAX_LENGTH,
            "copy_max_days": COPY_MAX_DAYS,
            "renewable": sorted(actions.RENEWABLE),
            "renewable_types": licence_types_issued_online(),
        },
        status=400 if errors else 200,
    )


@applicant_required
def my_licences(request: HttpRequest) -> HttpResponse:
    return _my_licences_page(request)


@applicant_required
@require_POST
def my_licence_copy(request: HttpRequest, public_id: str) -> HttpResponse:
    """Make a 加注件 of one of the user's licences, then redirect (a reload does not post again)."""
    assert isinstance(request.user, User)
    licence = queries.access_licence_for(request.user, public_id)
    purpose = request.POST.get("purpose", "")
    try:
        expires_on = datetime.date.fromisoformat(request.POST.get("expires_on", "").strip())
    except ValueError:
        return _my_licences_page(
            request, failed=licence, errors={"expires_on": [_("请选择加注件的有效期（到哪一天为止）。")]}
        )
    try:
        copy = actions.make_licence_copy(licence, actor=request.user, purpose=purpose, expires_on=expires_on)
    except ValidationError as exc:
        errors = dict(exc.message_dict) if hasattr(exc, "error_dict") else {"general": exc.messages}
        return _my_licences_page(request, failed=licence, errors=errors)
    messages.success(
        request,
        _("已制作加注件：仅供“%(purpose)s”使用，有效期至 %(date)s。请在下方下载。")
        % {"purpose": copy.purpose, "date": copy.expires_on.isoformat()},
    )
    return redirect(f"{reverse('licences:my_licences')}#copy-{copy.public_id}")


@applicant_required
def my_licence_copy_pdf(request: HttpRequest, public_id: str) -> FileResponse:
    assert isinstance(request.user, User)
    copy = queries.access_copy_for(request.user, public_id)
    return _copy_pdf(copy)


def _copy_pdf(copy: LicenceCopy) -> FileResponse:
    return private_download(
        copy.document,
        content_type="application/pdf",
        filename=f"{copy.licence.licence_type.name}-{copy.licence.number}-加注件-{copy.expires_on:%Y%m%d}.pdf",
    )


def _pdf(licence: Licence) -> FileResponse:
    if not licence.document:
        raise Http404(_("这本证照是历史导入的，平台没有它的电子文件。"))
    return private_download(
        licence.document, content_type="application/pdf", filename=f"{licence.licence_type.name}-{licence.number}.pdf"
    )


@applicant_required
def my_licence_pdf(request: HttpRequest, public_id: str) -> FileResponse:
    assert isinstance(request.user, User)
    licence = queries.licence_for_download(request.user, public_id)
    if licence is None:
        raise Http404
    return _pdf(licence)


# Desk ----------------------------------------------------------------------------------------


@staff_required
def desk_licence(request: HttpRequest, public_id: str) -> HttpResponse:
    licence = queries.access_licence_for_staff(request.user, public_id)
    record("licences.viewed", request.user, licence, request=request)
    manager = actions.may_manage(request.user, licence)
    return render(
        request,
        "licences/desk_licence.html",
        {
            "surface": "desk",
            "licence": licence,
            "check": queries.judge(licence),
            "face": face_rows(licence),
            "events": [(e, actions.EVENT_LABELS.get(e.operation, e.operation)) for e in licence.events.all()],
            # Only the changes the licence's current status allows:
            "operations": {
                op: label
                for op, label in actions.OPERATION_LABELS.items()
                if manager and actions.OPERATIONS[op] in TRANSITIONS[licence.status]
            },
            "renewable": manager and licence.status in actions.RENEWABLE,
            "copies": licence.copies.all(),
            "today": timezone.localdate(),
        },
    )


@staff_required
def desk_licence_copy_pdf(request: HttpRequest, public_id: str) -> FileResponse:
    copy = queries.access_copy_for_staff(request.user, public_id)
    record("licences.copy_viewed", request.user, copy, request=request)
    return _copy_pdf(copy)


@staff_required
def desk_licence_pdf(request: HttpRequest, public_id: str) -> FileResponse:
    licence = queries.access_licence_for_staff(request.user, public_id)
    record("licences.document_viewed", request.user, licence, request=request)
    return _pdf(licence)


@staff_required
@require_POST
def desk_licence_action(request: HttpRequest, public_id: str, operation: str) -> HttpResponse:
    licence = queries.access_licence_for_staff(request.user, public_id)
    reason = request.POST.get("reason", "")
    try:
        if operation == "renew":
            new = actions.renew_licence(licence, actor=request.user, reason=reason)
            messages.success(request, _("已换发新证照 %(number)s。") % {"number": new.number})
            return redirect("licences:desk_licence", public_id=new.public_id)
        if operation not in actions.OPERATIONS:
            raise Http404
        actions.change_status(licence, operation, actor=request.user, reason=reason)
        messages.success(request, _("证照状态已变更。"))
    except (ValidationError, PermissionDenied) as exc:
        for message in exc.messages if isinstance(exc, ValidationError) else [str(exc)]:
            messages.error(request, message)
    return redirect("licences:desk_licence", public_id=licence.public_id)
