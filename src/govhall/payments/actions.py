"""Fees of a case: assessing and issuing the order, payment, refunds, and reconciliation with the platform.

The app takes part in the case's flow (DESIGN §3a): a process step of kind 缴费 is where the
fee is assessed and the order issued; the payment, confirmed by the finance platform, completes
the step (or the step completes at once and the payment is recorded later, as the item says).
Every change is an event on the case's timeline and an audit record. Amounts are Decimal yuan
with two places throughout, never floats.
"""

from __future__ import annotations

import datetime
import json
import logging
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from govhall.audit.actions import record
from govhall.cases import actions as cases
from govhall.cases.constants import CaseStatus, EventKind
from govhall.cases.models import Case
from govhall.catalog.models import Fee
from govhall.identity.constants import Role
from govhall.identity.models import User
from govhall.identity.queries import departments_covered
from govhall.lib.errors import Conflict
from govhall.lib.schedule import queue_once
from govhall.payments import finance
from govhall.payments.constants import (
    OPEN_ORDER_STATUSES,
    Channel,
    DifferenceKind,
    OrderStatus,
    RefundStatus,
)
from govhall.payments.models import (
    ZERO,
    CallbackNonce,
    Difference,
    OrderLine,
    PaymentOrder,
    PaymentSerial,
    Refund,
    StatementRun,
)
from govhall.proactive.actions import notify

logger = logging.getLogger(__name__)

MAX_AMOUNT = Decimal("99999999.99")
CENT = Decimal("0.01")
_YUAN = re.compile(r"\d{1,8}(?:\.\d{1,2})?", re.ASCII)


class PaymentRefused(Conflict):
    """The order is not in a state that allows this (paid already, expired, refunded in full)."""


# Assessing and issuing --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Assessment:
    """One fee rule of the item as the clerk assessed it for this case."""

    fee: Fee
    amount: str
    note: str


def parse_yuan(value: str) -> Decimal | None:
    """``value`` as yuan with at most two decimals (``1,200.5`` → 1200.50), or None if it is not one.

    Plain digits only: no exponent (``1e3``), no sign, no more than two decimals.
    """
    text = str(value).replace(",", "").replace("，", "").replace(" ", "").strip()
    if not _YUAN.fullmatch(text):
        return None
    amount = Decimal(text).quantize(CENT)
    return amount if amount <= MAX_AMOUNT else None


def _next_payment_code(day: datetime.date) -> str:
    """缴款码: region (6) + year (4) + serial (9) + a Luhn check digit = 20 digits, unique in the bureau."""
    serial, _created = PaymentSerial.objects.select_for_update().get_or_create(year=day.year)
    serial.last += 1
    serial.save(update_fields=["last"])
    body = f"{settings.REGION_CODE[:6]:0<6}{day.year:04d}{serial.last:09d}"
    return body + luhn_digit(body)


