"""免申即享 pages: the desk's entitlements (find, confirm) and the person's own grants (decline)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from govhall.catalog.queries import live_versions
from govhall.identity.decorators import applicant_required, staff_required
from govhall.identity.models import User
from govhall.lib.errors import Conflict
from govhall.proactive import entitlements, suggestions
from govhall.proactive.models import GrantStatus


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _say(request: HttpRequest, exc: Exception) -> None:
    for message in exc.messages if isinstance(exc, ValidationError) else [str(exc)]:
        messages.error(request, message)


@staff_required
def desk_entitlements(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "proactive/desk_entitlements.html",
        {"surface": "desk", "entitlements": entitlements.list_entitlements_for(_user(request))},
    )


@staff_required
def desk_entitlement(request: HttpRequest, public_id: str) -> HttpResponse:
    user = _user(request)
    entitlement = entitlements.access_entitlement_for(user, public_id)
    if request.method == "POST":
        try:
            if request.POST.get("action") == "find":
                found = entitlements.find_eligible(entitlement, actor=user)
                messages.success(
                    request, _("找到 %(count)s 个新的符合条件的对象，请核对后确认兑现。") % {"count": found}
                )
            else:
                count = entitlements.grant(
                    entitlement, request.POST.getlist("grants"), actor=user, purpose=request.POST.get("purpose", "")
                )
                messages.success(request, _("已为 %(count)s 个对象确认兑现，并已通知本人。") % {"count": count})
        except (ValidationError, PermissionDenied, Conflict) as exc:
            _say(request, exc)
        return redirect("proactive:desk_entitlement", public_id=entitlement.public_id)
    grants = entitlement.grants.select_related("licence").order_by("status", "pk")
    return render(
        request,
        "proactive/desk_entitlement.html",
        {
            "surface": "desk",
            "entitlement": entitlement,
            "proposed": [g for g in grants if g.status == GrantStatus.PROPOSED],
            "done": [g for g in grants if g.status != GrantStatus.PROPOSED],
        },
    )


@applicant_required
def my_entitlements(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "proactive/my_entitlements.html",
        {"surface": "workspace", "grants": entitlements.grants_of(_user(request))},
    )


@applicant_required
@require_POST
def my_entitlement_decline(request: HttpRequest, public_id: str) -> HttpResponse:
    try:
        item = entitlements.decline(public_id, user=_user(request), reason=request.POST.get("reason", ""))
    except Conflict as exc:
        _say(request, exc)
    else:
        messages.success(request, _("您已放弃“%(name)s”，我们不会再为您兑现。") % {"name": item.entitlement.name})
    return redirect("proactive:my_entitlements")


# Suggestions (推荐办理) -----------------------------------------------------------------------------


@applicant_required
def my_suggestion_go(request: HttpRequest, public_id: str) -> HttpResponse:
    """Follow a suggestion to the item's guide (counted as taken, by its source; never per person)."""
    # Only a guide the public can read (a draft's id leads nowhere, and counts nothing):
    version = get_object_or_404(live_versions().select_related("item"), public_id=public_id)
    suggestions.count_taken(version.item, request.GET.get("source", ""))
    return redirect("catalog:guide_detail", public_id=version.public_id)


@applicant_required
@require_POST
def my_suggestion_settings(request: HttpRequest) -> HttpResponse:
    """Switch personalised suggestions on or off (PIPL Art. 24)."""
    personalised = request.POST.get("personalised") == "1"
    suggestions.set_personalised(_user(request), personalised)
    messages.success(
        request,
        _("已开启个性化推荐：将根据您办理过的事项和所在地区推荐。")
        if personalised
        else _("已关闭个性化推荐：今后只显示面向所有人的时令提示和热门事项，不再使用您的办事记录。"),
    )
    return redirect("portal:workspace")
