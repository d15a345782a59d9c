"""The adapter to EMS's logistics platform (protocol: docs/ems-platform.md).

Every request is signed like the finance platform's (lib/signed_http.py, headers ``X-EMS-…``).
A waybill is created with the bureau's order id (derived from the case and the attempt), which
EMS keeps unique: asked again after a timeout, it answers with the same waybill number. EMS's
own event codes are mapped here, and only here, to the carrier-neutral tracking set.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from govhall.delivery.constants import Tracking
from govhall.lib import signed_http
from govhall.lib.signed_http import Refused, TransportError

__all__ = ["Refused", "TransportError"]
_PREFIX, _NAME = "X-EMS", "EMS"

# EMS's operation codes (邮件处理环节代码) that reach a bureau's account, and what each means here:
EVENT_CODES: dict[str, Tracking] = {
    "203": Tracking.PICKED_UP,  # 收寄
    "305": Tracking.IN_TRANSIT,  # 经转（离开处理中心）
    "306": Tracking.IN_TRANSIT,  # 到达处理中心
    "702": Tracking.OUT_FOR_DELIVERY,  # 投递员已领取，派送中
    "704": Tracking.SIGNED,  # 妥投
    "711": Tracking.REFUSED,  # 收件人拒收
    "708": Tracking.RETURNED,  # 退回寄件人
    "747": Tracking.EXCEPTION,  # 投递未成功（地址不详、无人、电话不通）
}

_S10_WEIGHTS = (8, 6, 4, 2, 3, 5, 9, 7)


def s10_check_digit(serial: str) -> str:
    """The UPU S10 check digit of an 8-digit serial (EMS waybill numbers: two letters, 8 digits, check, CN)."""
    check = 11 - sum(int(d) * w for d, w in zip(serial, _S10_WEIGHTS, strict=True)) % 11
    return {10: "0", 11: "5"}.get(check, str(check))


def is_waybill_number(value: str) -> bool:
    return (
        len(value) == 13
        and value[:2].isalpha()
        and value[:2].isupper()
        and value[2:11].isdigit()
        and value[11:] == "CN"
        and s10_check_digit(value[2:10]) == value[10]
    )


@dataclass(frozen=True)
class Event:
    """One tracking event as EMS reports it, read and mapped."""

    event_id: str
    kind: Tracking
    code: str
    description: str
    place: str
    at: datetime.datetime

    @classmethod
    def read(cls, data: Any) -> Event:
        """One event of a push or a query; ValueError if a field is missing, malformed or the code unknown."""
        if not isinstance(data, dict):
            raise ValueError("an event is not an object")
        code = str(data.get("code", ""))
        kind = EVENT_CODES.get(code)
        if kind is None:
            raise ValueError(f"unknown event code {code!r}")
        event_id = str(data.get("event_id", ""))
        if not event_id or len(event_id) > 64:
            raise ValueError("missing event id")
        try:
            at = datetime.datetime.fromisoformat(str(data.get("at", "")))
        except ValueError as exc:
            raise ValueError("bad event time") from exc
        if at.tzinfo is None:
            raise ValueError("an event time without its zone")
        return cls(event_id, kind, code, str(data.get("description", ""))[:200], str(data.get("place", ""))[:100], at)


def _secret() -> bytes:
    return settings.EMS_SECRET.encode("utf-8")


def verify_push(path: str, headers: dict[str, str], body: bytes, *, now: float | None = None) -> str:
    """The push's nonce if EMS signed it and it is fresh; ValueError if not."""
    return signed_http.verify(_PREFIX, _secret(), path, headers, body, now=now)


class EmsPlatform:
    """EMS as configured (GOVHALL_EMS_URL, _SECRET, _CUSTOMER, _TIMEOUT)."""

    def __init__(self, base_url: str | None = None, *, timeout: float | None = None) -> None:
        self.base_url = (base_url if base_url is not None else settings.EMS_URL).rstrip("/")
        self.timeout = timeout if timeout is not None else settings.EMS_TIMEOUT
        if not self.base_url:
            raise TransportError("GOVHALL_EMS_URL is not set")

    def _json(self, method: str, path: str, body: dict[str, Any] | None = None, key: str = "") -> dict[str, Any]:
        _status, content = signed_http.request(
            _PREFIX, _secret(), settings.EMS_CUSTOMER, method, self.base_url + path, body,
            key=key, timeout=self.timeout, name=_NAME,
        )  # fmt: skip
        return signed_http.json_object(content, name=_NAME)

    def create_waybill(self, order: dict[str, Any]) -> str:
        """Create (or, with the same order id, find again) the waybill; its number."""
        answer = self._json("POST", "/api/waybills", order, key=order["order_id"])
        number = str(answer.get("waybill_no", ""))
        if not is_waybill_number(number):
            raise TransportError(f"EMS answered a waybill number that is not one: {number[:20]!r}")
        return number

    def events(self, waybill_no: str) -> list[Event]:
        answer = self._json("GET", f"/api/waybills/{waybill_no}/events")
        raw = answer.get("events")
        if not isinstance(raw, list):
            raise TransportError("EMS answered tracking without its events")
        try:
            return [Event.read(item) for item in raw]
        except ValueError as exc:
            raise TransportError(f"EMS answered a tracking event that cannot be read: {exc}") from exc
