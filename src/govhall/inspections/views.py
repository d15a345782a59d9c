"""Post-licence supervision pages: the desk's plans, draws and inspections; the public results (双随机一公开)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from govhall.identity.decorators import staff_required
from govhall.identity.models import User
from govhall.inspections import actions, queries
from govhall.inspections.constants import INSPECTORS_PER_INSPECTION, InspectionStatus
from govhall.inspections.forms import DrawForm, GuidanceForm, ResultForm, VoidForm
from govhall.inspections.models import Inspector
from govhall.lib.errors import Conflict
from govhall.licences.actions import public_holder_name


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _desk(request: HttpRequest, template: str, context: dict[str, Any], status: int = 200) -> HttpResponse:
    return render(request, template, {"surface": "desk", **context}, status=status)


def _say(request: HttpRequest, exc: Exception) -> None:
    for message in exc.messages if isinstance(exc, ValidationError) else [str(exc)]:
        messages.error(request, message)


@staff_required
def desk_home(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    plans = list(queries.list_plans_for(user))
    for plan in plans:
        plan.roster_size = Inspector.objects.filter(department=plan.department, is_active=True).count()  # type: ignore[attr-defined]
        plan.draw_form = DrawForm(prefix=str(plan.public_id))  # type: ignore[attr-defined]
    return _desk(
        request,
        "inspections/desk_home.html",
        {
            "plans": plans,
            "inspections": queries.list_inspections_for(user)[:200],
            "needed": INSPECTORS_PER_INSPECTION,
        },
    )


@staff_required
@require_POST
def desk_draw(request: HttpRequest, public_id: str) -> HttpResponse:
    plan = queries.access_plan_for(_user(request), public_id)
    form = DrawForm(request.POST, prefix=str(plan.public_id))
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect("inspections:desk_home")
    try:
        draw = actions.draw_inspections(plan, actor=_user(request), **form.cleaned_data)
    except (ValidationError, PermissionDenied, Conflict) as exc:
        _say(request, exc)
        return redirect("inspections:desk_home")
    messages.success(request, _("已抽取 %(count)s 户，检查人员已收到通知。") % {"count": draw.inspections.count()})
    return redirect("inspections:desk_draw_detail", public_id=draw.public_id)


@staff_required
def desk_draw_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    draw = queries.access_draw_for(_user(request), public_id)
    form = VoidForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.void_draw(draw, actor=_user(request), reason=form.cleaned_data["reason"])
        except (ValidationError, PermissionDenied, Conflict) as exc:
            _say(request, exc)
        else:
            messages.success(request, _("抽查记录已作废，作废理由已公开。现在可以重新抽取本期。"))
            return redirect("inspections:desk_draw_detail", public_id=draw.public_id)
    return _desk(
        request,
        "inspections/desk_draw.html",
        {
            "draw": draw,
            "inspections": draw.inspections.select_related("licence").prefetch_related("inspectors"),
            "recheck": queries.recheck_draw(draw),
            "form": form,
        },
    )


@staff_required
def desk_inspection(request: HttpRequest, public_id: str) -> HttpResponse:
    user = _user(request)
    inspection = queries.access_inspection_for(user, public_id)
    form = ResultForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                actions.record_result(inspection, actor=user, **form.cleaned_data)
            except (ValidationError, PermissionDenied, Conflict) as exc:
                _say(request, exc)
                status = 409 if isinstance(exc, Conflict) else 400
            else:
                messages.success(request, _("检查结果已录入，已记入证照的历史记录并在门户公开。"))
                return redirect("inspections:inspection", public_id=inspection.public_id)
        else:
            status = 400
    return _desk(
        request,
        "inspections/desk_inspection.html",
        {
            "inspection": inspection,
            "form": form,
            "may_record": inspection.status == InspectionStatus.PLANNED and queries.is_inspector_of(user, inspection),
            "holder": public_holder_name(inspection.licence),
        },
        status=status,
    )


@staff_required
def desk_guidance(request: HttpRequest, public_id: str) -> HttpResponse:
    plan = queries.access_plan_for(_user(request), public_id)
    form = GuidanceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            notice = actions.send_guidance(actor=_user(request), licence_type=plan.licence_type, **form.cleaned_data)
        except (ValidationError, PermissionDenied) as exc:
            _say(request, exc)
        else:
            messages.success(request, _("政务指导通知已发送给 %(count)s 个持证账户。") % {"count": notice.recipients})
            return redirect("inspections:desk_home")
    return _desk(request, "inspections/desk_guidance.html", {"plan": plan, "form": form})


def public_draws(request: HttpRequest) -> HttpResponse:
    return render(request, "inspections/public_draws.html", {"draws": queries.list_public_draws()[:100]})


def public_draw(request: HttpRequest, public_id: str) -> HttpResponse:
    draw = queries.get_public_draw(public_id)
    results = [
        {
            "holder": public_holder_name(inspection.licence),
            "number": inspection.licence.number,
            "inspection": inspection,
        }
        for inspection in queries.public_results(draw)
    ]
    return render(
        request,
        "inspections/public_draw.html",
        {"draw": draw, "results": results, "recheck": queries.recheck_draw(draw)},
    )
