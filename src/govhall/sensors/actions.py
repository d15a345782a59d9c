"""Every write of the sensors app: the registry, storing readings, the alarm life cycle, notices,
subscriptions and the sweep.

Storing a batch of MQTT messages is one transaction (``store_messages``): readings inserted
once each (their primary key is (station, element, observed time); a duplicate is skipped by
the database), the day aggregates, the latest values and the rainfall windows brought up to
date, the alarms of the touched stations evaluated and their notices queued — and only after
it commits does the subscriber acknowledge the messages to the broker.

Readings are telemetry, not a person's act: they are not audited one by one (the audit chain
would serialise 5,000 writes a second on its head row). Every alarm transition, every
acknowledgement and every change to the registry and to a subscription is audited.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import logging
import secrets
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Q, Sum
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from govhall.audit.actions import record
from govhall.identity.constants import RECORD_ROLES, Role
from govhall.identity.models import Department, Membership, NaturalPerson, User
from govhall.identity.queries import departments_covered, find_person_by_id_number
from govhall.lib.crypto import decrypt_text
from govhall.lib.errors import Conflict
from govhall.licences.actions import holder_accounts
from govhall.licences.models import Licence
from govhall.proactive.actions import notify, notify_contact
from govhall.sensors.constants import (
    OPEN_ALARM_STATUSES,
    RAIN_WINDOWS,
    RAINFALL,
    SEVERITY_RANK,
    STATUS,
    TRANSITIONS,
    AlarmStatus,
    Channel,
    Condition,
    ConnectionState,
    Direction,
    NoticeKind,
    NoticeOutcome,
    Severity,
)
from govhall.sensors.ingest import ElementInfo, Message, Parsed, StationInfo, parse_messages
from govhall.sensors.models import (
    Alarm,
    AlarmNotice,
    AlarmRule,
    DutyShift,
    Element,
    IngestProblem,
    LatestValue,
    RainfallWindow,
    Station,
    Subscription,
)

log = logging.getLogger("govhall.sensors")


class InvalidTransition(Conflict):
    """The alarm is not in a status from which this action is allowed."""


# The registry as the subscriber sees it --------------------------------------------------------

REGISTRY_SECONDS = 30


@dataclass
class _Registry:
    stations: dict[str, StationInfo] = field(default_factory=dict)
    elements: dict[str, ElementInfo] = field(default_factory=dict)
    rules: list[AlarmRule] = field(default_factory=list)
    loaded_at: float = 0.0


_registry = _Registry()


def forget_registry() -> None:
    """Make the next batch read stations, elements and rules again (tests; a registry edit waits ≤ 30 s)."""
    _registry.loaded_at = 0.0


def _current_registry() -> _Registry:
    # Each subscriber process keeps its own copy for REGISTRY_SECONDS; nothing here is shared state:
    if time.monotonic() - _registry.loaded_at > REGISTRY_SECONDS:
        elements_of: dict[int, set[str]] = defaultdict(set)
        for station_id, code in Station.elements.through.objects.values_list("station_id", "element_id"):
            elements_of[station_id].add(code)
        _registry.stations = {
            s.code: StationInfo(s.pk, s.code, s.region, frozenset(elements_of[s.pk]))
            for s in Station.objects.filter(is_active=True).only("pk", "code", "region")
        }
        _registry.elements = {e.code: ElementInfo(e.code, e.unit, e.minimum, e.maximum) for e in Element.objects.all()}
        _registry.rules = list(AlarmRule.objects.filter(is_active=True).select_related("element"))
        _registry.loaded_at = time.monotonic()
    return _registry


# Registry writes -------------------------------------------------------------------------------


def _mosquitto_hash(password: str) -> str:
    """The password file entry Mosquitto 2 writes itself (``$7$``: PBKDF2-SHA512, 101 rounds, 12-byte salt)."""
    salt = secrets.token_bytes(12)
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, 101)
    return f"$7$101${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


@transaction.atomic
def issue_station_password(station: Station, *, actor: Any) -> str:
    """Give the station a new MQTT password; return it (shown once to the installer, kept only hashed).

    The broker learns it when ``sensors_broker_files`` is run again (and Mosquitto reloads).
    """
    password = secrets.token_urlsafe(18)
    station.mqtt_password_hash = _mosquitto_hash(password)
    station.save(update_fields=["mqtt_password_hash"])
    record("sensors.station_password_issued", actor, station, {"code": station.code})
    return password


@transaction.atomic
def save_station(*, actor: Any, elements: list[str], station: Station | None = None, **fields: Any) -> Station:
    """Create or change a station of the registry with the elements it measures (SL 651 identifiers).

    Raises ValidationError for an unknown element or invalid fields.
    """
    known = set(Element.objects.filter(code__in=elements).values_list("code", flat=True))
    unknown = sorted(set(elements) - known)
    if unknown:
        raise ValidationError({"elements": _("没有这些监测要素：%(codes)s") % {"codes": "、".join(unknown)}})
    created = station is None
    station = station or Station()
    for name, value in fields.items():
        setattr(station, name, value)
    station.full_clean(exclude=["elements", "mqtt_password_hash"])
    station.save()
    station.elements.set(Element.objects.filter(code__in=elements))
    record("sensors.station_saved", actor, station, {"code": station.code, "created": created, "elements": elements})
    forget_registry()
    return station


@transaction.atomic
def link_intake_to_licence(
    station: Station, *, licence_identifier: str, yearly_volume: float | None = None, actor: Any
) -> Station:
    """Link a water-intake station to its 取水许可 (by 证照标识) and the yearly volume it allows (m³).

    The volume is the licence's face field ``annual_volume_m3`` when it has one, else ``yearly_volume``.
    Raises ValidationError if the licence is unknown or no volume is known.
    """
    from govhall.licences.queries import licences_by_identifier

    licence: Licence | None = licences_by_identifier([licence_identifier]).get(licence_identifier)
    if licence is None:
        raise ValidationError({"licence": _("没有这个证照标识的取水许可证。")})
    face_volume = (licence.face or {}).get("annual_volume_m3")
    volume = float(face_volume) if face_volume not in (None, "") else yearly_volume
    if not volume or volume <= 0:
        raise ValidationError({"licensed_yearly_volume": _("请填写许可年取水量（立方米）。")})
    station.licence = licence
    station.licensed_yearly_volume = volume
    station.save(update_fields=["licence", "licensed_yearly_volume"])
    record("sensors.intake_linked", actor, station, {"licence": licence.identifier, "volume": volume})
    return station


# Storing readings ------------------------------------------------------------------------------


@dataclass
class StoreResult:
    received: int = 0
    stored: int = 0
    duplicates: int = 0
    problems: int = 0
    alarms_changed: int = 0
    notices: int = 0


def _db_time(moment: datetime.datetime | None) -> Any:
    """A time as the ORM would store it (on SQLite: naive UTC text), for the hand-written statements."""
    return None if moment is None else connection.ops.adapt_datetimefield_value(moment)


def _insert_readings(rows: list[tuple[int, str, datetime.datetime, float, int]]) -> list[tuple[Any, ...]]:
    """Insert the readings; return those that were new (a duplicate of a stored one is skipped)."""
    inserted: list[tuple[Any, ...]] = []
    unique = sorted({(r[0], r[1], r[2]): r for r in rows}.values(), key=lambda r: (r[0], r[1], r[2]))
    with connection.cursor() as cursor:
        for start in range(0, len(unique), 1000):
            chunk = unique[start : start + 1000]
            placeholders = ",".join(["(%s,%s,%s,%s,%s)"] * len(chunk))
            params = [value for r in chunk for value in (r[0], r[1], _db_time(r[2]), r[3], r[4])]
            cursor.execute(
                "INSERT INTO sensors_reading (station_id, element_id, observed_at, value, quality) "
                f"VALUES {placeholders} ON CONFLICT DO NOTHING "
                "RETURNING station_id, element_id, observed_at, value, quality",
                params,
            )
            inserted.extend(cursor.fetchall())
    return inserted


def _as_aware(moment: Any) -> datetime.datetime:
    # SQLite's RETURNING gives the stored text back:
    if isinstance(moment, str):
        moment = datetime.datetime.fromisoformat(moment)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    return moment


def _upsert_daily_and_latest(inserted: list[tuple[Any, ...]]) -> None:
    days: dict[tuple[int, str, datetime.date], list[Any]] = {}
    latest: dict[tuple[int, str], tuple[datetime.datetime, float, int]] = {}
    for station_id, element_id, observed_at, value, quality in inserted:
        moment = _as_aware(observed_at)
        key2 = (station_id, element_id)
        if key2 not in latest or moment > latest[key2][0]:
            latest[key2] = (moment, value, quality)
        if quality:
            continue  # an impossible value is kept, but never counted
        key = (station_id, element_id, timezone.localtime(moment).date())
        day = days.get(key)
        if day is None:
            days[key] = [1, value, value, value, moment, value]
        else:
            day[0] += 1
            day[1] += value
            day[2] = min(day[2], value)
            day[3] = max(day[3], value)
            if moment > day[4]:
                day[4], day[5] = moment, value
    least, greatest = ("LEAST", "GREATEST") if connection.vendor == "postgresql" else ("MIN", "MAX")
    with connection.cursor() as cursor:
        rows = sorted(days.items())
        for start in range(0, len(rows), 500):
            chunk = rows[start : start + 500]
            cursor.execute(
                "INSERT INTO sensors_dailyvalue (station_id, element_id, day, count, total, minimum, maximum, last_at, last_value) "
                f"VALUES {','.join(['(%s,%s,%s,%s,%s,%s,%s,%s,%s)'] * len(chunk))} "
                "ON CONFLICT (station_id, element_id, day) DO UPDATE SET "
                "count = sensors_dailyvalue.count + excluded.count, "
                "total = sensors_dailyvalue.total + excluded.total, "
                f"minimum = {least}(sensors_dailyvalue.minimum, excluded.minimum), "
                f"maximum = {greatest}(sensors_dailyvalue.maximum, excluded.maximum), "
                "last_value = CASE WHEN excluded.last_at >= sensors_dailyvalue.last_at "
                "THEN excluded.last_value ELSE sensors_dailyvalue.last_value END, "
                f"last_at = {greatest}(sensors_dailyvalue.last_at, excluded.last_at)",
                [
                    v
                    for (s, e, d), (n, t, lo, hi, at, last) in chunk
                    for v in (s, e, d, n, t, lo, hi, _db_time(at), last)
                ],
            )
        rows2 = sorted(latest.items())
        for start in range(0, len(rows2), 500):
            chunk2 = rows2[start : start + 500]
            cursor.execute(
                "INSERT INTO sensors_latestvalue (station_id, element_id, observed_at, value, quality) "
                f"VALUES {','.join(['(%s,%s,%s,%s,%s)'] * len(chunk2))} "
                "ON CONFLICT (station_id, element_id) DO UPDATE SET "
                "value = excluded.value, quality = excluded.quality, observed_at = excluded.observed_at "
                "WHERE excluded.observed_at > sensors_latestvalue.observed_at",
                [v for (s, e), (m, val, q) in chunk2 for v in (s, e, _db_time(m), val, q)],
            )


def _advance_rainfall_windows(inserted: list[tuple[Any, ...]]) -> None:
    """Move each rain gauge's 1/3/6/12/24 h rainfall by what this batch added, exactly.

    A window ending at the newest reading T holds the readings in (T − h, T]. When a batch
    brings T forward to T′, the window gains the batch's readings inside (T′ − h, T′] and
    loses the stored ones in (T − h, T′ − h] — the batch's span, a minute or so of readings —
    so a batch never re-reads 24 hours of minute data (which made ingest slow down as the
    day filled up). A late reading only adds itself to the windows that cover it. A station
    without windows yet gets the full sum once.
    """
    batch: dict[int, list[tuple[datetime.datetime, float]]] = defaultdict(list)
    for station_id, element_id, observed_at, value, quality in inserted:
        if element_id == RAINFALL and not quality:
            batch[station_id].append((_as_aware(observed_at), value))
    if not batch:
        return
    current = {w.station_id: w for w in RainfallWindow.objects.select_for_update().filter(station_id__in=list(batch))}
    _refresh_rainfall_windows(sorted(set(batch) - set(current)))
    hour = datetime.timedelta(hours=1)
    newest = {s: max(w.as_of, *(t for t, _v in batch[s])) for s, w in current.items()}
    spans = [
        (s, h, w.as_of - h * hour, newest[s] - h * hour)
        for s, w in current.items()
        if newest[s] > w.as_of
        for h in RAIN_WINDOWS
    ]
    leaving: dict[tuple[int, int], float] = defaultdict(float)
    for start in range(0, len(spans), 400):
        chunk = spans[start : start + 400]
        with connection.cursor() as cursor:
            cursor.execute(
                f"WITH span(station_id, hours, low, high) AS (VALUES {','.join(['(%s,%s,%s,%s)'] * len(chunk))}) "
                "SELECT span.station_id, span.hours, SUM(r.value) FROM span JOIN sensors_reading r "
                "ON r.station_id = span.station_id AND r.element_id = %s AND r.quality = 0 "
                "AND r.observed_at > span.low AND r.observed_at <= span.high GROUP BY span.station_id, span.hours",
                [v for s, h, low, high in chunk for v in (s, h, _db_time(low), _db_time(high))] + [RAINFALL],
            )
            for station_id, hours, total in cursor.fetchall():
                leaving[(station_id, hours)] = float(total or 0)
    for s, w in current.items():
        old_end, end = w.as_of, newest[s]
        for h in RAIN_WINDOWS:
            edge, old_edge = end - h * hour, old_end - h * hour
            gained = sum(v for t, v in batch[s] if edge < t <= end)
            # The scan of the leaving span also met this batch's own late readings there, never counted:
            counted_leaving = leaving[(s, h)] - sum(v for t, v in batch[s] if old_edge < t <= edge)
            setattr(w, f"h{h}", max(0.0, round(w.window(h) + gained - counted_leaving, 6)))
        w.as_of = end
    # One upsert statement (bulk_update's CASE per row and field costs half a second for 200 stations):
    RainfallWindow.objects.bulk_create(
        list(current.values()),
        update_conflicts=True,
        unique_fields=["station"],
        update_fields=["as_of", *[f"h{h}" for h in RAIN_WINDOWS]],
    )


def _refresh_rainfall_windows(station_ids: list[int]) -> None:
    """Recompute the 1/3/6/12/24 h rainfall of the stations, ending at each one's newest rainfall reading."""
    if not station_ids:
        return
    if connection.vendor == "postgresql":
        edge = "l.observed_at - interval '{h} hours'"
    else:
        edge = "datetime(l.observed_at, '-{h} hours')"
        # (SQLite keeps times as text; datetime() drops the fraction, so compare on the same form:)
    observed = "r.observed_at" if connection.vendor == "postgresql" else "datetime(r.observed_at)"
    sums = ", ".join(
        f"COALESCE(SUM(CASE WHEN {observed} > {edge.format(h=h)} THEN r.value ELSE 0 END), 0)" for h in RAIN_WINDOWS
    )
    placeholders = ",".join(["%s"] * len(station_ids))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT l.station_id, l.observed_at, {sums} FROM sensors_latestvalue l "
            "LEFT JOIN sensors_reading r ON r.station_id = l.station_id AND r.element_id = l.element_id "
            f"AND r.quality = 0 AND r.observed_at <= l.observed_at AND {observed} > {edge.format(h=24)} "
            f"WHERE l.element_id = %s AND l.station_id IN ({placeholders}) GROUP BY l.station_id, l.observed_at",
            [RAINFALL, *station_ids],
        )
        rows = cursor.fetchall()
    windows = [
        RainfallWindow(
            station_id=row[0],
            as_of=_as_aware(row[1]),
            **{f"h{h}": round(row[2 + i], 3) for i, h in enumerate(RAIN_WINDOWS)},
        )
        for row in rows
    ]
    RainfallWindow.objects.bulk_create(
        windows,
        update_conflicts=True,
        unique_fields=["station"],
        update_fields=["as_of", *[f"h{h}" for h in RAIN_WINDOWS]],
    )


