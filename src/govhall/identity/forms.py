from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from govhall.lib.forms import Form
from govhall.lib.identifiers import normalise_phone, parse_resident_id


class ApplicantLoginForm(Form):
    account = forms.CharField(
        label=_("身份证号码或手机号码"),
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    password = forms.CharField(
        label=_("密码"), max_length=128, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )


class StaffLoginForm(Form):
    username = forms.CharField(
        label=_("用户名"), max_length=150, widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True})
    )
    password = forms.CharField(
        label=_("密码"), max_length=128, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )


class SecondFactorForm(Form):
    token = forms.CharField(
        label=_("动态验证码"),
        help_text=_("打开身份验证器应用，输入其显示的6位数字。"),
        max_length=8,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
    )


class RegistrationForm(Form):
    name = forms.CharField(label=_("姓名"), max_length=100, widget=forms.TextInput(attrs={"autocomplete": "name"}))
    id_number = forms.CharField(
        label=_("身份证号码"),
        max_length=40,
        help_text=_("18位居民身份证号码，最后一位可能是X。"),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    phone = forms.CharField(label=_("手机号码"), max_length=20, widget=forms.TextInput(attrs={"autocomplete": "tel"}))
    password = forms.CharField(
        label=_("密码"),
        max_length=128,
        help_text=_("至少8位，须包含小写字母、大写字母、数字、符号中的至少三类。"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password_again = forms.CharField(
        label=_("再次输入密码"), max_length=128, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    consent = forms.BooleanField(
        label=_("我同意平台为办理政务服务事项收集和使用我的身份信息与联系方式。"),
        error_messages={"required": _("注册前请阅读并同意个人信息收集与使用说明。")},
    )

    def clean_id_number(self) -> str:
        # Checked here too, so that every mistake on the page is shown at once:
        return parse_resident_id(self.cleaned_data["id_number"]).number

    def clean_phone(self) -> str:
        return normalise_phone(self.cleaned_data["phone"])

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if data.get("password") and data.get("password") != data.get("password_again"):
            self.add_error("password_again", _("两次输入的密码不一致。"))
        return data
