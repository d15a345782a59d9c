"""The desk's exchange pages: per platform state, dead letters with inspect and replay, replay from a time,
and the provincial applications waiting for review. Supervisors and system administrators only (others: 404)."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from govhall.identity.decorators import staff_required
from govhall.sharing import actions, queries
from govhall.sharing.constants import InboundStatus, MessageStatus
from govhall.sharing.forms import DismissForm, ReplaySinceForm
from govhall.sharing.models import Platform


def _desk(request: HttpRequest, template: str, context: dict[str, Any], status: int = 200) -> HttpResponse:
    """Render a staff page in the desk's frame."""
    return render(request, template, {"surface": "desk", **context}, status=status)


def _replay_form(data: Any = None) -> ReplaySinceForm:
    form = ReplaySinceForm(data)
    form.fields["platform"].choices = [(p.code, str(p)) for p in Platform.objects.order_by("code")]  # type: ignore[attr-defined]
    return form


@staff_required
def overview(request: HttpRequest) -> HttpResponse:
    """Per platform: waiting, oldest waiting, failures, last acknowledgement; the events not yet read."""
    rows = queries.platform_overview(request.user)
    return _desk(
        request,
        "sharing/overview.html",
        {
            "rows": rows,
            "lag": queries.outbox_lag(),
            "form": _replay_form(),
            "review_count": queries.list_inbound(request.user).count(),
            "licences": queries.licence_collection_report(request.user),
        },
    )


@staff_required
@require_POST
def replay_since(request: HttpRequest) -> HttpResponse:
    queries.platform_overview(request.user)  # the gate: 404 for anyone but supervisors and administrators
    form = _replay_form(request.POST)
    if form.is_valid():
        platform = Platform.objects.get(code=form.cleaned_data["platform"])
        try:
            count = actions.replay_since(platform, form.cleaned_data["since"], actor=request.user)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("已安排重新发送 %(count)s 条报文。") % {"count": count})
            return redirect("sharing:overview")
    rows = queries.platform_overview(request.user)
    return _desk(
        request,
        "sharing/overview.html",
        {
            "rows": rows,
            "lag": queries.outbox_lag(),
            "form": form,
            "review_count": queries.list_inbound(request.user).count(),
            "licences": queries.licence_collection_report(request.user),
        },
        status=400,
    )


@staff_required
def message_list(request: HttpRequest) -> HttpResponse:
    """The dead letters (or the waiting messages), with the reason of each."""
    status = request.GET.get("status", MessageStatus.DEAD)
    if status not in MessageStatus.values:
        status = MessageStatus.DEAD
    rows = queries.list_messages(request.user, status=status, platform_code=request.GET.get("platform", ""))[:500]
    return _desk(request, "sharing/messages.html", {"rows": rows, "status": status, "statuses": MessageStatus.choices})


@staff_required
def message_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    message = queries.access_message_for(request.user, public_id)
    if request.method == "POST":
        try:
            actions.replay_message(message, actor=request.user)
        except PermissionDenied as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("报文已重新排队发送；该办件其后的报文随后依次发送。"))
        return redirect("sharing:message", public_id=message.public_id)
    return _desk(
        request,
        "sharing/message.html",
        {"message": message, "envelope": json.dumps(message.envelope(), ensure_ascii=False, indent=2)},
    )


@staff_required
def inbound_list(request: HttpRequest) -> HttpResponse:
    """Provincial applications that could not become a case, with the reason: never dropped in silence."""
    status = request.GET.get("status", InboundStatus.REVIEW)
    if status not in InboundStatus.values:
        status = InboundStatus.REVIEW
    rows = queries.list_inbound(request.user, status=status)[:500]
    return _desk(request, "sharing/inbound.html", {"rows": rows, "status": status, "statuses": InboundStatus.choices})


@staff_required
def inbound_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    inbound = queries.access_inbound_for(request.user, public_id)
    form = DismissForm()
    if request.method == "POST":
        try:
            if request.POST.get("action") == "retry":
                inbound = actions.retry_inbound(inbound, actor=request.user)
                if inbound.status == InboundStatus.MADE_CASE:
                    messages.success(request, _("已生成办件 %(reference)s。") % {"reference": inbound.case_reference})
                else:
                    messages.error(request, _("仍不能生成办件：%(reason)s") % {"reason": inbound.reason})
                return redirect("sharing:inbound_detail", public_id=inbound.public_id)
            form = DismissForm(request.POST)
            if form.is_valid():
                actions.dismiss_inbound(inbound, actor=request.user, reason=form.cleaned_data["reason"])
                messages.success(request, _("已退回，省级平台将收到不予受理的结果。"))
                return redirect("sharing:inbound")
        except ValidationError as exc:
            form.add_error(None, exc)
    return _desk(
        request,
        "sharing/inbound_detail.html",
        {
            "inbound": inbound,
            "form": form,
            "payload": json.dumps(inbound.payload, ensure_ascii=False, indent=2),
            "now": timezone.now(),
        },
        status=400 if form.errors else 200,
    )
