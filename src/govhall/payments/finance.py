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
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urljoin

from django.conf import settings

from govhall.lib import signed_http
from govhall.lib.signed_http import Refused, TransportError, sign

__all__ = ["Refused", "TransportError", "sign"]  # the shared parts, named here as the finance platform's
_PREFIX, _NAME = "X-Finance", "the finance platform"


@dataclass(frozen=True)
class StatementLine:
    transaction_id: str
    payment_code: str
    amount: Decimal
    paid_at: datetime.datetime
    channel: str
    receipt_number: str


def _secret() -> bytes:
    return settings.FINANCE_SECRET.encode("utf-8")


def verify_callback(path: str, headers: dict[str, str], body: bytes, *, now: float | None = None) -> str:
    """The callback's nonce if it is signed by the platform and fresh; raise ValueError if not."""
    return signed_http.verify(_PREFIX, _secret(), path, headers, body, now=now)


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
        return signed_http.request(_PREFIX, _secret(), settings.FINANCE_APP_ID, method, self.base_url + path, body,
                                   key=key, timeout=self.timeout, name=_NAME)  # fmt: skip

    def _json(self, method: str, path: str, body: dict[str, Any] | None = None, key: str = "") -> dict[str, Any]:
        _status, content = self._request(method, path, body, key)
        return signed_http.json_object(content, name=_NAME)

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
