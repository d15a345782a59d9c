"""The audit log's upkeep on the worker: seal the batched entries and checkpoint the head, on a schedule.

django-tasks has no clock of its own, and the platform runs no cron in development, so the
upkeep task queues its own next run (``run_after`` one interval later) when it ends, whatever
happened in it: once started, it keeps going on whichever worker takes it. A worker killed
during a run leaves it RUNNING; the stuck-task reclaim (portal.tasks) queues it again.
``schedule_upkeep`` starts it where the platform starts (``scripts/run-dev.sh``, the
deployment's ``manage.py seal_audit_entries``) and never queues a second waiting run.
"""

from __future__ import annotations

from typing import Any

from django_tasks import task

from govhall.audit.actions import keep_audit_up, schedule_upkeep


@task()
def keep_audit() -> dict[str, Any]:
    """Seal, checkpoint, and queue the next run."""
    try:
        return keep_audit_up()
    finally:
        schedule_upkeep()


UPKEEP_PATH = f"{keep_audit.func.__module__}.{keep_audit.func.__qualname__}"
