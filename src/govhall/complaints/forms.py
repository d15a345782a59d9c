"""Forms of the complaint pages: they read the post; the actions judge it."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from govhall.complaints.constants import ComplaintChannel, ComplaintKind, Level, ObjectKind, Satisfaction
from govhall.identity.models import Department
from govhall.lib.forms import Form


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


def _departments() -> Any:
    return Department.objects.filter(is_active=True).order_by("sort_order", "code")


class ComplaintForm(Form):
    """The portal's complaint form (anonymous or named)."""

    kind = forms.ChoiceField(label=_("投诉类型"), choices=ComplaintKind.choices, widget=forms.RadioSelect)
    # Required by the action, which names every problem at once (the form would stop at the first):
    title = forms.CharField(label=_("标题"), max_length=100, required=False)
    content = forms.CharField(
        label=_("事情经过"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("请写明时间、地点、经过和您的诉求。"),
    )
    about_department = forms.ModelChoiceField(
        label=_("被投诉单位"), queryset=Department.objects.none(), required=False, empty_label=_("不清楚")
    )
    about_staff_text = forms.CharField(
        label=_("被投诉工作人员"), max_length=100, required=False, help_text=_("知道的话，请填写姓名或工号。")
    )
    case_reference = forms.CharField(label=_("相关办件编号"), max_length=60, required=False)
    is_anonymous = forms.BooleanField(label=_("匿名投诉（不留姓名）"), required=False)
    name = forms.CharField(label=_("姓名"), max_length=100, required=False)
    phone = forms.CharField(
        label=_("联系电话"),
        max_length=30,
        required=False,
        help_text=_("选填。留下电话，办理单位可以联系您核实情况。"),
    )
    email = forms.EmailField(label=_("电子邮箱"), required=False)
    item = forms.UUIDField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["about_department"].queryset = _departments()  # type: ignore[attr-defined]


class StaffComplaintForm(ComplaintForm):
    """A complaint entered by staff: in the hall, from the supervision phone or a 12345 work order."""

    channel = forms.ChoiceField(
        label=_("投诉渠道"),
        choices=[
            (ComplaintChannel.HALL, ComplaintChannel.HALL.label),
            (ComplaintChannel.SUPERVISION_PHONE, ComplaintChannel.SUPERVISION_PHONE.label),
            (ComplaintChannel.HOTLINE_12345, ComplaintChannel.HOTLINE_12345.label),
        ],
    )
    hotline_number = forms.CharField(label=_("12345工单编号"), max_length=40, required=False)
    is_urgent = forms.BooleanField(label=_("紧急（当日办结）"), required=False)
    about_staff_username = forms.CharField(
        label=_("被投诉工作人员的用户名"),
        max_length=150,
        required=False,
        help_text=_("能确定是哪位工作人员时填写：这件投诉不会交由其本人办理。"),
    )

    field_order = ["channel", "hotline_number", "is_urgent"]


class FollowForm(Form):
    tracking_number = forms.CharField(label=_("投诉编号"), max_length=20)
    query_code = forms.CharField(label=_("查询码"), max_length=20)


class RateForm(Form):
    satisfaction = forms.TypedChoiceField(
        label=_("您对答复满意吗？"), choices=Satisfaction.choices, coerce=int, widget=forms.RadioSelect
    )
    comment = forms.CharField(
        label=_("意见"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )


class ReopenForm(Form):
    reason = forms.CharField(
        label=_("不满意的原因"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class NoteForm(Form):
    note = forms.CharField(label=_("意见"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2}))


class RejectForm(Form):
    reason = forms.CharField(
        label=_("不予受理理由"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class AssignForm(Form):
    department = forms.ModelChoiceField(label=_("承办单位"), queryset=Department.objects.none())
    assignee = forms.CharField(label=_("承办人用户名"), max_length=150, required=False)
    note = forms.CharField(
        label=_("交办意见"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = _departments()  # type: ignore[attr-defined]


class AnswerForm(Form):
    answer = forms.CharField(
        label=_("答复内容"), max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 5})
    )


class ExtensionRequestForm(Form):
    days = forms.IntegerField(label=_("延期工作日"), min_value=0, max_value=99)
    reason = forms.CharField(
        label=_("延期理由"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ReplyForm(Form):
    reply = forms.CharField(
        label=_("回复内容"), max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 5})
    )
    evidence = MultipleFileField(label=_("佐证材料（PDF、JPG、PNG）"), required=False)


class RaiseOrderForm(Form):
    object_kind = forms.ChoiceField(
        label=_("督办对象"),
        choices=[(ObjectKind.CASE, ObjectKind.CASE.label), (ObjectKind.COMPLAINT, ObjectKind.COMPLAINT.label)],
    )
    reference = forms.CharField(label=_("办件编号或投诉编号"), max_length=60)
    level = forms.ChoiceField(label=_("督办等级"), choices=Level.choices, widget=forms.RadioSelect)
    reason = forms.CharField(label=_("督办事由"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