def luhn_digit(digits: str) -> str:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char) * (2 if index % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return str((10 - total % 10) % 10)


def is_payment_code(value: str) -> bool:
    return len(value) == 20 and value.isdigit() and luhn_digit(value[:-1]) == value[-1]


@transaction.atomic
def issue_order(case: Case, *, actor: User, assessments: list[Assessment]) -> PaymentOrder | None:
    """Assess the case's fees at its 缴费 step and issue the order (缴款通知); None if every fee is waived.

    Each fee rule of the item is assessed: an amount (yuan, two decimals) and how it was worked
    out (the area and the rate, or the waiver's basis). A fee of 0 is waived and must say why,
    and only a fee the item allows to be reduced can be. Refused while the case already has an
    unpaid or paid order (a second click issues nothing). The order is sent to the finance
    platform after commit; the payer is told with a link.
    """
    case = Case.objects.select_for_update(of=("self",)).select_related("item_version", "applicant").get(pk=case.pk)
    cases.check_fee_step(actor, case)
    if case.fee_orders.filter(status__in=[*OPEN_ORDER_STATUSES, OrderStatus.PAID]).exists():
        raise PaymentRefused(_("这个办件已经开具了缴款通知，不能重复开具。"), code="order_exists")
    rules = {fee.pk: fee for fee in case.item_version.fees.all()}
    problems: dict[str, str] = {}
    lines: list[OrderLine] = []
    seen = set()
    for assessment in assessments:
        fee = rules.get(assessment.fee.pk)
        if fee is None:
            problems["fees"] = _("收费项目不属于这个事项。")
            continue
        seen.add(fee.pk)
        field = f"amount_{fee.pk}"
        amount = parse_yuan(assessment.amount)
        note = assessment.note.strip()
        if amount is None:
            problems[field] = _("“%(fee)s”的金额须为不超过两位小数的元数，例如 12000.00。") % {"fee": fee.name}
        elif not note:
            problems[f"note_{fee.pk}"] = _("请写明“%(fee)s”的核定依据（如面积×标准，或减免依据）。") % {"fee": fee.name}
        elif amount == ZERO and not fee.is_reducible:
            problems[field] = _("“%(fee)s”不允许减免，金额不能为0。") % {"fee": fee.name}
        elif amount > ZERO:
            lines.append(
                OrderLine(
                    fee=fee,
                    name=fee.name,
                    income_code=fee.income_code,
                    basis=fee.basis or case.item_version.fee_basis,
                    standard=fee.standard,
                    assessment=note[:300],
                    amount=amount,
                )  # fmt: skip
            )
    if set(rules) - seen:
        problems["fees"] = _("每个收费项目都须核定金额（免征的填0并写明依据）。")
    if problems:
        raise ValidationError(problems)
    if not lines:
        cases.complete_fee_step(case, actor=actor, opinion=_("经核定，本办件免征全部费用。"), data={"waived": True})
        return None
    today = timezone.localdate()
    order = PaymentOrder.objects.create(
        case=case,
        payment_code=_next_payment_code(today),
        payer_name=case.applicant_name,
        total=sum((line.amount for line in lines), ZERO),
        due_on=today + datetime.timedelta(days=settings.PAYMENT_DUE_DAYS),
        issued_by=actor,
        next_send_at=timezone.now(),
    )
    for line in lines:
        line.order = order
    OrderLine.objects.bulk_create(lines)
    from govhall.payments.documents import keep_notice

    keep_notice(order)
    data = {"payment_code": order.payment_code, "total": f"{order.total:.2f}", "due_on": order.due_on.isoformat()}
    cases.record_event(case, EventKind.FEE_ORDERED, actor=actor, opinion=_("开具缴款通知"), data=data)
    notify(
        case.applicant,
        _("请缴纳费用：%(item)s") % {"item": case.item_version.name},
        body=_(
            "您的办件 %(reference)s 需缴纳 %(total)s 元（缴款码 %(code)s），请在 %(due)s 前缴纳。缴费后办件将继续办理。"
        )
        % {
            "reference": case.reference,
            "total": f"{order.total:,.2f}",
            "code": order.payment_code,
            "due": order.due_on.isoformat(),
        },  # fmt: skip
        link=f"/my/payments/{order.public_id}/",
    )
    if not case.item_version.fee_waits:
        cases.complete_fee_step(case, actor=actor, opinion=_("已开具缴款通知，缴费情况另行登记。"), data=data)
    order_id = order.pk
    transaction.on_commit(lambda: _queue_send(order_id))
    return order


def _queue_send(order_id: int) -> None:
    from govhall.payments.tasks import send_order

    send_order.enqueue(order_id)


# Toward the platform ---------------------------------------------------------------------------------


def _backoff(attempts: int) -> datetime.timedelta:
    return datetime.timedelta(seconds=min(settings.PAYMENT_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0), 3600))


