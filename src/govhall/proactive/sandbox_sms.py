"""A sandbox SMS gateway that speaks the protocol of docs/sms-gateway.md, for development and tests.

It refuses what a real gateway refuses — a wrong signature, a timestamp more than five
minutes off, a malformed message or phone number, a message id reused for another message —
answers a repeated message id without sending it twice, and can be told to fail the next
requests, so that the platform's retries meet something that says no. Accepted messages are
kept in memory and, given a file, appended to it as JSON lines and read back at start (so
de-duplication survives a restart, as it does at a real gateway).

Standard library only, and no Django, so that it stays a stranger to the platform: it checks
signatures with its own code, not the sender's. Run it with ``manage.py sms_sandbox``, or in
a test with ``make_sandbox_server(SmsSandbox(secret))``.

Routes:
  POST   /send                                  the gateway: one signed message
  GET    /messages                              the messages accepted so far
  DELETE /messages                              forget them, their ids and the request log
  GET    /requests                              every request to /send, with the status it got
  POST   /control/fail-next?count=N&status=S    the next N valid messages get status S (503);
                                                status 200 answers {"accepted": false}

The control routes have no authentication: bind the sandbox to 127.0.0.1 (the default).
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import json
import logging
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs
from wsgiref.types import StartResponse, WSGIEnvironment

from govhall.lib.sandbox import make_sandbox_server

logger = logging.getLogger(__name__)
__all__ = ["SmsSandbox", "make_sandbox_server"]

TIMESTAMP_TOLERANCE_SECONDS = 300
MAX_BODY_BYTES = 16 * 1024
MAX_TEXT_CHARS = 500
MAX_MESSAGE_ID_CHARS = 64
_PHONE = re.compile(r"(?:\+86)?1[3-9]\d{9}", re.ASCII)
_TIMESTAMP = re.compile(r"\d{1,12}", re.ASCII)
_SIGNATURE = re.compile(r"[0-9a-f]{64}", re.ASCII)

Answer = tuple[int, dict[str, Any]]


@dataclass(frozen=True)
class Attempt:
    """One request to /send and what the sandbox answered."""

    status: int
    message_id: str
    error: str
    received_at: str


class SmsSandbox:
    """The gateway as a WSGI application; thread-safe, state in memory and an optional JSONL file."""

    def __init__(
        self,
        secret: str,
        *,
        store: Path | None = None,
        fail_next: int = 0,
        fail_status: int = HTTPStatus.SERVICE_UNAVAILABLE,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not secret:
            raise ValueError("the SMS sandbox needs the secret it shares with the platform")
        self._secret = secret.encode("utf-8")
        self._store = store
        self._clock = clock
        self._lock = threading.Lock()
        self._messages: dict[str, dict[str, str]] = {}
        self._requests: list[Attempt] = []
        self._fail_count = 0
        self._fail_status = int(fail_status)
        self.fail_next(fail_next, fail_status)
        if store is not None and store.exists():
            self._load(store)

    # State, for the command and for tests -------------------------------------------------

    def fail_next(self, count: int, status: int = HTTPStatus.SERVICE_UNAVAILABLE) -> None:
        """Make the next ``count`` valid messages fail with ``status`` (200: accepted false)."""
        if count < 0:
            raise ValueError("count must be 0 or more")
        if status not in {int(known) for known in HTTPStatus} or not (status == 200 or 400 <= status <= 599):
            raise ValueError("status must be 200 or an HTTP error status (4xx, 5xx)")
        with self._lock:
            self._fail_count, self._fail_status = count, int(status)

    @property
    def messages(self) -> list[dict[str, str]]:
        """The messages accepted, in order of arrival, each once."""
        with self._lock:
            return [dict(message) for message in self._messages.values()]

    @property
    def requests(self) -> list[Attempt]:
        with self._lock:
            return list(self._requests)

    def clear(self) -> None:
        with self._lock:
            self._messages.clear()
            self._requests.clear()
            if self._store is not None:
                self._store.write_text("", encoding="utf-8")

    # WSGI -----------------------------------------------------------------------------------

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")
        routes: dict[tuple[str, str], Callable[[WSGIEnvironment], Answer]] = {
            ("POST", "/send"): self._send,
            ("GET", "/messages"): lambda _environ: (200, {"messages": self.messages}),
            ("DELETE", "/messages"): self._clear,
            ("GET", "/requests"): lambda _environ: (200, {"requests": [asdict(a) for a in self.requests]}),
            ("POST", "/control/fail-next"): self._control_fail_next,
        }
        handler = routes.get((method, path))
        if handler is not None:
            status, answer = handler(environ)
        elif any(route_path == path for _method, route_path in routes):
            status, answer = 405, {"error": f"{method} is not allowed on {path}"}
        else:
            status, answer = 404, {"error": f"no route {path}"}
        body = json.dumps(answer, ensure_ascii=False).encode("utf-8")
        start_response(
            f"{status} {HTTPStatus(status).phrase}",
            [("Content-Type", "application/json; charset=utf-8"), ("Content-Length", str(len(body)))],
        )
        return [body]

    def _send(self, environ: WSGIEnvironment) -> Answer:
        status, answer, message_id = self._receive(environ)
        attempt = Attempt(status, message_id, str(answer.get("error", "")), self._now())
        with self._lock:
            self._requests.append(attempt)
        if status != 200 or answer.get("accepted") is not True:
            logger.info("SMS sandbox: %s %s", status, answer.get("error"))
        return status, answer

    def _receive(self, environ: WSGIEnvironment) -> tuple[int, dict[str, Any], str]:
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return *_refuse(400, "Content-Length is not a number"), ""
        if length > MAX_BODY_BYTES:
            return *_refuse(413, f"body larger than {MAX_BODY_BYTES} bytes"), ""
        body: bytes = environ["wsgi.input"].read(length)

        # Authenticity first: nothing of an unsigned request is looked at.
        timestamp = environ.get("HTTP_X_GOVHALL_TIMESTAMP", "").strip()
        signature = environ.get("HTTP_X_GOVHALL_SIGNATURE", "").strip().lower()
        if not _TIMESTAMP.fullmatch(timestamp):
            return *_refuse(401, "missing or malformed X-Govhall-Timestamp"), ""
        if abs(self._clock() - int(timestamp)) > TIMESTAMP_TOLERANCE_SECONDS:
            return *_refuse(401, f"X-Govhall-Timestamp is more than {TIMESTAMP_TOLERANCE_SECONDS} s off"), ""
        expected = hmac.new(self._secret, timestamp.encode("ascii") + b"." + body, hashlib.sha256).hexdigest()
        if not _SIGNATURE.fullmatch(signature) or not hmac.compare_digest(expected, signature):
            return *_refuse(401, "bad signature"), ""

        message, problem = _parse_message(body)
        if message is None:
            return *_refuse(400, problem), ""
        message_id = message["message_id"]
        with self._lock:
            if self._fail_count:
                self._fail_count -= 1
                if self._fail_status == 200:
                    return 200, {"accepted": False, "error": "refused by the sandbox (fail-next)"}, message_id
                return *_refuse(self._fail_status, "failing as asked (fail-next)"), message_id
            known = self._messages.get(message_id)
            if known is not None:
                if known["phone"][-11:] != message["phone"][-11:] or known["text"] != message["text"]:
                    return *_refuse(409, "message_id already used for a different message"), message_id
                return 200, {"accepted": True, "message_id": message_id, "duplicate": True}, message_id
            message["received_at"] = self._now()
            self._messages[message_id] = message
            if self._store is not None:
                with self._store.open("a", encoding="utf-8") as handle:
                    handle.write(json.dumps(message, ensure_ascii=False) + "\n")
        logger.info("SMS sandbox: message %s to %s: %s", message_id, message["phone"], message["text"])
        return 200, {"accepted": True, "message_id": message_id, "duplicate": False}, message_id

    def _clear(self, environ: WSGIEnvironment) -> Answer:
        self.clear()
        return 200, {"cleared": True}

    def _control_fail_next(self, environ: WSGIEnvironment) -> Answer:
        query = parse_qs(environ.get("QUERY_STRING", ""))
        try:
            count = int(query.get("count", ["1"])[0])
            status = int(query.get("status", ["503"])[0])
            self.fail_next(count, status)
        except ValueError as exc:
            return 400, {"error": f"count and status must be numbers: {exc}"}
        return 200, {"fail_next": count, "status": status}

    def _now(self) -> str:
        return datetime.datetime.fromtimestamp(self._clock(), tz=datetime.UTC).isoformat(timespec="seconds")

    def _load(self, store: Path) -> None:
        for number, line in enumerate(store.read_text(encoding="utf-8").splitlines(), start=1):
            try:
                message = json.loads(line)
                self._messages[message["message_id"]] = message
            except (ValueError, KeyError, TypeError):
                logger.warning("SMS sandbox: line %s of %s is not a message; skipped", number, store)


def _refuse(status: int, error: str) -> Answer:
    return status, {"accepted": False, "error": error}


def _parse_message(body: bytes) -> tuple[dict[str, str] | None, str]:
    try:
        data = json.loads(body)
    except ValueError:
        return None, "body is not JSON"
    if not isinstance(data, dict):
        return None, "body is not a JSON object"
    fields = {name: data.get(name) for name in ("message_id", "phone", "text", "sent_at")}
    for name, value in fields.items():
        if not isinstance(value, str) or not value.strip():
            return None, f"{name} is missing or not a string"
    message: dict[str, str] = {name: str(value) for name, value in fields.items()}
    if len(message["message_id"]) > MAX_MESSAGE_ID_CHARS:
        return None, f"message_id longer than {MAX_MESSAGE_ID_CHARS} characters"
    if not _PHONE.fullmatch(message["phone"]):
        return None, "phone is not a mainland mobile number (+8613800000000 or 13800000000)"
    if len(message["text"]) > MAX_TEXT_CHARS:
        return None, f"text longer than {MAX_TEXT_CHARS} characters"
    try:
        sent_at = datetime.datetime.fromisoformat(message["sent_at"])
    except ValueError:
        return None, "sent_at is not an ISO 8601 time"
    if sent_at.tzinfo is None:
        return None, "sent_at has no UTC offset"
    return message, ""
