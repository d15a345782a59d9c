"""Periodic work without a clock: a task that queues its own next run, and never two waiting runs.

django-tasks has no scheduler and the platform runs no cron, so each periodic task (the audit
upkeep, the supervision sweep, the ratings sweep, the monthly reports) ends by calling
``queue_once`` for its next run; the same call where the platform starts puts back a run the
queue lost. Callers at the same moment (two workers, a worker and a deployment) are put in
one order by a transaction-level lock named after the task, so at most one run waits.
"""

from __future__ import annotations

import datetime
import zlib
from typing import Any

from django_tasks import default_task_backend
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from django.db import connection, transaction
from django.utils import timezone


def task_path(task: Any) -> str:
    """The dotted path django-tasks records for ``task``."""
    return f"{task.func.__module__}.{task.func.__qualname__}"


def queue_once(task: Any, *, delay_seconds: float) -> bool:
    """Queue ``task`` to run after ``delay_seconds`` unless a run is already waiting; say whether one now waits.

    Without a queue that can hold a task for later (the immediate backend of the tests and
    of a bare ``runserver``), nothing is queued and False is returned.
    """
    if not default_task_backend.supports_defer:
        return False
    path = task_path(task)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [zlib.crc32(path.encode())])
        # (SQLite has one writer at a time; the enqueue below waits for the other's commit.)
        waiting = DBTaskResult.objects.filter(task_path=path, status=TaskResultStatus.READY)
        if not waiting.exists():
            task.using(run_after=timezone.now() + datetime.timedelta(seconds=delay_seconds)).enqueue()
    return True
