"""The sharing app's records: API clients, the outbox to higher-level platforms, and provincial applications."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from govhall.sharing.constants import (
    DEFAULT_MIN_COUNT,
    DEFAULT_RATE_PER_MINUTE,
    PROTOCOL_VERSION,
    Adapter,
    Flag,
    InboundStatus,
    MessageStatus,
    MessageType,
    Openness,
    UpdateFrequency,
)


class ClientAccess(models.Model):
    """The grant of one OAuth2 client (client credentials): its scopes, departments and rate."""

    application = models.OneToOneField(
        settings.OAUTH2_PROVIDER_APPLICATION_MODEL,
        verbose_name=_("OAuth2 客户端"),
        on_delete=models.CASCADE,
        related_name="access",
    )
    organisation = models.CharField(_("对接单位"), max_length=200)
    # ClientScope values:
    scopes = models.JSONField(_("授权范围"), default=list)
    # The departments whose records the client may read (each with the units below it):
    departments = models.ManyToManyField("identity.Department", verbose_name=_("数据所属部门"), related_name="+")
    rate_per_minute = models.PositiveIntegerField(_("每分钟调用上限"), default=DEFAULT_RATE_PER_MINUTE)
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("共享接口客户端")
        verbose_name_plural = _("共享接口客户端")

    def __str__(self) -> str:
        return self.organisation


class Platform(models.Model):
    """A higher-level platform that receives the outbox's messages (and may send applications down).

    ``secret_encrypted`` is the key both sides sign with (HMAC-SHA256, docs/exchange.md),
    encrypted at rest with the platform's data key. ``failures`` counts the consecutive
    requests that did not get a valid answer (down, timeout, 5xx, garbage, bad signature);
    while it is above zero nothing is sent before ``retry_at``. ``lease_until`` makes one
    sender at a time per platform, so a case's messages leave in order.
    """

    code = models.CharField(_("平台代码"), max_length=20, unique=True)
    name = models.CharField(_("平台名称"), max_length=100)
    adapter = models.CharField(_("接口类型"), max_length=16, choices=Adapter.choices)
    url = models.URLField(_("接收地址"), max_length=300)
    secret_encrypted = models.TextField(_("签名密钥（加密保存）"))
    timeout_seconds = models.FloatField(_("超时（秒）"), default=10.0)
    is_active = models.BooleanField(_("启用"), default=True)
    failures = models.PositiveIntegerField(_("连续失败次数"), default=0)
    retry_at = models.DateTimeField(_("下次尝试时间"), null=True, blank=True)
    last_error = models.CharField(_("最近错误"), max_length=300, blank=True)
    last_ack_at = models.DateTimeField(_("最近回执时间"), null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    lease_owner = models.CharField(max_length=40, blank=True)
    # A webhook subscription's choice of message types (empty: all its kind takes):
    message_types = models.JSONField(_("订阅的报文类型"), default=list, blank=True)
    # After a key rotation the old key also signs until then, so the subscriber can switch over:
    previous_secret_encrypted = models.TextField(blank=True)
    previous_secret_until = models.DateTimeField(_("旧密钥签名截止"), null=True, blank=True)
    paused_at = models.DateTimeField(_("自动暂停时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("上级平台")
        verbose_name_plural = _("上级平台")

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"

    def takes(self, message_type: str) -> bool:
        """Does this platform get messages of this type (its kind takes it, and it subscribed to it)?"""
        from govhall.sharing.constants import TYPES_OF_ADAPTER

        return message_type in TYPES_OF_ADAPTER[self.adapter] and (
            not self.message_types or message_type in self.message_types
        )


class WebhookSubscription(Platform):
    """The webhook subscriptions among the platforms, for the admin (same rows, same outbox)."""

    class Meta:
        proxy = True
        verbose_name = _("订阅推送（Webhook）")
        verbose_name_plural = _("订阅推送（Webhook）")


class StreamCounter(models.Model):
    """The last sequence number given in one stream (one case, item or licence) to one platform."""

    platform = models.ForeignKey(Platform, on_delete=models.CASCADE, related_name="+")
    stream = models.CharField(max_length=140)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["platform", "stream"], name="sharing_stream_once")]

    def __str__(self) -> str:
        return f"{self.stream} @ {self.last}"


class OutboxMessage(models.Model):
    """One message to one platform, in the national exchange's field names (docs/exchange.md).

    ``stream`` is what the order is kept within (``case:<办件编号>``, ``item:<实施编码>``,
    ``licence:<证照标识>``); ``sequence`` counts 1, 2, 3 … in it, and the receiver applies a
    stream's messages only in that order. ``idempotency_key`` is the message id the receiver
    de-duplicates by: sending a message again (a retry, a replay) never has a second effect.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    platform = models.ForeignKey(Platform, verbose_name=_("接收平台"), on_delete=models.PROTECT, related_name="+")
    message_type = models.CharField(_("报文类型"), max_length=2, choices=MessageType.choices)
    flag = models.CharField(_("操作标志"), max_length=1, choices=Flag.choices, default=Flag.INSERT)
    protocol_version = models.CharField(_("协议版本"), max_length=8, default=PROTOCOL_VERSION)
    target_code = models.CharField(_("目标平台代码"), max_length=20)
    stream = models.CharField(_("顺序流"), max_length=140)
    sequence = models.PositiveIntegerField(_("流内序号"))
    idempotency_key = models.CharField(_("报文标识"), max_length=120, unique=True)
    # What made it: "event:<CaseEvent id>", "rating:<uuid>", "item:<id>", "licence:<uuid>":
    source = models.CharField(_("来源"), max_length=80)
    payload = models.JSONField(_("报文内容"), default=dict)
    status = models.CharField(_("状态"), max_length=10, choices=MessageStatus.choices, default=MessageStatus.PENDING)
    attempts = models.PositiveIntegerField(_("被拒次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次发送时间"))
    last_error = models.CharField(_("最近错误"), max_length=300, blank=True)
    ack_id = models.CharField(_("回执编号"), max_length=80, blank=True)
    ack_result = models.CharField(_("回执结果"), max_length=12, blank=True)
    acknowledged_at = models.DateTimeField(_("回执时间"), null=True, blank=True)
    replays = models.PositiveIntegerField(_("重发次数"), default=0)
    created_at = models.DateTimeField(_("生成时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("待报送报文")
        verbose_name_plural = _("待报送报文")
        constraints = [
            models.UniqueConstraint(fields=["platform", "stream", "sequence"], name="sharing_message_order"),
        ]
        indexes = [
            # The sender's question: this platform's due messages, oldest first (only the
            # undelivered are indexed; delivered ones are nearly all of them after a while):
            models.Index(
                fields=["platform", "next_attempt_at", "id"],
                condition=Q(status="pending"),
                name="sharing_outbox_due",
            ),
            models.Index(
                fields=["platform", "stream", "sequence"],
                condition=~Q(status="delivered"),
                name="sharing_outbox_waiting",
            ),
            models.Index(fields=["platform", "created_at"], name="sharing_outbox_created"),
        ]

    def __str__(self) -> str:
        return f"{self.message_type} {self.stream}#{self.sequence}"

    def envelope(self) -> dict[str, object]:
        """The message as it travels (docs/exchange.md, MESSAGES[])."""
        return {
            "MSG_ID": self.idempotency_key,
            "MSG_TYPE": self.message_type,
            "FLAG": self.flag,
            "PROTOCOL_VERSION": self.protocol_version,
            "TARGET_CODE": self.target_code,
            "STREAM": self.stream,
            "SEQ": self.sequence,
            "CREATE_TIME": self.created_at.isoformat(),
            "DATA": self.payload,
        }


class InboundApplication(models.Model):
    """An application filed on the provincial hall for one of this bureau's items, as it arrived.

    One row per provincial case number and platform: a resend finds this row and never makes
    a second case. One that cannot become a case waits in the review list with its reason.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    platform = models.ForeignKey(Platform, verbose_name=_("来源平台"), on_delete=models.PROTECT, related_name="+")
    provincial_number = models.CharField(_("省级办件编号"), max_length=60)
    message_id = models.CharField(_("报文标识"), max_length=120)
    task_code = models.CharField(_("实施编码"), max_length=40, blank=True)
    applicant_name = models.CharField(_("申请人名称"), max_length=200, blank=True)
    # The application without its files' bytes and with the ID number masked (the bytes are
    # in the case's materials; the number is on the person, encrypted):
    payload = models.JSONField(_("报文内容"), default=dict)
    # The applicant's full ID number or credit code and phone, encrypted (the payload keeps them
    # masked), so that a retry from the review list can still find or open the account:
    applicant_code_encrypted = models.TextField(blank=True)
    applicant_mobile_encrypted = models.TextField(blank=True)
    status = models.CharField(_("状态"), max_length=12, choices=InboundStatus.choices, default=InboundStatus.RECEIVED)
    reason = models.TextField(_("原因"), blank=True)
    case_public_id = models.UUIDField(_("本地办件"), null=True, blank=True)
    case_reference = models.CharField(_("本地办件编号"), max_length=60, blank=True)
    times_received = models.PositiveIntegerField(_("接收次数"), default=1)
    received_at = models.DateTimeField(_("接收时间"), auto_now_add=True)
    handled_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    handled_by = models.CharField(_("处理人"), max_length=150, blank=True)

    class Meta:
        verbose_name = _("省级推送申请")
        verbose_name_plural = _("省级推送申请")
        constraints = [
            models.UniqueConstraint(fields=["platform", "provincial_number"], name="sharing_inbound_once"),
        ]

    def __str__(self) -> str:
        return self.provincial_number


class Dataset(models.Model):
    """An open data set defined as data: which query, its fields, its class and secrecy review, its schedule.

    ``rows`` is the latest release (made by ``refresh_dataset`` on its schedule); the portal and
    the API serve that release, with ``refreshed_at`` as its "last updated".
    """

    slug = models.SlugField(_("标识"), max_length=60, unique=True)
    title = models.CharField(_("名称"), max_length=200)
    description = models.TextField(_("说明"), blank=True)
    query = models.CharField(_("数据查询"), max_length=40)
    openness = models.CharField(_("开放属性"), max_length=16, choices=Openness.choices)
    licence = models.CharField(_("开放许可"), max_length=200, default="政府数据开放许可（署名，可商用）")
    update_frequency = models.CharField(_("更新频率"), max_length=10, choices=UpdateFrequency.choices)
    min_count = models.PositiveSmallIntegerField(_("小数抑制阈值"), default=DEFAULT_MIN_COUNT)
    # The secrecy review (保密审查) that cleared it: who, when, what they concluded:
    reviewed_by = models.CharField(_("保密审查人"), max_length=150)
    reviewed_on = models.DateField(_("保密审查日期"))
    review_conclusion = models.TextField(_("保密审查结论"))
    is_published = models.BooleanField(_("已发布"), default=False)
    rows = models.JSONField(_("当前发布的数据"), default=list, blank=True)
    refreshed_at = models.DateTimeField(_("最近更新"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("开放数据集")
        verbose_name_plural = _("开放数据集")

    def __str__(self) -> str:
        return self.title
