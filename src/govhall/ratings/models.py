"""好差评: ratings of a service, the invitations to rate, and the rectification of a bad rating."""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from govhall.lib.storage import private_storage
from govhall.ratings.constants import (
    BAD_LEVELS,
    Channel,
    RatingLevel,
    RectificationAction,
    RectificationStatus,
    ServiceKind,
    Warning,
)


class BadRatingReason(models.Model):
    """One reason a rater may choose for a bad rating; the list is data, edited in the admin."""

    code = models.SlugField(_("代码"), max_length=40, unique=True)
    text = models.CharField(_("差评原因"), max_length=100)
    text_en = models.CharField(_("英文名称"), max_length=150, blank=True)
    sort_order = models.PositiveIntegerField(_("排序"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("差评原因")
        verbose_name_plural = _("差评原因")
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        """The reason in the active language (the English name when there is one)."""
        return self.text_en if self.text_en and (get_language() or "").startswith("en") else self.text


class Rating(models.Model):
    """One rating of one service: a case (一事一评) or, when the hall's tickets exist, a window visit (一次一评).

    One first rating per service and channel, and one follow-up (追加) rating after it
    (the constraints). ``rater`` is who rated; a clerk sees it only while handling the
    rectification (``queries.rater_visible_to``).
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    service_kind = models.CharField(_("服务类型"), max_length=8, choices=ServiceKind.choices, default=ServiceKind.CASE)
    case = models.ForeignKey(
        "cases.Case", verbose_name=_("办件"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The seam for 一次一评: the queue ticket's reference of the window visit rated (issue 21's
    # hall work); empty for a case. No ticket model exists yet, so nothing is invented here.
    visit_reference = models.CharField(_("窗口服务编号"), max_length=40, blank=True)
    department = models.ForeignKey(
        "identity.Department", verbose_name=_("被评价单位"), on_delete=models.PROTECT, related_name="+"
    )
    channel = models.CharField(_("评价渠道"), max_length=10, choices=Channel.choices)
    level = models.CharField(_("评价等级"), max_length=20, choices=RatingLevel.choices)
    # {indicator: 1-5} for the indicators of the channel (constants.INDICATORS_BY_CHANNEL):
    indicator_scores = models.JSONField(_("分项评价"), default=dict, blank=True)
    reasons = models.ManyToManyField(BadRatingReason, verbose_name=_("差评原因"), blank=True, related_name="+")
    comment = models.TextField(_("评价内容"), blank=True)
    staff = models.ManyToManyField("identity.User", verbose_name=_("被评价工作人员"), blank=True, related_name="+")
    rater = models.ForeignKey(
        "identity.User", verbose_name=_("评价人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    is_follow_up = models.BooleanField(_("追加评价"), default=False)
    is_default = models.BooleanField(_("默认评价"), default=False)
    # The 12345 work order a hotline rating was entered from (unique: entered once):
    hotline_number = models.CharField(_("12345工单编号"), max_length=40, blank=True)
    entered_by = models.ForeignKey(
        "identity.User", verbose_name=_("录入人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    is_removed = models.BooleanField(_("已撤销（恶意差评）"), default=False)
    rated_at = models.DateTimeField(_("评价时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("评价")
        verbose_name_plural = _("评价")
        constraints = [
            models.UniqueConstraint(
                fields=["case", "channel", "is_follow_up"],
                condition=Q(case__isnull=False),
                name="ratings_once_per_case_channel",
            ),
            models.UniqueConstraint(
                fields=["hotline_number"], condition=~Q(hotline_number=""), name="ratings_hotline_number_once"
            ),
            # Always tied to a real service: a case, or (once the hall's tickets exist) a visit:
            models.CheckConstraint(
                condition=(Q(service_kind=ServiceKind.CASE) & Q(case__isnull=False))
                | (Q(service_kind=ServiceKind.VISIT) & Q(case__isnull=True) & ~Q(visit_reference="")),
                name="ratings_of_a_real_service",
            ),
        ]
        indexes = [
            models.Index(fields=["department", "rated_at"], name="ratings_by_unit"),
            # The indicators count a day's ratings of every unit (stats/measures.py):
            models.Index(fields=["rated_at"], name="ratings_rated_at"),
        ]

    def __str__(self) -> str:
        return f"{self.case or self.visit_reference} {self.level}"

    @property
    def is_bad(self) -> bool:
        return self.level in BAD_LEVELS


class RatingInvitation(models.Model):
    """The offer to rate a finished case by SMS: one per case; ``used_at`` once it was answered or defaulted.

    The link carries a signed, expiring token naming ``public_id`` (``tokens.py``).
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.OneToOneField("cases.Case", verbose_name=_("办件"), on_delete=models.PROTECT, related_name="+")
    sent_at = models.DateTimeField(_("发送时间"), auto_now_add=True)
    expires_at = models.DateTimeField(_("链接有效期至"))
    used_at = models.DateTimeField(_("评价时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("评价邀请")
        verbose_name_plural = _("评价邀请")
        # The default-rating sweep reads only the invitations still waiting:
        indexes = [models.Index(fields=["sent_at"], condition=Q(used_at__isnull=True), name="ratings_invitation_open")]

    def __str__(self) -> str:
        return str(self.case)


class Rectification(models.Model):
    """The rectification (差评整改) a bad rating opens; its status changes only through ``actions.move``."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    rating = models.OneToOneField(
        Rating, verbose_name=_("差评"), on_delete=models.PROTECT, related_name="rectification"
    )
    department = models.ForeignKey(
        "identity.Department", verbose_name=_("整改单位"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        _("状态"), max_length=12, choices=RectificationStatus.choices, default=RectificationStatus.NEW
    )
    is_reasonable = models.BooleanField(_("差评合理"), null=True)
    is_true = models.BooleanField(_("反映属实"), null=True)
    is_malicious = models.BooleanField(_("疑似恶意差评"), null=True)
    classification_note = models.TextField(_("分类意见"), blank=True)
    handler = models.ForeignKey(
        "identity.User", verbose_name=_("整改责任人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    leader_instruction = models.TextField(_("领导批示"), blank=True)
    measures = models.TextField(_("整改措施"), blank=True)
    explanation = models.TextField(_("情况说明"), blank=True)
    appeal_reason = models.TextField(_("申诉理由"), blank=True)
    appeal_decision = models.TextField(_("申诉审核意见"), blank=True)
    follow_up_note = models.TextField(_("回访记录"), blank=True)
    follow_up_at = models.DateTimeField(_("回访时间"), null=True, blank=True)
    result = models.TextField(_("整改结果"), blank=True)
    classify_due_on = models.DateField(_("分类期限"))
    rectify_due_on = models.DateField(_("整改期限"), null=True, blank=True)
    warning = models.CharField(_("时限预警"), max_length=8, choices=Warning.choices, default=Warning.NONE)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("差评整改")
        verbose_name_plural = _("差评整改")
        indexes = [models.Index(fields=["department", "status"], name="ratings_rectification_unit")]

    def __str__(self) -> str:
        return f"{self.rating} {self.status}"


class RectificationEvent(models.Model):
    """One step of a rectification: who, when, from which status to which, and what was said."""

    rectification = models.ForeignKey(Rectification, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("操作"), max_length=20)
    from_status = models.CharField(_("原状态"), max_length=12, blank=True)
    to_status = models.CharField(_("新状态"), max_length=12, choices=RectificationStatus.choices, blank=True)
    actor = models.ForeignKey("identity.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    actor_label = models.CharField(_("操作人"), max_length=150)
    note = models.TextField(_("意见"), blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("整改记录")
        verbose_name_plural = _("整改记录")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.rectification_id} {self.action}"

    @property
    def action_label(self) -> str:
        if self.action == "opened":
            return str(_("收到差评"))
        return str(dict(RectificationAction.choices).get(self.action, self.action))


def evidence_path(instance: RectificationEvidence, filename: str) -> str:
    # A random name: nothing the uploader typed becomes part of a path.
    return f"ratings/{instance.rectification.public_id}/{uuid.uuid4().hex}.{filename.rsplit('.', 1)[-1]}"


class RectificationEvidence(models.Model):
    """A file that shows what was done (整改佐证材料)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    rectification = models.ForeignKey(Rectification, on_delete=models.CASCADE, related_name="evidence")
    file = models.FileField(_("文件"), storage=private_storage, upload_to=evidence_path, max_length=200)
    original_name = models.CharField(_("文件名"), max_length=120)
    content_type = models.CharField(_("文件类型"), max_length=40)
    size = models.PositiveBigIntegerField(_("大小"))
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey("identity.User", on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("整改佐证材料")
        verbose_name_plural = _("整改佐证材料")
        ordering = ["uploaded_at", "pk"]

    def __str__(self) -> str:
        return self.original_name
