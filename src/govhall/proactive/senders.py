"""Channels that carry a notification out of the platform (SMS gateway, email, …).

A sender is a class with ``send(notification) -> None`` that raises on failure; the task
retries. Configure with GOVHALL_NOTIFICATION_SENDER (a dotted path). Development uses the
console sender, which writes to the log.
"""

from __future__ import annotations

import logging
from typing import Protocol

from django.conf import settings
from django.core.mail import send_mail
from django.utils.module_loading import import_string

from govhall.proactive.models import Notification

logger = logging.getLogger(__name__)


class Sender(Protocol):
    def send(self, notification: Notification) -> None: ...


class ConsoleSender:
    """Development: the message goes to the log."""

    def send(self, notification: Notification) -> None:
        logger.info("notification to %s: %s", notification.recipient.get_username(), notification.subject)


class EmailSender:
    """Email through Django's mail settings, to the recipient's address if they gave one."""

    def send(self, notification: Notification) -> None:
        if notification.recipient.email:
            send_mail(notification.subject, notification.body, None, [notification.recipient.email])


def get_sender() -> Sender:
    sender: Sender = import_string(settings.NOTIFICATION_SENDER)()
    return sender
