"""Reading MQTT messages: topics, JSON payloads, units, times — with no writes.

A station publishes JSON on ``govhall/<region>/<station>/data``::

    {"station": "hc-rain-01", "time": "2026-06-01T10:05:00+08:00",
     "values": {"PJ": 2.5, "VT": {"value": 12.6, "unit": "V"}, "ZT": 0}}

or several buffered observations at once: ``{"station": …, "records": [{"time": …, "values": …}, …]}``.
A value is a number (in the element's unit) or ``{"value": …, "unit": …}``; a unit that is
not the element's is refused (never guessed). State goes to ``…/state``: ``online`` /
``offline`` (the last-will message), bare or as ``{"state": …}``.
"""

from __future__ import annotations

import datetime
import json
import math
from dataclasses import dataclass, field
from typing import Any

from govhall.sensors.constants import FUTURE_TOLERANCE_SECONDS, QUALITY_IMPOSSIBLE, TOPIC_PREFIX, ProblemKind


@dataclass(frozen=True)
class StationInfo:
    id: int
    code: str
    region: str
    elements: frozenset[str]


@dataclass(frozen=True)
class ElementInfo:
    code: str
    unit: str
    minimum: float | None
    maximum: float | None


@dataclass
class Message:
    topic: str
    payload: bytes
    received_at: datetime.datetime
    mid: int = 0


@dataclass
class Problem:
    kind: str
    topic: str
    station_code: str
    detail: str
    payload: str = ""


@dataclass
class Parsed:
    """What a batch of messages amounts to: readings to store, state changes, problems."""

    readings: list[tuple[int, str, datetime.datetime, float, int]] = field(default_factory=list)
    states: dict[int, str] = field(default_factory=dict)
    seen: dict[int, datetime.datetime] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)


def excerpt(payload: bytes) -> str:
    # (PostgreSQL refuses NUL in text: a binary frame is kept readable, never refused at storing)
    return payload[:500].decode("utf-8", errors="replace").replace("\x00", "\ufffd")


def _time(text: Any) -> datetime.datetime | None:
    if not isinstance(text, str):
        return None
    try:
        moment = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
        if moment.tzinfo is None:
            return None  # a time without its offset is ambiguous
        return moment.astimezone(datetime.UTC)
    except (ValueError, OverflowError):  # not a time, or one outside what can be stored (year 1 in +08:00)
        return None


def parse_messages(
    messages: list[Message], stations: dict[str, StationInfo], elements: dict[str, ElementInfo]
) -> Parsed:
    """Turn messages into readings, state changes and problems; never raises on bad input."""
    out = Parsed()
    for message in messages:
        parts = message.topic.split("/")
        if len(parts) != 4 or parts[0] != TOPIC_PREFIX or parts[3] not in ("data", "state"):
            out.problems.append(
                Problem(
                    ProblemKind.UNKNOWN_TOPIC,
                    message.topic,
                    "",
                    "主题不是 govhall/<区划>/<测站>/data|state",
                    excerpt(message.payload),
                )
            )
            continue
        _prefix, region, code, kind = parts
        station = stations.get(code)
        if station is None or station.region != region:
            out.problems.append(
                Problem(
                    ProblemKind.UNKNOWN_STATION,
                    message.topic,
                    code,
                    "测站未登记、已停用或区划不符",
                    excerpt(message.payload),
                )
            )
            continue
        if kind == "state":
            _parse_state(message, station, out)
        else:
            _parse_data(message, station, elements, out)
    return out


def _parse_state(message: Message, station: StationInfo, out: Parsed) -> None:
    text = message.payload.decode("utf-8", errors="replace").replace("\x00", "\ufffd").strip()
    try:
        decoded = json.loads(text)
    except ValueError:
        decoded = text
    state = decoded.get("state") if isinstance(decoded, dict) else decoded
    if state not in ("online", "offline"):
        out.problems.append(
            Problem(ProblemKind.MALFORMED, message.topic, station.code, "状态报文应为 online 或 offline", text[:500])
        )
        return
    out.states[station.id] = state
    if state == "online":
        out.seen[station.id] = max(out.seen.get(station.id, message.received_at), message.received_at)


