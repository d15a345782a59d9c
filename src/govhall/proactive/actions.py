"""Writing notifications. Other apps call ``notify`` from their actions, explicitly."""

from __future__ import annotations

from django.db import transaction

from govhall.identity.models import User
from govhall.lib.crypto import encrypt_text
from govhall.proactive.models import Notification
from govhall.proactive.tasks import deliver_notification, deliver_notifications


def notify(recipient: User, subject: str, *, body: str = "", link: str = "") -> Notification:
    """Put a notification in the recipient's workspace and send it after the caller commits."""
    notification = Notification.objects.create(recipient=recipient, subject=subject[:200], body=body, link=link)
    transaction.on_commit(lambda: deliver_notification.enqueue(notification.pk))
    return notification


def notify_many(messages: list[tuple[User, str, str, str]]) -> list[Notification]:
    """Many notifications at once — (recipient, subject, body, link) — in one insert, sent by one task."""
    notifications = Notification.objects.bulk_create(
        [
            Notification(recipient=user, subject=subject[:200], body=body, link=link)
            for user, subject, body, link in messages
        ]
    )
    ids = [n.pk for n in notifications]
    if ids:
        transaction.on_commit(lambda: deliver_notifications.enqueue(ids))
    return notifications


def notify_contact(*, phone: str = "", email: str = "", subject: str, body: str = "", link: str = "") -> Notification:
    """Send a notification to someone without an account, by the phone number or email they gave.

    The same path as ``notify`` (kept, sent after the caller commits by the delivery task,
    retried): the SMS and email channels use the contact instead of an account's; the
    contact is stored encrypted. Raises ValueError if neither is given.
    """
    if not phone and not email:
        raise ValueError("a notification needs a recipient: an account, a phone number or an email address")
    notification = Notification.objects.create(
        contact_phone_encrypted=encrypt_text(phone) if phone else "",
        contact_email_encrypted=encrypt_text(email) if email else "",
        subject=subject[:200],
        body=body,
        link=link,
    )
    transaction.on_commit(lambda: deliver_notification.enqueue(notification.pk))
    return notification