def send_order(order_id: int, *, platform: finance.FinancePlatform | None = None) -> str:
    """Send one created order to the platform (retry-safe: the payment code is the Idempotency-Key)."""
    with transaction.atomic():
        order = PaymentOrder.objects.select_for_update(skip_locked=True).filter(pk=order_id).first()
        if order is None or order.status != OrderStatus.CREATED:
            return "nothing"
        body = {
            "payment_code": order.payment_code,
            "payer_name": order.payer_name,
            "amount": f"{order.total:.2f}",
            "lines": [
                {"income_code": line.income_code, "name": line.name, "amount": f"{line.amount:.2f}"}
                for line in order.lines.all()
            ],
            "due_date": order.due_on.isoformat(),
            "notify_url": settings.PUBLIC_URL + "/payments/callback/",
            "return_url": settings.PUBLIC_URL + f"/my/payments/{order.public_id}/",
        }
        order.send_attempts += 1
        try:
            platform = platform or finance.FinancePlatform()
            answer = platform.create_order(body)
        except finance.TransportError as exc:
            order.next_send_at = timezone.now() + _backoff(order.send_attempts)
            order.last_error = str(exc)[:300]
            order.save(update_fields=["send_attempts", "next_send_at", "last_error"])
            return "later"
        except finance.Refused as exc:
            order.status, order.next_send_at = OrderStatus.FAILED, None
            order.last_error = str(exc)[:300]
            order.needs_review = _("财政平台拒绝了这张缴款单：%(error)s") % {"error": exc.error[:150]}
            order.save(update_fields=["status", "send_attempts", "next_send_at", "last_error", "needs_review"])
            record("payments.order_refused", None, order, {"error": exc.error[:200]})
            return "refused"
        order.status, order.next_send_at, order.last_error = OrderStatus.PENDING, None, ""
        order.platform_order_id = str(answer.get("order_id", ""))[:40]
        order.pay_url = platform.absolute(str(answer.get("pay_url", "")))[:300]
        order.save(
            update_fields=["status", "send_attempts", "next_send_at", "last_error", "platform_order_id", "pay_url"]
        )
        record("payments.order_sent", None, order, {"platform_order_id": order.platform_order_id})
        return "sent"


def send_due_orders(*, limit: int = 200) -> dict[str, int]:
    """Send every created order whose time has come (the outbox); count what happened."""
    counts: dict[str, int] = {}
    due = PaymentOrder.objects.filter(status=OrderStatus.CREATED, next_send_at__lte=timezone.now())
    for order_id in due.order_by("next_send_at").values_list("pk", flat=True)[:limit]:
        outcome = send_order(order_id)
        counts[outcome] = counts.get(outcome, 0) + 1
        if outcome == "later":  # the platform is down: the rest wait for the next run
            break
    return counts


# Payment ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Payment:
    """A payment as the platform reports it (a callback, a query, a statement)."""

    payment_code: str
    transaction_id: str
    amount: Decimal
    paid_at: datetime.datetime
    channel: str
    receipt: dict[str, Any]

    @classmethod
    def from_platform(cls, data: dict[str, Any]) -> Payment:
        """Read a callback's or a query's fields; ValueError if one is missing or malformed."""
        amount = finance.parse_amount(data.get("amount"))
        transaction_id = str(data.get("transaction_id") or "")
        try:
            paid_at = datetime.datetime.fromisoformat(str(data.get("paid_at")))
        except ValueError as exc:
            raise ValueError("paid_at is not an ISO time") from exc
        if amount is None or not transaction_id or len(transaction_id) > 40 or paid_at.tzinfo is None:
            raise ValueError("amount, transaction_id or paid_at missing or malformed")
        receipt = data.get("receipt")
        if not finance.receipt_is_genuine(receipt or {}):
            raise ValueError("the receipt does not carry the platform's signature")
        channel = Channel.WINDOW if data.get("channel") == "window" else Channel.ONLINE
        return cls(str(data.get("payment_code", "")), transaction_id, amount, paid_at, channel, dict(receipt or {}))


