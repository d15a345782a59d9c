"""Sending happens in the background, after the commit that created the notification."""

from __future__ import annotations

import datetime

from django_tasks import task

from django.db import transaction
from django.utils import timezone

from govhall.proactive.models import DeliveryStatus, Notification
from govhall.proactive.senders import get_sender

MAX_ATTEMPTS = 8


@task()
def deliver_notification(notification_id: int) -> str:
    """Send one notification; on failure try again later (1, 2, 4 … minutes), up to MAX_ATTEMPTS.

    A failing channel never blocks a clerk or loses the notification: it stays in the
    recipient's workspace whatever happens to the channel. With several channels, those that
    delivered are recorded in ``channels_sent`` even when another failed, and are not used
    again on the retry.
    """
    with transaction.atomic():
        notification = Notification.objects.select_for_update().filter(pk=notification_id).first()
        if notification is None or notification.delivery == DeliveryStatus.SENT:
            return "nothing to do"
        notification.attempts += 1
        try:
            get_sender().send(notification)
        except Exception as exc:  # any channel failure is retried, never raised into the worker
            notification.last_error = f"{exc.__class__.__name__}: {exc}"[:300]
            notification.delivery = (
                DeliveryStatus.FAILED if notification.attempts >= MAX_ATTEMPTS else DeliveryStatus.PENDING
            )
            delay = datetime.timedelta(minutes=2 ** (notification.attempts - 1))
            notification.next_attempt_at = timezone.now() + delay
            notification.save(update_fields=["attempts", "last_error", "delivery", "channels_sent", "next_attempt_at"])
            if notification.delivery == DeliveryStatus.PENDING:
                transaction.on_commit(
                    lambda: deliver_notification.using(run_after=timezone.now() + delay).enqueue(notification_id)
                )
            return "failed"
        notification.delivery = DeliveryStatus.SENT
        notification.save(update_fields=["attempts", "delivery", "channels_sent"])
    return "sent"


@task()
def deliver_notifications(notification_ids: list[int]) -> str:
    """Send a batch (a sweep's digests); each one that fails is retried on its own, as above."""
    outcomes = [deliver_notification.call(pk) for pk in notification_ids]
    return f"{outcomes.count('sent')} sent, {outcomes.count('failed')} failed"


# A pending notification this long past its due sending lost its task (a crash between the
# commit and the enqueue, a purged queue); redeliver_pending puts it back:
LOST_AFTER = datetime.timedelta(minutes=15)


def redeliver_pending(now: datetime.datetime | None = None) -> int:
    """Queue again every pending notification whose sending is long overdue; return how many.

    Safe to run while tasks are queued: delivery locks the row and does nothing for a sent one.
    """
    now = now or timezone.now()
    lost = list(
        Notification.objects.filter(delivery=DeliveryStatus.PENDING, next_attempt_at__lt=now - LOST_AFTER).values_list(
            "pk", flat=True
        )[:10_000]
    )
    for pk in lost:
        deliver_notification.enqueue(pk)
    return len(lost)


@task()
def compute_item_affinities() -> int:
    """Nightly: recount which items people who closed a case of one also closed; queue the next run."""
    from govhall.proactive.suggestions import compute_affinities, schedule_affinities

    try:
        return compute_affinities()
    finally:
        schedule_affinities()