def _parse_data(message: Message, station: StationInfo, elements: dict[str, ElementInfo], out: Parsed) -> None:
    def problem(kind: str, detail: str) -> None:
        out.problems.append(Problem(kind, message.topic, station.code, detail[:300], excerpt(message.payload)))

    try:
        body = json.loads(message.payload)
    except (ValueError, UnicodeDecodeError) as exc:
        problem(ProblemKind.MALFORMED, f"不是有效的JSON：{exc}")
        return
    if not isinstance(body, dict):
        problem(ProblemKind.MALFORMED, "报文应为JSON对象")
        return
    if body.get("station", station.code) != station.code:
        # The broker's ACL lets a station write only its own topic; a payload naming another
        # station is a misconfigured or tampered device, and none of it is trusted:
        problem(
            ProblemKind.SPOOFED,
            f"报文中的测站 {body.get('station')!r} 与主题中的测站 {station.code} 不符，整条报文未保存",
        )
        return
    records = body.get("records")
    if records is None:
        records = [body]
    if not isinstance(records, list) or not records:
        problem(ProblemKind.MALFORMED, "records 应为非空数组")
        return
    out.seen[station.id] = max(out.seen.get(station.id, message.received_at), message.received_at)
    latest_allowed = message.received_at + datetime.timedelta(seconds=FUTURE_TOLERANCE_SECONDS)
    for record in records:
        if not isinstance(record, dict):
            problem(ProblemKind.MALFORMED, "每条记录应为JSON对象")
            continue
        moment = _time(record.get("time"))
        values = record.get("values")
        if moment is None or not isinstance(values, dict):
            problem(ProblemKind.MALFORMED, "记录缺少带时区的 time（ISO 8601）或 values 对象")
            continue
        if moment > latest_allowed:
            problem(ProblemKind.FUTURE, f"观测时间 {moment.isoformat()} 晚于接收时间，未保存（请校准测站时钟）")
            continue
        for element_code, raw in values.items():
            _parse_value(station, elements, element_code, raw, moment, out, problem)


def _parse_value(
    station: StationInfo,
    elements: dict[str, ElementInfo],
    code: str,
    raw: Any,
    moment: datetime.datetime,
    out: Parsed,
    problem: Any,
) -> None:
    element = elements.get(code)
    if element is None or code not in station.elements:
        problem(ProblemKind.UNKNOWN_ELEMENT, f"要素 {code!r} 未在该测站配置，未保存")
        return
    unit = element.unit
    if isinstance(raw, dict):
        unit = raw.get("unit", element.unit)
        raw = raw.get("value")
    if unit != element.unit:
        problem(ProblemKind.WRONG_UNIT, f"要素 {code} 的单位应为 {element.unit!r}，收到 {unit!r}，未保存")
        return
    try:
        value = float(raw) if isinstance(raw, int | float) and not isinstance(raw, bool) else math.nan
    except OverflowError:  # an integer of hundreds of digits
        value = math.nan
    if not math.isfinite(value):
        problem(ProblemKind.MALFORMED, f"要素 {code} 的数值 {str(raw)[:40]!r} 不是有限数字")
        return
    quality = 0
    if (element.minimum is not None and value < element.minimum) or (
        element.maximum is not None and value > element.maximum
    ):
        quality = QUALITY_IMPOSSIBLE
        problem(
            ProblemKind.IMPOSSIBLE,
            f"要素 {code} 的数值 {value:g} 超出物理范围 [{element.minimum}, {element.maximum}]，已保存并标记，不参与报警",
        )
    out.readings.append((station.id, code, moment.astimezone(datetime.UTC), value, quality))
