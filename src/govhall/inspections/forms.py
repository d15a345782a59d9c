from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from govhall.inspections.constants import InspectionResult
from govhall.lib.forms import Form


class DrawForm(Form):
    period = forms.CharField(
        label=_("抽查期次"), max_length=20, help_text=_("例如 2026年第四季度；同一计划同一期次只能抽取一次。")
    )
    purpose = forms.CharField(label=_("抽查事由"), max_length=300, help_text=_("将随抽查结果一并公开。"))


class VoidForm(Form):
    reason = forms.CharField(label=_("作废理由"), max_length=300, widget=forms.Textarea(attrs={"rows": 3}))


class ResultForm(Form):
    result = forms.ChoiceField(label=_("检查结果"), choices=InspectionResult.choices, widget=forms.RadioSelect)
    findings = forms.CharField(label=_("检查情况"), max_length=4000, widget=forms.Textarea(attrs={"rows": 5}))


class GuidanceForm(Form):
    subject = forms.CharField(label=_("标题"), max_length=200)
    body = forms.CharField(label=_("内容"), max_length=4000, widget=forms.Textarea(attrs={"rows": 6}))
