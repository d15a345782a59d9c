"""The adapter to the finance bureau's non-tax revenue platform (protocol: docs/finance-platform.md).

Every request is signed (HMAC-SHA256 over the timestamp, a fresh nonce, the method, the path
and the body); every create carries an Idempotency-Key, so a retry after a timeout is answered
with the first answer and never makes a second order or refund. Callbacks and receipts from
the platform are checked here with the same secret.
"""

from __future__ import annotations

import csv
import datetime
import hashlib
import hmac
import io
import json
import secrets
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urljoin, urlsplit

from django.conf import settings

TIMESTAMP_TOLERANCE_SECONDS = 300


class TransportError(Exception):
    """The platform could not be reached or answered 5xx: try again later, with the same key."""


class Refused(Exception):
    """The platform refused the request (4xx): trying again with the same input will not help."""

    def __init__(self, status: int, error: str) -> None:
        super().__init__(f"{status}: {error}")
        self.status, self.error = status, error


@dataclass(frozen=True)
class StatementLine:
    transaction_id: str
    payment_code: str
    amount: Decimal
    paid_at: datetime.datetime
    channel: str
    receipt_number: str


def sign(secret: bytes, method: str, path: str, timestamp: str, nonce: str, body: bytes) -> str:
    head = f"{timestamp}.{nonce}.{method.upper()} {path}.".encode()
    return hmac.new(secret, head + body, hashlib.sha256).hexdigest()


def _secret() -> bytes:
    return settings.FINANCE_SECRET.encode("utf-8")


def verify_callback(path: str, headers: dict[str, str], body: bytes, *, now: float | None = None) -> str:
    """The callback's nonce if it is signed by the platform and fresh; raise ValueError if not."""
    timestamp = headers.get("X-Finance-Timestamp", "").strip()
    nonce = headers.get("X-Finance-Nonce", "").strip()
    signature = headers.get("X-Finance-Signature", "").strip().lower()
    if not timestamp.isdigit() or not nonce or len(nonce) > 64:
        raise ValueError("missing timestamp or nonce")
    if abs((now if now is not None else time.time()) - int(timestamp)) > TIMESTAMP_TOLERANCE_SECONDS:
        raise ValueError("timestamp too far from now")
    if not hmac.compare_digest(sign(_secret(), "POST", path, timestamp, nonce, body), signature):
        raise ValueError("bad signature")
    return nonce


def receipt_is_genuine(receipt: dict[str, Any]) -> bool:
    """Does the electronic receipt carry the platform's signature over its content?"""
    if not isinstance(receipt, dict) or not isinstance(receipt.get("signature"), str):
        return False
    fields = {k: v for k, v in receipt.items() if k != "signature"}
    canonical = json.dumps(fields, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
    expected = hmac.new(_secret(), b"receipt." + canonical, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, receipt["signature"])


def parse_amount(value: Any) -> Decimal | None:
    """A yuan amount as the protocol writes it ("123.45"), or None."""
    if not isinstance(value, str):
        return None
    try:
        amount = Decimal(value)
    except InvalidOperation:
        return None
    return amount if amount.is_finite() and amount == amount.quantize(Decimal("0.01")) else None


class FinancePlatform:
    """One platform, as configured (GOVHALL_FINANCE_URL, _SECRET, _TIMEOUT)."""

    def __init__(self, base_url: str | None = None, *, timeout: float | None = None) -> None:
        self.base_url = (base_url if base_url is not None else settings.FINANCE_URL).rstrip("/")
        self.timeout = timeout if timeout is not None else settings.FINANCE_TIMEOUT
        if not self.base_url:
            raise TransportError("GOVHALL_FINANCE_URL is not set")

    def absolute(self, url: str) -> str:
        return urljoin(self.base_url + "/", url.lstrip("/")) if url and not url.startswith("http") else url

    def _request(self, method: str, path: str, body: dict[str, Any] | None = None, key: str = "") -> tuple[int, bytes]:
        data = json.dumps(body, ensure_ascii=False).encode() if body is not None else b""
        timestamp, nonce = str(int(time.time())), secrets.token_hex(16)
        url = self.base_url + path
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "X-Finance-App": settings.FINANCE_APP_ID,
            "X-Finance-Timestamp": timestamp,
            "X-Finance-Nonce": nonce,
            "X-Finance-Signature": sign(_secret(), method, urlsplit(url).path, timestamp, nonce, data),
        }
        if key:
            headers["Idempotency-Key"] = key
        request = urllib.request.Request(url, data=data if method == "POST" else None, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:
                return answer.status, answer.read()
        except urllib.error.HTTPError as exc:
            content = exc.read()
            if exc.code >= 500:
                raise TransportError(f"{exc.code} from the finance platform") from exc
            try:
                error = str(json.loads(content).get("error", ""))
            except (ValueError, AttributeError):
                error = content[:200].decode("utf-8", "replace")
            raise Refused(exc.code, error) from exc
        except (OSError, TimeoutError) as exc:  # refused, reset, timed out
            raise TransportError(f"the finance platform did not answer: {exc}") from exc

    def _json(self, method: str, path: str, body: dict[str, Any] | None = None, key: str = "") -> dict[str, Any]:
        _status, content = self._request(method, path, body, key)
        try:
            answer = json.loads(content)
        except ValueError as exc:
            raise TransportError("the finance platform answered something that is not JSON") from exc
        if not isinstance(answer, dict):
            raise TransportError("the finance platform answered something that is not a JSON object")
        return answer

    def create_order(self, order: dict[str, Any]) -> dict[str, Any]:
        """Create (or, with the same payment code, find again) the order; its id and payment page."""
        return self._json("POST", "/api/orders", order, key=f"order-{order['payment_code']}")

    def get_order(self, payment_code: str) -> dict[str, Any]:
        return self._json("GET", f"/api/orders/{payment_code}")

    def cancel_order(self, payment_code: str) -> dict[str, Any]:
        return self._json("POST", f"/api/orders/{payment_code}/cancel", {})

    def refund(self, refund_id: str, payment_code: str, amount: Decimal, reason: str) -> dict[str, Any]:
        body = {"refund_id": refund_id, "payment_code": payment_code, "amount": f"{amount:.2f}", "reason": reason}
        return self._json("POST", "/api/refunds", body, key=f"refund-{refund_id}")

    def statement(self, day: datetime.date) -> list[StatementLine]:
        _status, content = self._request("GET", f"/api/statements/{day.isoformat()}")
        lines = []
        for row in csv.DictReader(io.StringIO(content.decode("utf-8"))):
            amount = parse_amount(row.get("amount"))
            try:
                paid_at = datetime.datetime.fromisoformat(row.get("paid_at", ""))
            except ValueError:
                paid_at = None
            if amount is None or paid_at is None or not row.get("payment_code"):
                raise TransportError(f"the statement of {day} has a line that cannot be read: {row}")
            lines.append(
                StatementLine(
                    row.get("transaction_id", ""),
                    row["payment_code"],
                    amount,
                    paid_at,
                    row.get("channel", ""),
                    row.get("receipt_number", ""),
                )  # fmt: skip
            )
        return lines
