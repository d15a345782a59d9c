from __future__ import annotations

from django import forms
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from govhall.identity.constants import UserKind
from govhall.identity.models import User
from govhall.identity.passwords import attach_identifiers
from govhall.identity.queries import is_region_code_known
from govhall.lib.forms import Form
from govhall.lib.identifiers import check_region_code, normalise_phone, parse_resident_id


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
        help_text=_("至少8位，须包含小写字母、大写字母、数字、符号中的至少三类，不能包含身份证号码或手机号码。"),
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
        parsed = parse_resident_id(self.cleaned_data["id_number"])
        check_region_code(parsed, is_known=is_region_code_known)
        return parsed.number

    def clean_phone(self) -> str:
        return normalise_phone(self.cleaned_data["phone"])

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        password = data.get("password")
        if password and password != data.get("password_again"):
            self.add_error("password_again", _("两次输入的密码不一致。"))
        if password:
            # The password's rules are shown with the other fields' mistakes, not after them:
            probe = User(username="applicant", full_name=str(data.get("name", "")), kind=UserKind.APPLICANT)
            attach_identifiers(probe, id_number=str(data.get("id_number", "")), phone=str(data.get("phone", "")))
            try:
                validate_password(str(password), probe)
            except ValidationError as exc:
                self.add_error("password", exc)
        return data


class PasswordChangeForm(Form):
    current_password = forms.CharField(
        label=_("当前密码"), max_length=128, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )
    new_password = forms.CharField(
        label=_("新密码"),
        max_length=128,
        help_text=_("至少12位，须包含小写字母、大写字母、数字、符号中的至少三类，不能包含用户名，不能是常见密码。"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    new_password_again = forms.CharField(
        label=_("再次输入新密码"), max_length=128, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if data.get("new_password") and data.get("new_password") != data.get("new_password_again"):
            self.add_error("new_password_again", _("两次输入的密码不一致。"))
        return data


class EnrolmentCodeForm(Form):
    code = forms.CharField(
        label=_("绑定码"),
        help_text=_("安全管理员当面或电话告知您的12位绑定码，如 ABCD-EFGH-JKMN。"),
        max_length=30,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "autofocus": True}),
    )