def _record_problems(parsed: Parsed) -> None:
    for problem in parsed.problems:
        log.warning(
            "sensors ingest: %s on %s (%s): %s", problem.kind, problem.topic, problem.station_code, problem.detail
        )
    IngestProblem.objects.bulk_create(
        [
            IngestProblem(
                kind=p.kind,
                topic=p.topic[:200],
                station_code=p.station_code[:40],
                detail=p.detail[:300],
                payload=p.payload,
            )
            for p in parsed.problems
        ]
    )


def _update_stations(parsed: Parsed, observed: dict[int, datetime.datetime]) -> None:
    """Last seen, newest observation and connection state of the batch's stations, in one statement."""
    ids = sorted(set(parsed.seen) | set(observed) | set(parsed.states))
    if not ids:
        return
    rows = [
        (
            i,
            _db_time(parsed.seen.get(i)),
            _db_time(observed.get(i)),
            parsed.states.get(i, "online" if i in parsed.seen else None),
        )
        for i in ids
    ]
    if connection.vendor == "postgresql":
        values = ",".join(["(%s::bigint, %s::timestamptz, %s::timestamptz, %s::varchar)"] * len(rows))
        newest = "GREATEST(COALESCE(s.{0}, v.{1}), v.{1})"
    else:
        values = ",".join(["(%s, %s, %s, %s)"] * len(rows))
        newest = "MAX(COALESCE(s.{0}, v.{1}), COALESCE(v.{1}, s.{0}))"
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH v(id, seen, observed, state) AS (VALUES {values}) "
            "UPDATE sensors_station AS s SET "
            f"last_seen_at = COALESCE({newest.format('last_seen_at', 'seen')}, s.last_seen_at), "
            f"last_observed_at = COALESCE({newest.format('last_observed_at', 'observed')}, s.last_observed_at), "
            "connection = COALESCE(v.state, s.connection) FROM v WHERE s.id = v.id",
            [x for row in rows for x in row],
        )


