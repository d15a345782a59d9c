"""The tamper-evident audit log (安全审计).

Records form a chain: each holds the HMAC of its own content and of its predecessor's hash,
so changing, deleting or reordering any record breaks every hash after it. The single
``AuditChainHead`` row remembers the end of the chain (so cutting off the tail is detected
too) and is the lock that puts concurrent writers in one order.
"""

from __future__ import annotations

from typing import Any, NoReturn

from django.db import models
from django.utils.translation import gettext_lazy as _

GENESIS_HASH = "0" * 64


class AuditRecordImmutable(Exception):
    """Raised on any attempt to change or delete an audit record through the ORM."""


class AuditRecordQuerySet(models.QuerySet["AuditRecord"]):
    def update(self, **kwargs: Any) -> NoReturn:
        raise AuditRecordImmutable("audit records cannot be changed")

    def delete(self) -> NoReturn:
        raise AuditRecordImmutable("audit records cannot be deleted")


class AuditOutcome(models.TextChoices):
    SUCCESS = "success", _("成功")
    FAILURE = "failure", _("失败")
    DENIED = "denied", _("拒绝")


class AuditEntry(models.Model):
    """What every audit entry holds: when, what, who, on what, from where, and the details."""

    occurred_at = models.DateTimeField(_("时间"))
    event = models.CharField(_("事件"), max_length=64)
    outcome = models.CharField(_("结果"), max_length=16, choices=AuditOutcome.choices, default=AuditOutcome.SUCCESS)
    # The actor is copied, not a foreign key: the log must outlive and never block the user row.
    actor_id = models.BigIntegerField(_("操作人编号"), null=True, blank=True)
    actor_label = models.CharField(_("操作人"), max_length=150, blank=True)
    target_type = models.CharField(_("对象类型"), max_length=64, blank=True)
    target_id = models.CharField(_("对象编号"), max_length=64, blank=True)
    target_label = models.CharField(_("对象"), max_length=200, blank=True)
    ip_address = models.GenericIPAddressField(_("IP地址"), null=True, blank=True)
    extra = models.JSONField(_("详情"), default=dict, blank=True)

    class Meta:
        abstract = True


class AuditRecord(AuditEntry):
    sequence = models.BigIntegerField(_("序号"), unique=True)
    previous_hash = models.CharField(_("前一条哈希"), max_length=64)
    hash = models.CharField(_("哈希"), max_length=64)

    objects = AuditRecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")
        ordering = ["-sequence"]
        indexes = [
            models.Index(fields=["target_type", "target_id"], name="audit_target_idx"),
            models.Index(fields=["actor_id", "occurred_at"], name="audit_actor_idx"),
            models.Index(fields=["event", "occurred_at"], name="audit_event_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.sequence} {self.event} {self.actor_label} → {self.target_label}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AuditRecordImmutable("audit records cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AuditRecordImmutable("audit records cannot be deleted")


class AuditChainHead(models.Model):
    """The one row that holds the end of the chain; writers lock it to append in order."""

    last_sequence = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default=GENESIS_HASH)

    class Meta:
        verbose_name = _("审计链头")

    def __str__(self) -> str:
        return f"audit chain at #{self.last_sequence}"


class SealedEntryQuerySet(models.QuerySet["SealedEntry"]):
    def delete(self) -> NoReturn:
        raise AuditRecordImmutable("audit entries cannot be deleted")


class SealedEntry(AuditEntry):
    """A high-volume audit entry (a public licence check), written without taking the chain lock.

    Each entry carries its own keyed hash from the moment it is written, so a change made
    before its seal is named by ``verify_audit`` too. Entries are sealed into the chain in
    batches (``audit.tasks.keep_audit``, every ``AUDIT_UPKEEP_SECONDS``): one chained audit
    record holds the HMAC of the batch, so a sealed entry changed, removed or added afterwards
    is detected like a chained record. Only ``sealed_by`` is ever written after the entry is
    made. An entry deleted before its seal leaves no trace: the seal interval bounds that.
    """

    # HMAC of the entry's content (audit.hashing.entry_hash); empty only on entries written
    # before it existed, all of which were sealed when it was added:
    entry_hash = models.CharField(_("条目哈希"), max_length=64, blank=True)
    # The sequence of the chained record that sealed it; empty until the next seal:
    sealed_by = models.BigIntegerField(_("封存记录序号"), null=True, blank=True)

    objects = SealedEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("审计记录（批量封存）")
        verbose_name_plural = _("审计记录（批量封存）")
        ordering = ["-pk"]
        indexes = [
            models.Index(fields=["sealed_by", "id"], name="audit_sealed_idx"),
            models.Index(fields=["event", "occurred_at"], name="audit_sealed_event_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event} {self.actor_label} → {self.target_label}"

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AuditRecordImmutable("audit entries cannot be deleted")
