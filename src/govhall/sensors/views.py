"""Sensor pages: the desk (stations, alarms to acknowledge, a chart per station, enrolment), the
workspace's subscriptions, and the public picture."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from govhall.identity.decorators import applicant_required, staff_required
from govhall.identity.models import User
from govhall.sensors import actions, queries
from govhall.sensors.forms import EnrolForm, SubscribeForm
from govhall.sensors.models import Element


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _desk(request: HttpRequest, template: str, context: dict[str, Any], status: int = 200) -> HttpResponse:
    """Render a staff page in the desk's frame."""
    return render(request, template, {"surface": "desk", **context}, status=status)


def _say_errors(request: HttpRequest, exc: ValidationError | PermissionDenied) -> None:
    for message in exc.messages if isinstance(exc, ValidationError) else [str(exc)]:
        messages.error(request, message)


@staff_required
def desk_home(request: HttpRequest) -> HttpResponse:
    """The stations of the user's units with their newest values, open alarms to acknowledge, ingest problems."""
    stations_qs = queries.stations_for(request.user)
    stations = list(stations_qs.order_by("township", "village", "name"))
    latest = queries.latest_by_station(stations)
    return _desk(
        request,
        "sensors/desk_home.html",
        {
            "rows": [(s, latest[s.pk]) for s in stations],
            "alarms": queries.open_alarms(stations_qs),
            "problems": queries.recent_problems(stations_qs),
        },
    )


@staff_required
def desk_station(request: HttpRequest, public_id: Any) -> HttpResponse:
    """One station: its chart (24 h, 7 days, a year by day) with the same figures in a table."""
    station = queries.access_station_for(request.user, public_id)
    elements = [e for e in station.elements.all() if e.kind != "status"]
    code = request.GET.get("element") or (elements[0].code if elements else "")
    element = next((e for e in elements if e.code == code), elements[0] if elements else None)
    span = request.GET.get("range", "24h")
    span = span if span in queries.RANGES else "24h"
    points = queries.chart_series(station, element, span) if isinstance(element, Element) else []
    thresholds = [
        {"name": name, "value": value}
        for name, value in (
            (_("设防水位"), station.fortified_level),
            (_("警戒水位"), station.warning_level),
            (_("保证水位"), station.guaranteed_level),
        )
        if value is not None and element is not None and element.code in ("Z", "RZ")
    ]
    return _desk(
        request,
        "sensors/desk_station.html",
        {
            "station": station,
            "elements": elements,
            "element": element,
            "span": span,
            "spans": [("24h", _("24小时")), ("7d", _("7天（按小时）")), ("year", _("一年（按日）"))],
            "points": points,
            "chart": {
                "labels": [p[0] for p in points],
                "values": [p[1] for p in points],
                "unit": element.unit if element else "",
                "name": element.name if element else "",
                "bar": bool(element and element.kind == "increment"),
                "thresholds": thresholds,
            },
            "alarms": queries.open_alarms([station]),
        },
    )


@staff_required
@require_POST
def desk_alarm_action(request: HttpRequest, public_id: Any, action: str) -> HttpResponse:
    """Acknowledge (签收) an alarm, or clear it by hand with a reason."""
    alarm = queries.access_alarm_for(request.user, public_id)
    try:
        if action == "acknowledge":
            actions.acknowledge_alarm(alarm, actor=_user(request), note=request.POST.get("note", ""))
            messages.success(request, _("已签收报警：%(rule)s。") % {"rule": alarm.rule.name})
        elif action == "clear":
            actions.clear_alarm(alarm, actor=_user(request), reason=request.POST.get("reason", ""))
            messages.success(request, _("已手动解除报警：%(rule)s。") % {"rule": alarm.rule.name})
        else:
            return HttpResponse(status=404)
    except (ValidationError, PermissionDenied) as exc:
        _say_errors(request, exc)
    back = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(back, {request.get_host()}, request.is_secure()):
        return redirect(back)
    return redirect("sensors:desk_home")


@staff_required
def desk_enrol(request: HttpRequest) -> HttpResponse:
    """The bureau enrols a village's residents for red warnings (its statutory duty to warn)."""
    if not queries.may_enrol_residents(request.user):
        raise PermissionDenied(_("您没有登记村民预警订阅的岗位角色。"))
    form = EnrolForm(request.POST or None, villages=queries.list_villages())
    if request.method == "POST" and form.is_valid():
        numbers = form.cleaned_data["id_numbers"].split()
        try:
            enrolled, missing = actions.enrol_village_residents(
                actor=_user(request), village=form.cleaned_data["village"], id_numbers=numbers
            )
        except (ValidationError, PermissionDenied) as exc:
            _say_errors(request, exc)
        else:
            messages.success(request, _("已登记 %(count)s 位村民接收红色预警。") % {"count": enrolled})
            if missing:
                messages.warning(
                    request, _("以下身份证号码没有登记的人员：%(numbers)s") % {"numbers": "、".join(missing)}
                )
            return redirect("sensors:desk_enrol")
    return _desk(request, "sensors/desk_enrol.html", {"form": form}, status=400 if form.errors else 200)


@applicant_required
def my_subscriptions(request: HttpRequest) -> HttpResponse:
    """The villager's warning subscriptions: subscribe to a village, change or end one."""
    user = _user(request)
    form = SubscribeForm(request.POST or None, villages=queries.list_villages())
    if request.method == "POST":
        if request.POST.get("end"):
            sub = queries.access_subscription_for(user, request.POST["end"])
            try:
                actions.end_subscription(user, sub)
                messages.success(request, _("已取消订阅 %(village)s 的预警。") % {"village": sub.village})
            except PermissionDenied as exc:
                _say_errors(request, exc)
            return redirect("sensors:my_subscriptions")
        if form.is_valid():
            try:
                actions.subscribe_village(user, **form.cleaned_data)
            except ValidationError as exc:
                _say_errors(request, exc)
            else:
                messages.success(
                    request,
                    _("已订阅 %(village)s 的预警。红色预警会立即通知您。") % {"village": form.cleaned_data["village"]},
                )
                return redirect("sensors:my_subscriptions")
    return render(
        request,
        "sensors/my_subscriptions.html",
        {"surface": "workspace", "form": form, "subscriptions": queries.list_subscriptions(user)},
        status=400 if form.errors else 200,
    )


def public_board(request: HttpRequest) -> HttpResponse:
    """Rain, water levels and active warnings for anyone: no personal data."""
    stations, warnings = queries.public_picture()
    return render(request, "sensors/public.html", {"stations": stations, "warnings": warnings})
