"""Licence types (as data) and issued electronic licences with their status history."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from govhall.lib.storage import private_storage
from govhall.licences.constants import COPY_PURPOSE_MAX_LENGTH, HolderCodeType, LicenceStatus


class LicenceType(models.Model):
    """A kind of licence (证照类型): its GB/T 36904 type code, face fields and validity rule."""

    code = models.CharField(_("证照类型代码"), max_length=21, unique=True)  # defining body (18) + 3 digits
    name = models.CharField(_("证照名称"), max_length=100)
    defining_body = models.CharField(_("定义机构"), max_length=100)
    # The issuer for licences this platform issues (its credit code goes into the identifier):
    issuer_name = models.CharField(_("颁发机构"), max_length=100, blank=True)
    issuer_code = models.CharField(_("颁发机构代码"), max_length=18, blank=True)
    face_schema = models.JSONField(_("照面信息（JSON Schema）"), default=dict, blank=True)
    # Years a licence stays valid from its issue date; 0 means long-term (长期):
    validity_years = models.PositiveSmallIntegerField(_("有效期（年）"), default=0)
    # The layout of the document: title, number prefix, the order of face fields on the page:
    layout = models.JSONField(_("版式"), default=dict, blank=True)
    issued_here = models.BooleanField(_("本平台签发"), default=False)

    class Meta:
        verbose_name = _("证照类型")
        verbose_name_plural = _("证照类型")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"


def licence_path(instance: Licence, filename: str) -> str:
    return f"licences/{instance.public_id}/{uuid.uuid4().hex}.pdf"


class Licence(models.Model):
    """An electronic licence (电子证照) with the GB/T 36903 metadata elements."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    identifier = models.CharField(_("证照标识"), max_length=120, unique=True)  # ZZBS
    licence_type = models.ForeignKey(
        LicenceType, verbose_name=_("证照类型"), on_delete=models.PROTECT, related_name="licences"
    )  # ZZLXDM
    number = models.CharField(_("证照编号"), max_length=100)  # ZZBH
    serial = models.CharField(max_length=40)
    version = models.PositiveSmallIntegerField(default=1)
    issuer_name = models.CharField(_("颁发机构"), max_length=100)  # ZZBFJG
    issuer_code = models.CharField(_("颁发机构代码"), max_length=18)  # ZZBFJGDM
    issued_on = models.DateField(_("颁发日期"))  # ZZBFRQ
    valid_from = models.DateField(_("有效期起始日期"))  # ZZYXQQSRQ
    valid_until = models.DateField(_("有效期截止日期"), null=True, blank=True)  # ZZYXQJZRQ; empty = long-term
    holder_name = models.CharField(_("持证主体"), max_length=200)  # CZZT
    holder_code_type = models.CharField(_("持证主体代码类型"), max_length=3, choices=HolderCodeType.choices)
    # CZZTDM, kept as the keyed look-up hash for ID numbers (identity's), the credit code in clear:
    holder_key = models.CharField(max_length=64, db_index=True)
    holder_masked = models.CharField(_("持证主体代码"), max_length=30)
    face = models.JSONField(_("照面信息"), default=dict, blank=True)  # KZ_*
    status = models.CharField(_("状态"), max_length=2, choices=LicenceStatus.choices, default=LicenceStatus.VALID)
    # Position in the published status lists (W3C Bitstring Status List), unique and never reused:
    status_index = models.PositiveIntegerField(unique=True)
    # The case that issued it; one licence per case at most (no foreign key: cases sits above us):
    case_public_id = models.UUIDField(null=True, blank=True, unique=True)
    case_reference = models.CharField(_("办件编号"), max_length=60, blank=True)
    # The unit that issued it (the case's handling department); its clerks and approvers manage it:
    department = models.ForeignKey(
        "identity.Department",
        verbose_name=_("颁发科室"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    replaces = models.ForeignKey(
        "self", verbose_name=_("替代的证照"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    document = models.FileField(storage=private_storage, upload_to=licence_path, max_length=200, blank=True)
    document_sha256 = models.CharField(max_length=64, blank=True)
    signed_at = models.DateTimeField(_("签章时间"), null=True, blank=True)  # ZZQZSJ
    credential = models.TextField(_("二维码签名数据"), blank=True)
    credential_kid = models.CharField(max_length=64, blank=True)
    imported = models.BooleanField(_("历史导入"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("电子证照")
        verbose_name_plural = _("电子证照")
        indexes = [
            models.Index(fields=["holder_key", "licence_type", "status"], name="licences_holder"),
            models.Index(fields=["status", "valid_until"], name="licences_expiry"),
        ]

    def __str__(self) -> str:
        return f"{self.licence_type.name} {self.number}"


class LicenceEvent(models.Model):
    """One status change (or issue, renewal, copy) of a licence: who, when, why."""

    licence = models.ForeignKey(Licence, on_delete=models.CASCADE, related_name="events")
    operation = models.CharField(_("操作"), max_length=24)
    from_status = models.CharField(max_length=2, blank=True)
    to_status = models.CharField(max_length=2, blank=True)
    reason = models.TextField(_("原因"), blank=True)
    actor_label = models.CharField(_("操作人"), max_length=150)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("证照状态记录")
        verbose_name_plural = _("证照状态记录")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.licence_id} {self.operation}"


def copy_path(instance: LicenceCopy, filename: str) -> str:
    return f"licences/{instance.licence.public_id}/copies/{instance.public_id}.pdf"


class LicenceCopy(models.Model):
    """A 加注件: a signed copy of a licence made for one stated purpose, with its maker, time and expiry.

    The file is rendered and signed once (the watermark is part of the signed page) and served as stored.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    licence = models.ForeignKey(Licence, verbose_name=_("电子证照"), on_delete=models.PROTECT, related_name="copies")
    purpose = models.CharField(_("用途"), max_length=COPY_PURPOSE_MAX_LENGTH)
    maker = models.CharField(_("制作人"), max_length=150)
    made_at = models.DateTimeField(_("制作时间"))
    # The last day the copy may be used (inclusive):
    expires_on = models.DateField(_("有效期至"))
    document = models.FileField(storage=private_storage, upload_to=copy_path, max_length=200)
    document_sha256 = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("加注件")
        verbose_name_plural = _("加注件")
        ordering = ["-made_at", "-pk"]
        constraints = [models.CheckConstraint(condition=~models.Q(purpose=""), name="licences_copy_has_purpose")]

    def __str__(self) -> str:
        return f"{self.licence} 加注件 {self.public_id}"


class StatusList(models.Model):
    """The latest signed status list of one purpose (revocation or suspension), served as is."""

    purpose = models.CharField(max_length=16, unique=True)
    credential = models.TextField()
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.purpose


class IndexCounter(models.Model):
    """Hands out status-list positions; one row, locked while it is incremented."""

    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return str(self.last)
