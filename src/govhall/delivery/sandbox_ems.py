"""A sandbox EMS logistics platform: waybills, tracking, signed pushes (protocol: docs/ems-platform.md).

It behaves as EMS does toward the bureau: it refuses an unsigned, stale or replayed request;
answers a repeated order id with the waybill it made the first time (and refuses the order id
for another parcel); refuses an address without a county-level GB/T 2260 code; numbers each
waybill the UPU S10 way with its check digit; and pushes tracking events, signed, to the
bureau, retried until answered 200, while keeping them for a query. Switches make it fail or
hang the next requests, push each event twice or never, and move a parcel along (picked up,
in transit, out for delivery, signed, refused, returned, exception) as a courier would.

Standard library only, and no Django, so that it stays a stranger to the platform: it signs
and checks with the sandboxes' own code (``lib.sandbox``: the signature, the nonce and the
fault switches every sandbox shares), never the platform's adapter. Run it with ``manage.py ems_sandbox``; tests start it the same
way or in a thread with ``lib.sandbox.make_sandbox_server(EmsSandbox(secret))``.

Routes (the ``/api`` ones signed):
  POST /api/waybills                          create a waybill (Idempotency-Key = order_id); service
                                              "delivery" (from the bureau) or "pickup" (a courier
                                              collects from the sender on pickup_date)
  GET  /api/waybills/<waybill_no>/events      its tracking events
  GET  /state                                 every waybill and push (for tests)
  POST /control/fail-next?count=N&status=S    the next N /api requests get status S (503)
  POST /control/hang-next?count=N&seconds=S   the next N /api requests wait S seconds first
  POST /control/push?mode=M                   M: normal, twice, never
  POST /control/advance/<waybill_no>?to=K     the courier's next step: K is picked_up, in_transit,
                                              out_for_delivery, signed, refused, returned or exception

The control routes have no authentication: bind the sandbox to 127.0.0.1 (the default).
"""

from __future__ import annotations

import datetime
import hashlib
import json
import logging
import re
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from http import HTTPStatus
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from govhall.lib.sandbox import Faults, SignedRequests, sign

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

logger = logging.getLogger("govhall.sandbox.ems")

MAX_BODY_BYTES = 64 * 1024
PUSH_TRIES = 5
CHINA = datetime.timezone(datetime.timedelta(hours=8))
_REGION = re.compile(r"\d{6}", re.ASCII)
_ORDER_ID = re.compile(r"[0-9A-Za-z_-]{6,64}", re.ASCII)
_WEIGHTS = (8, 6, 4, 2, 3, 5, 9, 7)

# The courier's steps, as EMS's operation codes with the words EMS shows:
STEPS = {
    "picked_up": ("203", "已收寄", "厦门市海沧区揽投部"),
    "in_transit": ("305", "离开处理中心，发往目的地", "厦门邮区中心局"),
    "out_for_delivery": ("702", "投递员正在派送，请保持电话畅通", "目的地揽投部"),
    "signed": ("704", "已妥投，本人签收", "目的地揽投部"),
    "refused": ("711", "收件人拒收", "目的地揽投部"),
    "returned": ("708", "邮件已退回寄件人", "厦门市海沧区揽投部"),
    "exception": ("747", "投递未成功：电话无人接听，再次投递", "目的地揽投部"),
}

Answer = tuple[int, Any]


def waybill_number(serial: int) -> str:
    digits = f"{serial:08d}"
    check = 11 - sum(int(d) * w for d, w in zip(digits, _WEIGHTS, strict=True)) % 11
    digit = {10: "0", 11: "5"}.get(check, str(check))
    return f"EA{digits}{digit}CN"


def _now() -> datetime.datetime:
    return datetime.datetime.now(CHINA).replace(microsecond=0)


