"""A sandbox of the finance bureau's non-tax revenue platform (财政非税收入管理平台), docs/finance-platform.md.

It behaves as the real platform does toward the bureau: it refuses an unsigned, stale or
replayed request; answers a repeated Idempotency-Key with the first answer (and refuses the
key for another body); serves a payment page a browser can click through; notifies the
bureau with signed callbacks, retried until answered 200; refunds at most what was paid; and
publishes a daily statement. Switches make it fail or hang the next requests, send each
callback twice, late or never, and plant differences in a statement, so that the platform's
adapter meets every fault the issue names.

Standard library only, and no Django, so that it stays a stranger to the platform: it signs
and checks with the sandboxes' own code (``lib.sandbox``: the signature, the nonce and the
fault switches every sandbox shares), never the platform's adapter. Run it with ``manage.py finance_sandbox``; tests start it the
same way or in a thread with ``lib.sandbox.make_sandbox_server(FinanceSandbox(secret))``.

Routes (the ``/api`` ones signed, see the protocol):
  POST /api/orders                         create an order (Idempotency-Key)
  GET  /api/orders/<payment_code>          its status, transaction and receipt
  POST /api/orders/<payment_code>/cancel   cancel an unpaid order
  POST /api/refunds                        refund a paid order (Idempotency-Key = refund_id)
  GET  /api/statements/<YYYY-MM-DD>        the day's statement (CSV)
  GET  /pay/<payment_code>                 the payer's page; POST pays or gives up
  GET  /state                              every order, refund and callback (for tests)
  POST /control/fail-next?count=N&status=S         the next N /api requests get status S (503)
  POST /control/hang-next?count=N&seconds=S        the next N /api requests wait S seconds first
  POST /control/callbacks?mode=M&delay=S           M: normal, twice, never, late (after S seconds)
  POST /control/pay/<payment_code>?channel=window  pay as at a POS terminal (no browser)
  POST /control/statement?day=D&extra=N&drop=N&alter=N   plant N differences in the day's statement

The control routes have no authentication: bind the sandbox to 127.0.0.1 (the default).
"""

from __future__ import annotations

import csv
import datetime
import hashlib
import hmac
import html
import io
import json
import logging
import re
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from decimal import Decimal, InvalidOperation
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit
from wsgiref.types import StartResponse, WSGIEnvironment

from govhall.lib.sandbox import Faults, SignedRequests, sign

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 64 * 1024
CALLBACK_TRIES = 5
CHINA = datetime.timezone(datetime.timedelta(hours=8))
_PAYMENT_CODE = re.compile(r"\d{20}", re.ASCII)
_AMOUNT = re.compile(r"\d{1,10}\.\d{2}", re.ASCII)
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)

Answer = tuple[int, Any]