@transaction.atomic
def record_payment(order: PaymentOrder, payment: Payment, *, source: str, actor: User | None = None) -> str:
    """Record the platform's confirmed payment of ``order``, once; what happened ("paid", "duplicate", "review").

    A second report of the same transaction changes nothing. Another transaction for a paid
    order (paid twice), or an amount other than the order's, is not taken as the payment: the
    order is flagged for manual review and the difference is logged. A payment reported for
    an order that expired or was cancelled here is recorded (the money is in) and flagged.
    """
    order = PaymentOrder.objects.select_for_update(of=("self",)).select_related("case").get(pk=order.pk)
    if order.status == OrderStatus.PAID:
        if order.transaction_id == payment.transaction_id:
            return "duplicate"
        _flag(
            order,
            _("同一缴款码收到第二笔缴款（交易号 %(tx)s），请核实并退还多缴款项。") % {"tx": payment.transaction_id},
        )
        return "review"
    if payment.amount != order.total:
        _flag(
            order,
            _("财政平台报告的金额 %(paid)s 元与应缴 %(due)s 元不一致。") % {"paid": payment.amount, "due": order.total},
        )
        return "review"
    late = order.status in {OrderStatus.EXPIRED, OrderStatus.CANCELLED}
    order.status = OrderStatus.PAID
    order.transaction_id, order.paid_amount, order.paid_at = payment.transaction_id, payment.amount, payment.paid_at
    order.channel, order.receipt = payment.channel, payment.receipt
    order.receipt_number = str(payment.receipt.get("number", ""))[:40]
    order.recorded_by = actor
    order.needs_review = _("缴款通知已过期或作废后才收到缴款，请核实。") if late else ""
    try:
        with transaction.atomic():
            order.save()
    except IntegrityError:  # the transaction id is another order's: never book one payment twice
        logger.warning("payments: transaction %s is already booked to another order", payment.transaction_id)
        return "review"
    data = {"payment_code": order.payment_code, "amount": f"{payment.amount:.2f}", "transaction_id": payment.transaction_id,
            "receipt_number": order.receipt_number, "channel": order.channel, "source": source}  # fmt: skip
    case = (
        Case.objects.select_for_update(of=("self",)).select_related("item_version", "applicant").get(pk=order.case_id)
    )
    cases.record_event(case, EventKind.FEE_PAID, actor=actor or f"payments:{source}", opinion=_("缴费成功"), data=data)
    if cases.is_at_fee_step(case):
        cases.complete_fee_step(case, actor=actor or f"payments:{source}", opinion=_("费用已缴清。"), data=data)
    notify(
        case.applicant,
        _("缴费成功：%(item)s") % {"item": case.item_version.name},
        body=_("已收到您缴纳的 %(amount)s 元（票据号 %(receipt)s），办件 %(reference)s 将继续办理。")
        % {"amount": f"{payment.amount:,.2f}", "receipt": order.receipt_number, "reference": case.reference},
        link=f"/my/payments/{order.public_id}/",
    )
    return "paid"


def _flag(order: PaymentOrder, reason: str) -> None:
    order.needs_review = reason[:200]
    order.save(update_fields=["needs_review"])
    record("payments.flagged", None, order, {"reason": reason[:200]})
    logger.warning("payments: order %s flagged: %s", order.payment_code, reason)


@dataclass(frozen=True)
class CallbackAnswer:
    status: int
    message: str


def receive_callback(path: str, headers: dict[str, str], body: bytes) -> CallbackAnswer:
    """A payment callback from the platform: verified, matched, recorded once; what to answer.

    A forged or stale signature (401) is refused and logged before anything is read; a replayed
    nonce (409), a callback for an unknown order (404) or with another amount is logged and
    changes nothing (another amount flags the order for review). A duplicate is answered 200 so that the
    platform stops sending it.
    """
    try:
        nonce = finance.verify_callback(path, headers, body)
    except ValueError as exc:
        logger.warning("payments: callback refused: %s", exc)
        record("payments.callback_refused", None, None, {"reason": str(exc)}, outcome="failure")
        return CallbackAnswer(401, str(exc))
    try:
        data = json.loads(body)
        payment = Payment.from_platform(data if isinstance(data, dict) else {})
    except ValueError as exc:
        logger.warning("payments: callback unreadable: %s", exc)
        return CallbackAnswer(400, str(exc))
    order = PaymentOrder.objects.filter(payment_code=payment.payment_code).first()
    if order is None:
        logger.warning("payments: callback for unknown order %s", payment.payment_code)
        record("payments.callback_unknown", None, None, {"payment_code": payment.payment_code[:20]}, outcome="failure")
        return CallbackAnswer(404, "no such order")
    # The nonce is kept with the payment, in one transaction: a callback whose booking failed
    # may come again; one that was booked may not:
    try:
        with transaction.atomic():
            CallbackNonce.objects.create(nonce=nonce)
            outcome = record_payment(order, payment, source="callback")
    except IntegrityError:
        logger.warning("payments: callback replayed (nonce %s)", nonce)
        record("payments.callback_refused", None, None, {"reason": "replayed nonce"}, outcome="failure")
        return CallbackAnswer(409, "nonce already used (replay)")
    return CallbackAnswer(200, outcome)


