"""Desk forms of the exchange."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from govhall.lib.forms import Form


class ReplaySinceForm(Form):
    platform = forms.ChoiceField(label=_("接收平台"))
    since = forms.DateTimeField(
        label=_("从此时间起补发"),
        help_text=_(
            "该平台在此时间之后确认收到（或此后生成）的报文全部重新发送；对方已有的会答复“重复”，不会重复生效。"
        ),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )


class DismissForm(Form):
    reason = forms.CharField(
        label=_("退回理由"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("省级平台会把理由转告申请人。"),
    )
