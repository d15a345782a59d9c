"""Inspection plans, the roster of inspectors, recorded draws, inspections and guidance notices."""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from govhall.inspections.constants import InspectionResult, InspectionStatus, PlanKind


class InspectionPlan(models.Model):
    """What is inspected, of which licence type, by which unit, and how often or how many."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("计划名称"), max_length=200)
    licence_type = models.ForeignKey(
        "licences.LicenceType", verbose_name=_("证照类型"), on_delete=models.PROTECT, related_name="+"
    )
    department = models.ForeignKey(
        "identity.Department", verbose_name=_("检查单位"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("检查方式"), max_length=16, choices=PlanKind.choices)
    # AFTER_END: inspected within this many days after the licence's validity ends:
    days_after_end = models.PositiveIntegerField(_("到期后多少天内检查"), null=True, blank=True)
    # RANDOM: the share of the valid licences drawn each period:
    sample_percent = models.PositiveSmallIntegerField(_("抽查比例（%）"), null=True, blank=True)
    # RANDOM and YEARLY: the days an inspection has from the draw:
    days_to_inspect = models.PositiveIntegerField(_("检查期限（工作日）"), default=60)
    legal_basis = models.CharField(_("检查依据"), max_length=300, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("检查计划")
        verbose_name_plural = _("检查计划")
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind=PlanKind.RANDOM) | Q(sample_percent__gte=1, sample_percent__lte=100),
                name="inspections_random_plan_has_share",
            ),
            models.CheckConstraint(
                condition=~Q(kind=PlanKind.AFTER_END) | Q(days_after_end__isnull=False),
                name="inspections_after_end_plan_has_days",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Inspector(models.Model):
    """One person on the roster of law-enforcement inspectors (执法检查人员名录库) of a unit."""

    user = models.ForeignKey("identity.User", on_delete=models.PROTECT, related_name="+")
    department = models.ForeignKey("identity.Department", on_delete=models.PROTECT, related_name="+")
    certificate_number = models.CharField(_("执法证号"), max_length=40, blank=True)
    is_active = models.BooleanField(_("在册"), default=True)

    class Meta:
        verbose_name = _("检查人员")
        verbose_name_plural = _("检查人员")
        constraints = [models.UniqueConstraint(fields=["user", "department"], name="inspections_roster_unique")]

    def __str__(self) -> str:
        return self.user.full_name


class ConflictOfInterest(models.Model):
    """A holder an inspector must not inspect (回避): a relative's company, a former employer …"""

    inspector = models.ForeignKey(Inspector, on_delete=models.CASCADE, related_name="conflicts")
    holder_key = models.CharField(max_length=64)
    holder_label = models.CharField(_("回避对象"), max_length=200)
    relation = models.CharField(_("回避原因"), max_length=200)
    declared_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["inspector", "holder_key"], name="inspections_conflict_unique")]

    def __str__(self) -> str:
        return f"{self.inspector} ≠ {self.holder_label}"


class Draw(models.Model):
    """One recorded draw: its seed and inputs are written down, so the result can be checked by anyone.

    One current draw per plan and period: drawing again needs the current one voided with a
    reason, and both stay on record.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    plan = models.ForeignKey(InspectionPlan, on_delete=models.PROTECT, related_name="draws")
    period = models.CharField(_("抽查期次"), max_length=20)
    purpose = models.CharField(_("抽查事由"), max_length=300)
    seed = models.CharField(_("随机种子"), max_length=64)
    percent = models.PositiveSmallIntegerField(_("抽查比例（%）"))
    # The inputs exactly as drawn from (identifier + holder key; username + conflicts):
    population = models.JSONField(default=list)
    roster = models.JSONField(default=list)
    population_digest = models.CharField(max_length=64)
    roster_digest = models.CharField(max_length=64)
    drawn_by = models.ForeignKey("identity.User", null=True, on_delete=models.PROTECT, related_name="+")
    drawn_at = models.DateTimeField(auto_now_add=True)
    voided_at = models.DateTimeField(null=True, blank=True)
    voided_by = models.ForeignKey("identity.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    void_reason = models.CharField(_("作废理由"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("抽查记录")
        verbose_name_plural = _("抽查记录")
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "period"], condition=Q(voided_at__isnull=True), name="inspections_one_current_draw"
            )
        ]

    def __str__(self) -> str:
        return f"{self.plan} {self.period}"


class Inspection(models.Model):
    """One licence to inspect, by the inspectors the draw gave it, with its result."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    plan = models.ForeignKey(InspectionPlan, on_delete=models.PROTECT, related_name="inspections")
    draw = models.ForeignKey(Draw, on_delete=models.PROTECT, related_name="inspections")
    licence = models.ForeignKey("licences.Licence", on_delete=models.PROTECT, related_name="+")
    period = models.CharField(max_length=20)
    inspectors = models.ManyToManyField("identity.User", related_name="+", blank=True)
    due_on = models.DateField(_("检查期限"))
    status = models.CharField(
        _("状态"), max_length=16, choices=InspectionStatus.choices, default=InspectionStatus.PLANNED
    )
    result = models.CharField(_("检查结果"), max_length=16, choices=InspectionResult.choices, blank=True)
    findings = models.TextField(_("检查情况"), blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    recorded_by = models.ForeignKey("identity.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("检查任务")
        verbose_name_plural = _("检查任务")
        constraints = [
            # A licence is inspected once per plan and period, whatever happens to draws:
            models.UniqueConstraint(
                fields=["plan", "licence", "period"],
                condition=~Q(status__in=[InspectionStatus.UNASSIGNED, InspectionStatus.VOIDED]),
                name="inspections_once_per_period",
            )
        ]

    def __str__(self) -> str:
        return f"{self.plan} {self.licence_id}"


class GuidanceNotice(models.Model):
    """A guidance notice (政务指导) sent to the holders of one licence type."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    licence_type = models.ForeignKey("licences.LicenceType", on_delete=models.PROTECT, related_name="+")
    subject = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"))
    sent_by = models.ForeignKey("identity.User", on_delete=models.PROTECT, related_name="+")
    sent_at = models.DateTimeField(auto_now_add=True)
    recipients = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("政务指导通知")
        verbose_name_plural = _("政务指导通知")

    def __str__(self) -> str:
        return self.subject
