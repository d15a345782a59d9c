from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from govhall.dossier.constants import Purpose
from govhall.lib.forms import Form


class LookUpForm(Form):
    identifier = forms.CharField(
        label=_("公民身份号码或统一社会信用代码"),
        max_length=30,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "autofocus": True}),
    )
    purpose = forms.ChoiceField(label=_("查询目的"), choices=[("", _("请选择")), *Purpose.choices])
    case_reference = forms.CharField(
        label=_("所办理的办件编号"),
        max_length=60,
        required=False,
        help_text=_("以“办理办件”为目的查询时必填。"),
    )