def refresh_order(order: PaymentOrder, *, platform: finance.FinancePlatform | None = None) -> str:
    """Ask the platform how the order stands and record it (paid, expired, cancelled); what happened."""
    if order.status not in {OrderStatus.PENDING, OrderStatus.EXPIRED, OrderStatus.CANCELLED}:
        return "nothing"
    answer = (platform or finance.FinancePlatform()).get_order(order.payment_code)
    PaymentOrder.objects.filter(pk=order.pk).update(checked_at=timezone.now())
    status = answer.get("status")
    if status == "paid":
        try:
            return record_payment(order, Payment.from_platform(answer), source="query")
        except ValueError as exc:
            logger.warning("payments: the platform's answer for %s is unusable: %s", order.payment_code, exc)
            return "unreadable"
    if status in {"expired", "cancelled"} and order.status == OrderStatus.PENDING:
        with transaction.atomic():
            locked = PaymentOrder.objects.select_for_update().get(pk=order.pk)
            if locked.status == OrderStatus.PENDING:
                locked.status = OrderStatus.EXPIRED if status == "expired" else OrderStatus.CANCELLED
                locked.save(update_fields=["status"])
                case = Case.objects.select_for_update().get(pk=locked.case_id)
                cases.record_event(case, EventKind.FEE_ORDER_ENDED, actor="payments:query",
                                   opinion=locked.get_status_display(), data={"payment_code": locked.payment_code})  # fmt: skip
        return status
    return "pending"


@transaction.atomic
def record_window_payment(order: PaymentOrder, *, actor: User, receipt_number: str,
                          platform: finance.FinancePlatform | None = None) -> str:  # fmt: skip
    """A payment made at the window (POS or cash): checked with the platform by its receipt number, then recorded.

    Nothing is recorded on the clerk's word alone: the platform must know the payment, with
    the same receipt number. Raises PermissionDenied for a clerk of another unit, ValidationError
    for a receipt number the platform does not show, TransportError when it cannot be asked.
    """
    order = PaymentOrder.objects.select_related("case").get(pk=order.pk)
    if order.case.department_id not in departments_covered(actor, [Role.CLERK]):
        raise PermissionDenied(_("只有承办部门的窗口人员可以登记窗口缴费。"))
    receipt_number = receipt_number.strip()
    if not receipt_number:
        raise ValidationError({"receipt_number": _("请填写财政电子票据号。")})
    if order.status == OrderStatus.PAID:
        raise PaymentRefused(_("这张缴款单已经缴费，不需要再登记。"), code="paid")
    answer = (platform or finance.FinancePlatform()).get_order(order.payment_code)
    receipt = answer.get("receipt") or {}
    if answer.get("status") != "paid" or str(receipt.get("number", "")) != receipt_number:
        raise ValidationError(
            {
                "receipt_number": _(
                    "财政平台没有这张缴款单以票据号 %(number)s 缴费的记录，请核对票据号，或请缴款人稍后再来。"
                )
                % {"number": receipt_number[:40]}
            }  # fmt: skip
        )
    try:
        payment = Payment.from_platform(answer)
    except ValueError as exc:
        raise ValidationError({"receipt_number": _("财政平台的缴费记录无法核验，请联系财政部门。")}) from exc
    return record_payment(order, payment, source="window", actor=actor)


@transaction.atomic
def cancel_order(order: PaymentOrder, *, actor: User, reason: str,
                 platform: finance.FinancePlatform | None = None) -> PaymentOrder:  # fmt: skip
    """Cancel an unpaid order (a wrong assessment): at the platform first, then here; the step may issue again."""
    order = PaymentOrder.objects.select_for_update(of=("self",)).select_related("case").get(pk=order.pk)
    if order.case.department_id not in departments_covered(actor, [Role.CLERK, Role.APPROVER]):
        raise PermissionDenied(_("只有承办部门的工作人员可以作废缴款通知。"))
    if not reason.strip():
        raise ValidationError({"reason": _("请写明作废的原因。")})
    if order.status not in OPEN_ORDER_STATUSES:
        raise PaymentRefused(_("只有未缴费的缴款通知可以作废。"), code="not_open")
    if order.status == OrderStatus.PENDING:
        answer = (platform or finance.FinancePlatform()).cancel_order(order.payment_code)
        if answer.get("status") == "paid":
            raise PaymentRefused(_("财政平台显示这张缴款单刚刚已缴费，不能作废。"), code="paid_there")
    order.status, order.next_send_at = OrderStatus.CANCELLED, None
    order.save(update_fields=["status", "next_send_at"])
    case = Case.objects.select_for_update().get(pk=order.case_id)
    data = {"payment_code": order.payment_code}
    cases.record_event(case, EventKind.FEE_ORDER_ENDED, actor=actor, opinion=reason.strip(), data=data)
    return order


