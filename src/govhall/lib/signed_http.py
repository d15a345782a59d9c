"""Signed JSON over HTTP toward an outside platform (finance, EMS): the signature, its check, one request.

Each request and each callback carries a timestamp, a fresh nonce and an HMAC-SHA256 over
``"{timestamp}.{nonce}.{METHOD} {path}." + body`` with the secret the two sides share; the
headers are named after the platform (``X-Finance-…``, ``X-EMS-…``). Each platform's own
protocol is written down in docs/ (finance-platform.md, ems-platform.md).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlsplit

TIMESTAMP_TOLERANCE_SECONDS = 300


class TransportError(Exception):
    """The platform could not be reached or answered 5xx: try again later, with the same key."""


class Refused(Exception):
    """The platform refused the request (4xx): trying again with the same input will not help."""

    def __init__(self, status: int, error: str) -> None:
        super().__init__(f"{status}: {error}")
        self.status, self.error = status, error


def sign(secret: bytes, method: str, path: str, timestamp: str, nonce: str, body: bytes) -> str:
    head = f"{timestamp}.{nonce}.{method.upper()} {path}.".encode()
    return hmac.new(secret, head + body, hashlib.sha256).hexdigest()


def verify(
    prefix: str, secret: bytes, path: str, headers: dict[str, str], body: bytes, *, now: float | None = None
) -> str:
    """The nonce of a POST signed with ``secret`` and fresh (headers ``{prefix}-Timestamp`` …); ValueError if not."""
    timestamp = headers.get(f"{prefix}-Timestamp", "").strip()
    nonce = headers.get(f"{prefix}-Nonce", "").strip()
    signature = headers.get(f"{prefix}-Signature", "").strip().lower()
    if not timestamp.isdigit() or not nonce or len(nonce) > 64:
        raise ValueError("missing timestamp or nonce")
    if abs((now if now is not None else time.time()) - int(timestamp)) > TIMESTAMP_TOLERANCE_SECONDS:
        raise ValueError("timestamp too far from now")
    if not hmac.compare_digest(sign(secret, "POST", path, timestamp, nonce, body), signature):
        raise ValueError("bad signature")
    return nonce


def request(
    prefix: str,
    secret: bytes,
    app_id: str,
    method: str,
    url: str,
    body: dict[str, Any] | None = None,
    *,
    key: str = "",
    timeout: float,
    name: str,
) -> tuple[int, bytes]:
    """One signed request; the status and content, or TransportError (unreachable, 5xx) / Refused (4xx)."""
    data = json.dumps(body, ensure_ascii=False).encode() if body is not None else b""
    timestamp, nonce = str(int(time.time())), secrets.token_hex(16)
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        f"{prefix}-App": app_id,
        f"{prefix}-Timestamp": timestamp,
        f"{prefix}-Nonce": nonce,
        f"{prefix}-Signature": sign(secret, method, urlsplit(url).path, timestamp, nonce, data),
    }
    if key:
        headers["Idempotency-Key"] = key
    outgoing = urllib.request.Request(url, data=data if method == "POST" else None, method=method, headers=headers)
    try:
        with urllib.request.urlopen(outgoing, timeout=timeout) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as exc:
        content = exc.read()
        if exc.code >= 500:
            raise TransportError(f"{exc.code} from {name}") from exc
        try:
            error = str(json.loads(content).get("error", ""))
        except (ValueError, AttributeError):
            error = content[:200].decode("utf-8", "replace")
        raise Refused(exc.code, error) from exc
    except (OSError, TimeoutError) as exc:  # refused, reset, timed out
        raise TransportError(f"{name} did not answer: {exc}") from exc


def json_object(content: bytes, *, name: str) -> dict[str, Any]:
    """A platform's answer read as a JSON object, or TransportError."""
    try:
        answer = json.loads(content)
    except ValueError as exc:
        raise TransportError(f"{name} answered something that is not JSON") from exc
    if not isinstance(answer, dict):
        raise TransportError(f"{name} answered something that is not a JSON object")
    return answer
