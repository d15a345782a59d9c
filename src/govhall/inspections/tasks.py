"""The daily making of due inspections as a periodic task (lib.schedule: each run queues the next)."""

from __future__ import annotations

from django_tasks import task

from govhall.inspections import actions
from govhall.lib.schedule import queue_once

DAY_SECONDS = 86400


@task()
def plan_due_inspections() -> int:
    """Make the inspections that came due; then queue tomorrow's run."""
    try:
        return actions.plan_due_inspections()
    finally:
        queue_once(plan_due_inspections, delay_seconds=DAY_SECONDS)