@transaction.atomic
def store_messages(messages: list[Message], *, now: datetime.datetime | None = None) -> StoreResult:
    """Store a batch of MQTT messages in one transaction and evaluate the alarms of the stations they touch.

    Nothing is dropped silently: what cannot be stored becomes an ``IngestProblem`` (and a log
    line). A reading already stored (a redelivery, a duplicate) is skipped by its primary key.
    """
    now = now or timezone.now()
    registry = _current_registry()
    parsed = parse_messages(messages, registry.stations, registry.elements)
    if any(p.kind == "unknown_station" for p in parsed.problems) and registry.loaded_at:
        # A station registered a moment ago: read the registry again before calling it unknown.
        forget_registry()
        registry = _current_registry()
        parsed = parse_messages(messages, registry.stations, registry.elements)
    result = StoreResult(received=len(parsed.readings), problems=len(parsed.problems))
    inserted = _insert_readings(parsed.readings) if parsed.readings else []
    result.stored = len(inserted)
    result.duplicates = len(parsed.readings) - len(inserted)
    if result.duplicates:
        log.info("sensors ingest: %d duplicate readings skipped", result.duplicates)
    if inserted:
        _upsert_daily_and_latest(inserted)
        _advance_rainfall_windows(inserted)
    _record_problems(parsed)
    for station_id, state in parsed.states.items():
        if state == "offline":
            log.info("sensors: station %s said offline (last will or goodbye)", station_id)
    observed: dict[int, datetime.datetime] = {}
    for r in inserted:
        moment = _as_aware(r[2])
        if r[0] not in observed or moment > observed[r[0]]:
            observed[r[0]] = moment
    _update_stations(parsed, observed)
    if inserted:
        changed, notices = evaluate_stations(sorted(observed), now=now, rules=registry.rules)
        result.alarms_changed, result.notices = changed, notices
    return result


