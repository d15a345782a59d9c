"""The service catalog (事项目录): items with one code, and their versions.

A ``ServiceItem`` is the stable identity (the three codes, the implementing body, its state
of use). Everything a guide says lives on an ``ItemVersion``: a draft is edited, submitted,
published by a second person, and then never changes; the next change is a new version.
The portal guide, the printed guide and the case workflow all read the same version.
"""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from django.db import models
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from govhall.catalog.constants import (
    STARS_BY_LEVEL,
    DictionaryKind,
    ItemStatus,
    LimitUnit,
    MaterialFormat,
    MaterialNeed,
    MaterialSource,
    MaterialType,
    ProjectType,
    Secrecy,
    StepKind,
    StepRole,
    VersionState,
)


class Dictionary(models.Model):
    """Reference data of the national code lists, which provinces extend (editable)."""

    kind = models.CharField(_("字典"), max_length=32, choices=DictionaryKind.choices)
    code = models.CharField(_("代码"), max_length=8)
    name = models.CharField(_("名称"), max_length=60)
    name_en = models.CharField(_("英文名称"), max_length=100, blank=True)
    sort_order = models.PositiveIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("字典项")
        verbose_name_plural = _("字典项")
        ordering = ["kind", "sort_order", "code"]
        constraints = [models.UniqueConstraint(fields=["kind", "code"], name="catalog_dictionary_unique")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.code} {self.name}"