# Refunds --------------------------------------------------------------------------------------------------


@transaction.atomic
def request_refund(order: PaymentOrder, *, actor: User, amount: str, reason: str) -> Refund:
    """Ask for a refund (over-payment, a withdrawn application); another person approves it."""
    order = PaymentOrder.objects.select_for_update(of=("self",)).select_related("case").get(pk=order.pk)
    if order.case.department_id not in departments_covered(actor, [Role.CLERK, Role.APPROVER]):
        raise PermissionDenied(_("只有承办部门的工作人员可以申请退款。"))
    if order.status != OrderStatus.PAID:
        raise PaymentRefused(_("只有已缴费的缴款单可以退款。"), code="not_paid")
    value = parse_yuan(amount)
    problems = {}
    if value is None or value <= ZERO:
        problems["amount"] = _("退款金额须为大于0、不超过两位小数的元数。")
    elif value > order.refundable:
        problems["amount"] = _("退款金额不能超过可退金额 %(left)s 元。") % {"left": f"{order.refundable:,.2f}"}
    if not reason.strip():
        problems["reason"] = _("请写明退款原因。")
    if problems:
        raise ValidationError(problems)
    assert value is not None
    refund = Refund.objects.create(order=order, amount=value, reason=reason.strip()[:300], requested_by=actor)
    data = {"payment_code": order.payment_code, "amount": f"{value:.2f}"}
    cases.record_event(order.case, EventKind.FEE_REFUND_REQUESTED, actor=actor, opinion=reason.strip(), data=data)
    return refund


@transaction.atomic
def decide_refund(refund: Refund, *, actor: User, approve: bool, note: str = "") -> Refund:
    """Approve (then submit to the platform) or refuse a refund; never by the person who asked for it."""
    refund = Refund.objects.select_for_update(of=("self",)).select_related("order__case").get(pk=refund.pk)
    if refund.order.case.department_id not in departments_covered(actor, [Role.APPROVER]):
        raise PermissionDenied(_("退款须由承办部门的审批人员审批。"))
    if refund.requested_by_id == actor.pk:
        raise PermissionDenied(_("退款须由申请人以外的人员审批。"))
    if refund.status != RefundStatus.REQUESTED:
        raise PaymentRefused(_("这笔退款已经审批过了。"), code="decided")
    if not approve and not note.strip():
        raise ValidationError({"note": _("不批准退款的，请写明理由。")})
    refund.decided_by, refund.decided_at, refund.decision_note = actor, timezone.now(), note.strip()[:300]
    refund.status = RefundStatus.SUBMITTED if approve else RefundStatus.REFUSED
    refund.save()
    record(
        "payments.refund_" + ("approved" if approve else "refused"), actor, refund, {"amount": f"{refund.amount:.2f}"}
    )
    if approve:
        refund_id = refund.pk
        transaction.on_commit(lambda: submit_refund(refund_id))
    return refund


def submit_refund(refund_id: int, *, platform: finance.FinancePlatform | None = None) -> str:
    """Send an approved refund to the platform (retry-safe by the refund's id); what happened."""
    with transaction.atomic():
        refund = Refund.objects.select_for_update(skip_locked=True).select_related("order").filter(pk=refund_id).first()
        if refund is None or refund.status != RefundStatus.SUBMITTED:
            return "nothing"
        order = refund.order
        try:
            (platform or finance.FinancePlatform()).refund(str(refund.public_id), order.payment_code, refund.amount,
                                                          refund.reason)  # fmt: skip
        except finance.TransportError as exc:
            refund.last_error = str(exc)[:300]
            refund.save(update_fields=["last_error"])
            return "later"
        except finance.Refused as exc:
            refund.status, refund.last_error = RefundStatus.ERROR, str(exc)[:300]
            refund.save(update_fields=["status", "last_error"])
            record("payments.refund_failed", None, refund, {"error": exc.error[:200]})
            return "refused"
        refund.status, refund.refunded_at, refund.last_error = RefundStatus.REFUNDED, timezone.now(), ""
        refund.save(update_fields=["status", "refunded_at", "last_error"])
        refunded = order.refunded + refund.amount
        # Refunded in full, the reason it waited for a person (paid twice, a withdrawn application) is settled:
        settled = {"needs_review": ""} if order.paid_amount is not None and refunded >= order.paid_amount else {}
        PaymentOrder.objects.filter(pk=order.pk).update(refunded=refunded, **settled)
        case = (
            Case.objects.select_for_update(of=("self",))
            .select_related("applicant", "item_version")
            .get(pk=order.case_id)
        )
        data = {"payment_code": order.payment_code, "amount": f"{refund.amount:.2f}"}
        cases.record_event(case, EventKind.FEE_REFUNDED, actor="payments:platform", opinion=refund.reason, data=data)
        notify(
            case.applicant,
            _("退款已办理：%(item)s") % {"item": case.item_version.name},
            body=_("已向您退还 %(amount)s 元（缴款码 %(code)s），原路退回，到账时间以银行为准。")
            % {"amount": f"{refund.amount:,.2f}", "code": order.payment_code},
            link=f"/my/payments/{order.public_id}/",
        )
        return "refunded"


