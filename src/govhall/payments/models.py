"""Fee orders (缴款通知), their lines, refunds, and what the daily reconciliation found."""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from govhall.lib.storage import private_storage
from govhall.payments.constants import (
    PENDING_REFUND_STATUSES,
    Channel,
    DifferenceKind,
    OrderStatus,
    RefundState,
    RefundStatus,
)

ZERO = Decimal("0.00")


class PaymentSerial(models.Model):
    """The last serial of payment codes in a year (the code is unique across the bureau)."""

    year = models.PositiveSmallIntegerField(unique=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


class PaymentOrder(models.Model):
    """One 缴款通知 for a case's fees; the finance platform's order and its receipt once paid.

    The order is its own outbox row: created here in the transaction that assesses the fee,
    sent to the platform by a task (``next_send_at``), retried with the same Idempotency-Key
    (the payment code) until the platform answers, so a retry never makes a second order.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey("cases.Case", verbose_name=_("办件"), on_delete=models.PROTECT, related_name="fee_orders")
    payment_code = models.CharField(_("缴款码"), max_length=20, unique=True)
    payer_name = models.CharField(_("缴款人"), max_length=200)
    total = models.DecimalField(_("应缴金额（元）"), max_digits=12, decimal_places=2)
    due_on = models.DateField(_("缴款期限"))
    status = models.CharField(_("状态"), max_length=12, choices=OrderStatus.choices, default=OrderStatus.CREATED)
    issued_by = models.ForeignKey("identity.User", verbose_name=_("开具人"), on_delete=models.PROTECT, related_name="+")
    issued_at = models.DateTimeField(_("开具时间"), auto_now_add=True)
    notice = models.FileField(_("缴款通知书"), storage=private_storage, max_length=200, blank=True)
    # Toward the platform:
    platform_order_id = models.CharField(_("财政平台订单号"), max_length=40, blank=True)
    pay_url = models.CharField(_("缴费页面"), max_length=300, blank=True)
    next_send_at = models.DateTimeField(_("下次发送时间"), null=True, blank=True)
    send_attempts = models.PositiveIntegerField(_("发送次数"), default=0)
    last_error = models.CharField(_("最近错误"), max_length=300, blank=True)
    checked_at = models.DateTimeField(_("最近查询时间"), null=True, blank=True)
    # The payment, once the platform confirms it:
    channel = models.CharField(_("缴费方式"), max_length=8, choices=Channel.choices, blank=True)
    transaction_id = models.CharField(_("财政平台交易号"), max_length=40, null=True, blank=True, unique=True)
    paid_at = models.DateTimeField(_("缴费时间"), null=True, blank=True)
    paid_amount = models.DecimalField(_("实缴金额（元）"), max_digits=12, decimal_places=2, null=True, blank=True)
    receipt_number = models.CharField(_("电子票据号"), max_length=40, blank=True)
    receipt = models.JSONField(_("电子票据"), default=dict, blank=True)
    recorded_by = models.ForeignKey(
        "identity.User",
        verbose_name=_("窗口收款登记人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    refunded = models.DecimalField(_("已退款（元）"), max_digits=12, decimal_places=2, default=ZERO)
    needs_review = models.CharField(_("待人工核查原因"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("缴款通知")
        verbose_name_plural = _("缴款通知")
        ordering = ["-issued_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(total__gt=0), name="payments_order_total_positive"),
            models.CheckConstraint(condition=Q(refunded__gte=0), name="payments_refunded_not_negative"),
        ]
        indexes = [
            models.Index(fields=["next_send_at"], condition=Q(status="created"), name="payments_order_to_send"),
            models.Index(fields=["issued_at"], condition=Q(status="pending"), name="payments_order_pending"),
            models.Index(fields=["paid_at"], name="payments_order_paid_at"),
        ]

    def __str__(self) -> str:
        return self.payment_code

    @property
    def receipt_issued_at(self) -> datetime.datetime | None:
        """When the finance platform issued the receipt (its ISO time, read)."""
        try:
            return datetime.datetime.fromisoformat(str(self.receipt.get("issued_at", "")))
        except ValueError:
            return None

    @property
    def refund_state(self) -> str:
        if self.status != OrderStatus.PAID or not self.paid_amount:
            return RefundState.UNAVAILABLE
        if self.refunded >= self.paid_amount:
            return RefundState.FULL
        if any(refund.status in PENDING_REFUND_STATUSES for refund in self.refunds.all()):
            return RefundState.PENDING
        return RefundState.AVAILABLE

    @property
    def refundable(self) -> Decimal:
        """What is left of the payment to refund (nothing while a refund is pending)."""
        pending = sum((r.amount for r in self.refunds.all() if r.status in PENDING_REFUND_STATUSES), ZERO)
        return max((self.paid_amount or ZERO) - self.refunded - pending, ZERO)


class OrderLine(models.Model):
    """One fee of the order: the item's fee rule, its legal basis and standard, and the assessed amount."""

    order = models.ForeignKey(PaymentOrder, on_delete=models.CASCADE, related_name="lines")
    fee = models.ForeignKey("catalog.Fee", verbose_name=_("收费项目"), null=True, on_delete=models.SET_NULL)
    name = models.CharField(_("收费项目名称"), max_length=200)
    income_code = models.CharField(_("非税收入项目编码"), max_length=20, blank=True)
    basis = models.TextField(_("收费依据"))
    standard = models.TextField(_("收费标准"))
    assessment = models.CharField(_("核定说明"), max_length=300)
    amount = models.DecimalField(_("金额（元）"), max_digits=12, decimal_places=2)

    class Meta:
        verbose_name = _("缴款项目")
        verbose_name_plural = _("缴款项目")
        ordering = ["pk"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="payments_line_amount_positive")]

    def __str__(self) -> str:
        return f"{self.name} {self.amount}"


