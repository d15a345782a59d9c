"""Pages of delivery: the applicant's choice and downloads, the desk's list, hand-over and labels, EMS's push."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from govhall.cases import queries as case_queries
from govhall.cases.messages import licence_of
from govhall.delivery import actions, queries
from govhall.identity.decorators import applicant_required, staff_required
from govhall.identity.models import User
from govhall.lib.errors import Conflict
from govhall.lib.storage import private_download


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _say(request: HttpRequest, exc: ValidationError | PermissionDenied) -> None:
    # Tagged so that the case page's delivery panel repeats them beside its form (delivery/_delivery_panel.html):
    for message in exc.messages if isinstance(exc, ValidationError) else [str(exc)]:
        messages.error(request, message, extra_tags="delivery")


def _to_case(case: Any) -> HttpResponseRedirect:
    return HttpResponseRedirect(f"/my/cases/{case.public_id}/#delivery")


# The applicant ---------------------------------------------------------------------------------------


@applicant_required
@require_POST
def my_choose(request: HttpRequest, public_id: str) -> HttpResponse:
    """Choose (or change) how the result comes: window, EMS to an address, or download."""
    case = case_queries.access_case_for_applicant(request.user, public_id)
    post = request.POST
    address = actions.Address(
        recipient=post.get("recipient", ""),
        phone=post.get("phone", ""),
        region_code=post.get("region_code", ""),
        address=post.get("address", ""),
        postcode=post.get("postcode", ""),
    )
    try:
        delivery = actions.choose(case, applicant=_user(request), method=post.get("method", ""), address=address)
    except (ValidationError, PermissionDenied) as exc:
        _say(request, exc)
        return _to_case(case)
    messages.success(request, _("送达方式已保存：%(method)s。") % {"method": delivery.get_method_display()})
    return _to_case(case)


@applicant_required
@require_POST
def my_pickup(request: HttpRequest, public_id: str) -> HttpResponse:
    """Book EMS to collect the case's paper materials at the applicant's address."""
    case = case_queries.access_case_for_applicant(request.user, public_id)
    post = request.POST
    address = actions.Address(
        recipient=post.get("p_recipient", ""),
        phone=post.get("p_phone", ""),
        region_code=post.get("p_region_code", ""),
        address=post.get("p_address", ""),
    )
    try:
        shipment = actions.book_pickup(case, applicant=_user(request), address=address, on=post.get("pickup_on", ""))
    except (ValidationError, PermissionDenied) as exc:
        _say(request, exc)
        return _to_case(case)
    messages.success(
        request, _("已预约EMS于 %(day)s 上门收取纸质材料，运单号稍后通知您。") % {"day": shipment.pickup_on}
    )
    return _to_case(case)


@applicant_required
def my_decision(request: HttpRequest, public_id: str) -> FileResponse:
    delivery = queries.delivery_for_applicant(request.user, public_id)
    if not delivery.decision_document:
        raise Http404
    actions.record_download(delivery, applicant=_user(request), what="decision")
    return private_download(delivery.decision_document, content_type="application/pdf",
                            filename=f"行政许可决定书-{delivery.case.reference}.pdf")  # fmt: skip


@applicant_required
def my_licence(request: HttpRequest, public_id: str) -> FileResponse:
    delivery = queries.delivery_for_applicant(request.user, public_id)
    licence = licence_of(delivery.case)
    if delivery.ready_at is None or licence is None or not licence.document:
        raise Http404
    actions.record_download(delivery, applicant=_user(request), what="licence")
    return private_download(licence.document, content_type="application/pdf",
                            filename=f"{licence.licence_type.name}-{licence.number}.pdf")  # fmt: skip


# EMS's push ---------------------------------------------------------------------------------------------


@csrf_exempt
@require_POST
def ems_push(request: HttpRequest) -> HttpResponse:
    """EMS's signed tracking push (docs/ems-platform.md, The push)."""
    headers = {name: request.headers.get(name, "") for name in ("X-EMS-Timestamp", "X-EMS-Nonce", "X-EMS-Signature")}
    answer = actions.receive_push(request.path, headers, request.body)
    return JsonResponse({"received": answer.status == 200, "result": answer.message}, status=answer.status)


# The desk -------------------------------------------------------------------------------------------------


@staff_required
def desk_deliveries(request: HttpRequest) -> HttpResponse:
    """Results waiting to be sent, to be collected, in trouble, and on the way; the hand-over form."""
    return _desk_page(request)


def _desk_page(request: HttpRequest, *, given: Any = None, status: int = 200) -> HttpResponse:
    user = _user(request)
    piles = {name: queries.pile(user, name)[:300] for name in queries.PILES}
    context = {"surface": "desk", "piles": piles, "given": given or {}}
    return render(request, "delivery/desk_deliveries.html", context, status=status)


@staff_required
@require_POST
def desk_handover(request: HttpRequest) -> HttpResponse:
    post = request.POST
    collector = actions.Collector(
        name=post.get("name", ""),
        id_number=post.get("id_number", ""),
        is_proxy=post.get("is_proxy") == "1",
        authorisation_checked=post.get("authorisation_checked") == "1",
    )
    try:
        delivery = actions.hand_over(post.get("pickup_code", ""), collector, actor=_user(request))
    except (ValidationError, PermissionDenied, Conflict) as exc:
        _say(request, exc)  # shown with what was typed, to correct rather than type again
        return _desk_page(request, given=post, status=400)
    messages.success(
        request,
        _("已交付：办件 %(reference)s 的结果由 %(name)s 领取，送达时间已记录。")
        % {"reference": delivery.case.reference, "name": delivery.collector_name},
    )
    return redirect("delivery:desk_deliveries")


@staff_required
def desk_label(request: HttpRequest, public_id: str) -> FileResponse:
    shipment = queries.shipment_for_staff(request.user, public_id)
    if not shipment.label:
        raise Http404
    return private_download(shipment.label, content_type="application/pdf", filename=f"EMS-{shipment.waybill_no}.pdf")


@staff_required
def desk_decision(request: HttpRequest, public_id: str) -> FileResponse:
    delivery = queries.delivery_for_staff(request.user, public_id)
    if not delivery.decision_document:
        raise Http404
    return private_download(delivery.decision_document, content_type="application/pdf",
                            filename=f"行政许可决定书-{delivery.case.reference}.pdf")  # fmt: skip
