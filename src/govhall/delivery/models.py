"""How a case's result reaches the applicant (送达): the choice, EMS waybills and their tracking, the hand-over."""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from govhall.delivery.constants import DeliveryStatus, Method, ShipmentKind, ShipmentStatus, Tracking
from govhall.lib.storage import private_storage


class Delivery(models.Model):
    """The delivery of one case's result: how (chosen by the applicant), where it is, and when it was served.

    Made when the applicant first chooses, or when the case is closed with a decision (the
    result is then ready). The address is the applicant's, for EMS: a GB/T 2260 county code
    and the rest; the recipient's phone is kept encrypted and shown masked.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.OneToOneField("cases.Case", verbose_name=_("办件"), on_delete=models.PROTECT, related_name="delivery")
    method = models.CharField(_("送达方式"), max_length=12, choices=Method.choices)
    status = models.CharField(
        _("送达状态"), max_length=20, choices=DeliveryStatus.choices, default=DeliveryStatus.WAITING
    )
    recipient = models.CharField(_("收件人"), max_length=100, blank=True)
    phone_encrypted = models.TextField(blank=True)
    phone_masked = models.CharField(_("收件人电话"), max_length=20, blank=True)
    region_code = models.CharField(_("行政区划代码"), max_length=6, blank=True)
    region_name = models.CharField(_("所在地区"), max_length=60, blank=True)
    address = models.CharField(_("详细地址"), max_length=200, blank=True)
    postcode = models.CharField(_("邮政编码"), max_length=6, blank=True)
    chosen_at = models.DateTimeField(_("选择时间"), null=True, blank=True)
    ready_at = models.DateTimeField(_("结果可送达时间"), null=True, blank=True)
    decision_document = models.FileField(_("决定书"), storage=private_storage, max_length=200, blank=True)
    # Window pick-up:
    pickup_code = models.CharField(_("取件码"), max_length=8, blank=True)
    # Since when the result waits at the window (a 一件事's result ready early waits only from its release):
    awaiting_since = models.DateTimeField(_("待领取起始时间"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("领取提醒时间"), null=True, blank=True)
    # Served (送达): when, how and, at the window, to whom:
    served_at = models.DateTimeField(_("送达时间"), null=True, blank=True)
    served_how = models.CharField(_("送达方式（实际）"), max_length=12, choices=Method.choices, blank=True)
    collector_name = models.CharField(_("领取人"), max_length=100, blank=True)
    collector_id_masked = models.CharField(_("领取人证件号码"), max_length=20, blank=True)
    collector_is_proxy = models.BooleanField(_("委托代领"), default=False)
    handed_over_by = models.ForeignKey(
        "identity.User", verbose_name=_("发证人员"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("送达")
        verbose_name_plural = _("送达")
        ordering = ["-ready_at", "-pk"]
        constraints = [
            # A pick-up code opens one waiting result, never two:
            models.UniqueConstraint(
                fields=["pickup_code"],
                condition=Q(status="awaiting_collection"),
                name="delivery_pickup_code_unique",
            ),
        ]
        indexes = [models.Index(fields=["status", "ready_at"], name="delivery_status_ready")]

    def __str__(self) -> str:
        return f"{self.case_id} {self.method} {self.status}"

    @property
    def full_address(self) -> str:
        return f"{self.region_name}{self.address}"


class Shipment(models.Model):
    """One EMS waybill for a delivery (or for the results of a 一件事 sent together); also the outbox row toward EMS.

    Its ``order_id`` is derived from the case and the attempt (the first sending, the one
    after a refusal, …), and EMS answers a repeated order id with the same waybill: a retry
    after a timeout never makes a second waybill, a new sending after a return makes a new one.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    delivery = models.ForeignKey(Delivery, verbose_name=_("送达"), on_delete=models.PROTECT, related_name="shipments")
    # The other results of the same 一件事 in this parcel (one delivery for the bundle; ``delivery`` leads):
    also = models.ManyToManyField(
        Delivery, verbose_name=_("同一邮件寄送的其他结果"), blank=True, related_name="shared_shipments"
    )
    kind = models.CharField(_("寄递类型"), max_length=10, choices=ShipmentKind.choices, default=ShipmentKind.RESULT)
    # A pick-up of paper materials: the day the courier comes to the applicant's address (which
    # is then the sender, and the bureau the receiver):
    pickup_on = models.DateField(_("上门收取日期"), null=True, blank=True)
    attempt = models.PositiveSmallIntegerField(_("第几次寄递"))
    order_id = models.CharField(_("寄递订单号"), max_length=64, unique=True)
    status = models.CharField(_("状态"), max_length=20, choices=ShipmentStatus.choices, default=ShipmentStatus.CREATED)
    waybill_no = models.CharField(_("运单号"), max_length=13, null=True, blank=True, unique=True)
    label = models.FileField(_("面单"), storage=private_storage, max_length=200, blank=True)
    # The address as sent (a later change of the delivery's address does not rewrite a sent parcel):
    recipient = models.CharField(_("收件人"), max_length=100)
    region_code = models.CharField(_("行政区划代码"), max_length=6)
    address = models.CharField(_("收件地址"), max_length=260)
    next_send_at = models.DateTimeField(_("下次发送时间"), null=True, blank=True)
    send_attempts = models.PositiveIntegerField(_("发送次数"), default=0)
    last_error = models.CharField(_("最近错误"), max_length=300, blank=True)
    checked_at = models.DateTimeField(_("最近查询轨迹时间"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("邮件")
        verbose_name_plural = _("邮件")
        ordering = ["-attempt"]
        constraints = [models.UniqueConstraint(fields=["delivery", "attempt"], name="delivery_shipment_attempt")]
        indexes = [
            models.Index(fields=["next_send_at"], condition=Q(status="created"), name="delivery_shipment_to_send"),
        ]

    def __str__(self) -> str:
        return self.waybill_no or self.order_id


class TrackingEvent(models.Model):
    """One tracking event of a waybill, mapped to the carrier-neutral set; the carrier's own code kept."""

    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="events")
    event_id = models.CharField(_("轨迹编号"), max_length=64)
    kind = models.CharField(_("轨迹"), max_length=20, choices=Tracking.choices)
    carrier_code = models.CharField(_("承运方代码"), max_length=10)
    description = models.CharField(_("说明"), max_length=200)
    place = models.CharField(_("地点"), max_length=100, blank=True)
    happened_at = models.DateTimeField(_("时间"))
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("邮件轨迹")
        verbose_name_plural = _("邮件轨迹")
        ordering = ["happened_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["shipment", "event_id"], name="delivery_tracking_once")]

    def __str__(self) -> str:
        return f"{self.shipment_id} {self.kind}"


class TrackingNonce(models.Model):
    """A tracking push already taken (EMS signs each with a fresh nonce): a replay is refused."""

    nonce = models.CharField(max_length=64, unique=True)
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        return self.nonce
