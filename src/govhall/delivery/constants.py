"""How a result reaches the applicant, where it is, and the carrier-neutral tracking events."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Method(models.TextChoices):
    WINDOW = "window", _("窗口领取")
    EMS = "ems", _("邮政EMS寄递")
    ELECTRONIC = "electronic", _("电子送达（网上下载）")


class DeliveryStatus(models.TextChoices):
    WAITING = "waiting", _("结果办理中")
    TO_SEND = "to_send", _("待寄出")
    IN_TRANSIT = "in_transit", _("寄递中")
    AWAITING_COLLECTION = "awaiting_collection", _("待领取")
    AVAILABLE = "available", _("待下载")
    RETURNED = "returned", _("未能送达，待重新安排")
    DELIVERED = "delivered", _("已送达")


# Until the result is ready the applicant may change how it reaches them:
CHANGEABLE_STATUSES = frozenset({DeliveryStatus.WAITING, DeliveryStatus.RETURNED})


class ShipmentKind(models.TextChoices):
    RESULT = "result", _("寄送办理结果")
    MATERIALS = "materials", _("上门收取纸质材料")


class ShipmentStatus(models.TextChoices):
    """One EMS waybill: the outbox row toward EMS, then the parcel."""

    CREATED = "created", _("待向EMS下单")
    BOOKED = "booked", _("已下单，待揽收")
    PICKED_UP = "picked_up", _("已揽收")
    IN_TRANSIT = "in_transit", _("运输中")
    OUT_FOR_DELIVERY = "out_for_delivery", _("派送中")
    SIGNED = "signed", _("已签收")
    REFUSED = "refused", _("拒收")
    RETURNED = "returned", _("已退回")
    EXCEPTION = "exception", _("寄递异常")
    FAILED = "failed", _("下单失败")
    CANCELLED = "cancelled", _("已取消")


class Tracking(models.TextChoices):
    """The carrier-neutral tracking events every carrier's codes are mapped to."""

    PICKED_UP = "picked_up", _("已揽收")
    IN_TRANSIT = "in_transit", _("运输中")
    OUT_FOR_DELIVERY = "out_for_delivery", _("派送中")
    SIGNED = "signed", _("已签收")
    REFUSED = "refused", _("拒收")
    RETURNED = "returned", _("已退回")
    EXCEPTION = "exception", _("寄递异常")


# What a tracking event makes of the waybill, and which ones end it:
TRACKING_STATUS = {
    Tracking.PICKED_UP: ShipmentStatus.PICKED_UP,
    Tracking.IN_TRANSIT: ShipmentStatus.IN_TRANSIT,
    Tracking.OUT_FOR_DELIVERY: ShipmentStatus.OUT_FOR_DELIVERY,
    Tracking.SIGNED: ShipmentStatus.SIGNED,
    Tracking.REFUSED: ShipmentStatus.REFUSED,
    Tracking.RETURNED: ShipmentStatus.RETURNED,
    Tracking.EXCEPTION: ShipmentStatus.EXCEPTION,
}
FINAL_SHIPMENT_STATUSES = frozenset(
    {
        ShipmentStatus.SIGNED,
        ShipmentStatus.REFUSED,
        ShipmentStatus.RETURNED,
        ShipmentStatus.FAILED,
        ShipmentStatus.CANCELLED,
    }  # fmt: skip
)
# A parcel that did not reach the applicant: delivery is reopened and they are told:
UNDELIVERED = frozenset({Tracking.REFUSED, Tracking.RETURNED})
# The order in which a parcel moves: an event that arrives late never moves it back:
PROGRESS = {
    ShipmentStatus.CREATED: 0,
    ShipmentStatus.BOOKED: 1,
    ShipmentStatus.PICKED_UP: 2,
    ShipmentStatus.IN_TRANSIT: 3,
    ShipmentStatus.EXCEPTION: 3,
    ShipmentStatus.OUT_FOR_DELIVERY: 4,
    ShipmentStatus.SIGNED: 9,
    ShipmentStatus.REFUSED: 9,
    ShipmentStatus.RETURNED: 9,
}
