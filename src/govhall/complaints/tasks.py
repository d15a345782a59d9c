"""The supervision sweep on the worker, re-queueing itself like audit's upkeep.

django-tasks has no clock of its own: the task queues its next run (``SWEEP_INTERVAL_SECONDS``
later) when it ends, whatever happened in it. ``actions.schedule_sweep`` starts it where the
platform starts (``manage.py sweep_supervision --schedule``) and never queues a second waiting run.
"""

from __future__ import annotations

from django_tasks import task

from govhall.complaints.actions import schedule_sweep, sweep_supervision


@task()
def sweep_supervision_task() -> dict[str, int]:
    """Sweep, then queue the next run."""
    try:
        return sweep_supervision()
    finally:
        schedule_sweep()