# Alarm evaluation ------------------------------------------------------------------------------


def rules_for(station: Station, rules: list[AlarmRule]) -> list[AlarmRule]:
    """The active rules that apply to a station: its own, and those of its area and type."""
    chosen = []
    for rule in rules:
        if rule.station_id is not None:
            if rule.station_id == station.pk:
                chosen.append(rule)
            continue
        if rule.station_type and rule.station_type != station.station_type:
            continue
        if rule.township and rule.township != station.township:
            continue
        if rule.village and rule.village != station.village:
            continue
        if rule.element_id and not any(e == rule.element_id for e in _station_elements(station)):
            continue
        chosen.append(rule)
    return chosen


def _station_elements(station: Station) -> list[str]:
    cached = getattr(station, "_element_codes", None)
    if cached is None:
        cached = [e.code for e in station.elements.all()]
        station._element_codes = cached  # type: ignore[attr-defined]
    return cached


def _yearly_volumes(stations: list[Station], element_codes: set[str], year: int) -> dict[int, float]:
    from govhall.sensors.models import DailyValue

    rows = (
        DailyValue.objects.filter(
            station__in=stations,
            element_id__in=element_codes,
            day__gte=datetime.date(year, 1, 1),
            day__lte=datetime.date(year, 12, 31),
        )
        .values("station_id")
        .annotate(volume=Sum("total"))
    )
    return {row["station_id"]: float(row["volume"] or 0) for row in rows}


def _measure(
    rule: AlarmRule,
    station: Station,
    latest: dict[tuple[int, str], LatestValue],
    windows: dict[int, RainfallWindow],
    volumes: dict[int, float],
) -> tuple[float | None, datetime.datetime | None]:
    """The value the rule compares with its threshold, and its observed time (None: nothing to judge)."""
    if rule.condition == Condition.THRESHOLD and rule.element_id:
        if rule.window_hours:
            window = windows.get(station.pk)
            if window is None or rule.window_hours not in RAIN_WINDOWS:
                return None, None
            return window.window(rule.window_hours), window.as_of
        value = latest.get((station.pk, rule.element_id))
        if value is None or value.quality:
            return None, None
        return value.value, value.observed_at
    if rule.condition == Condition.STATUS_BIT:
        value = latest.get((station.pk, rule.element_id or STATUS))
        if value is None or value.quality:
            return None, None
        return float((int(value.value) >> int(rule.threshold)) & 1), value.observed_at
    if rule.condition == Condition.INTAKE_VOLUME:
        if not station.licensed_yearly_volume or station.pk not in volumes:
            return None, None
        return round(100 * volumes[station.pk] / station.licensed_yearly_volume, 2), station.last_observed_at
    return None, None


def _is_met(rule: AlarmRule, value: float) -> bool:
    if rule.condition == Condition.STATUS_BIT:
        return value >= 1
    return value >= rule.threshold if rule.direction == Direction.ABOVE else value <= rule.threshold


def _is_clear(rule: AlarmRule, value: float) -> bool:
    """Hysteresis: an alarm clears only once the value is back past the threshold by the margin."""
    if rule.condition == Condition.STATUS_BIT:
        return value < 1
    if rule.direction == Direction.ABOVE:
        return value < rule.threshold - rule.hysteresis
    return value > rule.threshold + rule.hysteresis