class ServiceItem(models.Model):
    """One service item: same item, same code, wherever it is offered."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    basic_code = models.CharField(_("基本编码"), max_length=12, db_index=True)
    implementation_code = models.CharField(_("实施编码"), max_length=31, unique=True)
    handling_code = models.CharField(_("业务办理项编码"), max_length=33, blank=True)
    department = models.ForeignKey(
        "identity.Department", verbose_name=_("办理部门"), on_delete=models.PROTECT, related_name="service_items"
    )
    status = models.CharField(_("事项状态"), max_length=1, choices=ItemStatus.choices, default=ItemStatus.IN_USE)
    status_reason = models.CharField(_("状态变更原因"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("政务服务事项")
        verbose_name_plural = _("政务服务事项")
        ordering = ["implementation_code"]

    def __str__(self) -> str:
        return self.implementation_code


class ItemVersion(models.Model):
    """Everything the guide (办事指南) of an item says, as of one version."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    item = models.ForeignKey(ServiceItem, verbose_name=_("事项"), on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("版本号"))
    state = models.CharField(_("版本状态"), max_length=16, choices=VersionState.choices, default=VersionState.DRAFT)
    effective_from = models.DateField(_("生效日期"), null=True, blank=True)
    created_by = models.CharField(_("创建人"), max_length=150, blank=True)
    submitted_by = models.ForeignKey(
        "identity.User", verbose_name=_("提交人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    published_by = models.ForeignKey(
        "identity.User", verbose_name=_("发布人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    review_note = models.TextField(_("审核意见"), blank=True)
    # Everyone who created, changed or submitted this version: none of them may publish it:
    editors = models.ManyToManyField("identity.User", verbose_name=_("编辑人员"), blank=True, related_name="+")

    # 基本信息
    name = models.CharField(_("事项名称"), max_length=200)
    # Kept so that a secret item arriving from a list or a form is refused by name (actions, rules):
    secrecy = models.CharField(_("密级"), max_length=16, choices=Secrecy.choices, db_default=Secrecy.NONE)
    item_type = models.CharField(_("事项类型"), max_length=2)
    exercise_level = models.CharField(_("行使层级"), max_length=1, default="4")
    power_source = models.CharField(_("权力来源"), max_length=2, default="1")
    implementing_body = models.CharField(_("实施主体"), max_length=200)
    implementing_body_code = models.CharField(_("实施主体编码"), max_length=18)
    implementing_body_nature = models.CharField(_("实施主体性质"), max_length=2, default="1")
    entrusted_body = models.CharField(_("委托部门"), max_length=200, blank=True)
    legal_basis = models.JSONField(_("设定依据"), default=list, blank=True)
    acceptance_conditions = models.TextField(_("受理条件"), blank=True)
    statutory_limit = models.PositiveIntegerField(_("法定办结时限"), default=0)
    statutory_unit = models.CharField(_("法定时限单位"), max_length=1, choices=LimitUnit.choices, default="1")
    statutory_note = models.TextField(_("法定时限说明"), blank=True)
    committed_limit = models.PositiveIntegerField(_("承诺办结时限"), default=0)
    committed_unit = models.CharField(_("承诺时限单位"), max_length=1, choices=LimitUnit.choices, default="1")
    committed_note = models.TextField(_("承诺时限说明"), blank=True)
    project_type = models.CharField(_("办件类型"), max_length=1, choices=ProjectType.choices, default="2")
    handling_forms = models.JSONField(_("办理形式"), default=list, blank=True)
    visits = models.PositiveIntegerField(_("到办事现场次数"), default=0)
    visit_reason = models.TextField(_("到现场办理原因"), blank=True)
    has_fee = models.BooleanField(_("是否收费"), default=False)
    fee_basis = models.TextField(_("收费依据"), blank=True)
    # At the 缴费 step: the case waits there until the payment is confirmed, or moves on when the order is issued:
    fee_waits = models.BooleanField(_("缴费后方可继续办理"), default=True)
    consultation_phone = models.CharField(_("咨询方式"), max_length=200, blank=True)
    supervision_phone = models.CharField(_("监督投诉方式"), max_length=200, blank=True)
    address = models.CharField(_("办理地点"), max_length=500, blank=True)
    hours = models.CharField(_("办理时间"), max_length=500, blank=True)
    service_targets = models.JSONField(_("服务对象"), default=list, blank=True)
    special_procedures = models.TextField(_("特别程序"), blank=True)
    online_url = models.CharField(_("网办地址"), max_length=500, blank=True)
    planned_cancel_date = models.DateField(_("计划取消日期"), null=True, blank=True)
    handling_department = models.ForeignKey(
        "identity.Department", verbose_name=_("承办科室"), on_delete=models.PROTECT, related_name="+"
    )

    # 扩展信息
    is_online = models.BooleanField(_("是否网办"), default=False)
    online_depth = models.JSONField(_("网上办理深度"), default=list, blank=True)
    in_hall = models.BooleanField(_("是否进驻政务大厅"), default=True)
    express_delivery = models.BooleanField(_("是否支持物流快递"), default=False)
    online_payment = models.BooleanField(_("是否支持网上支付"), default=False)
    appointment = models.BooleanField(_("是否支持预约办理"), default=False)
    # 跨层级联动: the bureau does the preliminary review and a higher authority decides; at the
    # decision step the case is forwarded up through the exchange and its decision comes back:
    decided_above = models.BooleanField(
        _("由上级机关决定"), default=False, help_text=_("本局初审后报上级机关审批，决定经省网上办事大厅返回。")
    )
    self_service = models.BooleanField(_("是否支持自助终端办理"), default=False)
    handle_area = models.CharField(_("通办范围"), max_length=2, blank=True)
    quantity_limits = models.TextField(_("数量限制"), blank=True)
    cooperating_bodies = models.CharField(_("联办机构"), max_length=300, blank=True)
    intermediary_services = models.CharField(_("中介服务"), max_length=300, blank=True)
    result_name = models.CharField(_("审批结果名称"), max_length=200, blank=True)
    result_type = models.CharField(_("审批结果类型"), max_length=2, blank=True)
    result_sample = models.CharField(_("审批结果样本"), max_length=300, blank=True)
    result_licence_type_code = models.CharField(_("结果证照类型代码"), max_length=40, blank=True)
    star_level = models.PositiveSmallIntegerField(_("星级"), default=1)
    themes = models.JSONField(_("主题"), default=list, blank=True)

    form_schema = models.JSONField(_("申请表（JSON Schema）"), default=dict, blank=True)
    form_ui = models.JSONField(_("申请表界面描述"), default=dict, blank=True)

    # Words of the name, conditions and materials, segmented, for the portal search:
    search_text = models.TextField(editable=False, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("事项版本")
        verbose_name_plural = _("事项版本")
        ordering = ["item", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["item", "number"], name="catalog_version_number_unique"),
            # At most one version in progress per item:
            models.UniqueConstraint(
                fields=["item"],
                condition=models.Q(state__in=["draft", "submitted"]),
                name="catalog_one_open_version",
            ),
        ]
        indexes = [models.Index(fields=["state", "effective_from"], name="catalog_version_live")]

    def __str__(self) -> str:
        return f"{self.name}（第{self.number}版）"

    @property
    def is_editable(self) -> bool:
        return self.state == VersionState.DRAFT

    @cached_property
    def ordered_steps(self) -> list[ProcessStep]:
        """The process steps in order, read once per loaded version (a published version never changes)."""
        return list(self.steps.order_by("order", "pk"))

    @property
    def online_level(self) -> str:
        """National online-handling level I–IV derived from depth flags and visits (STANDARDS §1)."""
        depth = set(self.online_depth or [])
        if "5" in depth and depth & {"6", "7"} and self.visits == 0:
            return "IV"
        if "4" in depth:
            return "III"
        if "3" in depth:
            return "II"
        return "I"

    @property
    def expected_stars(self) -> int:
        return STARS_BY_LEVEL[self.online_level]

    def is_live_on(self, day: datetime.date) -> bool:
        return self.state in {VersionState.PUBLISHED, VersionState.SUPERSEDED} and (
            self.effective_from is None or self.effective_from <= day
        )


class Material(models.Model):
    version = models.ForeignKey(ItemVersion, on_delete=models.CASCADE, related_name="materials")
    order = models.PositiveIntegerField(_("排序"), default=1)
    name = models.CharField(_("材料名称"), max_length=200)
    material_type = models.CharField(_("材料类型"), max_length=1, choices=MaterialType.choices, default="1")
    material_format = models.CharField(_("材料形式"), max_length=1, choices=MaterialFormat.choices, default="2")
    copies = models.PositiveIntegerField(_("纸质材料份数"), default=1)
    paper_size = models.CharField(_("纸质材料规格"), max_length=60, blank=True)
    need = models.CharField(_("材料必要性"), max_length=1, choices=MaterialNeed.choices, default="1")
    source = models.CharField(_("来源渠道"), max_length=1, choices=MaterialSource.choices, default="1")
    source_note = models.CharField(_("来源渠道说明"), max_length=500, blank=True)
    # A plain reference to a licence type (GB/T 36904 type code); the licences app attaches to it.
    licence_type_code = models.CharField(_("对应证照类型代码"), max_length=40, blank=True)
    blank_form = models.CharField(_("空白表格"), max_length=300, blank=True)
    sample = models.CharField(_("示例样表"), max_length=300, blank=True)
    filling_notes = models.TextField(_("填报须知"), blank=True)
    acceptance_standard = models.TextField(_("受理标准"), blank=True)
    legal_basis = models.TextField(_("要求提供材料的依据"), blank=True)

    class Meta:
        verbose_name = _("申请材料")
        verbose_name_plural = _("申请材料")
        ordering = ["order", "pk"]

    def __str__(self) -> str:
        return self.name


class ProcessStep(models.Model):
    """One step the case workflow executes, in order."""

    version = models.ForeignKey(ItemVersion, on_delete=models.CASCADE, related_name="steps")
    order = models.PositiveIntegerField(_("顺序"), default=1)
    name = models.CharField(_("环节名称"), max_length=60)
    kind = models.CharField(_("环节类型"), max_length=20, choices=StepKind.choices)
    role = models.CharField(_("办理角色"), max_length=20, choices=StepRole.choices)
    department = models.ForeignKey(
        "identity.Department", verbose_name=_("办理部门"), null=True, blank=True, on_delete=models.PROTECT
    )
    review_standard = models.TextField(_("审查标准"), blank=True)
    outcome = models.CharField(_("办理结果"), max_length=300, blank=True)
    time_limit = models.PositiveIntegerField(_("环节时限（工作日）"), default=0)

    class Meta:
        verbose_name = _("办理环节")
        verbose_name_plural = _("办理环节")
        ordering = ["order", "pk"]

    def __str__(self) -> str:
        return self.name


class Fee(models.Model):
    version = models.ForeignKey(ItemVersion, on_delete=models.CASCADE, related_name="fees")
    order = models.PositiveIntegerField(_("排序"), default=1)
    name = models.CharField(_("收费项目名称"), max_length=200)
    standard = models.TextField(_("收费标准"))
    basis = models.TextField(_("收费依据"), blank=True)
    income_code = models.CharField(_("非税收入项目编码"), max_length=20, blank=True)
    is_reducible = models.BooleanField(_("是否允许减免"), default=False)
    reduction_basis = models.TextField(_("允许减免依据"), blank=True)

    class Meta:
        verbose_name = _("收费项目")
        verbose_name_plural = _("收费项目")
        ordering = ["order", "pk"]

    def __str__(self) -> str:
        return self.name


class Question(models.Model):
    version = models.ForeignKey(ItemVersion, on_delete=models.CASCADE, related_name="questions")
    order = models.PositiveIntegerField(_("排序"), default=1)
    question = models.CharField(_("问题"), max_length=500)
    answer = models.TextField(_("解答"))

    class Meta:
        verbose_name = _("常见问题")
        verbose_name_plural = _("常见问题")
        ordering = ["order", "pk"]

    def __str__(self) -> str:
        return self.question


CONTENT_FIELDS: list[str] = [
    f.name
    for f in ItemVersion._meta.local_fields
    if f.name
    not in {
        "id",
        "public_id",
        "item",
        "number",
        "state",
        "created_by",
        "submitted_by",
        "submitted_at",
        "published_by",
        "published_at",
        "review_note",
        "effective_from",
        "search_text",
        "created_at",
    }
]


def copy_children(source: ItemVersion, target: ItemVersion) -> None:
    """Copy materials, steps, fees and questions of ``source`` onto ``target``."""
    for model in (Material, ProcessStep, Fee, Question):
        rows: list[Any] = []
        for child in model.objects.filter(version=source):
            child.pk = None
            child.version = target
            rows.append(child)
        model.objects.bulk_create(rows)
