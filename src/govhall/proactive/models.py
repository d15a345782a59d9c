"""Notifications to applicants and staff: shown in their workspace, and sent through a channel."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("待发送")
    SENT = "sent", _("已发送")
    FAILED = "failed", _("发送失败")


class Notification(models.Model):
    """A message to an account (shown in its workspace and sent through its channels), or to a
    contact without an account — a complainant who left only a phone number or an email
    address — sent to that contact alone (kept encrypted, like every personal identifier).
    """

    recipient = models.ForeignKey(
        "identity.User", null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    contact_phone_encrypted = models.TextField(_("联系电话（密文）"), blank=True)
    contact_email_encrypted = models.TextField(_("电子邮箱（密文）"), blank=True)
    subject = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    link = models.CharField(_("链接"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)
    delivery = models.CharField(
        _("发送状态"), max_length=8, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("发送次数"), default=0)
    # When the next sending is due; a pending notification long past it lost its task (redeliver_notifications):
    next_attempt_at = models.DateTimeField(_("下次发送时间"), default=timezone.now)
    last_error = models.CharField(_("最后错误"), max_length=300, blank=True)
    # Dotted paths of the channels that have delivered (or had nothing to deliver), so that a
    # retry after one channel failed does not send again through the ones that succeeded:
    channels_sent = models.JSONField(_("已完成的发送通道"), default=list, blank=True)

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["recipient", "-created_at"], name="proactive_recipient_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(recipient__isnull=False)
                | ~models.Q(contact_phone_encrypted="")
                | ~models.Q(contact_email_encrypted=""),
                name="proactive_notification_has_an_addressee",
            )
        ]

    def __str__(self) -> str:
        return self.subject


def default_reminder_days() -> list[int]:
    return [30, 15, 7]


class RenewalRule(models.Model):
    """When the holders of one licence type are reminded to renew (as data; 30/15/7 days when none)."""

    licence_type = models.OneToOneField(
        "licences.LicenceType", verbose_name=_("证照类型"), on_delete=models.CASCADE, related_name="+"
    )
    # Days before the licence ends on which a reminder goes out (the first is the lead time):
    reminder_days = models.JSONField(_("到期前提醒天数"), default=default_reminder_days)

    class Meta:
        verbose_name = _("换证提醒规则")
        verbose_name_plural = _("换证提醒规则")

    def __str__(self) -> str:
        return f"{self.licence_type} {self.reminder_days}"


class RenewalReminder(models.Model):
    """One reminder step for one licence, sent once: the row is the idempotency key (licence, step)."""

    licence = models.ForeignKey("licences.Licence", on_delete=models.CASCADE, related_name="+")
    days_before = models.PositiveIntegerField()
    sent_at = models.DateTimeField(auto_now_add=True)
    recipients = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["licence", "days_before"], name="proactive_reminder_once")]

    def __str__(self) -> str:
        return f"{self.licence_id} −{self.days_before}"