def evaluate_stations(
    station_ids: list[int], *, now: datetime.datetime, rules: list[AlarmRule] | None = None
) -> tuple[int, int]:
    """Evaluate every rule that applies to these stations; return (alarms changed, notices queued).

    Runs inside the caller's transaction (``store_messages``). Locks the open alarms of the
    stations; a new alarm relies on the one-open-alarm constraint.
    """
    rules = rules if rules is not None else list(AlarmRule.objects.filter(is_active=True).select_related("element"))
    stations = list(Station.objects.filter(pk__in=station_ids).prefetch_related("elements"))
    latest = {(v.station_id, v.element_id): v for v in LatestValue.objects.filter(station_id__in=station_ids)}
    windows = {w.station_id: w for w in RainfallWindow.objects.filter(station_id__in=station_ids)}
    open_alarms = {
        (a.rule_id, a.station_id): a
        for a in Alarm.objects.select_for_update()
        .filter(station_id__in=station_ids, status__in=OPEN_ALARM_STATUSES)
        .select_related("rule", "station")
    }
    intake_rules = [r for r in rules if r.condition == Condition.INTAKE_VOLUME]
    volumes: dict[int, float] = {}
    if intake_rules:
        codes = {r.element_id for r in intake_rules if r.element_id}
        volumes = _yearly_volumes(stations, codes, timezone.localdate(now).year)
    changed = notices = 0
    for station in stations:
        for rule in rules_for(station, rules):
            if rule.condition == Condition.OFFLINE:
                continue
            value, at = _measure(rule, station, latest, windows, volumes)
            if value is None or at is None:
                continue
            alarm = open_alarms.get((rule.pk, station.pk))
            c, n = _step(rule, station, alarm, value, at, now)
            changed += c
            notices += n
    return changed, notices


def _step(
    rule: AlarmRule,
    station: Station,
    alarm: Alarm | None,
    value: float,
    at: datetime.datetime,
    now: datetime.datetime,
) -> tuple[int, int]:
    """One rule at one station with its newest value: open, hold, activate, update or clear its alarm."""
    if alarm is None:
        if not _is_met(rule, value):
            return 0, 0
        alarm = Alarm.objects.create(
            rule=rule,
            station=station,
            severity=rule.severity,
            value=value,
            peak_value=value,
            started_at=at,
            last_met_at=at,
        )
        record("sensors.alarm_pending", None, alarm, {"rule": rule.name, "station": station.code, "value": value})
        if rule.hold_minutes == 0:
            return 1, _activate(alarm, now)
        return 1, 0
    if at < alarm.last_met_at and alarm.status != AlarmStatus.PENDING:
        return 0, 0  # an older value arriving late never reopens or clears an alarm
    if _is_met(rule, value):
        alarm.value = value
        alarm.peak_value = value if alarm.peak_value is None else _peak(rule, alarm.peak_value, value)
        alarm.last_met_at = max(alarm.last_met_at, at)
        fields = ["value", "peak_value", "last_met_at"]
        if alarm.status == AlarmStatus.PENDING and alarm.last_met_at - alarm.started_at >= datetime.timedelta(
            minutes=rule.hold_minutes
        ):
            alarm.save(update_fields=fields)
            return 1, _activate(alarm, now)
        alarm.save(update_fields=fields)
        return 0, 0
    if alarm.status == AlarmStatus.PENDING or _is_clear(rule, value):
        alarm.value = value
        _clear(alarm, now, actor=None, reason="condition_ended")
        return 1, 0
    alarm.value = value  # inside the hysteresis band: still open
    alarm.save(update_fields=["value"])
    return 0, 0


def _peak(rule: AlarmRule, old: float, new: float) -> float:
    return min(old, new) if rule.direction == Direction.BELOW else max(old, new)


def _move(alarm: Alarm, to: str) -> None:
    if to not in TRANSITIONS[alarm.status]:
        raise InvalidTransition(
            _("报警当前为“%(status)s”，不能进行这个操作。") % {"status": alarm.get_status_display()},
            code="invalid_transition",
        )
    alarm.status = to


def _activate(alarm: Alarm, now: datetime.datetime) -> int:
    _move(alarm, AlarmStatus.ACTIVE)
    alarm.activated_at = now
    alarm.save(update_fields=["status", "activated_at", "value", "peak_value", "last_met_at"])
    record(
        "sensors.alarm_active",
        None,
        alarm,
        {"rule": alarm.rule.name, "station": alarm.station.code, "severity": alarm.severity, "value": alarm.value},
    )
    return send_alarm_notices(alarm, now=now)


def _clear(alarm: Alarm, now: datetime.datetime, *, actor: Any, reason: str) -> None:
    _move(alarm, AlarmStatus.CLEARED)
    alarm.cleared_at = now
    alarm.save(update_fields=["status", "cleared_at", "value"])
    record(
        "sensors.alarm_cleared", actor, alarm, {"reason": reason, "station": alarm.station.code, "value": alarm.value}
    )


@transaction.atomic
def acknowledge_alarm(alarm: Alarm, *, actor: User, note: str = "") -> Alarm:
    """The duty clerk signs for an active alarm (签收): the escalation stops; the alarm stays open until it clears.

    Locks the alarm. Raises PermissionDenied outside the station's unit, InvalidTransition if not active.
    """
    alarm = Alarm.objects.select_for_update().select_related("station", "rule").get(pk=alarm.pk)
    if alarm.station.department_id not in departments_covered(actor, RECORD_ROLES):
        raise PermissionDenied(_("您不负责这个测站所在单位的报警。"))
    _move(alarm, AlarmStatus.ACKNOWLEDGED)
    alarm.acknowledged_at = timezone.now()
    alarm.acknowledged_by = actor
    alarm.save(update_fields=["status", "acknowledged_at", "acknowledged_by"])
    record("sensors.alarm_acknowledged", actor, alarm, {"note": note[:200], "station": alarm.station.code})
    return alarm


