"""Proactive pages: 免申即享 (the desk's entitlements; the person's own grants), suggestions, and 一件事 bundles."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from govhall.cases.constants import SESSION_STARTED_FROM, CaseOrigin
from govhall.catalog.queries import live_versions
from govhall.identity.decorators import applicant_required, staff_required
from govhall.identity.models import User
from govhall.lib.errors import Conflict
from govhall.proactive import bundles, entitlements, suggestions
from govhall.proactive.models import Bundle, BundleFiling, GrantStatus


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
    # The person's next online application for this item counts as started by the suggestion
    # (cases.views._application reads and forgets the mark):
    started = request.session.get(SESSION_STARTED_FROM) or {}
    request.session[SESSION_STARTED_FROM] = {**started, str(version.item_id): CaseOrigin.SUGGESTION.value}
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


# 一件事 (bundles) ---------------------------------------------------------------------------------------


@applicant_required
def my_bundles(request: HttpRequest) -> HttpResponse:
    """The bundles one can apply for, and one's own filings with their one status each."""
    user = _user(request)
    filings = BundleFiling.objects.filter(applicant=user).select_related("bundle")[:20]
    return render(
        request,
        "proactive/my_bundles.html",
        {
            "surface": "workspace",
            "bundles": Bundle.objects.filter(is_active=True).prefetch_related("members__item"),
            "filings": [(filing, bundles.filing_status(filing)) for filing in filings],
        },
    )


@applicant_required
def my_bundle_apply(request: HttpRequest, code: str) -> HttpResponse:
    """One form and one set of materials for the bundle's items; filing makes a case per item, all or none."""
    from django import forms as django_forms

    from govhall.cases.actions import known_answers
    from govhall.identity.constants import SESSION_ACTING_FOR
    from govhall.identity.queries import access_entity_for
    from govhall.lib.jsonforms import answers_of, build_form, show_errors
    from govhall.licences import queries as licence_queries

    user = _user(request)
    bundle = get_object_or_404(Bundle, code=code, is_active=True)
    try:
        joined = bundles.bundle_form(bundle)
    except ValidationError as exc:
        _say(request, exc)
        return redirect("proactive:my_bundles")
    acting_for = request.session.get(SESSION_ACTING_FOR, "")
    entity = access_entity_for(user, acting_for) if acting_for else None
    posted = request.method == "POST"
    form = build_form(joined.schema, joined.ui, request.POST if posted else None, known=known_answers(user, entity))
    codes = [g.licence_type_code for g in joined.groups if g.licence_type_code]
    held = licence_queries.reusable_licences(licence_queries.holder_keys(user, entity), codes) if codes else {}
    groups = []
    for n, group in enumerate(joined.groups):
        licences = held.get(group.licence_type_code, [])
        choice = None
        if licences:
            choice = django_forms.ChoiceField(
                label=_("使用平台已有的电子证照"), required=False, initial=str(licences[0].public_id),
                choices=[("", _("不使用，上传材料"))] + [(str(lic.public_id), f"{lic.number}") for lic in licences],
            )  # fmt: skip
            form.fields[f"licence_{n}"] = choice
        form.fields[f"group_{n}"] = django_forms.FileField(label=group.name, required=False)
        groups.append((n, group))
    form.files = request.FILES if posted else form.files
    submit_key = request.POST.get("submit_key") or uuid.uuid4().hex
    if posted:
        form.is_valid()  # reads the post; the items' own applications judge it
        try:
            filing = bundles.file_bundle(
                bundle, applicant=user, entity=entity, submit_key=submit_key[:64],
                answers=answers_of(form, joined.schema),
                uploads={g.key: request.FILES.get(f"group_{n}") for n, g in groups if request.FILES.get(f"group_{n}")},  # type: ignore[misc]
                licences={g.key: request.POST[f"licence_{n}"] for n, g in groups if request.POST.get(f"licence_{n}")},
            )  # fmt: skip
        except ValidationError as exc:
            answers = {k: v for k, v in exc.message_dict.items() if not k.startswith("group:")}
            show_errors(form, ValidationError(answers) if answers else ValidationError([]))
            keys = {g.key: n for n, g in groups}
            for key, found in exc.message_dict.items():
                if key.startswith("group:") and key[len("group:") :] in keys:
                    form.add_error(f"group_{keys[key[len('group:') :]]}", found)
        except PermissionDenied as exc:
            _say(request, exc)
        else:
            messages.success(
                request, _("已一并提交，共 %(n)s 个事项，各单位将同时办理。") % {"n": len(joined.versions)}
            )
            return redirect("proactive:my_bundle_filing", public_id=filing.public_id)
    return render(
        request,
        "proactive/my_bundle_apply.html",
        {
            "surface": "workspace", "bundle": bundle, "joined": joined, "form": form, "submit_key": submit_key,
            "answer_fields": [form[name] for name in joined.schema["properties"] if name in form.fields],
            "groups": [(group, form[f"group_{n}"], form[f"licence_{n}"] if f"licence_{n}" in form.fields else None)
                       for n, group in groups],
        },
        status=400 if posted and form.errors else 200,
    )  # fmt: skip


@applicant_required
def my_bundle_filing(request: HttpRequest, public_id: str) -> HttpResponse:
    filing = get_object_or_404(
        BundleFiling.objects.select_related("bundle"), public_id=public_id, applicant=_user(request)
    )
    return render(
        request,
        "proactive/my_bundle_filing.html",
        {"surface": "workspace", "filing": filing, "status": bundles.filing_status(filing)},
    )
