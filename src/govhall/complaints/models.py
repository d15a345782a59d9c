"""Complaints (投诉举报) and supervision orders (督办).

A complaint's contact details are personal data: kept encrypted (``lib.crypto``), with a
keyed hash and a masked form, as ``identity`` keeps phone numbers; the query code that lets
the complainant follow it is kept only as a keyed hash.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from govhall.complaints.constants import (
    OPEN_ORDER_STATUSES,
    ComplaintChannel,
    ComplaintEventKind,
    ComplaintKind,
    ComplaintStatus,
    Escalation,
    Level,
    LimitKey,
    ObjectKind,
    OrderEventKind,
    OrderStatus,
    Satisfaction,
    Source,
    Warning,
)
from govhall.lib.storage import private_storage


class ComplaintTimeLimit(models.Model):
    """How many working days a complaint of one kind (or an urgent one) has, counted from acceptance.

    Local practice (STANDARDS.md §10), so data: urgent 0 (the same day), consultation 2,
    complaints 10. Seeded by migration 0002; edited by the system administrator.
    """

    key = models.CharField(_("类别"), max_length=16, choices=LimitKey.choices, unique=True)
    working_days = models.PositiveSmallIntegerField(_("办理时限（工作日）"))
    note = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("投诉办理时限")
        verbose_name_plural = _("投诉办理时限")
        ordering = ["key"]

    def __str__(self) -> str:
        return f"{self.get_key_display()} · {self.working_days}"


class Complaint(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    tracking_number = models.CharField(_("投诉编号"), max_length=20, unique=True)
    query_code_hash = models.CharField(_("查询码（检索哈希）"), max_length=64)
    channel = models.CharField(_("投诉渠道"), max_length=20, choices=ComplaintChannel.choices)
    hotline_number = models.CharField(_("12345工单编号"), max_length=40, blank=True)
    kind = models.CharField(_("投诉类型"), max_length=16, choices=ComplaintKind.choices)
    is_urgent = models.BooleanField(_("紧急"), default=False)
    status = models.CharField(
        _("状态"), max_length=16, choices=ComplaintStatus.choices, default=ComplaintStatus.SUBMITTED
    )
    title = models.CharField(_("标题"), max_length=100)
    content = models.TextField(_("投诉内容"))
    # What it is about: a unit, a staff member, an item, a case (any of them, at least one unit):
    about_department = models.ForeignKey(
        "identity.Department",
        verbose_name=_("被投诉单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="complaints_about",
    )
    about_staff = models.ForeignKey(
        "identity.User",
        verbose_name=_("被投诉工作人员"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="complaints_about",
    )
    about_staff_text = models.CharField(_("被投诉人（投诉人填写）"), max_length=100, blank=True)
    item = models.ForeignKey(
        "catalog.ServiceItem", verbose_name=_("相关事项"), null=True, blank=True, on_delete=models.PROTECT
    )
    case = models.ForeignKey(
        "cases.Case",
        verbose_name=_("相关办件"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="complaints",
    )
    # The unit that handles it (the unit complained about, or the bureau until assigned):
    department = models.ForeignKey(
        "identity.Department", verbose_name=_("承办单位"), on_delete=models.PROTECT, related_name="complaints"
    )
    assignee = models.ForeignKey(
        "identity.User",
        verbose_name=_("承办人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="complaints_assigned",
    )
    # The complainant: an account when named and logged in; otherwise what they gave:
    complainant = models.ForeignKey(
        "identity.User",
        verbose_name=_("投诉人账户"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="complaints_filed",
    )
    is_anonymous = models.BooleanField(_("匿名"), default=True)
    complainant_name = models.CharField(_("投诉人姓名"), max_length=100, blank=True)
    phone_encrypted = models.TextField(_("联系电话（密文）"), blank=True)
    phone_hash = models.CharField(_("联系电话（检索哈希）"), max_length=64, blank=True, db_index=True)
    phone_masked = models.CharField(_("联系电话"), max_length=20, blank=True)
    email_encrypted = models.TextField(_("电子邮箱（密文）"), blank=True)
    email_masked = models.CharField(_("电子邮箱"), max_length=120, blank=True)
    submitted_at = models.DateTimeField(_("提交时间"), auto_now_add=True)
    accepted_on = models.DateField(_("受理日期"), null=True, blank=True)
    due_on = models.DateField(_("办理期限"), null=True, blank=True)
    due_is_provisional = models.BooleanField(_("办理期限为预计"), default=False)
    warning = models.CharField(_("时限预警"), max_length=8, choices=Warning.choices, default=Warning.NONE)
    extension_days = models.PositiveSmallIntegerField(_("申请延期工作日"), default=0)
    extension_reason = models.TextField(_("延期理由"), blank=True)
    extension_approved = models.BooleanField(_("延期已批准"), default=False)
    reject_reason = models.TextField(_("不予受理理由"), blank=True)
    answer = models.TextField(_("答复内容"), blank=True)
    answered_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    satisfaction = models.PositiveSmallIntegerField(
        _("对答复的评价"), null=True, blank=True, choices=Satisfaction.choices
    )
    satisfaction_comment = models.TextField(_("评价意见"), blank=True)
    reopen_count = models.PositiveSmallIntegerField(_("重新办理次数"), default=0)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("投诉举报")
        verbose_name_plural = _("投诉举报")
        ordering = ["-submitted_at", "-pk"]
        constraints = [
            # A 12345 work order is entered once:
            models.UniqueConstraint(
                fields=["hotline_number"], condition=~Q(hotline_number=""), name="complaints_hotline_once"
            ),
        ]
        indexes = [
            models.Index(fields=["department", "status"], name="complaints_unit_status"),
            models.Index(fields=["status", "due_on"], name="complaints_open_due"),
        ]

    def __str__(self) -> str:
        return self.tracking_number


class ComplaintEvent(models.Model):
    """One thing that happened to a complaint, with who, when and the note given."""

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("事件"), max_length=24, choices=ComplaintEventKind.choices)
    from_status = models.CharField(_("原状态"), max_length=16, blank=True)
    to_status = models.CharField(_("新状态"), max_length=16, blank=True)
    actor = models.ForeignKey("identity.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    actor_label = models.CharField(_("操作人"), max_length=150)
    note = models.TextField(_("意见"), blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("投诉事件")
        verbose_name_plural = _("投诉事件")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.complaint} {self.kind}"


class SupervisionOrder(models.Model):
    """A supervision order (督办): a unit must reply, with evidence, by a deadline.

    It supervises one object — a case, a bad-rating rectification, a complaint, or a task of
    the office app — named by ``object_kind`` and that object's public UUID (no foreign key,
    so that one model serves every kind; ``case`` is set too when the object is a case or
    belongs to one). At most one order per object is open (constraint).
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    number = models.CharField(_("督办编号"), max_length=20, unique=True)
    object_kind = models.CharField(_("督办对象类型"), max_length=12, choices=ObjectKind.choices)
    object_id = models.UUIDField(_("督办对象"))
    object_label = models.CharField(_("督办对象名称"), max_length=200, blank=True)
    case = models.ForeignKey(
        "cases.Case",
        verbose_name=_("相关办件"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="supervision_orders",
    )
    department = models.ForeignKey(
        "identity.Department",
        verbose_name=_("被督办单位"),
        on_delete=models.PROTECT,
        related_name="supervision_orders",
    )
    level = models.CharField(_("督办等级"), max_length=8, choices=Level.choices)
    source = models.CharField(_("督办来源"), max_length=20, choices=Source.choices, default=Source.MANUAL)
    reason = models.TextField(_("督办事由"))
    status = models.CharField(_("状态"), max_length=8, choices=OrderStatus.choices, default=OrderStatus.OPEN)
    reply_due_on = models.DateField(_("回复期限"))
    reply_due_is_provisional = models.BooleanField(_("回复期限为预计"), default=False)
    escalation = models.CharField(_("催办通报"), max_length=8, choices=Escalation.choices, default=Escalation.NONE)
    # The day of the last 催办 or 通报 (the next step waits another reply period from it):
    escalated_on = models.DateField(_("催办通报日期"), null=True, blank=True)
    raised_by = models.ForeignKey(
        "identity.User", verbose_name=_("督办人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    raised_at = models.DateTimeField(_("督办时间"), auto_now_add=True)
    reply = models.TextField(_("回复内容"), blank=True)
    replied_by = models.ForeignKey(
        "identity.User", verbose_name=_("回复人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    replied_at = models.DateTimeField(_("回复时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("督办单")
        verbose_name_plural = _("督办单")
        ordering = ["-raised_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["object_kind", "object_id"],
                condition=Q(status__in=sorted(OPEN_ORDER_STATUSES)),
                name="complaints_one_open_order",
            ),
        ]
        indexes = [
            models.Index(fields=["department", "status"], name="complaints_order_unit"),
            models.Index(fields=["status", "reply_due_on"], name="complaints_order_due"),
        ]

    def __str__(self) -> str:
        return self.number


class SupervisionEvent(models.Model):
    """One thing that happened to an order: raised, replied, returned, urged, reported, closed."""

    order = models.ForeignKey(SupervisionOrder, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("事件"), max_length=16, choices=OrderEventKind.choices)
    actor = models.ForeignKey("identity.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    actor_label = models.CharField(_("操作人"), max_length=150)
    note = models.TextField(_("说明"), blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("督办事件")
        verbose_name_plural = _("督办事件")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.order} {self.kind}"


def evidence_path(instance: SupervisionEvidence, filename: str) -> str:
    # A random name: nothing a user typed ever becomes part of a path.
    return f"supervision/{instance.order.public_id}/{uuid.uuid4().hex}.{filename.rsplit('.', 1)[-1]}"


class SupervisionEvidence(models.Model):
    """A file the unit gave with its reply (inspected by ``lib.uploads``)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    order = models.ForeignKey(SupervisionOrder, on_delete=models.CASCADE, related_name="evidence")
    file = models.FileField(_("文件"), storage=private_storage, upload_to=evidence_path, max_length=200)
    original_name = models.CharField(_("文件名"), max_length=120)
    content_type = models.CharField(_("文件类型"), max_length=40)
    size = models.PositiveBigIntegerField(_("大小"))
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey("identity.User", on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("督办佐证材料")
        verbose_name_plural = _("督办佐证材料")
        ordering = ["uploaded_at", "pk"]

    def __str__(self) -> str:
        return self.original_name