@transaction.atomic
def clear_alarm(alarm: Alarm, *, actor: User, reason: str) -> Alarm:
    """Clear an open alarm by hand (a broken sensor, a test): the reason is kept in the audit record."""
    alarm = Alarm.objects.select_for_update().select_related("station", "rule").get(pk=alarm.pk)
    if alarm.station.department_id not in departments_covered(actor, RECORD_ROLES):
        raise PermissionDenied(_("您不负责这个测站所在单位的报警。"))
    if not reason.strip():
        raise ValidationError({"reason": _("请说明手动解除的原因。")})
    _clear(alarm, timezone.now(), actor=actor, reason=reason.strip()[:200])
    return alarm


# Notices ---------------------------------------------------------------------------------------


def _interval() -> datetime.timedelta:
    return datetime.timedelta(minutes=settings.SENSORS_NOTICE_INTERVAL_MINUTES)


def _place(station: Station) -> str:
    return station.village or station.township or station.name


def _resident_text(alarm: Alarm) -> tuple[str, str]:
    """Subject and body for a villager, in the active language: what happened and what to do now."""
    rule, station = alarm.rule, alarm.station
    level = alarm.get_severity_display()
    facts = _("%(station)s：%(rule)s，当前 %(value)s。") % {
        "station": station.name,
        "rule": rule.name,
        "value": f"{alarm.value:g}",
    }
    if rule.notice_kind == NoticeKind.DROUGHT:
        return (
            _("【%(level)s干旱预警】%(place)s：请抓紧灌溉") % {"level": level, "place": _place(station)},
            facts + _("土壤缺水，请优先在早晚灌溉，节约用水；需要抗旱设备请联系村委会或农林水利局。"),
        )
    if alarm.severity == Severity.RED:
        return (
            _("【红色预警】%(place)s：立即转移") % {"place": _place(station)},
            facts + _("山洪危险，请立即按村里指定的路线转移到安全地点，带上老人和孩子，转移后不要返回。"),
        )
    if alarm.severity == Severity.BLUE:
        return (
            _("【蓝色预警】%(place)s：注意防范") % {"place": _place(station)},
            facts + _("请关注雨情，远离河道、沟谷和山边，不要涉水。"),
        )
    return (
        _("【%(level)s预警】%(place)s：准备转移") % {"level": level, "place": _place(station)},
        facts + _("请收拾好证件和必需品，做好随时转移的准备，留意村里的广播和通知。"),
    )


def _staff_text(alarm: Alarm) -> tuple[str, str]:
    return (
        _("【%(level)s报警】%(station)s：%(rule)s")
        % {"level": alarm.get_severity_display(), "station": alarm.station.name, "rule": alarm.rule.name},
        _("当前值 %(value)s（阈值 %(threshold)s）。请在工作台签收并按预案处置。")
        % {"value": f"{alarm.value:g}" if alarm.value is not None else "—", "threshold": f"{alarm.rule.threshold:g}"},
    )


def _intake_text(alarm: Alarm) -> tuple[str, str]:
    station = alarm.station
    return (
        _("取水量已达许可水量的 %(percent)s%%：%(station)s")
        % {"percent": f"{alarm.rule.threshold:g}", "station": station.name},
        _(
            "本年度累计取水量已达许可年取水量（%(volume)s 立方米）的 %(value)s%%。请按许可水量安排取水；"
            "需要调整请向农林水利局水利科申请。"
        )
        % {"volume": f"{station.licensed_yearly_volume:g}", "value": f"{alarm.value:g}"},
    )


def _unit_staff(department_id: int) -> list[User]:
    ids = Membership.objects.filter(
        department_id=department_id, role__in=[Role.CLERK, Role.SUPERVISOR], user__is_active=True
    ).values_list("user_id", flat=True)
    return list(User.objects.filter(pk__in=list(ids)).order_by("pk"))


def _in_language(user: User | None, make: Any) -> tuple[str, str]:
    with translation.override((user.language if user else "") or settings.LANGUAGE_CODE):
        subject, body = make()
        return str(subject), str(body)


def _notice(
    alarm: Alarm,
    *,
    audience: str,
    user: User | None = None,
    subscription: Subscription | None = None,
    phone: str = "",
    text: tuple[str, str],
    link: str,
    outcome: str = NoticeOutcome.SENT,
) -> int:
    notification = None
    if outcome == NoticeOutcome.SENT:
        if user is not None:
            notification = notify(user, text[0], body=text[1], link=link)
        elif phone:
            notification = notify_contact(phone=phone, subject=text[0], body=text[1], link=link)
    AlarmNotice.objects.create(
        alarm=alarm,
        user=user,
        subscription=subscription,
        notification=notification,
        audience=audience,
        severity=alarm.severity,
        outcome=outcome,
        text=text[0][:300],
    )
    return 1 if notification is not None else 0


def _recently_told(subscription: Subscription, since: datetime.datetime, *, alarm: Alarm) -> bool:
    """The per-person limit: was this person already told, since ``since``, what this notice would say?

    A notice is held back only when the person already heard, in the interval, a notice of the
    same kind (flood or drought) for the same place at the same level or a higher one. So a
    rising storm always gets through (蓝 → 黄 → 橙 准备转移 → 红 立即转移), a drought notice never
    holds back a flood warning, and several rules of one level firing together in a storm send
    one notice, not five.
    """
    station = alarm.station
    rank = SEVERITY_RANK[alarm.severity]  # type: ignore[index]
    as_high = [level for level, r in SEVERITY_RANK.items() if r >= rank]
    sent = AlarmNotice.objects.filter(
        audience="resident",
        outcome=NoticeOutcome.SENT,
        created_at__gte=since,
        severity__in=as_high,
        alarm__rule__notice_kind=alarm.rule.notice_kind,
        alarm__station__village=station.village,
        alarm__station__township=station.township,
    )
    if subscription.user_id:
        return sent.filter(user_id=subscription.user_id).exists()
    return sent.filter(subscription__person_id=subscription.person_id, user__isnull=True).exists()


