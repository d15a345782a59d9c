"""Proactive pages: 免申即享 (the desk's entitlements; the person's own grants), suggestions, and 一件事 bundles."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django import forms as django_forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from govhall.cases import actions as case_actions
from govhall.cases import queries as case_queries
from govhall.cases.actions import known_answers
from govhall.cases.constants import SESSION_STARTED_FROM, CaseOrigin
from govhall.cases.queries import WindowSubject, identified_since, window_subject
from govhall.catalog.constants import MaterialNeed
from govhall.catalog.queries import live_versions
from govhall.identity.actions import open_account_for_intake
from govhall.identity.constants import SESSION_ACTING_FOR
from govhall.identity.decorators import applicant_required, staff_required
from govhall.identity.models import User
from govhall.identity.queries import access_entity_for
from govhall.lib.errors import Conflict
from govhall.lib.jsonforms import answers_of, build_form, material_fields, show_errors
from govhall.licences import queries as licence_queries
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


@dataclass(frozen=True)
class BundleIntake:
    """A bundle filed at the window for the person identified at the counter (一窗受理)."""

    applicant: User
    subject: WindowSubject


def _bundle_application(
    request: HttpRequest, bundle: Bundle, *, applicant: User, entity: Any, intake: BundleIntake | None = None
) -> HttpResponse:
    """One form and one set of materials for the bundle's items; filing makes a case per item, all or none.

    Online the applicant fills it; at the window (``intake``) the clerk fills the same form for the
    person at the counter, who checks it and signs, and the cases may be accepted on the spot.
    """
    try:
        joined = bundles.bundle_form(bundle)
    except ValidationError as exc:
        _say(request, exc)
        return redirect("proactive:desk_bundle_intake" if intake else "proactive:my_bundles")
    posted = request.method == "POST"
    form = build_form(
        joined.schema, joined.ui, request.POST if posted else None, known=known_answers(applicant, entity)
    )
    codes = [g.licence_type_code for g in joined.groups if g.licence_type_code]
    held = licence_queries.reusable_licences(licence_queries.holder_keys(applicant, entity), codes) if codes else {}
    form.files = request.FILES if posted else form.files
    groups = []
    for n, group in enumerate(joined.groups):
        need = MaterialNeed.REQUIRED.label if group.required else MaterialNeed.CONDITIONAL.label
        choice, upload = material_fields(
            f"g{n}", name=group.name, need=str(need), held=held.get(group.licence_type_code, [])
        )
        if choice is not None:
            form.fields[f"licence_{n}"] = choice
        form.fields[f"group_{n}"] = upload
        groups.append((n, group))
    if intake:
        form.fields["confirmed"] = django_forms.BooleanField(
            label=_("申请人已当面核对以上申请内容和材料，并签字确认"),
            error_messages={"required": _("请先请申请人核对申请内容和材料并签字确认。")},
        )
        form.fields["accept_now"] = django_forms.BooleanField(
            label=_("材料齐全，当场受理"), required=False, initial=True
        )
    submit_key = request.POST.get("submit_key") or uuid.uuid4().hex
    if posted:
        form.is_valid()  # reads the post; the items' own applications judge it
        try:
            if intake and not form.cleaned_data.get("confirmed"):
                raise ValidationError({"confirmed": form.fields["confirmed"].error_messages["required"]})
            filing = bundles.file_bundle(
                bundle, applicant=applicant, entity=entity, submit_key=submit_key[:64],
                answers=answers_of(form, joined.schema),
                uploads={g.key: request.FILES[f"group_{n}"] for n, g in groups if f"group_{n}" in request.FILES},  # type: ignore[misc]
                licences={g.key: request.POST[f"licence_{n}"] for n, g in groups if request.POST.get(f"licence_{n}")},
                filed_by=_user(request) if intake else None,
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
            if intake is None:
                return redirect("proactive:my_bundle_filing", public_id=filing.public_id)
            return _after_bundle_intake(request, filing, intake, accept_now=bool(form.cleaned_data.get("accept_now")))
    return render(
        request,
        "proactive/desk_bundle_intake.html" if intake else "proactive/my_bundle_apply.html",
        {
            "surface": "desk" if intake else "workspace", "bundle": bundle, "joined": joined, "form": form,
            "submit_key": submit_key, "intake": intake,
            "intake_fields": [form["confirmed"], form["accept_now"]] if intake else [],
            "answer_fields": [form[name] for name in joined.schema["properties"] if name in form.fields],
            "groups": [(group, form[f"group_{n}"], form[f"licence_{n}"] if f"licence_{n}" in form.fields else None,
                        f"g{n}") for n, group in groups],
        },
        status=400 if posted and form.errors else 200,
    )  # fmt: skip


@applicant_required
def my_bundle_apply(request: HttpRequest, code: str) -> HttpResponse:
    user = _user(request)
    bundle = get_object_or_404(Bundle, code=code, is_active=True)
    acting_for = request.session.get(SESSION_ACTING_FOR, "")
    entity = access_entity_for(user, acting_for) if acting_for else None
    return _bundle_application(request, bundle, applicant=user, entity=entity)


@staff_required
def desk_bundle_intake(request: HttpRequest) -> HttpResponse:
    """A bundle filed at the window (一窗受理) for the person the counter identified: choose it, then its one form.

    Offered only where the clerk may file every item of the bundle (their units' items).
    """
    user = _user(request)
    departments = case_queries.intake_departments(user)
    if not departments:
        raise Http404
    subject = window_subject(request)
    if subject is None:
        return render(request, "proactive/desk_bundle_choose.html", {"surface": "desk", "subject": None})
    offered = bundles.bundles_for_units(departments)
    chosen = request.GET.get("bundle") or request.POST.get("bundle")
    bundle = next((b for b, _versions in offered if b.code == chosen), None)
    if bundle is None:
        return render(
            request, "proactive/desk_bundle_choose.html", {"surface": "desk", "subject": subject, "bundles": offered}
        )
    if identified_since(request, subject):
        messages.error(request, _("窗口已重新核验申请人或申请单位，这份申请未提交。请按当前核验的申请人重新填写。"))
        query = urlencode({"person": str(subject.person.public_id), "next": subject.next_url})
        return redirect(f"{reverse('proactive:desk_bundle_intake')}?{query}")
    applicant = open_account_for_intake(subject.person)
    return _bundle_application(
        request, bundle, applicant=applicant, entity=subject.entity, intake=BundleIntake(applicant, subject)
    )


def _after_bundle_intake(
    request: HttpRequest, filing: BundleFiling, intake: BundleIntake, *, accept_now: bool
) -> HttpResponse:
    """After filing a bundle at the window: accept its cases on the spot if asked, then back to the counter."""
    cases = [link.case for link in filing.links.select_related("case")]
    if accept_now:
        accepted = 0
        for case in cases:
            try:
                case_actions.accept_case(case, actor=_user(request), note=_("窗口当场受理（一件事）"))
            except (ValidationError, PermissionDenied) as exc:
                _say(request, exc)
            else:
                accepted += 1
        if accepted:
            messages.success(request, _("已当场受理 %(n)s 个事项，受理通知书可在各办件页面打印。") % {"n": accepted})
    if intake.subject.next_url and cases:
        # The counter hears which cases were filed (it links them all to the ticket at the window):
        also = urlencode([("also", str(case.public_id)) for case in cases[1:]])
        return redirect(f"{intake.subject.next_url}linked/{cases[0].public_id}/?{also}")
    return redirect("cases:desk_case", public_id=cases[0].public_id) if cases else redirect("cases:desk_intake")


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