class EmsSandbox:
    """EMS as a WSGI application; thread-safe, state in memory and an optional JSON file."""

    def __init__(self, secret: str, *, store: Path | None = None, clock: Callable[[], float] = time.time) -> None:
        if not secret:
            raise ValueError("the EMS sandbox needs the secret it shares with the platform")
        self._secret = secret.encode("utf-8")
        self._store = store
        self._clock = clock
        self._lock = threading.RLock()
        self.waybills: dict[str, dict[str, Any]] = {}  # waybill number -> the parcel
        self.orders: dict[str, dict[str, str]] = {}  # order id -> {"digest", "waybill_no"}
        self.pushes: list[dict[str, Any]] = []
        self._requests = SignedRequests(self._secret, "EMS", clock)
        self._serial = 10000000
        self._faults = Faults()
        self.push_mode = "normal"
        if store is not None and store.exists():
            self._load(store)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")
        try:
            status, answer = self._route(method, path, environ)
        except Exception:  # answered 500 as a real platform would, and logged
            logger.exception("EMS sandbox: %s %s failed", method, path)
            status, answer = 500, {"error": "internal error"}
        body = json.dumps(answer, ensure_ascii=False).encode()
        headers = [("Content-Type", "application/json; charset=utf-8"), ("Content-Length", str(len(body)))]
        start_response(f"{status} {HTTPStatus(status).phrase}", headers)
        return [body]

    def _route(self, method: str, path: str, environ: WSGIEnvironment) -> Answer:
        query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        if path.startswith("/control/") and method == "POST":
            return self._control(path.removeprefix("/control/"), query)
        if path == "/state" and method == "GET":
            with self._lock:
                return 200, {"waybills": list(self.waybills.values()), "pushes": list(self.pushes)}
        if not path.startswith("/api/"):
            return 404, {"error": f"no route {path}"}
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return 400, {"error": "Content-Length is not a number"}
        if length > MAX_BODY_BYTES:
            return 413, {"error": f"body larger than {MAX_BODY_BYTES} bytes"}
        body = environ["wsgi.input"].read(length)
        refusal = self._requests.refusal(method, path, environ, body)
        if refusal:
            return 401, {"error": refusal}
        fault = self._faults.take()
        if fault is not None:
            return fault
        parts = path.removeprefix("/api/").split("/")
        if parts == ["waybills"] and method == "POST":
            return self._create(environ, body)
        if len(parts) == 3 and parts[0] == "waybills" and parts[2] == "events" and method == "GET":
            with self._lock:
                parcel = self.waybills.get(parts[1])
                if parcel is None:
                    return 404, {"error": "no such waybill"}
                return 200, {"waybill_no": parts[1], "events": list(parcel["events"])}
        return 404, {"error": f"no route {method} {path}"}

    def _create(self, environ: WSGIEnvironment, body: bytes) -> Answer:
        try:
            data = json.loads(body)
        except ValueError:
            return 400, {"error": "body is not JSON"}
        if not isinstance(data, dict):
            return 400, {"error": "body is not a JSON object"}
        order_id = str(data.get("order_id", ""))
        if not _ORDER_ID.fullmatch(order_id) or environ.get("HTTP_IDEMPOTENCY_KEY", "") != order_id:
            return 400, {"error": "order_id (6–64 letters, digits, - or _) is required, and as Idempotency-Key"}
        for side in ("sender", "receiver"):
            party = data.get(side)
            if not isinstance(party, dict):
                return 400, {"error": f"{side} is required"}
            for field in ("name", "phone", "address"):
                if not str(party.get(field, "")).strip():
                    return 400, {"error": f"{side}.{field} is required"}
            code = str(party.get("region_code", ""))
            if not _REGION.fullmatch(code) or code.endswith("00"):
                return 400, {"error": f"{side}.region_code must be a county-level GB/T 2260 code"}
        if not str(data.get("notify_url", "")).startswith(("http://", "https://")):
            return 400, {"error": "notify_url is required"}
        service = str(data.get("service", "delivery"))
        if service not in {"delivery", "pickup"}:
            return 400, {"error": "service is delivery or pickup"}
        if service == "pickup":
            try:
                datetime.date.fromisoformat(str(data.get("pickup_date", "")))
            except ValueError:
                return 400, {"error": "a pickup needs pickup_date (YYYY-MM-DD)"}
        digest = hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
        with self._lock:
            known = self.orders.get(order_id)
            if known is not None:
                if known["digest"] != digest:
                    return 422, {"error": "order_id already used for another parcel"}
                return 200, {"order_id": order_id, "waybill_no": known["waybill_no"], "replayed": True}
            self._serial += 1
            number = waybill_number(self._serial)
            self.waybills[number] = {
                "waybill_no": number,
                "order_id": order_id,
                "service": service,
                "pickup_date": str(data.get("pickup_date", "")),
                "sender": data["sender"],
                "receiver": data["receiver"],
                "contents": str(data.get("contents", ""))[:100],
                "notify_url": data["notify_url"],
                "status": "booked",
                "created_at": _now().isoformat(),
                "events": [],
            }
            self.orders[order_id] = {"digest": digest, "waybill_no": number}
            self._save()
        logger.info("EMS sandbox: waybill %s for order %s", number, order_id)
        return 201, {"order_id": order_id, "waybill_no": number}

    def advance(self, number: str, step: str) -> dict[str, Any]:
        """The courier's next step for a parcel: record the event and push it to the bureau."""
        if step not in STEPS:
            raise ValueError(f"the step is one of {', '.join(STEPS)}")
        with self._lock:
            parcel = self.waybills.get(number)
            if parcel is None:
                raise KeyError(number)
            code, description, place = STEPS[step]
            event = {
                "event_id": f"{number}-{len(parcel['events']) + 1:03d}",
                "code": code,
                "description": description,
                "place": place,
                "at": _now().isoformat(),
            }
            parcel["events"].append(event)
            parcel["status"] = step
            self._save()
            sends = {"never": 0, "twice": 2}.get(self.push_mode, 1)
        if sends:  # "twice": the same push again once the first was answered (each signed anew)
            snapshot = dict(parcel)
            threading.Thread(target=self._pushes, args=(snapshot, [event], sends), daemon=True).start()
        return event

    def _pushes(self, parcel: dict[str, Any], events: list[dict[str, Any]], times: int) -> None:
        for _ in range(times):
            self._push(parcel, events)

    def _push(self, parcel: dict[str, Any], events: list[dict[str, Any]]) -> None:
        body = json.dumps(
            {"waybill_no": parcel["waybill_no"], "order_id": parcel["order_id"], "events": events}, ensure_ascii=False
        ).encode()
        url = parcel["notify_url"]
        for attempt in range(PUSH_TRIES):
            timestamp = str(int(self._clock()))
            nonce = hashlib.sha256(f"{time.time_ns()}{attempt}{threading.get_ident()}".encode()).hexdigest()[:32]
            request = urllib.request.Request(url, data=body, method="POST", headers={
                "Content-Type": "application/json; charset=utf-8",
                "X-EMS-Timestamp": timestamp,
                "X-EMS-Nonce": nonce,
                "X-EMS-Signature": sign(self._secret, "POST", urlsplit(url).path, timestamp, nonce, body),
            })  # fmt: skip
            try:
                with urllib.request.urlopen(request, timeout=10) as answer:
                    status = answer.status
            except urllib.error.HTTPError as exc:
                status = exc.code
            except OSError as exc:
                status = 0
                logger.info("EMS sandbox: push to %s failed: %s", url, exc)
            with self._lock:
                self.pushes.append({"waybill_no": parcel["waybill_no"], "status": status, "at": _now().isoformat()})
            if status == 200:
                return
            time.sleep(min(2**attempt, 8) * 0.5)

    def _control(self, what: str, query: dict[str, str]) -> Answer:
        try:
            fault = self._faults.control(what, query)
            if fault is not None:
                return fault
            if what == "push":
                mode = query.get("mode", "normal")
                if mode not in {"normal", "twice", "never"}:
                    return 400, {"error": "mode is one of normal, twice, never"}
                with self._lock:
                    self.push_mode = mode
                return 200, {"mode": mode}
            if what.startswith("advance/"):
                try:
                    return 200, self.advance(what.removeprefix("advance/"), query.get("to", ""))
                except KeyError:
                    return 404, {"error": "no such waybill"}
        except ValueError as exc:
            return 400, {"error": str(exc)}
        return 404, {"error": f"no control {what}"}

    def _save(self) -> None:
        if self._store is None:
            return
        state = {"waybills": self.waybills, "orders": self.orders, "serial": self._serial}
        temporary = self._store.with_suffix(".tmp")
        temporary.write_text(json.dumps(state, ensure_ascii=False), encoding="utf-8")
        temporary.replace(self._store)

    def _load(self, store: Path) -> None:
        try:
            state = json.loads(store.read_text(encoding="utf-8") or "{}")
        except ValueError:
            logger.warning("EMS sandbox: %s is not JSON; starting empty", store)
            return
        self.waybills, self.orders = state.get("waybills", {}), state.get("orders", {})
        self._serial = int(state.get("serial", self._serial))
