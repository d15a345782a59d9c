"""Electronic archives (电子档案): the package of each closed case, its fixity checks, retention and disposal."""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from govhall.archives.constants import (
    DisposalItemOutcome,
    DisposalStatus,
    FixityOutcome,
    HoldKind,
    PackageStatus,
    ReviewDecision,
    StartRule,
)
from govhall.lib.storage import private_storage


class RetentionClass(models.Model):
    """A retention period (保管期限) as data: 永久, 30 年, 10 年 …"""

    code = models.CharField(_("代码"), max_length=8, unique=True)
    name = models.CharField(_("保管期限"), max_length=20)
    # Empty: kept for ever (永久), never put on a disposal list:
    years = models.PositiveSmallIntegerField(_("年限"), null=True, blank=True)

    class Meta:
        verbose_name = _("保管期限")
        verbose_name_plural = _("保管期限")
        ordering = ["-years"]

    def __str__(self) -> str:
        return self.name


class ItemRetention(models.Model):
    """The retention class and start rule of the cases of one service item (by its 基本编码)."""

    basic_code = models.CharField(_("基本编码"), max_length=12, unique=True)
    retention_class = models.ForeignKey(RetentionClass, verbose_name=_("保管期限"), on_delete=models.PROTECT)
    start_rule = models.CharField(
        _("起算规则"), max_length=20, choices=StartRule.choices, default=StartRule.CASE_CLOSED
    )

    class Meta:
        verbose_name = _("事项保管期限")
        verbose_name_plural = _("事项保管期限")

    def __str__(self) -> str:
        return f"{self.basic_code} {self.retention_class}"