def receipt_signature(secret: bytes, receipt: dict[str, Any]) -> str:
    """The platform's signature on an electronic receipt: HMAC-SHA256 over its canonical JSON."""
    fields = {k: v for k, v in receipt.items() if k != "signature"}
    canonical = json.dumps(fields, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
    return hmac.new(secret, b"receipt." + canonical, hashlib.sha256).hexdigest()


def _now() -> datetime.datetime:
    return datetime.datetime.now(CHINA).replace(microsecond=0)


class FinanceSandbox:
    """The platform as a WSGI application; thread-safe, state in memory and an optional JSON file."""

    def __init__(self, secret: str, *, store: Path | None = None, clock: Callable[[], float] = time.time) -> None:
        if not secret:
            raise ValueError("the finance sandbox needs the secret it shares with the platform")
        self._secret = secret.encode("utf-8")
        self._store = store
        self._clock = clock
        self._lock = threading.RLock()
        self.orders: dict[str, dict[str, Any]] = {}
        self.refunds: dict[str, dict[str, Any]] = {}
        self.keys: dict[str, dict[str, Any]] = {}  # Idempotency-Key -> {"digest", "answer"}
        self.callbacks: list[dict[str, Any]] = []
        self.planted: dict[str, dict[str, int]] = {}
        self._requests = SignedRequests(self._secret, "Finance", clock)
        self._serial = 0
        self._faults = Faults()
        self.callback_mode, self.callback_delay = "normal", 0.0
        if store is not None and store.exists():
            self._load(store)

    # WSGI -----------------------------------------------------------------------------------------

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")
        try:
            status, answer = self._route(method, path, environ)
        except Exception:  # the sandbox answers 500 as a real platform would, and says why in its log
            logger.exception("finance sandbox: %s %s failed", method, path)
            status, answer = 500, {"error": "internal error"}
        if isinstance(answer, tuple):  # (content type, bytes, extra headers)
            content_type, body, extra = answer
        else:
            content_type, body, extra = (
                "application/json; charset=utf-8",
                json.dumps(answer, ensure_ascii=False).encode(),
                [],
            )
        headers = [("Content-Type", content_type), ("Content-Length", str(len(body))), *extra]
        start_response(f"{status} {HTTPStatus(status).phrase}", headers)
        return [body]

    def _route(self, method: str, path: str, environ: WSGIEnvironment) -> Answer:
        query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        if path.startswith("/control/") and method == "POST":
            return self._control(path.removeprefix("/control/"), query)
        if path == "/state" and method == "GET":
            with self._lock:
                return 200, {"orders": list(self.orders.values()), "refunds": list(self.refunds.values()),
                             "callbacks": list(self.callbacks)}  # fmt: skip
        if path.startswith("/pay/"):
            return self._pay_page(method, path.removeprefix("/pay/"), environ)
        if not path.startswith("/api/"):
            return 404, {"error": f"no route {path}"}
        body, problem = _read(environ)
        if problem:
            return 413, {"error": problem}
        refusal = self._requests.refusal(method, path, environ, body)
        if refusal:
            return 401, {"error": refusal}
        fault = self._faults.take()
        if fault is not None:
            return fault
        parts = path.removeprefix("/api/").split("/")
        if parts == ["orders"] and method == "POST":
            return self._idempotent(environ, body, self._create_order)
        if len(parts) == 2 and parts[0] == "orders" and method == "GET":
            return self._get_order(parts[1])
        if len(parts) == 3 and parts[0] == "orders" and parts[2] == "cancel" and method == "POST":
            return self._cancel(parts[1])
        if parts == ["refunds"] and method == "POST":
            return self._idempotent(environ, body, self._refund)
        if len(parts) == 2 and parts[0] == "statements" and method == "GET":
            return self._statement(parts[1])
        return 404, {"error": f"no route {method} {path}"}

    # Authentication -------------------------------------------------------------------------------

    def _idempotent(self, environ: WSGIEnvironment, body: bytes, handler: Callable[[dict[str, Any]], Answer]) -> Answer:
        key = environ.get("HTTP_IDEMPOTENCY_KEY", "").strip()
        if not key or len(key) > 80:
            return 400, {"error": "Idempotency-Key header is required (at most 80 characters)"}
        try:
            data = json.loads(body)
        except ValueError:
            return 400, {"error": "body is not JSON"}
        if not isinstance(data, dict):
            return 400, {"error": "body is not a JSON object"}
        digest = hashlib.sha256(body).hexdigest()
        with self._lock:
            known = self.keys.get(key)
            if known is not None:
                if known["digest"] != digest:
                    return 422, {"error": "Idempotency-Key already used for another request"}
                return 200, {**known["answer"], "replayed": True}
            status, answer = handler(data)
            if status < 300:
                self.keys[key] = {"digest": digest, "answer": answer}
                self._save()
        return status, answer

    # Orders ---------------------------------------------------------------------------------------

    def _create_order(self, data: dict[str, Any]) -> Answer:
        code = str(data.get("payment_code", ""))
        if not _PAYMENT_CODE.fullmatch(code):
            return 400, {"error": "payment_code must be 20 digits"}
        amount = _amount(data.get("amount"))
        lines = data.get("lines")
        if amount is None or amount <= 0:
            return 400, {"error": "amount must be a positive yuan amount with two decimals, as a string"}
        if not isinstance(lines, list) or not lines:
            return 400, {"error": "lines must list the income items"}
        line_amounts = [_amount(line.get("amount")) if isinstance(line, dict) else None for line in lines]
        if any(a is None for a in line_amounts) or sum(a for a in line_amounts if a) != amount:
            return 400, {"error": "the lines' amounts do not add up to amount"}
        try:
            due = datetime.date.fromisoformat(str(data.get("due_date")))
        except ValueError:
            return 400, {"error": "due_date must be YYYY-MM-DD"}
        for field in ("payer_name", "notify_url", "return_url"):
            if not str(data.get(field, "")).strip():
                return 400, {"error": f"{field} is required"}
        if code in self.orders:
            return 409, {"error": "payment_code already has an order"}
        self._serial += 1
        order = {
            "order_id": f"FO{self._serial:010d}",
            "payment_code": code,
            "payer_name": str(data["payer_name"]),
            "amount": str(amount),
            "lines": [
                {
                    "income_code": str(line.get("income_code", "")),
                    "name": str(line.get("name", "")),
                    "amount": str(_amount(line.get("amount"))),
                }
                for line in lines
            ],  # fmt: skip
            "due_date": due.isoformat(),
            "notify_url": str(data["notify_url"]),
            "return_url": str(data["return_url"]),
            "status": "pending",
            "created_at": _now().isoformat(),
            "transaction_id": "",
            "paid_at": "",
            "channel": "",
            "refunded": "0.00",
            "receipt": None,
        }
        self.orders[code] = order
        logger.info("finance sandbox: order %s for %s yuan", code, amount)
        return 201, self._public(order)

    def _public(self, order: dict[str, Any]) -> dict[str, Any]:
        self._expire(order)
        shown = {k: v for k, v in order.items() if k not in {"notify_url", "return_url"}}
        return {**shown, "pay_url": f"/pay/{order['payment_code']}"}

    def _expire(self, order: dict[str, Any]) -> None:
        if order["status"] == "pending" and datetime.date.fromisoformat(order["due_date"]) < _now().date():
            order["status"] = "expired"

    def _get_order(self, code: str) -> Answer:
        with self._lock:
            order = self.orders.get(code)
            return (200, self._public(order)) if order else (404, {"error": "no such order"})

    def _cancel(self, code: str) -> Answer:
        with self._lock:
            order = self.orders.get(code)
            if order is None:
                return 404, {"error": "no such order"}
            self._expire(order)
            if order["status"] == "paid":
                return 409, {"error": "the order is paid; ask for a refund instead"}
            order["status"] = "cancelled" if order["status"] == "pending" else order["status"]
            self._save()
            return 200, self._public(order)

    def pay(self, code: str, channel: str = "online") -> tuple[bool, str]:
        """Pay an order (the page's button, or a POS terminal at the window); send the callback."""
        with self._lock:
            order = self.orders.get(code)
            if order is None:
                return False, "没有这张缴款单。"
            self._expire(order)
            if order["status"] != "pending":
                return order["status"] == "paid", {"paid": "这张缴款单已经缴费。", "expired": "这张缴款单已过缴款期限，不能缴费。",
                                                   "cancelled": "这张缴款单已作废。"}.get(order["status"], "")  # fmt: skip
            self._serial += 1
            paid_at = _now()
            order.update(
                status="paid",
                transaction_id=f"T{paid_at:%Y%m%d}{self._serial:08d}",
                paid_at=paid_at.isoformat(),
                channel=channel,
            )
            receipt = {
                "number": f"3502{paid_at:%y}{self._serial:08d}",
                "kind": "福建省非税收入电子票据",
                "payment_code": code,
                "payer_name": order["payer_name"],
                "amount": order["amount"],
                "lines": order["lines"],
                "issued_at": paid_at.isoformat(),
            }
            receipt["signature"] = receipt_signature(self._secret, receipt)
            order["receipt"] = receipt
            self._save()
            mode, delay = self.callback_mode, self.callback_delay
        # "twice": the same callback again once the first was answered, as a platform that did not
        # hear the answer sends it again (each is signed anew, with its own nonce):
        sends = {"never": 0, "twice": 2}.get(mode, 1)
        if sends:
            snapshot, wait = dict(order), delay if mode == "late" else 0.0
            threading.Thread(target=self._callbacks, args=(snapshot, wait, sends), daemon=True).start()
        return True, "缴费成功。"

    def _callbacks(self, order: dict[str, Any], delay: float, times: int) -> None:
        for _ in range(times):
            self._callback(order, delay)

    def _callback(self, order: dict[str, Any], delay: float) -> None:
        time.sleep(delay)
        body = json.dumps(
            {
                "event": "order.paid",
                "order_id": order["order_id"],
                "payment_code": order["payment_code"],
                "transaction_id": order["transaction_id"],
                "amount": order["amount"],
                "paid_at": order["paid_at"],
                "channel": order["channel"],
                "receipt": order["receipt"],
            },
            ensure_ascii=False,
        ).encode()
        url = order["notify_url"]
        for attempt in range(CALLBACK_TRIES):
            timestamp, nonce = (
                str(int(self._clock())),
                hashlib.sha256(f"{time.time_ns()}{attempt}".encode()).hexdigest()[:32],
            )
            request = urllib.request.Request(url, data=body, method="POST", headers={
                "Content-Type": "application/json; charset=utf-8",
                "X-Finance-Timestamp": timestamp,
                "X-Finance-Nonce": nonce,
                "X-Finance-Signature": sign(self._secret, "POST", urlsplit(url).path, timestamp, nonce, body),
            })  # fmt: skip
            try:
                with urllib.request.urlopen(request, timeout=10) as answer:
                    status = answer.status
            except urllib.error.HTTPError as exc:
                status = exc.code
            except OSError as exc:
                status = 0
                logger.info("finance sandbox: callback to %s failed: %s", url, exc)
            with self._lock:
                self.callbacks.append(
                    {"payment_code": order["payment_code"], "status": status, "at": _now().isoformat()}
                )
            if status == 200:
                return
            time.sleep(min(2**attempt, 8) * 0.5)

    # Refunds --------------------------------------------------------------------------------------

    def _refund(self, data: dict[str, Any]) -> Answer:
        refund_id, code = str(data.get("refund_id", "")), str(data.get("payment_code", ""))
        amount = _amount(data.get("amount"))
        order = self.orders.get(code)
        if not refund_id or order is None:
            return 404, {"error": "no such order"}
        if order["status"] != "paid":
            return 409, {"error": "only a paid order can be refunded"}
        if amount is None or amount <= 0:
            return 400, {"error": "amount must be a positive yuan amount with two decimals, as a string"}
        refunded = Decimal(order["refunded"])
        if refunded + amount > Decimal(order["amount"]):
            return 422, {"error": "refund larger than what is left of the payment"}
        order["refunded"] = str(refunded + amount)
        refund = {"refund_id": refund_id, "payment_code": code, "amount": str(amount), "status": "refunded",
                  "refunded_at": _now().isoformat(), "reason": str(data.get("reason", ""))[:200]}  # fmt: skip
        self.refunds[refund_id] = refund
        return 201, refund

    # Statements -----------------------------------------------------------------------------------

    def _statement(self, day_text: str) -> Answer:
        if not _DAY.fullmatch(day_text):
            return 400, {"error": "the day must be YYYY-MM-DD"}
        with self._lock:
            rows = [
                [
                    o["transaction_id"],
                    o["payment_code"],
                    o["amount"],
                    o["paid_at"],
                    o["channel"],
                    o["receipt"]["number"],
                ]
                for o in self.orders.values()
                if o["status"] == "paid" and o["paid_at"][:10] == day_text
            ]
            planted = self.planted.get(day_text, {})
        rows.sort()
        for index in range(min(planted.get("alter", 0), len(rows))):
            rows[index][2] = str(Decimal(rows[index][2]) + Decimal("1.00"))
        rows = rows[: len(rows) - planted["drop"]] if planted.get("drop") else rows  # the last ones: not the altered
        for index in range(planted.get("extra", 0)):
            rows.append([f"TX{day_text.replace('-', '')}{index:06d}", f"{99999 - index:05d}" + "0" * 15,
                         "88.00", f"{day_text}T10:00:00+08:00", "online", f"R{index:08d}"])  # fmt: skip
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["transaction_id", "payment_code", "amount", "paid_at", "channel", "receipt_number"])
        writer.writerows(rows)
        return 200, ("text/csv; charset=utf-8", out.getvalue().encode(), [])

    # The payer's page -----------------------------------------------------------------------------

    def _pay_page(self, method: str, code: str, environ: WSGIEnvironment) -> Answer:
        with self._lock:
            order = self.orders.get(code)
            if order is not None:
                self._expire(order)
        if order is None:
            return 404, ("text/html; charset=utf-8", _page("没有这张缴款单", "<p>请核对缴款码。</p>"), [])
        message = ""
        if method == "POST":
            body, _problem = _read(environ)
            choice = parse_qs(body.decode("utf-8", "replace")).get("choice", [""])[0]
            if choice == "pay":
                paid, message = self.pay(code)
                if paid:
                    back = (
                        order["return_url"]
                        + ("&" if "?" in order["return_url"] else "?")
                        + "payment_code="
                        + quote(code)
                    )
                    return 303, ("text/html; charset=utf-8", b"", [("Location", back)])
            elif choice == "back":
                return 303, ("text/html; charset=utf-8", b"", [("Location", order["return_url"])])
        lines = "".join(
            f"<tr><td>{html.escape(line['name'])}</td><td>{html.escape(line['income_code'])}</td>"
            f"<td class=n>{html.escape(line['amount'])}</td></tr>"
            for line in order["lines"]
        )
        status = {"pending": "待缴费", "paid": "已缴费", "expired": "已过期", "cancelled": "已作废"}[order["status"]]
        buttons = (
            "<button name=choice value=pay>确认支付</button> <button name=choice value=back class=plain>返回</button>"
            if order["status"] == "pending"
            else "<button name=choice value=back class=plain>返回</button>"
        )
        content = f"""
<p class=note>这是财政非税收入缴费的沙箱页面，用于开发和测试，不会真实扣款。</p>
{f"<p class=msg role=alert>{html.escape(message)}</p>" if message else ""}
<dl><dt>缴款码</dt><dd>{code}</dd><dt>缴款人</dt><dd>{html.escape(order["payer_name"])}</dd>
<dt>状态</dt><dd>{status}</dd><dt>缴款期限</dt><dd>{order["due_date"]}</dd></dl>
<table><thead><tr><th>收费项目</th><th>项目编码</th><th>金额（元）</th></tr></thead><tbody>{lines}</tbody>
<tfoot><tr><th colspan=2>合计</th><th class=n>{order["amount"]}</th></tr></tfoot></table>
<form method=post>{buttons}</form>"""
        return 200, ("text/html; charset=utf-8", _page("非税收入缴费", content), [])

    # Controls -------------------------------------------------------------------------------------

    def _control(self, what: str, query: dict[str, str]) -> Answer:
        try:
            fault = self._faults.control(what, query)
            if fault is not None:
                return fault
            if what == "callbacks":
                mode = query.get("mode", "normal")
                if mode not in {"normal", "twice", "never", "late"}:
                    return 400, {"error": "mode is one of normal, twice, never, late"}
                with self._lock:
                    self.callback_mode, self.callback_delay = mode, float(query.get("delay", "3"))
                return 200, {"mode": mode, "delay": self.callback_delay}
            if what.startswith("pay/"):
                paid, message = self.pay(what.removeprefix("pay/"), query.get("channel", "window"))
                return (200 if paid else 409), {"paid": paid, "message": message}
            if what == "statement":
                day = query.get("day", _now().date().isoformat())
                with self._lock:
                    self.planted[day] = {k: int(query.get(k, "0")) for k in ("extra", "drop", "alter")}
                return 200, {"day": day, **self.planted[day]}
        except ValueError as exc:
            return 400, {"error": f"bad number: {exc}"}
        return 404, {"error": f"no control {what}"}

    # Store ----------------------------------------------------------------------------------------

    def _save(self) -> None:
        if self._store is None:
            return
        state = {"orders": self.orders, "refunds": self.refunds, "keys": self.keys, "serial": self._serial}
        temporary = self._store.with_suffix(".tmp")
        temporary.write_text(json.dumps(state, ensure_ascii=False), encoding="utf-8")
        temporary.replace(self._store)

    def _load(self, store: Path) -> None:
        try:
            state = json.loads(store.read_text(encoding="utf-8") or "{}")
        except ValueError:
            logger.warning("finance sandbox: %s is not JSON; starting empty", store)
            return
        self.orders, self.refunds = state.get("orders", {}), state.get("refunds", {})
        self.keys, self._serial = state.get("keys", {}), int(state.get("serial", 0))


