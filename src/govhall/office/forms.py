"""Desk forms of the office pages: they parse; the actions decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from govhall.complaints.constants import Level
from govhall.identity.models import Department
from govhall.lib.forms import Form
from govhall.office.constants import DEFAULT_SIGN_WORKING_DAYS, Classification, TaskSource, Urgency


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(item, initial) for item in data if item]
        return [super().clean(data, initial)] if data else []


def _active_units() -> Any:
    return Department.objects.filter(is_active=True).order_by("sort_order", "pk")


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


class UnitsChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


class ElementsForm(Form):
    """The GB/T 9704 elements both directions share."""

    department = UnitChoiceField(label=_("拟稿（登记）单位"), queryset=Department.objects.none())
    title = forms.CharField(label=_("标题"), max_length=200)
    issuing_authority = forms.CharField(label=_("发文机关"), max_length=100)
    copy_number = forms.CharField(label=_("份号"), max_length=6, required=False)
    classification = forms.ChoiceField(
        label=_("密级"),
        choices=Classification.choices,
        initial=Classification.NONE,
        help_text=_("本平台只能处理非密公文。"),
    )
    secrecy_period = forms.CharField(label=_("保密期限"), max_length=20, required=False)
    urgency = forms.ChoiceField(label=_("紧急程度"), choices=Urgency.choices, initial=Urgency.NORMAL)
    main_recipients = forms.CharField(label=_("主送机关"), max_length=300, required=False)
    copy_to = forms.CharField(label=_("抄送机关"), max_length=300, required=False)
    body = forms.CharField(label=_("正文"), widget=forms.Textarea(attrs={"rows": 10}), required=False)
    attachments = MultipleFileField(label=_("附件（PDF、JPG、PNG）"), required=False)

    def __init__(self, *args: Any, units: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = units if units is not None else _active_units()  # type: ignore[attr-defined]


class DraftForm(ElementsForm):
    series = forms.CharField(
        label=_("机关代字"),
        max_length=20,
        help_text=_("发文字号中年份前的部分，例如“厦海农林水”；年份和序号在发文时自动编排。"),
    )
    field_order = ["department", "title", "issuing_authority", "series"]


class IncomingForm(ElementsForm):
    number = forms.CharField(label=_("来文字号"), max_length=60, required=False)
    dated = forms.DateField(label=_("成文日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    field_order = ["department", "title", "issuing_authority", "number", "dated"]


class RouteForm(Form):
    lead = UnitChoiceField(label=_("主办单位"), queryset=Department.objects.none())
    co_units = UnitsChoiceField(
        label=_("会签单位"), queryset=Department.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )
    days = forms.IntegerField(label=_("期限（工作日）"), min_value=1, max_value=30, initial=DEFAULT_SIGN_WORKING_DAYS)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["lead"].queryset = _active_units()  # type: ignore[attr-defined]
        self.fields["co_units"].queryset = _active_units()  # type: ignore[attr-defined]


class OpinionForm(Form):
    opinion = forms.CharField(label=_("意见"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)


class NoteForm(Form):
    note = forms.CharField(label=_("说明"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000, required=False)


class ExtensionForm(Form):
    days = forms.IntegerField(label=_("延长（工作日）"), min_value=1, max_value=10, initial=2)
    reason = forms.CharField(label=_("延期理由"), max_length=500)


class CirculateForm(Form):
    readers = forms.CharField(
        label=_("传阅人（用户名，多个用逗号分隔）"), max_length=500, help_text=_("例如：dan, grace")
    )


class TaskForm(Form):
    title = forms.CharField(label=_("任务名称"), max_length=200)
    source = forms.ChoiceField(label=_("任务来源"), choices=TaskSource.choices)
    source_note = forms.CharField(
        label=_("来源说明"), max_length=200, required=False, help_text=_("例如：9月14日局务会")
    )
    document_number = forms.CharField(
        label=_("来源公文的发文字号"),
        max_length=60,
        required=False,
        help_text=_("任务来自公文时填写，例如“厦海农林水〔2026〕12号”。"),
    )
    description = forms.CharField(label=_("任务要求"), widget=forms.Textarea(attrs={"rows": 4}), required=False)
    units = UnitsChoiceField(
        label=_("承办单位"), queryset=Department.objects.none(), widget=forms.CheckboxSelectMultiple
    )
    days = forms.IntegerField(label=_("办结期限（工作日）"), min_value=1, max_value=250, initial=10)
    milestones = forms.CharField(
        label=_("节点（每行一个：日期 名称）"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text=_("例如：2026-09-17 完成初查"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["units"].queryset = _active_units()  # type: ignore[attr-defined]

    def clean_milestones(self) -> list[tuple[str, Any]]:
        import datetime

        found = []
        for line in self.cleaned_data["milestones"].splitlines():
            if not line.strip():
                continue
            day, _sep, name = line.strip().partition(" ")
            try:
                found.append((name.strip() or day, datetime.date.fromisoformat(day)))
            except ValueError as exc:
                raise forms.ValidationError(
                    _("“%(line)s”的日期看不懂，请写成 2026-09-17 这样的格式。"), params={"line": line.strip()}
                ) from exc
        return found


class ProgressForm(Form):
    text = forms.CharField(label=_("进展情况"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)
    percent = forms.IntegerField(label=_("完成进度（%）"), min_value=0, max_value=100)
    evidence = MultipleFileField(label=_("佐证材料（PDF、JPG、PNG）"), required=False)


class SuperviseForm(Form):
    level = forms.ChoiceField(label=_("督办等级"), choices=Level.choices)
    reason = forms.CharField(label=_("督办事由"), max_length=500)
