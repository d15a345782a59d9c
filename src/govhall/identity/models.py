"""Accounts, subjects (natural persons, legal entities), departments and staff roles.

Personal identifiers (ID numbers, phone numbers) are never stored in clear: each is kept
encrypted (``lib.crypto``), with a keyed hash to find it and a masked form to show it.
Reading the clear value goes through ``identity.actions.reveal_*``, which audits.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from govhall.identity.constants import AuthorisationRole, EntityKind, Role, UserKind


class Department(models.Model):
    """A unit of the bureau, in a tree (the bureau at the root)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    code = models.SlugField(_("部门代码"), max_length=40, unique=True)
    name = models.CharField(_("部门名称"), max_length=100)
    name_en = models.CharField(_("英文名称"), max_length=150, blank=True)
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18)
    parent = models.ForeignKey(
        "self", verbose_name=_("上级部门"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    sort_order = models.PositiveIntegerField(_("排序"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("部门")
        verbose_name_plural = _("部门")
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.name


class NaturalPerson(models.Model):
    """A citizen, keyed by resident ID number (公民身份号码)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("姓名"), max_length=100)
    id_number_encrypted = models.TextField(_("身份证号码（密文）"))
    id_number_hash = models.CharField(_("身份证号码（检索哈希）"), max_length=64, unique=True)
    id_number_masked = models.CharField(_("身份证号码"), max_length=18)
    phone_encrypted = models.TextField(_("手机号码（密文）"), blank=True)
    phone_hash = models.CharField(_("手机号码（检索哈希）"), max_length=64, blank=True, db_index=True)
    phone_masked = models.CharField(_("手机号码"), max_length=20, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("自然人")
        verbose_name_plural = _("自然人")

    def __str__(self) -> str:
        return f"{self.name}（{self.id_number_masked}）"


class LegalEntity(models.Model):
    """A company or organisation, keyed by unified social credit code (统一社会信用代码)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("名称"), max_length=200)
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, unique=True)
    credit_code_warning = models.CharField(_("代码提示"), max_length=300, blank=True)
    kind = models.CharField(_("主体类型"), max_length=32, choices=EntityKind.choices, default=EntityKind.OTHER)
    legal_representative = models.CharField(_("法定代表人"), max_length=100, blank=True)
    address = models.CharField(_("住所"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("法人及其他组织")
        verbose_name_plural = _("法人及其他组织")

    def __str__(self) -> str:
        return f"{self.name}（{self.credit_code}）"


class User(AbstractUser):
    """An account: an applicant (a citizen, possibly acting for companies) or a staff member.

    Applicants log in with their ID number or phone number; staff with their user name and
    a second factor. ``is_staff`` (Django admin access) follows the administrator roles and
    is set only by ``identity.actions``.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(_("账户类型"), max_length=16, choices=UserKind.choices, default=UserKind.APPLICANT)
    full_name = models.CharField(_("姓名"), max_length=100)
    person = models.OneToOneField(
        NaturalPerson,
        verbose_name=_("自然人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="account",
    )
    # The language the person last chose; notifications are written in it:
    language = models.CharField(_("语言"), max_length=10, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE)
    # When the password was last set: staff passwords expire STAFF_PASSWORD_MAX_DAYS later:
    password_changed_at = models.DateTimeField(_("密码设置时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def __str__(self) -> str:
        return self.full_name or self.username

    def set_password(self, raw_password: str | None) -> None:
        # Every way of setting a password (an action, the admin, createsuperuser) starts the
        # expiry clock; the caller saves the user as before:
        super().set_password(raw_password)
        self.password_changed_at = timezone.now()


class Membership(models.Model):
    """One role of one staff member in one department."""

    user = models.ForeignKey(User, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="memberships")
    department = models.ForeignKey(
        Department, verbose_name=_("部门"), on_delete=models.PROTECT, related_name="memberships"
    )
    role = models.CharField(_("角色"), max_length=32, choices=Role.choices)
    granted_at = models.DateTimeField(_("授予时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("岗位角色")
        verbose_name_plural = _("岗位角色")
        constraints = [
            models.UniqueConstraint(fields=["user", "department", "role"], name="identity_membership_unique"),
        ]
        indexes = [models.Index(fields=["department", "role"], name="identity_membership_dept_role")]

    def __str__(self) -> str:
        return f"{self.user} · {self.department} · {self.get_role_display()}"


class EntityAuthorisation(models.Model):
    """A citizen's authority to act for a legal entity."""

    user = models.ForeignKey(User, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="authorisations")
    entity = models.ForeignKey(
        LegalEntity, verbose_name=_("法人"), on_delete=models.CASCADE, related_name="authorisations"
    )
    role = models.CharField(_("身份"), max_length=32, choices=AuthorisationRole.choices)
    granted_at = models.DateTimeField(_("授权时间"), auto_now_add=True)
    is_active = models.BooleanField(_("有效"), default=True)

    class Meta:
        verbose_name = _("企业授权")
        verbose_name_plural = _("企业授权")
        constraints = [models.UniqueConstraint(fields=["user", "entity"], name="identity_authorisation_unique")]

    def __str__(self) -> str:
        return f"{self.user} → {self.entity}"


class LoginThrottle(models.Model):
    """Failed logins per account, keyed by the keyed hash of what was typed (never in clear)."""

    account_hash = models.CharField(max_length=64, unique=True)
    failures = models.PositiveIntegerField(default=0)
    last_failure_at = models.DateTimeField(null=True, blank=True)
    locked_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("登录失败记录")
        verbose_name_plural = _("登录失败记录")

    def __str__(self) -> str:
        return f"{self.account_hash[:12]}… {self.failures}"


class EnrolmentCode(models.Model):
    """A one-time code from the security administrator that lets a staff member bind an authenticator.

    The authenticator's secret is shown only to a session that has given this code (a second
    proof of identity besides the password). Kept as a keyed hash; used once; expires.
    """

    user = models.ForeignKey(User, verbose_name=_("工作人员"), on_delete=models.CASCADE, related_name="enrolment_codes")
    code_hash = models.CharField(_("绑定码（检索哈希）"), max_length=64, unique=True)
    # Empty for a code issued on the server's command line (the first security administrator's):
    issued_by = models.ForeignKey(
        User,
        verbose_name=_("签发人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="enrolment_codes_issued",
    )
    issued_at = models.DateTimeField(_("签发时间"), auto_now_add=True)
    expires_at = models.DateTimeField(_("失效时间"))
    used_at = models.DateTimeField(_("使用时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("身份验证器绑定码")
        verbose_name_plural = _("身份验证器绑定码")
        ordering = ["-issued_at"]

    def __str__(self) -> str:
        return f"{self.user} · {self.issued_at:%Y-%m-%d %H:%M}"
