"""Forms of the subscription page and the bureau's enrolment of a village's residents."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from govhall.lib.forms import Form
from govhall.sensors.constants import Channel


class SubscribeForm(Form):
    village = forms.ChoiceField(label=_("村（社区）"))
    plot = forms.CharField(label=_("地块（可不填）"), max_length=100, required=False)
    channel = forms.ChoiceField(label=_("通知方式"), choices=Channel.choices, initial=Channel.SMS)
    emergency_only = forms.BooleanField(label=_("只接收红色（紧急）预警"), required=False)

    def __init__(self, *args: Any, villages: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["village"].choices = [(v, f"{t} {v}".strip()) for t, v in villages]  # type: ignore[attr-defined]


class EnrolForm(Form):
    village = forms.ChoiceField(label=_("村（社区）"))
    id_numbers = forms.CharField(
        label=_("村民身份证号码（每行一个）"),
        widget=forms.Textarea(attrs={"rows": 6, "autocomplete": "off"}),
        help_text=_("依职责登记的村民只接收红色预警，本人不能退订。"),
    )

    def __init__(self, *args: Any, villages: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["village"].choices = [(v, f"{t} {v}".strip()) for t, v in villages]  # type: ignore[attr-defined]