class ArchivalPackage(models.Model):
    """The archival information package (归档信息包) of one closed case: a BagIt bag kept in two places.

    The row outlives the bag: after destruction it is the minimal record of what was destroyed,
    when and under which disposal list (the subject key is cleared then).
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # The live case keeps this pointer (one package per case, ever):
    case = models.OneToOneField(
        "cases.Case", verbose_name=_("办件"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reference = models.CharField(_("档号（办件编号）"), max_length=60, unique=True)
    archival_code = models.CharField(_("档号"), max_length=120, blank=True)
    title = models.CharField(_("题名"), max_length=300)
    item_code = models.CharField(_("事项基本编码"), max_length=12, db_index=True)
    department = models.ForeignKey(
        "identity.Department", verbose_name=_("承办科室"), on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("年度"), db_index=True)
    # The licences' holder key: the ID number's keyed hash, or the credit code (never a plain ID number):
    subject_key = models.CharField(max_length=64, blank=True, db_index=True)
    status = models.CharField(_("状态"), max_length=12, choices=PackageStatus.choices, default=PackageStatus.SCHEDULED)
    build_after = models.DateTimeField(_("计划归档时间"))
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(_("归档问题"), blank=True)
    retention_class = models.ForeignKey(
        RetentionClass, verbose_name=_("保管期限"), null=True, blank=True, on_delete=models.PROTECT
    )
    start_rule = models.CharField(_("起算规则"), max_length=20, choices=StartRule.choices, blank=True)
    retention_start = models.DateField(_("起算日期"), null=True, blank=True)
    # Empty while kept for ever, or while its start (a licence's expiry) has not come:
    disposal_on = models.DateField(_("到期日期"), null=True, blank=True, db_index=True)
    licence_identifier = models.CharField(_("证照标识"), max_length=120, blank=True)
    algorithms = models.JSONField(_("摘要算法"), default=list)
    # The digest (first algorithm) of the bag's tag manifest: the anchor of every fixity check,
    # kept outside the bag so that a file changed together with its manifest is still found:
    tagmanifest_digest = models.CharField(max_length=128, blank=True)
    file_count = models.PositiveIntegerField(_("文件数"), default=0)
    byte_count = models.PositiveBigIntegerField(_("字节数"), default=0)
    check_report = models.JSONField(_("四性检测报告"), default=dict, blank=True)
    checked_at = models.DateTimeField(_("检测时间"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("归档时间"), null=True, blank=True)
    last_fixity_at = models.DateTimeField(_("最近巡检时间"), null=True, blank=True)
    # When the live case's material files were released (the case then serves them from here):
    materials_released_at = models.DateTimeField(_("在线材料释放时间"), null=True, blank=True)
    is_damaged = models.BooleanField(_("副本受损"), default=False)
    destroyed_at = models.DateTimeField(_("销毁时间"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("归档信息包")
        verbose_name_plural = _("归档信息包")
        ordering = ["-accepted_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "build_after"], name="archives_due"),
            models.Index(fields=["status", "last_fixity_at"], name="archives_fixity_order"),
        ]

    def __str__(self) -> str:
        return self.reference


class FixityCheck(models.Model):
    """One re-hash of a package's two copies, and what was found."""

    package = models.ForeignKey(ArchivalPackage, on_delete=models.CASCADE, related_name="fixity_checks")
    checked_at = models.DateTimeField(_("巡检时间"), auto_now_add=True)
    outcome = models.CharField(_("结果"), max_length=10, choices=FixityOutcome.choices)
    # {"primary": ["data/x.pdf: changed", …], "secondary": […]}:
    problems = models.JSONField(_("问题"), default=dict, blank=True)
    bytes_read = models.PositiveBigIntegerField(default=0)
    restored_at = models.DateTimeField(_("修复时间"), null=True, blank=True)
    restored_by = models.ForeignKey("identity.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("固定性巡检")
        verbose_name_plural = _("固定性巡检")
        ordering = ["-checked_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.package} {self.outcome}"


class LegalHold(models.Model):
    """A hold (保全) that stops a package from being destroyed: litigation, an inspection …

    An open complaint about the case holds it too, without a row (``queries.holds_on``).
    """

    package = models.ForeignKey(ArchivalPackage, on_delete=models.CASCADE, related_name="holds")
    kind = models.CharField(_("保全原因"), max_length=12, choices=HoldKind.choices)
    reason = models.TextField(_("说明"))
    placed_by = models.ForeignKey("identity.User", on_delete=models.PROTECT, related_name="+")
    placed_at = models.DateTimeField(auto_now_add=True)
    lifted_by = models.ForeignKey("identity.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    lifted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("保全")
        verbose_name_plural = _("保全")
        indexes = [models.Index(fields=["package"], condition=Q(lifted_at__isnull=True), name="archives_hold_open")]

    def __str__(self) -> str:
        return f"{self.package} {self.kind}"


def certificate_path(instance: DisposalList, filename: str) -> str:
    return f"archives/certificates/{instance.public_id}-{uuid.uuid4().hex[:8]}.pdf"


class DisposalList(models.Model):
    """A destruction list (销毁清单): written by an archivist, reviewed, approved by another archivist."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("清单名称"), max_length=200)
    status = models.CharField(_("状态"), max_length=20, choices=DisposalStatus.choices, default=DisposalStatus.NEW)
    author = models.ForeignKey("identity.User", verbose_name=_("编制人"), on_delete=models.PROTECT, related_name="+")
    reviewers = models.ManyToManyField("identity.User", verbose_name=_("审核人"), related_name="+", blank=True)
    archivist = models.ForeignKey(
        "identity.User",
        verbose_name=_("审批档案管理员"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    review_round = models.PositiveSmallIntegerField(default=0)
    approved_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    destroy_after = models.DateTimeField(_("等待期届满"), null=True, blank=True)
    deleted_at = models.DateTimeField(_("销毁时间"), null=True, blank=True)
    certificate = models.FileField(
        _("销毁证明"), storage=private_storage, upload_to=certificate_path, max_length=200, blank=True
    )
    certificate_sha256 = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("销毁清单")
        verbose_name_plural = _("销毁清单")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.name


class DisposalItem(models.Model):
    disposal_list = models.ForeignKey(DisposalList, on_delete=models.CASCADE, related_name="items")
    package = models.ForeignKey(ArchivalPackage, on_delete=models.PROTECT, related_name="disposal_items")
    outcome = models.CharField(
        _("结果"), max_length=10, choices=DisposalItemOutcome.choices, default=DisposalItemOutcome.LISTED
    )
    note = models.CharField(_("说明"), max_length=300, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["disposal_list", "package"], name="archives_item_once")]

    def __str__(self) -> str:
        return f"{self.disposal_list} · {self.package}"


class DisposalReview(models.Model):
    disposal_list = models.ForeignKey(DisposalList, on_delete=models.CASCADE, related_name="reviews")
    reviewer = models.ForeignKey("identity.User", on_delete=models.PROTECT, related_name="+")
    decision = models.CharField(_("审核意见"), max_length=20, choices=ReviewDecision.choices)
    comment = models.TextField(_("说明"), blank=True)
    # Each round of review (a list sent back and offered again) counts its own approvals:
    round = models.PositiveSmallIntegerField(default=1)
    reviewed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["reviewed_at", "pk"]

    def __str__(self) -> str:
        return f"{self.disposal_list} {self.reviewer} {self.decision}"
