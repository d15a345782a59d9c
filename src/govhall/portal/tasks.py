"""Background tasks of the page framework."""

from __future__ import annotations

import datetime

from django_tasks import task
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from django.conf import settings
from django.utils import timezone


@task()
def heartbeat() -> str:
    """A no-op that proves a worker is taking tasks off the queue (see /healthz)."""
    return timezone.now().isoformat()


def reclaim_stuck_tasks(now: datetime.datetime | None = None) -> int:
    """Put back on the queue every task left RUNNING past ``TASK_RUNNING_TIMEOUT_SECONDS``; return how many.

    A worker killed in the middle of a task leaves its row RUNNING for ever, and nothing else
    would take it again. Every task of the platform may run twice safely: delivery locks the
    notification row and does nothing for a sent one, and the SMS gateway drops a repeated
    idempotency key, so a notification is neither lost nor sent twice. The timeout is far
    above the longest task's run (seconds), so a slow task is not taken from a live worker.
    """
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(seconds=settings.TASK_RUNNING_TIMEOUT_SECONDS)
    return DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING, started_at__lt=cutoff).update(
        status=TaskResultStatus.READY, started_at=None, run_after=now
    )
