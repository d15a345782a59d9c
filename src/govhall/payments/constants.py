"""The states of a fee order and of a refund, and the kinds of reconciliation difference."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class OrderStatus(models.TextChoices):
    """GOV.UK Pay's states, as the finance platform knows them (docs/finance-platform.md)."""

    CREATED = "created", _("已开具，待发送财政平台")
    PENDING = "pending", _("待缴费")
    PAID = "paid", _("已缴费")
    EXPIRED = "expired", _("已过缴款期限")
    CANCELLED = "cancelled", _("已作废")
    FAILED = "failed", _("开具失败")


OPEN_ORDER_STATUSES = frozenset({OrderStatus.CREATED, OrderStatus.PENDING})


class Channel(models.TextChoices):
    ONLINE = "online", _("网上缴费")
    WINDOW = "window", _("窗口缴费（POS机或现金）")


class RefundStatus(models.TextChoices):
    REQUESTED = "requested", _("待审批")
    REFUSED = "refused", _("未批准")
    SUBMITTED = "submitted", _("已提交财政平台")
    REFUNDED = "refunded", _("已退款")
    ERROR = "error", _("退款失败")


PENDING_REFUND_STATUSES = frozenset({RefundStatus.REQUESTED, RefundStatus.SUBMITTED})


class RefundState(models.TextChoices):
    """What a refund of the order can be now (GOV.UK Pay's refund summary)."""

    UNAVAILABLE = "unavailable", _("不可退款")
    AVAILABLE = "available", _("可退款")
    PENDING = "pending", _("退款处理中")
    FULL = "full", _("已全额退款")


class DifferenceKind(models.TextChoices):
    UNKNOWN_HERE = "unknown_here", _("财政平台已缴费，本平台无此缴款记录")
    MISSING_THERE = "missing_there", _("本平台记为已缴费，对账单中没有")
    AMOUNT = "amount", _("金额不一致")
    NOT_PAID_HERE = "not_paid_here", _("对账单已缴费，本平台仍未记为已缴费")
