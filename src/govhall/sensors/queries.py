"""Reads of the sensors app, and the access gates of stations and alarms.

A staff member sees the stations (and their alarms) of the units where they hold a record
role, and every unit below them; "not yours" is 404 exactly as "does not exist". The public
picture (stations, latest values, active warnings) carries no personal data.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import Avg, Max, Min, Q, QuerySet, Sum
from django.db.models.functions import TruncHour
from django.http import Http404
from django.utils import timezone

from govhall.identity.constants import RECORD_ROLES, Role
from govhall.identity.models import User
from govhall.identity.queries import departments_covered
from govhall.lib.errors import uuid_or_404
from govhall.sensors.constants import OPEN_ALARM_STATUSES, SEVERITY_RANK, AlarmStatus, ElementKind, Severity
from govhall.sensors.models import (
    Alarm,
    DailyValue,
    Element,
    IngestProblem,
    LatestValue,
    Reading,
    Station,
    Subscription,
)

RANGES = ("24h", "7d", "year")


def stations_for(user: Any) -> QuerySet[Station]:
    """The stations of the staff member's units (and those below them)."""
    return Station.objects.filter(department_id__in=departments_covered(user, RECORD_ROLES))


def may_enrol_residents(user: Any) -> bool:
    """Clerks and supervisors enrol a village's residents for red warnings (actions.enrol_village_residents)."""
    return bool(departments_covered(user, [Role.CLERK, Role.SUPERVISOR]))


def access_station_for(user: Any, public_id: Any) -> Station:
    """A station in the staff member's scope; Http404 outside it exactly as for none."""
    station = stations_for(user).filter(public_id=public_id).prefetch_related("elements").first()
    if station is None:
        raise Http404
    return station


def access_alarm_for(user: Any, public_id: Any) -> Alarm:
    """An alarm of a station in the staff member's scope; Http404 outside it exactly as for none."""
    alarm = (
        Alarm.objects.filter(station__in=stations_for(user), public_id=public_id)
        .select_related("rule", "station")
        .first()
    )
    if alarm is None:
        raise Http404
    return alarm


def latest_by_station(stations: list[Station]) -> dict[int, list[LatestValue]]:
    values: dict[int, list[LatestValue]] = {s.pk: [] for s in stations}
    for value in (
        LatestValue.objects.filter(station__in=stations).select_related("element").order_by("element__sort_order")
    ):
        values[value.station_id].append(value)
    return values


def open_alarms(stations: Any) -> list[Alarm]:
    """Open alarms (pending ones too) of the stations, the most severe and newest first."""
    alarms = list(
        Alarm.objects.filter(station__in=stations, status__in=OPEN_ALARM_STATUSES).select_related("rule", "station")
    )
    alarms.sort(key=lambda a: (-SEVERITY_RANK[Severity(a.severity)], -(a.activated_at or a.started_at).timestamp()))
    return alarms


def recent_problems(stations: Any, limit: int = 20) -> QuerySet[IngestProblem]:
    """Recent ingest problems of the stations (and of unknown stations and topics, which no unit owns)."""
    codes = list(stations.values_list("code", flat=True))
    known = Station.objects.values_list("code", flat=True)
    return IngestProblem.objects.filter(Q(station_code__in=codes) | ~Q(station_code__in=known)).order_by(
        "-received_at", "-pk"
    )[:limit]


@dataclass
class PublicStation:
    name: str
    kind: str
    township: str
    village: str
    state: str
    values: list[tuple[str, str, str]]  # (element name, value, unit)
    observed_at: datetime.datetime | None


def public_picture() -> tuple[list[PublicStation], list[dict[str, Any]]]:
    """Stations with their newest values and the active warnings, for anyone: no personal data.

    Pending alarms (not yet held long enough) are not shown; technical alarms (a battery, a
    door, a silent station) say only that the station is being serviced.
    """
    stations = list(Station.objects.filter(is_active=True).order_by("township", "village", "name"))
    latest = latest_by_station(stations)
    picture = []
    for s in stations:
        shown = [
            (v.element.name, f"{round(v.value, 2):g}", v.element.unit)
            for v in latest[s.pk]
            if v.element.kind != ElementKind.STATUS and v.element_id != "VT" and not v.quality
        ]
        observed = max((v.observed_at for v in latest[s.pk]), default=None)
        picture.append(
            PublicStation(
                s.name, s.get_station_type_display(), s.township, s.village, s.get_connection_display(), shown, observed
            )
        )
    warnings = [
        {
            "severity": a.severity,
            "severity_label": a.get_severity_display(),
            "rule": a.rule.name,
            "station": a.station.name,
            "village": a.station.village,
            "since": a.activated_at,
        }
        for a in open_alarms(Station.objects.filter(is_active=True))
        if a.status != AlarmStatus.PENDING and a.rule.notice_kind in ("flood", "drought")
    ]
    return picture, warnings


def chart_series(
    station: Station, element: Element, span: str, *, now: datetime.datetime | None = None
) -> list[tuple[str, float]]:
    """The points of a station's chart: 24 h of raw readings, 7 days by hour, or the year by day.

    Rainfall and intake volume (increments) are summed per bucket; levels are averaged. Flagged
    (impossible) readings are left out.
    """
    now = now or timezone.now()
    increment = element.kind == ElementKind.INCREMENT
    if span == "year":
        first = timezone.localdate(now) - datetime.timedelta(days=365)
        rows = DailyValue.objects.filter(station=station, element=element, day__gt=first).order_by("day")
        return [
            (row.day.isoformat(), round(row.total if increment else row.total / max(row.count, 1), 3)) for row in rows
        ]
    readings = Reading.objects.filter(station=station, element=element, quality=0)
    if span == "7d":
        hours = (
            readings.filter(observed_at__gt=now - datetime.timedelta(days=7), observed_at__lte=now)
            .annotate(hour=TruncHour("observed_at"))
            .values("hour")
            .annotate(total=Sum("value"), mean=Avg("value"), low=Min("value"), high=Max("value"))
            .order_by("hour")
        )
        return [
            (timezone.localtime(h["hour"]).strftime("%m-%d %H:00"), round(h["total"] if increment else h["mean"], 3))
            for h in hours
        ]
    rows24 = readings.filter(observed_at__gt=now - datetime.timedelta(hours=24), observed_at__lte=now).order_by(
        "observed_at"
    )
    return [(timezone.localtime(r.observed_at).strftime("%H:%M"), r.value) for r in rows24.only("observed_at", "value")]


def list_subscriptions(user: User) -> QuerySet[Subscription]:
    return Subscription.objects.filter(user=user, is_active=True).order_by("village", "is_statutory")


def access_subscription_for(user: User, public_id: Any) -> Subscription:
    """One of the user's own subscriptions; Http404 for another's exactly as for none."""
    sub = list_subscriptions(user).filter(public_id=uuid_or_404(public_id)).first()
    if sub is None:
        raise Http404
    return sub


def list_villages() -> list[tuple[str, str]]:
    """(township, village) of the villages that have a station, for the subscription form."""
    return list(
        Station.objects.filter(is_active=True)
        .exclude(village="")
        .values_list("township", "village")
        .distinct()
        .order_by("township", "village")
    )