def _read(environ: WSGIEnvironment) -> tuple[bytes, str]:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return b"", "Content-Length is not a number"
    if length > MAX_BODY_BYTES:
        return b"", f"body larger than {MAX_BODY_BYTES} bytes"
    return environ["wsgi.input"].read(length), ""


def _amount(value: Any) -> Decimal | None:
    if not isinstance(value, str) or not _AMOUNT.fullmatch(value):
        return None
    try:
        return Decimal(value)
    except InvalidOperation:
        return None


def _page(title: str, content: str) -> bytes:
    return f"""<!doctype html><html lang=zh-CN><meta charset=utf-8>
<meta name=viewport content="width=device-width, initial-scale=1"><title>{title}</title>
<style>body{{font:16px/1.6 sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;color:#1f2933}}
h1{{font-size:1.4rem;border-bottom:3px solid #b91c1c;padding-bottom:.4rem}}.note{{color:#52606d;font-size:.9rem}}
.msg{{background:#fef3c7;padding:.5rem .8rem}}dl{{display:grid;grid-template-columns:6rem 1fr;gap:.2rem 1rem}}
dd{{margin:0}}table{{border-collapse:collapse;width:100%;margin:1rem 0}}th,td{{border:1px solid #cbd2d9;padding:.4rem}}
.n{{text-align:right}}button{{font-size:1.05rem;padding:.6rem 1.4rem;background:#b91c1c;color:#fff;border:0;border-radius:4px}}
button.plain{{background:#e4e7eb;color:#1f2933}}</style>
<h1>福建省财政非税收入统一缴费（沙箱）</h1><h2>{title}</h2>{content}</html>""".encode()