# Reconciliation -------------------------------------------------------------------------------------------


def poll_pending(
    *, now: datetime.datetime | None = None, platform: finance.FinancePlatform | None = None
) -> dict[str, int]:
    """Every 15 minutes: ask the platform about orders pending 15–30 minutes or past their deadline; flag those
    pending over 24 h; send the approved refunds that have not gone out."""
    now = now or timezone.now()
    counts = {"asked": 0, "paid": 0, "review": 0}
    window = PaymentOrder.objects.filter(
        Q(issued_at__lte=now - datetime.timedelta(minutes=15), issued_at__gt=now - datetime.timedelta(minutes=30))
        # and those past their deadline, which the platform has expired (the clerk may then issue anew):
        | Q(due_on__lt=timezone.localdate(now)),
        status=OrderStatus.PENDING,
    )
    try:
        platform = platform or finance.FinancePlatform()
        for order in window:
            counts["asked"] += 1
            if refresh_order(order, platform=platform) == "paid":
                counts["paid"] += 1
    except finance.TransportError as exc:
        logger.warning("payments: the platform did not answer the pending check: %s", exc)
    old = PaymentOrder.objects.filter(
        status=OrderStatus.PENDING, issued_at__lte=now - datetime.timedelta(hours=24), needs_review=""
    )
    counts["review"] = old.update(needs_review=_("超过24小时仍未确认缴费，请人工核查。"))
    # A fee paid for an application since withdrawn (or not accepted) is owed back: the unit is told to refund it:
    owed = PaymentOrder.objects.filter(
        status=OrderStatus.PAID,
        needs_review="",
        refunded__lt=F("paid_amount"),
        case__status__in=[CaseStatus.WITHDRAWN, CaseStatus.NOT_ACCEPTED],
    )
    counts["refund_due"] = owed.update(needs_review=_("申请已撤回或不予受理，已缴费用应予退还：请申请退款。"))
    for refund_id in Refund.objects.filter(status=RefundStatus.SUBMITTED).values_list("pk", flat=True)[:100]:
        submit_refund(refund_id, platform=platform)
    CallbackNonce.objects.filter(received_at__lt=now - datetime.timedelta(hours=1)).delete()
    return counts


