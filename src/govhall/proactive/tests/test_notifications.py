"""The applicant is told of every event that concerns them; a failing channel retries and loses nothing."""

from __future__ import annotations

from typing import Any

import pytest

from django.core.management import call_command

from govhall.proactive.actions import notify
from govhall.proactive.models import DeliveryStatus, Notification
from govhall.proactive.tasks import MAX_ATTEMPTS, deliver_notification

pytestmark = pytest.mark.django_db(transaction=True)


class BrokenSender:
    def send(self, notification: Notification) -> None:
        raise ConnectionError("SMS gateway unreachable")


def test_a_notification_is_kept_and_sent_by_the_worker(alice: Any) -> None:
    notification = notify(alice, "您的办件已受理")
    assert Notification.objects.get(pk=notification.pk).delivery == DeliveryStatus.PENDING
    call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)
    notification.refresh_from_db()
    assert notification.delivery == DeliveryStatus.SENT and notification.attempts == 1


def test_a_failing_channel_is_retried_later_and_the_notification_stays(alice: Any, settings: Any) -> None:
    settings.NOTIFICATION_SENDER = "govhall.proactive.tests.test_notifications.BrokenSender"
    notification = notify(alice, "您的办件已受理")
    assert deliver_notification.call(notification.pk) == "failed"
    notification.refresh_from_db()
    assert notification.delivery == DeliveryStatus.PENDING
    assert "SMS gateway unreachable" in notification.last_error
    from django_tasks_db.models import DBTaskResult

    retry = DBTaskResult.objects.filter(task_path__endswith="deliver_notification", status="READY").order_by(
        "-enqueued_at"
    )
    assert retry.exists() and retry.first().run_after > retry.first().enqueued_at  # type: ignore[union-attr]
    Notification.objects.filter(pk=notification.pk).update(attempts=MAX_ATTEMPTS - 1)
    deliver_notification.call(notification.pk)
    notification.refresh_from_db()
    assert notification.delivery == DeliveryStatus.FAILED
    assert Notification.objects.filter(recipient=alice).count() == 1


def test_a_notification_whose_task_was_lost_is_queued_again_and_sent(alice: Any) -> None:
    import datetime

    from django_tasks_db.models import DBTaskResult

    from django.utils import timezone

    notification = notify(alice, "您的办件已受理")
    DBTaskResult.objects.all().delete()  # the queue lost it (a crash between commit and enqueue)
    call_command("redeliver_notifications", verbosity=0)
    assert not DBTaskResult.objects.exists()  # not yet overdue: left alone
    Notification.objects.filter(pk=notification.pk).update(
        next_attempt_at=timezone.now() - datetime.timedelta(minutes=20)
    )
    call_command("redeliver_notifications", verbosity=0)
    call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)
    notification.refresh_from_db()
    assert notification.delivery == DeliveryStatus.SENT and notification.attempts == 1
    call_command("redeliver_notifications", verbosity=0)  # a sent one is never queued again
    assert DBTaskResult.objects.filter(status="READY").count() == 0


def test_a_notification_whose_worker_died_mid_task_is_sent_once(alice: Any, zh_client: Any) -> None:
    import datetime

    from django_tasks_db.models import DBTaskResult

    from django.utils import timezone

    notification = notify(alice, "您的办件已受理")
    # A worker took the task and was killed: the row says RUNNING for ever, and nothing sent:
    killed_at = timezone.now() - datetime.timedelta(minutes=11)
    DBTaskResult.objects.filter(task_path__endswith="deliver_notification").update(
        status="RUNNING", started_at=killed_at, worker_ids=["dead-worker"]
    )
    call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)
    assert Notification.objects.get(pk=notification.pk).delivery == DeliveryStatus.PENDING
    worker = zh_client.get("/healthz").json()["worker"]
    assert worker["reclaimed_tasks"] == 1
    call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)
    notification.refresh_from_db()
    assert notification.delivery == DeliveryStatus.SENT and notification.attempts == 1
    assert zh_client.get("/healthz").json()["worker"]["reclaimed_tasks"] == 0


def test_a_task_running_less_than_the_timeout_is_left_to_its_worker(alice: Any, zh_client: Any) -> None:
    import datetime

    from django_tasks_db.models import DBTaskResult

    from django.utils import timezone

    notify(alice, "您的办件已受理")
    started = timezone.now() - datetime.timedelta(minutes=2)
    DBTaskResult.objects.filter(task_path__endswith="deliver_notification").update(status="RUNNING", started_at=started)
    assert zh_client.get("/healthz").json()["worker"]["reclaimed_tasks"] == 0
    assert DBTaskResult.objects.filter(status="RUNNING").count() == 1


def test_the_reclaim_command_queues_a_stuck_task_again(alice: Any) -> None:
    import datetime
    from io import StringIO

    from django_tasks_db.models import DBTaskResult

    from django.utils import timezone

    notify(alice, "您的办件已受理")
    killed_at = timezone.now() - datetime.timedelta(hours=1)
    DBTaskResult.objects.update(status="RUNNING", started_at=killed_at)
    out = StringIO()
    call_command("reclaim_tasks", stdout=out)
    assert out.getvalue().strip() == "Queued again: 1"
    assert DBTaskResult.objects.filter(status="READY").count() == 1