def send_alarm_notices(alarm: Alarm, *, now: datetime.datetime) -> int:
    """Queue the notices of a newly active alarm; return how many were sent. In the caller's transaction.

    The station's unit hears of every alarm. Villagers subscribed to the station's village hear
    of flood and drought alarms: red at once, always (an opt-out of non-emergency notices and a
    bureau enrolment still receive red); per person, place and kind, one notice of each level
    per interval and never a lower one after a higher one (the rest are recorded as
    rate-limited; see ``_recently_told``). An intake's holder and the water section hear of
    the licensed-volume alarms. Each notice is recorded with its alarm.
    """
    rule, station = alarm.rule, alarm.station
    sent = 0
    desk_link = f"/desk/sensors/stations/{station.public_id}/"
    for user in _unit_staff(station.department_id):
        maker = _intake_text if rule.notice_kind == NoticeKind.INTAKE else _staff_text
        sent += _notice(
            alarm, audience="staff", user=user, text=_in_language(user, lambda m=maker: m(alarm)), link=desk_link
        )
    if rule.notice_kind == NoticeKind.INTAKE and station.licence_id:
        for user in holder_accounts(station.licence):  # type: ignore[arg-type]
            sent += _notice(
                alarm, audience="holder", user=user, text=_in_language(user, lambda: _intake_text(alarm)), link="/my/"
            )
    if rule.notice_kind in (NoticeKind.FLOOD, NoticeKind.DROUGHT) and station.village:
        sent += _tell_residents(alarm, now)
    return sent


def _tell_residents(alarm: Alarm, now: datetime.datetime) -> int:
    station = alarm.station
    is_red = alarm.severity == Severity.RED
    subscriptions = Subscription.objects.filter(is_active=True, village=station.village).select_related(
        "user", "person"
    )
    if station.township:
        subscriptions = subscriptions.filter(Q(township="") | Q(township=station.township))
    # One notice per person and alarm, from their own subscription when they have one:
    chosen: dict[str, Subscription] = {}
    for sub in sorted(subscriptions, key=lambda s: (s.is_statutory, s.pk)):
        key = f"u{sub.user_id}" if sub.user_id else f"p{sub.person_id}"
        chosen.setdefault(key, sub)
    since = now - _interval()
    sent = 0
    for sub in chosen.values():
        if not is_red and (sub.emergency_only or sub.is_statutory):
            continue  # they asked for emergencies only, or were enrolled by the bureau for red alarms only
        phone = ""
        if sub.user_id is None and sub.person is not None and sub.person.phone_encrypted:
            phone = decrypt_text(sub.person.phone_encrypted)
        if sub.user_id is None and not phone:
            log.warning(
                "sensors: enrolled person %s has no phone number; red alarm %s not sent", sub.person_id, alarm.pk
            )
            continue
        text = _in_language(sub.user, lambda: _resident_text(alarm))
        told = _recently_told(sub, since, alarm=alarm)
        outcome = NoticeOutcome.RATE_LIMITED if told else NoticeOutcome.SENT
        sent += _notice(
            alarm,
            audience="resident",
            user=sub.user,
            subscription=sub,
            phone=phone,
            text=text,
            link="/sensors/",
            outcome=outcome,
        )
    return sent


# The sweep: offline stations, escalation, partitions ------------------------------------------


def _duty_officers(department_id: int, now: datetime.datetime) -> list[User]:
    """Who is on duty for the unit now (or for a unit above it); the unit's supervisors if no one is."""
    parents = dict(Department.objects.values_list("pk", "parent_id"))
    chain: list[int] = []
    current: int | None = department_id
    while current is not None and current not in chain:
        chain.append(current)
        current = parents.get(current)
    for unit in chain:
        users = list(
            User.objects.filter(
                pk__in=DutyShift.objects.filter(department_id=unit, starts_at__lte=now, ends_at__gt=now).values(
                    "user_id"
                ),
                is_active=True,
            )
        )
        if users:
            return users
    ids = Membership.objects.filter(department_id__in=chain, role=Role.SUPERVISOR, user__is_active=True).values_list(
        "user_id", flat=True
    )
    return list(User.objects.filter(pk__in=list(ids)))


@dataclass
class SweepResult:
    offline: int = 0
    back_online: int = 0
    escalated: int = 0
    partitions: list[str] = field(default_factory=list)


