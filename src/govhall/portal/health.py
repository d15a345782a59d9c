"""What /healthz reports: can we reach the database, and is a worker taking tasks?"""

from __future__ import annotations

import datetime
import time
from typing import Any

from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult, get_date_max

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.models import Case, F, When
from django.utils import timezone

from govhall.portal.tasks import heartbeat, reclaim_stuck_tasks

HEARTBEAT_PATH = f"{heartbeat.func.__module__}.{heartbeat.func.__qualname__}"


def check_database() -> dict[str, Any]:
    started = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        return {"status": "error", "error": exc.__class__.__name__}
    return {"status": "ok", "vendor": connection.vendor, "latency_ms": round((time.perf_counter() - started) * 1000, 2)}


def check_worker() -> dict[str, Any]:
    """Judge the worker by whether anything has waited for it too long.

    A worker is alive when it takes every task, the heartbeat included, within
    ``WORKER_STALE_SECONDS`` of its being queued. So the worker is stale only when a heartbeat
    or another ready task has waited longer than that; an old last heartbeat alone means
    nobody asked for a while (the heartbeat runs only when /healthz queues it), not that the
    worker died. Each check queues a heartbeat when none is waiting, so the next check can
    tell; old heartbeat results are pruned here too, and tasks that a dead worker left
    RUNNING are put back on the queue (reported as ``reclaimed_tasks``).
    """
    now = timezone.now()
    reclaimed = reclaim_stuck_tasks(now)
    stale = datetime.timedelta(seconds=settings.WORKER_STALE_SECONDS)
    results = DBTaskResult.objects.filter(task_path=HEARTBEAT_PATH)
    last_beat = results.filter(status=TaskResultStatus.SUCCESSFUL).order_by("-finished_at").first()
    waiting_beat = results.filter(status=TaskResultStatus.READY).order_by("enqueued_at").first()
    if waiting_beat is None:
        heartbeat.enqueue()
    results.filter(status=TaskResultStatus.SUCCESSFUL, finished_at__lt=now - datetime.timedelta(hours=1)).delete()

    # A task queued for later (a retry, the audit upkeep) has waited only since it fell due:
    ready = DBTaskResult.objects.ready().annotate(
        due_at=Case(When(run_after=get_date_max(), then=F("enqueued_at")), default=F("run_after"))
    )
    oldest = ready.order_by("due_at").values_list("due_at", flat=True).first()
    backlog_age = (now - oldest).total_seconds() if oldest else 0.0
    report: dict[str, Any] = {
        "ready_tasks": ready.count(),
        "overdue_tasks": ready.filter(due_at__lt=now - stale).count(),
        "reclaimed_tasks": reclaimed,
        "oldest_ready_seconds": round(backlog_age, 1),
        "last_heartbeat": last_beat.finished_at.isoformat() if last_beat and last_beat.finished_at else None,
    }
    # The oldest ready task covers a waiting heartbeat too:
    if backlog_age > stale.total_seconds():
        report["status"] = "stale"
    elif last_beat is None:
        report["status"] = "starting"
    else:
        report["status"] = "ok"
    return report
