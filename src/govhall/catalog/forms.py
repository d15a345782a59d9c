"""Forms of the catalog desk: a new item, a draft's guide elements, its lists, an import."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from govhall.catalog.constants import DictionaryKind
from govhall.catalog.models import Dictionary, Fee, ItemVersion, Material, ProcessStep, Question
from govhall.identity.models import Department
from govhall.lib.forms import Form


def _choices(kind: str) -> list[tuple[str, str]]:
    return list(Dictionary.objects.filter(kind=kind).values_list("code", "name"))


class NewItemForm(Form):
    name = forms.CharField(label=_("事项名称"), max_length=200)
    basic_code = forms.CharField(label=_("基本编码"), max_length=12, help_text=_("12位，如 350112345000"))
    implementation_code = forms.CharField(
        label=_("实施编码"), max_length=31, help_text=_("31位：实施主体统一社会信用代码＋行使层级＋基本编码")
    )
    item_type = forms.ChoiceField(label=_("事项类型"))
    handling_department = forms.ModelChoiceField(label=_("承办科室"), queryset=Department.objects.none())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["item_type"] = forms.ChoiceField(label=_("事项类型"), choices=_choices(DictionaryKind.ITEM_TYPE))
        self.fields["handling_department"].queryset = Department.objects.filter(is_active=True)  # type: ignore[attr-defined]


class JSONField(forms.CharField):
    """A JSON value edited as text (legal basis list, form schema, form UI)."""

    def __init__(self, *, kind: type, **kwargs: Any) -> None:
        self.kind = kind
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 6, "class": "code", "spellcheck": "false"}))
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> str:
        if isinstance(value, list | dict):
            return json.dumps(value, ensure_ascii=False, indent=2)
        return str(value or "")

    def to_python(self, value: Any) -> Any:
        text = super().to_python(value)
        if not text:
            return self.kind()
        try:
            parsed = json.loads(text)
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(
                _("不是有效的 JSON：第%(line)d行第%(column)d列 %(message)s"),
                params={"line": exc.lineno, "column": exc.colno, "message": exc.msg},
            ) from None
        if not isinstance(parsed, self.kind):
            raise forms.ValidationError(_("格式不对：这里应为 JSON 列表或对象。"))
        return parsed


class VersionForm(forms.ModelForm):
    """Every guide element of a draft."""

    handling_forms = forms.MultipleChoiceField(label=_("办理形式"), widget=forms.CheckboxSelectMultiple, required=False)
    service_targets = forms.MultipleChoiceField(
        label=_("服务对象"), widget=forms.CheckboxSelectMultiple, required=False
    )
    online_depth = forms.MultipleChoiceField(
        label=_("网上办理深度"), widget=forms.CheckboxSelectMultiple, required=False
    )
    themes = forms.CharField(label=_("主题"), required=False, help_text=_("多个主题用顿号“、”分隔"))
    legal_basis = JSONField(
        kind=list, label=_("设定依据"), help_text=_("列表，每项含 LAW_NAME、LAW_NUMBER、LAW_ARTICLE、LAW_TEXT")
    )
    form_schema = JSONField(kind=dict, label=_("申请表（JSON Schema）"))
    form_ui = JSONField(kind=dict, label=_("申请表界面描述"))

    class Meta:
        model = ItemVersion
        fields = [
            "name",
            "secrecy",
            "item_type",
            "handling_department",
            "implementing_body",
            "implementing_body_code",
            "entrusted_body",
            "legal_basis",
            "acceptance_conditions",
            "statutory_limit",
            "statutory_unit",
            "statutory_note",
            "committed_limit",
            "committed_unit",
            "committed_note",
            "project_type",
            "handling_forms",
            "visits",
            "visit_reason",
            "has_fee",
            "fee_basis",
            "fee_waits",
            "consultation_phone",
            "supervision_phone",
            "address",
            "hours",
            "service_targets",
            "special_procedures",
            "is_online",
            "online_depth",
            "in_hall",
            "express_delivery",
            "online_payment",
            "appointment",
            "decided_above",
            "self_service",
            "quantity_limits",
            "cooperating_bodies",
            "intermediary_services",
            "result_name",
            "result_type",
            "result_sample",
            "result_licence_type_code",
            "star_level",
            "themes",
            "form_schema",
            "form_ui",
        ]
        widgets = {
            "acceptance_conditions": forms.Textarea(attrs={"rows": 4}),
            "statutory_note": forms.Textarea(attrs={"rows": 2}),
            "committed_note": forms.Textarea(attrs={"rows": 2}),
            "visit_reason": forms.Textarea(attrs={"rows": 2}),
            "fee_basis": forms.Textarea(attrs={"rows": 2}),
            "special_procedures": forms.Textarea(attrs={"rows": 2}),
            "quantity_limits": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields["item_type"] = forms.ChoiceField(label=_("事项类型"), choices=_choices(DictionaryKind.ITEM_TYPE))
        for name, kind in (
            ("handling_forms", DictionaryKind.HANDLING_FORM),
            ("service_targets", DictionaryKind.SERVICE_TARGET),
            ("online_depth", DictionaryKind.ONLINE_DEPTH),
        ):
            field = self.fields[name]
            assert isinstance(field, forms.MultipleChoiceField)
            field.choices = _choices(kind)
        if self.instance and self.instance.pk:
            self.initial["themes"] = "、".join(self.instance.themes or [])

    def clean_themes(self) -> list[str]:
        return [t.strip() for t in self.cleaned_data["themes"].replace(",", "、").split("、") if t.strip()]


class _ChildForm(forms.ModelForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class MaterialForm(_ChildForm):
    class Meta:
        model = Material
        fields = [
            "order",
            "name",
            "need",
            "material_type",
            "material_format",
            "copies",
            "source",
            "licence_type_code",
            "source_note",
            "acceptance_standard",
        ]
        widgets = {"acceptance_standard": forms.Textarea(attrs={"rows": 2})}


class StepForm(_ChildForm):
    class Meta:
        model = ProcessStep
        fields = ["order", "name", "kind", "role", "department", "time_limit", "review_standard", "outcome"]
        widgets = {"review_standard": forms.Textarea(attrs={"rows": 2})}


class FeeForm(_ChildForm):
    class Meta:
        model = Fee
        fields = ["order", "name", "standard", "basis", "income_code", "is_reducible", "reduction_basis"]
        widgets = {"standard": forms.Textarea(attrs={"rows": 2})}


class QuestionForm(_ChildForm):
    class Meta:
        model = Question
        fields = ["order", "question", "answer"]
        widgets = {"answer": forms.Textarea(attrs={"rows": 2})}


def child_formsets(data: Any = None, version: ItemVersion | None = None) -> dict[str, Any]:
    """One formset per list of the guide, bound to ``data`` or showing ``version``'s rows."""
    result = {}
    for prefix, model, form in (
        ("materials", Material, MaterialForm),
        ("steps", ProcessStep, StepForm),
        ("fees", Fee, FeeForm),
        ("questions", Question, QuestionForm),
    ):
        formset_class = forms.inlineformset_factory(ItemVersion, model, form=form, extra=1, can_delete=True)
        result[prefix] = formset_class(data, instance=version, prefix=prefix)
    return result


def formset_rows(formset: Any) -> list[dict[str, Any]]:
    """The rows a valid formset describes, without deleted or empty ones, as field values."""
    rows = []
    for form in formset.forms:
        if not form.has_changed() and not form.instance.pk:
            continue
        if form.cleaned_data.get("DELETE"):
            continue
        rows.append({k: v for k, v in form.cleaned_data.items() if k not in {"DELETE", "id", "version"}})
    return rows


class ImportForm(Form):
    file = forms.FileField(
        label=_("事项交换文件"), help_text=_("JSON 或 XLSX，字段名与国家政务服务事项交换标准一致；最大 10 MB")
    )

    MAX_BYTES = 10 * 1024 * 1024

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > self.MAX_BYTES:
            raise forms.ValidationError(_("文件太大（最大 10 MB）。"))
        return upload


class ReviewForm(Form):
    note = forms.CharField(label=_("审核意见"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    effective_from = forms.DateField(
        label=_("生效日期"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("留空则立即生效"),
    )


class StatusForm(Form):
    reason = forms.CharField(label=_("状态变更原因"), max_length=300, help_text=_("将显示在门户的事项页面上"))