@transaction.atomic
def sweep_sensors(*, now: datetime.datetime | None = None) -> SweepResult:
    """Raise offline alarms for stations silent for 2 × their interval, clear them for those heard
    again, and send unacknowledged red alarms to the duty officer after N minutes.
    """
    now = now or timezone.now()
    result = SweepResult()
    rules = [r for r in AlarmRule.objects.filter(is_active=True, condition=Condition.OFFLINE)]
    if rules:
        open_offline = {
            (a.rule_id, a.station_id): a
            for a in Alarm.objects.select_for_update()
            .filter(rule__in=rules, status__in=OPEN_ALARM_STATUSES)
            .select_related("rule", "station")
        }
        for station in Station.objects.filter(is_active=True).prefetch_related("elements"):
            silent = station.last_seen_at is None or now - station.last_seen_at > datetime.timedelta(
                minutes=2 * station.interval_minutes
            )
            for rule in rules_for(station, rules):
                alarm = open_offline.get((rule.pk, station.pk))
                minutes = (now - (station.last_seen_at or station.created_at)).total_seconds() / 60
                if silent and alarm is None and station.last_seen_at is not None:
                    alarm = Alarm.objects.create(
                        rule=rule,
                        station=station,
                        severity=rule.severity,
                        value=round(minutes, 1),
                        started_at=now,
                        last_met_at=now,
                    )
                    _activate(alarm, now)
                    Station.objects.filter(pk=station.pk).update(connection=ConnectionState.OFFLINE)
                    result.offline += 1
                elif not silent and alarm is not None:
                    alarm.value = 0
                    _clear(alarm, now, actor=None, reason="heard_again")
                    result.back_online += 1
    minutes = settings.SENSORS_ESCALATE_MINUTES
    overdue = (
        Alarm.objects.select_for_update()
        .filter(
            status=AlarmStatus.ACTIVE,
            severity=Severity.RED,
            escalated_at__isnull=True,
            activated_at__lte=now - datetime.timedelta(minutes=minutes),
        )
        .select_related("rule", "station")
    )
    for alarm in overdue:
        for user in _duty_officers(alarm.station.department_id, now):
            subject, body = _in_language(user, lambda a=alarm: _staff_text(a))
            with translation.override(user.language or settings.LANGUAGE_CODE):
                subject = _("【未签收·上报值班领导】%(subject)s") % {"subject": subject}
            _notice(
                alarm,
                audience="duty_officer",
                user=user,
                text=(subject, body),
                link=f"/desk/sensors/stations/{alarm.station.public_id}/",
            )
        alarm.escalated_at = now
        alarm.save(update_fields=["escalated_at"])
        record("sensors.alarm_escalated", None, alarm, {"minutes": minutes, "station": alarm.station.code})
        result.escalated += 1
    from govhall.sensors.partitions import ensure_current_partitions

    result.partitions = ensure_current_partitions()
    return result


# Subscriptions ---------------------------------------------------------------------------------


def _known_villages() -> set[str]:
    return set(Station.objects.filter(is_active=True).exclude(village="").values_list("village", flat=True))


@transaction.atomic
def subscribe_village(
    user: User, *, village: str, channel: str = Channel.SMS, emergency_only: bool = False, plot: str = ""
) -> Subscription:
    """Subscribe an applicant to the warnings of a village; change the existing subscription if there is one.

    Raises ValidationError for a village with no station.
    """
    if village not in _known_villages():
        raise ValidationError({"village": _("这个村还没有监测站，暂时不能订阅。")})
    if channel not in Channel.values:
        raise ValidationError({"channel": _("请选择通知方式。")})
    township = Station.objects.filter(village=village).values_list("township", flat=True).first() or ""
    sub, created = Subscription.objects.select_for_update().get_or_create(
        user=user,
        village=village,
        is_statutory=False,
        is_active=True,
        defaults={"township": township, "channel": channel, "emergency_only": emergency_only, "plot": plot[:100]},
    )
    if not created:
        sub.channel, sub.emergency_only, sub.plot = channel, emergency_only, plot[:100]
        sub.save(update_fields=["channel", "emergency_only", "plot"])
    record("sensors.subscribed", user, sub, {"village": village, "channel": channel, "emergency_only": emergency_only})
    return sub


@transaction.atomic
def end_subscription(user: User, sub: Subscription) -> None:
    """End one of the user's own subscriptions (a bureau enrolment for red warnings cannot be ended here)."""
    if sub.user_id != user.pk or sub.is_statutory:
        raise PermissionDenied(_("这项登记由农林水利局依职责办理，红色预警仍会通知您；如有疑问请联系村委会。"))
    sub.is_active = False
    sub.save(update_fields=["is_active"])
    record("sensors.unsubscribed", user, sub, {"village": sub.village})


@transaction.atomic
def enrol_village_residents(*, actor: User, village: str, id_numbers: list[str]) -> tuple[int, list[str]]:
    """The bureau enrols residents of a village for red warnings (its statutory duty to warn).

    Each ID number is looked up (keyed hash); a person with an account is enrolled through it,
    one without through the phone number on record. Returns (enrolled, ID numbers not found, masked).
    Raises PermissionDenied unless the actor is a supervisor or clerk of a unit (or above it)
    that runs a station in the village.
    """
    covered = departments_covered(actor, [Role.CLERK, Role.SUPERVISOR])
    if not covered:
        raise PermissionDenied(_("您没有登记村民预警订阅的岗位角色。"))
    if village not in _known_villages():
        raise ValidationError({"village": _("这个村还没有监测站，暂时不能登记。")})
    # The unit that runs the village's stations warns it; another unit's clerk may not enrol its people:
    if not Station.objects.filter(village=village, department_id__in=covered).exists():
        raise PermissionDenied(_("这个村的监测站不属于您所在的单位，请由负责该村监测站的单位登记。"))
    township = Station.objects.filter(village=village).values_list("township", flat=True).first() or ""
    enrolled, missing = 0, []
    for number in [n.strip() for n in id_numbers if n.strip()]:
        person: NaturalPerson | None = find_person_by_id_number(number)
        if person is None:
            missing.append(number[:6] + "********" + number[-4:] if len(number) >= 10 else "***")
            continue
        account = User.objects.filter(person=person, is_active=True).first()
        if account is not None:
            _sub, created = Subscription.objects.get_or_create(
                user=account,
                village=village,
                is_statutory=True,
                is_active=True,
                defaults={"township": township, "person": person},
            )
        else:
            _sub, created = Subscription.objects.get_or_create(
                person=person,
                user=None,
                village=village,
                is_active=True,
                defaults={"township": township, "is_statutory": True},
            )
        enrolled += int(created)
    record(
        "sensors.residents_enrolled", actor, None, {"village": village, "enrolled": enrolled, "not_found": len(missing)}
    )
    return enrolled, missing


@transaction.atomic
def record_problem(kind: str, topic: str, detail: str, *, station_code: str = "", payload: str = "") -> IngestProblem:
    """Keep one ingest problem found outside a batch (a message the subscriber could not even read)."""
    log.warning("sensors ingest: %s on %s: %s", kind, topic, detail)
    return IngestProblem.objects.create(
        kind=kind, topic=topic[:200], station_code=station_code[:40], detail=detail[:300], payload=payload[:500]
    )
