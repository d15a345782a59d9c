"""A sandbox of the provincial hall's receiver, speaking docs/exchange.md, for development and tests.

It checks each request's signature and signs its answers, applies a stream's messages only in
order (SEQ 1, 2, 3 …), answers a message id it already holds as a duplicate without applying
it again, and keeps what it applied in a JSON-lines file read back at start, so a sandbox that
is killed and restarted still knows what it holds. It can be told to misbehave:

  POST   /control/down?on=1              answer every exchange request 503 (on=0: back up)
  POST   /control/slow?seconds=S         wait S seconds before answering (the sender times out)
  POST   /control/slow-ack?seconds=S     apply, then wait S seconds before answering (kill it meanwhile)
  POST   /control/fail-next?count=N&status=500   the next N requests get that status, nothing applied
  POST   /control/garbage-next?count=N   apply the next N requests, then answer garbage
  POST   /control/drop-acks?count=N      apply the next N requests, then hang up without an answer
  POST   /control/ack-twice?count=N      apply the next N requests and name every ack twice
  POST   /control/reject-next?count=N    reject the next N new messages (RESULT rejected)
  POST   /control/forget?since=ISO       lose what was received at or after that time (a restore from backup)
  POST   /control/push?url=U             sign the JSON body and POST it to govhall's inbound address U
  POST   /control/webhook-secret?value=K  the key the webhook route checks from now on (a rotation)
  GET    /received                       what was applied, in order: MSG_ID, MSG_TYPE, STREAM, SEQ, DATA …
  GET    /webhooks                       what the webhook route accepted, in order (one message a request)
  GET    /state                          counts, stream heads and the switches
  DELETE /received                       forget everything

Exchange routes (signed): POST /messages (the provincial hall), POST /licences (the district
licence library), POST /webhook (a subscribing system: one message a request, any of the
comma-separated signatures may match; down, fail-next and reject-next apply to it, a rejection
being a 422). Standard library only and no Django: it is a stranger to the platform. Run
it with ``manage.py province_sandbox``; the control routes have no authentication, so bind it
to 127.0.0.1 (the default).
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import json
import logging
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIServer
from wsgiref.types import StartResponse, WSGIEnvironment

from govhall.lib.sandbox import make_sandbox_server as serve

logger = logging.getLogger(__name__)

TIMESTAMP_TOLERANCE_SECONDS = 300
MAX_BODY_BYTES = 32 * 1024 * 1024
RECEIVER_CODE = "350000"
Answer = tuple[int, dict[str, Any]]


class _HangUp(Exception):
    """Close the connection without an answer (drop-acks)."""


def _now() -> str:
    return datetime.datetime.now(tz=datetime.UTC).isoformat()


def _signature(secret: bytes, timestamp: str, body: bytes) -> str:
    return hmac.new(secret, timestamp.encode("ascii") + b"." + body, hashlib.sha256).hexdigest()


class ProvinceSandbox:
    """The receiver as a WSGI application; thread-safe; state in memory and an optional JSON-lines file."""

    def __init__(self, secret: str, *, store: Path | None = None, code: str = RECEIVER_CODE) -> None:
        if not secret:
            raise ValueError("the province sandbox needs the secret it shares with the platform")
        self._secret = secret.encode("utf-8")
        self._store = store
        self.code = code
        self._lock = threading.Lock()
        self._received: dict[str, dict[str, Any]] = {}
        self._heads: dict[str, int] = {}
        self._requests = 0
        self._acks = 0
        self.down = False
        self.slow = 0.0
        self.slow_ack = 0.0
        self._fail_next = (0, 503)
        self._garbage_next = 0
        self._drop_next = 0
        self._twice_next = 0
        self._reject_next = 0
        self._webhook_secret = self._secret
        self._webhooks: dict[str, dict[str, Any]] = {}
        if store is not None and store.exists():
            self._load(store)

    # State ----------------------------------------------------------------------------------

    @property
    def received(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(r) for r in self._received.values()]

    def state(self) -> dict[str, Any]:
        with self._lock:
            return {
                "received": len(self._received),
                "requests": self._requests,
                "streams": len(self._heads),
                "down": self.down,
                "slow": self.slow,
                "slow_ack": self.slow_ack,
                "fail_next": self._fail_next[0],
                "garbage_next": self._garbage_next,
                "drop_acks": self._drop_next,
                "ack_twice": self._twice_next,
                "reject_next": self._reject_next,
            }

    def clear(self) -> None:
        with self._lock:
            self._received.clear()
            self._heads.clear()
            if self._store is not None:
                self._store.write_text("", encoding="utf-8")

    def forget_since(self, since: datetime.datetime) -> int:
        """Lose what was received at or after ``since`` (as a restore from an older backup would)."""
        with self._lock:
            kept = {
                k: r for k, r in self._received.items() if datetime.datetime.fromisoformat(r["RECEIVED_AT"]) < since
            }
            lost = len(self._received) - len(kept)
            self._received = kept
            self._heads = {}
            for record in kept.values():
                self._heads[record["STREAM"]] = max(self._heads.get(record["STREAM"], 0), int(record["SEQ"]))
            if self._store is not None:
                self._store.write_text(
                    "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in kept.values()), encoding="utf-8"
                )
        return lost

    # WSGI -------------------------------------------------------------------------------------

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")
        query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        extra_headers: list[tuple[str, str]] = []
        if (method, path) == ("POST", "/webhook"):
            status, body = self._webhook(environ)
        elif (method, path) in (("POST", "/messages"), ("POST", "/licences")):
            try:
                status, raw = self._exchange(environ, path)
            except _HangUp:
                # wsgiref has no way to drop the socket: an empty, lying answer cuts the ack off.
                start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", "100")])
                return [b""]
            if status == 200 and raw is not None and not raw.startswith(b"<"):
                stamp = str(int(time.time()))
                extra_headers = [
                    ("X-Exchange-Timestamp", stamp),
                    ("X-Exchange-Signature", _signature(self._secret, stamp, raw)),
                ]
            body = raw or b""
        else:
            status, answer = self._control(method, path, query, environ)
            body = json.dumps(answer, ensure_ascii=False).encode("utf-8")
        start_response(
            f"{status} {HTTPStatus(status).phrase}",
            [
                ("Content-Type", "application/json; charset=utf-8"),
                ("Content-Length", str(len(body))),
                *extra_headers,
            ],
        )
        return [body]

    def _control(self, method: str, path: str, query: dict[str, str], environ: WSGIEnvironment) -> Answer:
        def count() -> int:
            return max(0, int(query.get("count", "1")))

        try:
            if (method, path) == ("GET", "/received"):
                return 200, {"received": self.received}
            if (method, path) == ("GET", "/state"):
                return 200, self.state()
            if (method, path) == ("GET", "/webhooks"):
                with self._lock:
                    return 200, {"received": [dict(r) for r in self._webhooks.values()]}
            if (method, path) == ("DELETE", "/received"):
                self.clear()
                return 200, {"cleared": True}
            if method == "POST" and path == "/control/down":
                self.down = query.get("on", "1") == "1"
            elif method == "POST" and path == "/control/slow":
                self.slow = max(0.0, float(query.get("seconds", "0")))
            elif method == "POST" and path == "/control/slow-ack":
                self.slow_ack = max(0.0, float(query.get("seconds", "0")))
            elif method == "POST" and path == "/control/fail-next":
                self._fail_next = (count(), int(query.get("status", "503")))
            elif method == "POST" and path == "/control/garbage-next":
                self._garbage_next = count()
            elif method == "POST" and path == "/control/drop-acks":
                self._drop_next = count()
            elif method == "POST" and path == "/control/ack-twice":
                self._twice_next = count()
            elif method == "POST" and path == "/control/reject-next":
                self._reject_next = count()
            elif method == "POST" and path == "/control/forget":
                return 200, {"lost": self.forget_since(datetime.datetime.fromisoformat(query["since"]))}
            elif method == "POST" and path == "/control/webhook-secret":
                self._webhook_secret = query["value"].encode("utf-8")
            elif method == "POST" and path == "/control/push":
                return self._push(query["url"], environ)
            else:
                return 404, {"error": f"no route {method} {path}"}
        except (KeyError, ValueError) as exc:
            return 400, {"error": f"bad control request: {exc}"}
        return 200, self.state()

    def _push(self, url: str, environ: WSGIEnvironment) -> Answer:
        """Send a provincial application down to govhall, signed as the province signs."""
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        stamp = str(int(time.time()))
        request = urllib.request.Request(
            url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "X-Exchange-Sender": self.code,
                "X-Exchange-Timestamp": stamp,
                "X-Exchange-Signature": _signature(self._secret, stamp, body),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - a test tool
                return response.status, json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as exc:
            return exc.code, {"error": exc.read().decode("utf-8", "replace")[:500]}

    # A subscribing system's webhook ----------------------------------------------------------------

    def _webhook(self, environ: WSGIEnvironment) -> tuple[int, bytes]:
        with self._lock:
            self._requests += 1
            down = self.down
            fail_count, fail_status = self._fail_next
            if fail_count and not down:
                self._fail_next = (fail_count - 1, fail_status)
        if down:
            return 503, b'{"error": "down (sandbox switch)"}'
        if fail_count:
            return fail_status, b'{"error": "failing as asked (fail-next)"}'
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return 400, b'{"error": "Content-Length is not a number"}'
        if length > MAX_BODY_BYTES:
            return 413, b'{"error": "body too large"}'
        body: bytes = environ["wsgi.input"].read(length)
        stamp = environ.get("HTTP_X_EXCHANGE_TIMESTAMP", "").strip()
        given = [g.strip().lower() for g in environ.get("HTTP_X_EXCHANGE_SIGNATURE", "").split(",")]
        if not stamp.isdigit() or abs(time.time() - int(stamp)) > TIMESTAMP_TOLERANCE_SECONDS:
            return 401, b'{"error": "missing, malformed or stale X-Exchange-Timestamp"}'
        expected = _signature(self._webhook_secret, stamp, body)
        if not any(hmac.compare_digest(expected, g) for g in given):
            return 401, b'{"error": "bad signature"}'
        try:
            message = json.loads(body)
            msg_id = str(message["MSG_ID"])
        except (ValueError, KeyError, TypeError):
            return 400, b'{"error": "not a message"}'
        with self._lock:
            if msg_id in self._webhooks:
                return 200, json.dumps({"duplicate": msg_id}).encode()
            if self._reject_next:
                self._reject_next -= 1
                return 422, b'{"error": "refused by the sandbox (reject-next)"}'
            self._webhooks[msg_id] = {**message, "RECEIVED_AT": _now(), "SIGNATURES": len(given)}
        return 200, json.dumps({"received": msg_id}).encode()

    # The exchange -------------------------------------------------------------------------------

    def _exchange(self, environ: WSGIEnvironment, path: str) -> tuple[int, bytes | None]:
        with self._lock:
            self._requests += 1
            down, slow = self.down, self.slow
            fail_count, fail_status = self._fail_next
            if fail_count and not down:
                self._fail_next = (fail_count - 1, fail_status)
        if slow:
            time.sleep(slow)
        if down:
            return 503, json.dumps({"error": "down (sandbox switch)"}).encode()
        if fail_count:
            return fail_status, json.dumps({"error": "failing as asked (fail-next)"}).encode()
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return 400, b'{"error": "Content-Length is not a number"}'
        if length > MAX_BODY_BYTES:
            return 413, b'{"error": "body too large"}'
        body: bytes = environ["wsgi.input"].read(length)
        stamp = environ.get("HTTP_X_EXCHANGE_TIMESTAMP", "").strip()
        given = environ.get("HTTP_X_EXCHANGE_SIGNATURE", "").strip().lower()
        if not stamp.isdigit() or abs(time.time() - int(stamp)) > TIMESTAMP_TOLERANCE_SECONDS:
            return 401, b'{"error": "missing, malformed or stale X-Exchange-Timestamp"}'
        if not hmac.compare_digest(_signature(self._secret, stamp, body), given):
            return 401, b'{"error": "bad signature"}'
        try:
            batch = json.loads(body)
            messages = batch["MESSAGES"]
            if not isinstance(messages, list):
                raise TypeError("MESSAGES is not a list")
        except (ValueError, KeyError, TypeError) as exc:
            return 400, json.dumps({"error": f"not an exchange batch: {exc}"}).encode()
        acks, _applied = self._apply(messages, path)
        if self.slow_ack:
            time.sleep(self.slow_ack)
        with self._lock:
            garbage = self._garbage_next > 0
            self._garbage_next -= garbage
            drop = self._drop_next > 0
            self._drop_next -= drop
            twice = self._twice_next > 0
            self._twice_next -= twice
        if drop:
            raise _HangUp
        if garbage:
            return 200, b"<html>502 Bad Gateway</html>"
        if twice:
            acks = [a for ack in acks for a in (ack, ack)]
        answer = {"RECEIVER_CODE": self.code, "REQUEST_DIGEST": hashlib.sha256(body).hexdigest(), "ACKS": acks}
        return 200, json.dumps(answer, ensure_ascii=False).encode("utf-8")

    def _apply(self, messages: list[Any], path: str) -> tuple[list[dict[str, Any]], int]:
        acks: list[dict[str, Any]] = []
        new_lines: list[str] = []
        with self._lock:
            for message in messages:
                ack = self._apply_one(message, path, new_lines)
                acks.append(ack)
            if new_lines and self._store is not None:
                # One write per batch: a kill mid-write leaves at most a torn last line (skipped
                # at start), and its messages were never acknowledged.
                with self._store.open("a", encoding="utf-8") as handle:
                    handle.write("".join(new_lines))
                    handle.flush()
            self._acks += len(acks)
        return acks, len(new_lines)

    def _apply_one(self, message: Any, path: str, lines: list[str]) -> dict[str, Any]:
        if not isinstance(message, dict) or not isinstance(message.get("MSG_ID"), str):
            return {
                "MSG_ID": str(message.get("MSG_ID", "")) if isinstance(message, dict) else "",
                "RESULT": "rejected",
                "REASON": "no MSG_ID",
            }
        msg_id = message["MSG_ID"]
        known = self._received.get(msg_id)
        if known is not None:
            return {"MSG_ID": msg_id, "RESULT": "duplicate", "ACK_ID": known["ACK_ID"]}
        stream, seq = message.get("STREAM"), message.get("SEQ")
        problems = [
            name
            for name, ok in (
                ("STREAM", isinstance(stream, str) and stream),
                ("SEQ", isinstance(seq, int) and seq >= 1),
                ("MSG_TYPE", isinstance(message.get("MSG_TYPE"), str)),
                ("FLAG", message.get("FLAG") in ("I", "U", "D")),
                ("DATA", isinstance(message.get("DATA"), dict)),
            )
            if not ok
        ]
        if problems:
            return {"MSG_ID": msg_id, "RESULT": "rejected", "REASON": "missing or malformed: " + ", ".join(problems)}
        if (path == "/licences") != (message["MSG_TYPE"] == "50"):
            return {"MSG_ID": msg_id, "RESULT": "rejected", "REASON": f"type {message['MSG_TYPE']} not taken at {path}"}
        assert isinstance(stream, str) and isinstance(seq, int)
        head = self._heads.get(stream, 0)
        if seq > head + 1:
            return {"MSG_ID": msg_id, "RESULT": "deferred", "REASON": f"waiting for SEQ {head + 1} of {stream}"}
        if seq <= head:
            return {"MSG_ID": msg_id, "RESULT": "rejected", "REASON": f"SEQ {seq} of {stream} is another message"}
        if self._reject_next:
            self._reject_next -= 1
            return {"MSG_ID": msg_id, "RESULT": "rejected", "REASON": "refused by the sandbox (reject-next)"}
        ack_id = f"ACK{len(self._received) + 1:09d}-{msg_id[-8:]}"
        record = {
            "MSG_ID": msg_id,
            "MSG_TYPE": message["MSG_TYPE"],
            "FLAG": message["FLAG"],
            "STREAM": stream,
            "SEQ": seq,
            "DATA": message["DATA"],
            "ACK_ID": ack_id,
            "RECEIVED_AT": _now(),
        }
        self._received[msg_id] = record
        self._heads[stream] = seq
        lines.append(json.dumps(record, ensure_ascii=False) + "\n")
        return {"MSG_ID": msg_id, "RESULT": "accepted", "ACK_ID": ack_id}

    def _load(self, store: Path) -> None:
        for number, line in enumerate(store.read_text(encoding="utf-8").splitlines(), start=1):
            try:
                record = json.loads(line)
                self._received[record["MSG_ID"]] = record
                self._heads[record["STREAM"]] = max(self._heads.get(record["STREAM"], 0), int(record["SEQ"]))
            except (ValueError, KeyError, TypeError):
                logger.warning("province sandbox: line %s of %s is torn or not a record; skipped", number, store)


def make_sandbox_server(
    sandbox: ProvinceSandbox, host: str = "127.0.0.1", port: int = 0, *, app: Callable[..., Any] | None = None
) -> WSGIServer:
    """Bind a threaded server for ``sandbox``; port 0 picks a free port (``server.server_port``)."""
    return serve(app or sandbox, host, port)
