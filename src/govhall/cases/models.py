"""Applications (办件): a case keeps the item version it was filed under, and its history."""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from govhall.cases.constants import (
    OPEN_STATUSES,
    CaseOrigin,
    CaseStatus,
    Channel,
    Decision,
    EventKind,
    Warning,
    status_label,
    warning_label,
)
from govhall.lib.signing import STATUS_LABELS, SignatureStatus
from govhall.lib.storage import archive_storage, private_storage

SIGNATURE_CHOICES = [(status.value, label) for status, label in STATUS_LABELS.items()]


class Case(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    reference = models.CharField(_("办件编号"), max_length=60, unique=True, null=True, blank=True)
    item_version = models.ForeignKey(
        "catalog.ItemVersion", verbose_name=_("事项版本"), on_delete=models.PROTECT, related_name="cases"
    )
    department = models.ForeignKey(
        "identity.Department", verbose_name=_("承办科室"), on_delete=models.PROTECT, related_name="cases"
    )
    applicant = models.ForeignKey(
        "identity.User", verbose_name=_("申请账户"), on_delete=models.PROTECT, related_name="cases"
    )
    person = models.ForeignKey(
        "identity.NaturalPerson", verbose_name=_("申请人"), null=True, blank=True, on_delete=models.PROTECT
    )
    entity = models.ForeignKey(
        "identity.LegalEntity", verbose_name=_("申请单位"), null=True, blank=True, on_delete=models.PROTECT
    )
    applicant_name = models.CharField(_("申请人名称"), max_length=200)
    status = models.CharField(_("状态"), max_length=24, choices=CaseStatus.choices, default=CaseStatus.DRAFT)
    channel = models.CharField(_("办件渠道"), max_length=8, choices=Channel.choices, default=Channel.ONLINE)
    # The window clerk who filed it for the applicant (一窗受理), when it was filed at the hall:
    filed_by = models.ForeignKey(
        "identity.User", verbose_name=_("代为录入的窗口人员"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    # Started from a service the government offered first (a suggestion followed), or blank: the
    # applicant's own start. Counted by the indicators (stats/measures.py, 主动服务发起占比):
    origin = models.CharField(_("发起方式"), max_length=16, choices=CaseOrigin.choices, blank=True, default="")
    form_data = models.JSONField(_("申请表内容"), default=dict, blank=True)
    # A renewal (换证) names the licence it renews; approval then renews that licence (no
    # foreign key: licences sits beside cases, as Licence.case_public_id does the other way):
    renews_licence = models.UUIDField(_("换证所依据的原证照"), null=True, blank=True, db_index=True)
    # The order number of the process step the case is at (the item version's steps):
    step_order = models.PositiveIntegerField(_("当前环节"), null=True, blank=True)
    submit_key = models.CharField(max_length=64, blank=True)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    accepted_on = models.DateField(_("受理日期"), null=True, blank=True)
    # The signed acceptance notice (受理通知书) as issued: made once after acceptance and served
    # (and archived) from here ever after:
    acceptance_notice = models.FileField(_("受理通知书"), storage=private_storage, max_length=200, blank=True)
    due_on = models.DateField(_("承诺办结日期"), null=True, blank=True)
    statutory_due_on = models.DateField(_("法定办结日期"), null=True, blank=True)
    # Counted on the statutory holidays of a year whose State Council notice is not loaded yet;
    # recounted, and the mark removed, when it is (actions.recount_due_dates):
    due_is_provisional = models.BooleanField(_("承诺办结日期为预计"), default=False)
    statutory_due_is_provisional = models.BooleanField(_("法定办结日期为预计"), default=False)
    paused_on = models.DateField(_("暂停计时日期"), null=True, blank=True)
    paused_working_days = models.PositiveIntegerField(_("已暂停工作日"), default=0)
    extension_days = models.PositiveSmallIntegerField(_("申请延期工作日"), default=0)
    extension_approved = models.BooleanField(_("延期已批准"), default=False)
    warning = models.CharField(_("时限预警"), max_length=8, choices=Warning.choices, default=Warning.NONE)
    decision = models.CharField(_("决定"), max_length=8, choices=Decision.choices, blank=True)
    decision_reason = models.TextField(_("决定理由"), blank=True)
    decision_basis = models.TextField(_("法律依据"), blank=True)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("办件")
        verbose_name_plural = _("办件")
        constraints = [
            models.UniqueConstraint(
                fields=["applicant", "submit_key"], condition=~models.Q(submit_key=""), name="cases_submit_once"
            ),
        ]
        indexes = [
            models.Index(fields=["department", "status", "due_on"], name="cases_inbox"),
            models.Index(fields=["status", "due_on"], name="cases_open_due"),
            # The inbox's first page: the open cases in deadline order, read until a page of
            # the clerk's units is found (~150 index entries) instead of all ~4,000 open
            # cases fetched and sorted (1.8 → 0.2 ms at 1M cases):
            models.Index(
                fields=["due_on", "submitted_at", "id"],
                condition=Q(status__in=sorted(OPEN_STATUSES)),
                name="cases_open_queue",
            ),
            # A search over every filed case for a common term ("厦门" begins 150,000 company
            # names): walked in deadline order until a page matches, instead of fetching
            # every match and sorting (505 → 1.8 ms); rare terms still go through the name
            # index. Migration 0009 also gives PostgreSQL statistics of the upper-cased name.
            models.Index(
                fields=["due_on", "submitted_at", "id"], condition=~Q(status=CaseStatus.DRAFT), name="cases_filed_order"
            ),
            # The indicators count and list cases by the day of their own event (stats/measures.py):
            # a day or a month of submissions, acceptances, closings is an index range, not a scan of
            # a million cases (nightly day 1.3 s → see docs/benchmarks.md; a drill-down 353 ms → …):
            models.Index(fields=["submitted_at"], name="cases_submitted_at"),
            models.Index(fields=["accepted_on"], name="cases_accepted_on"),
            models.Index(fields=["closed_at"], condition=Q(closed_at__isnull=False), name="cases_closed_at"),
        ]

    def __str__(self) -> str:
        return self.reference or str(self.public_id)

    @property
    def status_label(self) -> str:
        return status_label(self.status)

    @property
    def warning_label(self) -> str:
        return warning_label(self.warning)


class CaseSerial(models.Model):
    """The last serial given for one implementation code on one day (办件编号 = 实施编码 + date + serial)."""

    implementation_code = models.CharField(max_length=31)
    day = models.DateField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["implementation_code", "day"], name="cases_serial_unique")]

    def __str__(self) -> str:
        return f"{self.implementation_code} {self.day} {self.last}"


class CaseEvent(models.Model):
    """One thing that happened to a case, with who, when and the opinion given."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("事件"), max_length=40, choices=EventKind.choices)
    from_status = models.CharField(_("原状态"), max_length=24, blank=True)
    to_status = models.CharField(_("新状态"), max_length=24, blank=True)
    step_order = models.PositiveIntegerField(_("环节"), null=True, blank=True)
    actor = models.ForeignKey("identity.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    actor_label = models.CharField(_("操作人"), max_length=150)
    opinion = models.TextField(_("意见"), blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("办件事件")
        verbose_name_plural = _("办件事件")
        ordering = ["created_at", "pk"]
        # The indicators count one kind of event (补正告知) by day, among three million events:
        indexes = [models.Index(fields=["kind", "created_at"], name="cases_event_kind_time")]

    def __str__(self) -> str:
        return f"{self.case} {self.kind}"

    @property
    def to_status_label(self) -> str:
        return str(CaseStatus(self.to_status).label) if self.to_status in CaseStatus.values else self.to_status


class Countersign(models.Model):
    """A request to another department to give its opinion; the case waits for all of them."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="countersigns")
    department = models.ForeignKey("identity.Department", verbose_name=_("会签部门"), on_delete=models.PROTECT)
    requested_at = models.DateTimeField(auto_now_add=True)
    agrees = models.BooleanField(_("同意"), null=True)
    opinion = models.TextField(_("会签意见"), blank=True)
    answered_by = models.ForeignKey("identity.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("会签")
        verbose_name_plural = _("会签")
        constraints = [models.UniqueConstraint(fields=["case", "department"], name="cases_countersign_once")]
        # Every inbox asks which cases its units still have to answer; after ten years nearly
        # all countersigns are answered, and only the few open ones are indexed:
        indexes = [
            models.Index(fields=["department"], condition=Q(answered_at__isnull=True), name="cases_countersign_open")
        ]

    def __str__(self) -> str:
        return f"{self.case} → {self.department}"


def material_path(instance: CaseMaterial, filename: str) -> str:
    # A random name: nothing the applicant typed ever becomes part of a path.
    return f"cases/{instance.case.public_id}/{uuid.uuid4().hex}.{filename.rsplit('.', 1)[-1]}"


class CaseMaterial(models.Model):
    """A material provided for a case: an uploaded file, or a reused licence (then no file)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="materials")
    material = models.ForeignKey("catalog.Material", verbose_name=_("材料"), on_delete=models.PROTECT)
    file = models.FileField(_("文件"), storage=private_storage, upload_to=material_path, max_length=200, blank=True)
    # Or a licence the platform already holds for the applicant (nothing uploaded, 免提交):
    licence = models.ForeignKey(
        "licences.Licence",
        verbose_name=_("复用证照"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # Once the case is archived and the live file released: the same bytes inside the package
    # (its path under the archive's first copy); served instead of ``file`` after a hash check:
    archived_copy = models.FileField(_("档案中的文件"), storage=archive_storage, max_length=300, blank=True)
    original_name = models.CharField(_("文件名"), max_length=120)
    content_type = models.CharField(_("文件类型"), max_length=40)
    size = models.PositiveBigIntegerField(_("大小"))
    sha256 = models.CharField(max_length=64)
    page_count = models.PositiveIntegerField(_("页数"), default=1)
    # The PAdES check of a signed PDF when it was uploaded (lib/signing.py):
    signature_status = models.CharField(
        _("电子签名"), max_length=16, choices=SIGNATURE_CHOICES, default=SignatureStatus.NONE
    )
    signature_signer = models.CharField(_("签名人"), max_length=300, blank=True)
    signature_detail = models.CharField(_("签名核验详情"), max_length=300, blank=True)
    is_current = models.BooleanField(_("有效"), default=True)
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("办件材料")
        verbose_name_plural = _("办件材料")
        ordering = ["material__order", "pk"]
        # The indicators count the materials attached on a day (from the licence library or uploaded):
        indexes = [models.Index(fields=["uploaded_at"], name="cases_material_uploaded")]

    def __str__(self) -> str:
        return self.original_name


class EventCursor(models.Model):
    """How far one consumer of the case events (the provincial outbox, archiving …) has read.

    Every event id at or below ``watermark`` has been handled by this consumer, or was never
    committed. Events above it that were handled are listed in ``EventSeen`` until the
    watermark passes them (govhall.cases.feed explains why a bare "last id" is not enough).
    """

    consumer = models.CharField(max_length=40, primary_key=True)
    watermark = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("事件读取位置")
        verbose_name_plural = _("事件读取位置")

    def __str__(self) -> str:
        return f"{self.consumer} @ {self.watermark}"


class EventSeen(models.Model):
    """One event above the consumer's watermark that the consumer has already handled."""

    consumer = models.CharField(max_length=40)
    event_id = models.BigIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["consumer", "event_id"], name="cases_event_seen_unique")]

    def __str__(self) -> str:
        return f"{self.consumer} saw {self.event_id}"
