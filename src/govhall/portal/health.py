"""What /healthz reports: can we reach the database, and is a worker taking tasks?"""

from __future__ import annotations

import datetime
import time
from typing import Any

from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from django.conf import settings
from django.db import DatabaseError, connection
from django.utils import timezone

from govhall.portal.tasks import heartbeat

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
    """Judge the worker by its heartbeat task and by how long ready tasks have waited.

    Each check enqueues a heartbeat when none is waiting, so whatever polls /healthz keeps
    the probe going; old heartbeat results are pruned here too.
    """
    now = timezone.now()
    stale = datetime.timedelta(seconds=settings.WORKER_STALE_SECONDS)
    results = DBTaskResult.objects.filter(task_path=HEARTBEAT_PATH)
    last_beat = results.filter(status=TaskResultStatus.SUCCESSFUL).order_by("-finished_at").first()
    waiting_beat = results.filter(status=TaskResultStatus.READY).order_by("enqueued_at").first()
    if waiting_beat is None:
        heartbeat.enqueue()
    results.filter(status=TaskResultStatus.SUCCESSFUL, finished_at__lt=now - datetime.timedelta(hours=1)).delete()

    ready = DBTaskResult.objects.ready()
    oldest = ready.order_by("enqueued_at").values_list("enqueued_at", flat=True).first()
    backlog_age = (now - oldest).total_seconds() if oldest else 0.0
    report: dict[str, Any] = {
        "ready_tasks": ready.count(),
        "oldest_ready_seconds": round(backlog_age, 1),
        "last_heartbeat": last_beat.finished_at.isoformat() if last_beat and last_beat.finished_at else None,
    }
    if last_beat and last_beat.finished_at and now - last_beat.finished_at <= stale and backlog_age <= stale.seconds:
        report["status"] = "ok"
    elif last_beat is None and (waiting_beat is None or now - waiting_beat.enqueued_at <= stale):
        report["status"] = "starting"
    else:
        report["status"] = "stale"
    return report