class Refund(models.Model):
    """A refund of (part of) a paid order: asked by one person, approved by another, done by the platform."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    order = models.ForeignKey(PaymentOrder, on_delete=models.PROTECT, related_name="refunds")
    amount = models.DecimalField(_("退款金额（元）"), max_digits=12, decimal_places=2)
    reason = models.CharField(_("退款原因"), max_length=300)
    status = models.CharField(_("状态"), max_length=12, choices=RefundStatus.choices, default=RefundStatus.REQUESTED)
    requested_by = models.ForeignKey(
        "identity.User", verbose_name=_("申请人"), on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    decided_by = models.ForeignKey(
        "identity.User", verbose_name=_("审批人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    decision_note = models.CharField(_("审批意见"), max_length=300, blank=True)
    refunded_at = models.DateTimeField(_("退款时间"), null=True, blank=True)
    last_error = models.CharField(_("最近错误"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("退款")
        verbose_name_plural = _("退款")
        ordering = ["-requested_at", "-pk"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="payments_refund_positive")]

    def __str__(self) -> str:
        return f"{self.order.payment_code} −{self.amount}"


class CallbackNonce(models.Model):
    """A callback's nonce, kept while its timestamp is acceptable, so a replay is refused."""

    nonce = models.CharField(max_length=64, unique=True)
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        return self.nonce


class StatementRun(models.Model):
    """One day's statement from the platform, matched against the orders."""

    day = models.DateField(_("对账日期"), unique=True)
    lines = models.PositiveIntegerField(_("对账单笔数"), default=0)
    total = models.DecimalField(_("对账单金额（元）"), max_digits=14, decimal_places=2, default=ZERO)
    differences = models.PositiveIntegerField(_("差异笔数"), default=0)
    ran_at = models.DateTimeField(_("对账时间"), auto_now=True)

    class Meta:
        verbose_name = _("每日对账")
        verbose_name_plural = _("每日对账")
        ordering = ["-day"]

    def __str__(self) -> str:
        return f"{self.day}"


class Difference(models.Model):
    """One difference between the platform's statement and the orders, for a supervisor to settle."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    run = models.ForeignKey(StatementRun, on_delete=models.CASCADE, related_name="found")
    kind = models.CharField(_("差异类型"), max_length=16, choices=DifferenceKind.choices)
    payment_code = models.CharField(_("缴款码"), max_length=20)
    transaction_id = models.CharField(_("财政平台交易号"), max_length=40, blank=True)
    amount_here = models.DecimalField(_("本平台金额"), max_digits=12, decimal_places=2, null=True, blank=True)
    amount_there = models.DecimalField(_("对账单金额"), max_digits=12, decimal_places=2, null=True, blank=True)
    order = models.ForeignKey(PaymentOrder, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    settled_by = models.ForeignKey("identity.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    settled_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    settlement = models.CharField(_("处理说明"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("对账差异")
        verbose_name_plural = _("对账差异")
        ordering = ["settled_at", "-run__day", "pk"]
        constraints = [models.UniqueConstraint(fields=["run", "kind", "payment_code"], name="payments_difference_once")]

    def __str__(self) -> str:
        return f"{self.run.day} {self.kind} {self.payment_code}"