def reconcile_day(day: datetime.date, *, platform: finance.FinancePlatform | None = None) -> StatementRun:
    """Match the platform's statement of ``day`` against the orders; keep every difference for a supervisor.

    Paid there and pending here (a lost callback) is settled by asking the platform and recording
    the payment; what stays different is kept: paid there and unknown here, paid here and
    missing there, amounts that differ. A rerun replaces the day's unsettled differences.
    """
    platform = platform or finance.FinancePlatform()
    lines = platform.statement(day)
    by_code = {line.payment_code: line for line in lines}
    start = timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
    end = start + datetime.timedelta(days=1)
    paid_here = {
        order.payment_code: order
        for order in PaymentOrder.objects.filter(status=OrderStatus.PAID, paid_at__gte=start, paid_at__lt=end)
    }
    other_codes = [code for code in by_code if code not in paid_here]
    known = {}
    for chunk in range(0, len(other_codes), 5000):
        known.update(PaymentOrder.objects.in_bulk(other_codes[chunk : chunk + 5000], field_name="payment_code"))
    found: list[Difference] = []
    for code, line in by_code.items():
        order = paid_here.get(code) or known.get(code)
        if order is None:
            found.append(Difference(kind=DifferenceKind.UNKNOWN_HERE, payment_code=code[:20],
                                    transaction_id=line.transaction_id[:40], amount_there=line.amount))  # fmt: skip
            continue
        if order.status != OrderStatus.PAID:
            outcome = refresh_order(order, platform=platform)
            order.refresh_from_db()
            if order.status != OrderStatus.PAID:
                found.append(Difference(kind=DifferenceKind.NOT_PAID_HERE, payment_code=code, order=order,
                                        transaction_id=line.transaction_id[:40], amount_here=order.total,
                                        amount_there=line.amount))  # fmt: skip
                logger.warning("payments: %s paid at the platform, not recorded here (%s)", code, outcome)
                continue
        if order.paid_amount != line.amount or order.transaction_id != line.transaction_id:
            found.append(Difference(kind=DifferenceKind.AMOUNT, payment_code=code, order=order,
                                    transaction_id=line.transaction_id[:40], amount_here=order.paid_amount,
                                    amount_there=line.amount))  # fmt: skip
    for code, order in paid_here.items():
        if code not in by_code:
            found.append(Difference(kind=DifferenceKind.MISSING_THERE, payment_code=code, order=order,
                                    transaction_id=order.transaction_id or "", amount_here=order.paid_amount))  # fmt: skip
    with transaction.atomic():
        run, _created = StatementRun.objects.update_or_create(
            day=day, defaults={"lines": len(lines), "total": sum((line.amount for line in lines), ZERO)}
        )
        run.found.filter(settled_at__isnull=True).delete()
        settled = set(run.found.values_list("kind", "payment_code"))
        fresh = [d for d in found if (d.kind, d.payment_code) not in settled]
        for difference in fresh:
            difference.run = run
        Difference.objects.bulk_create(fresh, batch_size=2000)
        run.differences = run.found.count()
        run.save(update_fields=["differences"])
        record(
            "payments.reconciled", None, None, {"day": day.isoformat(), "lines": len(lines), "differences": len(fresh)}
        )
    return run


@transaction.atomic
def settle_difference(difference: Difference, *, actor: User, note: str) -> Difference:
    """A supervisor writes down how a difference was settled (with the finance bureau, a refund …)."""
    if not departments_covered(actor, [Role.SUPERVISOR]):
        raise PermissionDenied(_("对账差异由监督人员处理。"))
    if not note.strip():
        raise ValidationError({"note": _("请写明差异的处理情况。")})
    difference = Difference.objects.select_for_update().get(pk=difference.pk)
    if difference.settled_at is not None:
        raise PaymentRefused(_("这条差异已经处理过了。"), code="settled")
    difference.settled_by, difference.settled_at, difference.settlement = actor, timezone.now(), note.strip()[:300]
    difference.save()
    record("payments.difference_settled", actor, difference, {"note": difference.settlement})
    return difference


def reconcile_missing_days(upto: datetime.date, *, days_back: int = 7) -> int:
    """Reconcile ``upto`` and each of the ``days_back`` days before it that has no statement run yet."""
    done = set(
        StatementRun.objects.filter(day__gt=upto - datetime.timedelta(days=days_back)).values_list("day", flat=True)
    )
    count = 0
    for offset in range(days_back - 1, -1, -1):
        day = upto - datetime.timedelta(days=offset)
        if day in done and day != upto:
            continue
        try:
            reconcile_day(day)
        except finance.TransportError as exc:
            logger.warning("payments: the statement of %s could not be fetched: %s", day, exc)
            break
        count += 1
    return count


# Scheduling (lib.schedule: each periodic task queues its own next run) ----------------------------------

CHECK_EVERY_SECONDS = 15 * 60


def schedule_checks(*, delay_seconds: int = CHECK_EVERY_SECONDS) -> bool:
    from govhall.payments.tasks import check_payments

    return queue_once(check_payments, delay_seconds=delay_seconds)


def schedule_reconciliation() -> bool:
    """The next daily reconciliation, at 02:00 tomorrow (the platform publishes the statement after midnight)."""
    from govhall.payments.tasks import reconcile_yesterday

    now = timezone.localtime()
    at = (now + datetime.timedelta(days=1)).replace(hour=2, minute=0, second=0, microsecond=0)
    return queue_once(reconcile_yesterday, delay_seconds=(at - now).total_seconds())
