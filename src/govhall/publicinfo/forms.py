"""The forms of 政务公开 (the actions check everything again)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from govhall.catalog.constants import ItemStatus
from govhall.catalog.models import ServiceItem
from govhall.lib.forms import Form
from govhall.publicinfo.constants import (
    AnswerKind,
    ApplicantKind,
    CreditGrade,
    EntryKind,
    EntryStatus,
    FormWanted,
    Validity,
)
from govhall.publicinfo.models import Entry


class ItemChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        version = obj.versions.order_by("-number").first()
        return f"{version.name if version else ''}（{obj.implementation_code}）"


class PolicyChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.title}{f'（{obj.doc_number}）' if obj.doc_number else ''}"


class EntryForm(Form):
    kind = forms.ChoiceField(label=_("信息类别"), choices=EntryKind.choices)
    title = forms.CharField(label=_("标题"), max_length=200)
    index_number = forms.CharField(label=_("索引号"), max_length=60, required=False)
    doc_number = forms.CharField(label=_("文号"), max_length=60, required=False)
    issuer = forms.CharField(label=_("发布机构"), max_length=100)
    written_on = forms.DateField(label=_("成文日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    effective_on = forms.DateField(label=_("施行日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    repealed_on = forms.DateField(label=_("废止日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    validity = forms.ChoiceField(label=_("效力状态"), choices=Validity.choices, initial=Validity.VALID)
    body = forms.CharField(label=_("正文"), required=False, widget=forms.Textarea(attrs={"rows": 12}))
    change_note = forms.CharField(label=_("更正说明（更正版本填写）"), max_length=300, required=False)
    items = ItemChoice(label=_("关联事项"), queryset=ServiceItem.objects.none(), required=False)
    interprets = PolicyChoice(label=_("解读的政策（政策解读填写）"), queryset=Entry.objects.none(), required=False)
    attachments = forms.FileField(label=_("附件（PDF）"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["items"].queryset = ServiceItem.objects.order_by("implementation_code")  # type: ignore[attr-defined]
        self.fields["interprets"].queryset = Entry.objects.filter(  # type: ignore[attr-defined]
            status=EntryStatus.PUBLISHED, kind__in=[EntryKind.LAW, EntryKind.RULE, EntryKind.POLICY]
        )


class ReviewForm(Form):
    note = forms.CharField(label=_("保密审查意见"), max_length=300, required=False)


class WithdrawForm(Form):
    reason = forms.CharField(label=_("撤回原因"), max_length=300)


class RequestForm(Form):
    applicant_kind = forms.ChoiceField(
        label=_("申请人类型"), choices=ApplicantKind.choices, widget=forms.RadioSelect, initial=ApplicantKind.PERSON
    )
    name = forms.CharField(label=_("姓名或名称"), max_length=100)
    id_number = forms.CharField(label=_("身份证号码或统一社会信用代码"), max_length=18)
    contact_phone = forms.CharField(label=_("联系电话"), max_length=20)
    address = forms.CharField(label=_("通信地址"), max_length=200, required=False)
    email = forms.EmailField(label=_("电子邮箱"), required=False)
    description = forms.CharField(
        label=_("所需信息的名称、文号或者便于查询的其他特征性描述"), widget=forms.Textarea(attrs={"rows": 5})
    )
    purpose = forms.CharField(label=_("用途（选填）"), max_length=200, required=False)
    form_wanted = forms.ChoiceField(
        label=_("获取信息的方式"), choices=FormWanted.choices, widget=forms.RadioSelect, initial=FormWanted.ELECTRONIC
    )


class FollowForm(Form):
    number = forms.CharField(label=_("受理编号"), max_length=20)
    code = forms.CharField(label=_("查询码"), max_length=12)


class AnswerForm(Form):
    kind = forms.ChoiceField(label=_("答复类型"), choices=AnswerKind.choices)
    reason = forms.CharField(label=_("理由和依据"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    text = forms.CharField(label=_("答复内容"), required=False, widget=forms.Textarea(attrs={"rows": 5}))


class ExtendForm(Form):
    reason = forms.CharField(label=_("延期理由"), max_length=300)


class ConsultForm(Form):
    third_party = forms.CharField(label=_("征求意见的第三方（名称）"), max_length=200)


class ItemOne(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        version = obj.versions.order_by("-number").first()
        return version.name if version else obj.implementation_code


class QuestionForm(Form):
    asker_name = forms.CharField(label=_("称呼"), max_length=50)
    contact_phone = forms.CharField(label=_("联系电话（选填）"), max_length=20, required=False)
    item = ItemOne(label=_("咨询事项（选填）"), queryset=ServiceItem.objects.none(), required=False)
    text = forms.CharField(label=_("咨询内容"), max_length=1000, widget=forms.Textarea(attrs={"rows": 5}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        in_use = ServiceItem.objects.filter(status=ItemStatus.IN_USE).order_by("implementation_code")
        self.fields["item"].queryset = in_use  # type: ignore[attr-defined]


class ErrorReportForm(Form):
    page = forms.CharField(widget=forms.HiddenInput, max_length=200)
    text = forms.CharField(label=_("哪里有错，应当是什么"), max_length=1000, widget=forms.Textarea(attrs={"rows": 5}))
    contact_phone = forms.CharField(label=_("联系电话（选填，方便我们回复您）"), max_length=20, required=False)


class QuestionAnswerForm(Form):
    answer = forms.CharField(label=_("答复"), widget=forms.Textarea(attrs={"rows": 5}))


def published_institutions() -> list[tuple[str, str]]:
    """The published 中介机构, by lineage (a corrected institution stays chosen); read when a form is made."""
    published = Entry.objects.filter(kind=EntryKind.INTERMEDIARY, status=EntryStatus.PUBLISHED).order_by("title")
    return [(str(e.lineage), e.title) for e in published]


class ServiceDetailsForm(Form):
    """中介服务事项: what the service is, as structured facts (the action judges them)."""

    legal_basis = forms.CharField(label=_("设定依据"), max_length=300, required=False)
    required = forms.BooleanField(label=_("办理事项必须提供（否则为申请人自愿选择）"), required=False)
    time_limit_days = forms.CharField(label=_("服务时限（工作日）"), max_length=5, required=False)
    fee_basis = forms.CharField(label=_("收费依据和标准"), max_length=300, required=False)
    institutions = forms.MultipleChoiceField(
        label=_("提供服务的中介机构"), choices=published_institutions, required=False,
        widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip


class InstitutionDetailsForm(Form):
    """中介机构: the institution's structured facts (the action judges them)."""

    credit_code = forms.CharField(label=_("统一社会信用代码"), max_length=18, required=False)
    contact = forms.CharField(label=_("联系人"), max_length=50, required=False)
    phone = forms.CharField(label=_("联系电话"), max_length=20, required=False)
    address = forms.CharField(label=_("地址"), max_length=200, required=False)
    service_area = forms.CharField(label=_("服务范围"), max_length=200, required=False)
    credit_grade = forms.ChoiceField(
        label=_("信用等级"), choices=[("", _("未评定")), *CreditGrade.choices], required=False
    )
    credit_grade_on = forms.CharField(
        label=_("信用等级评定日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class QualificationForm(Form):
    name = forms.CharField(label=_("资质名称"), max_length=100, required=False)
    number = forms.CharField(label=_("证书编号"), max_length=60, required=False)
    issuer = forms.CharField(label=_("发证机关"), max_length=100, required=False)
    valid_until = forms.CharField(label=_("有效期至"), required=False, widget=forms.DateInput(attrs={"type": "date"}))


QualificationFormSet = forms.formset_factory(QualificationForm, extra=3, max_num=20, absolute_max=40)
