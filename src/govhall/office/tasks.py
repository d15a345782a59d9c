"""The office sweep on the worker, re-queueing itself (``lib.schedule.queue_once``).

``manage.py sweep_office`` runs it once and schedules it where the platform starts.
"""

from __future__ import annotations

from django_tasks import task

from govhall.office.actions import schedule_sweep, sweep_office


@task()
def sweep_office_task() -> dict[str, int]:
    """Sweep, then queue the next run."""
    try:
        return sweep_office()
    finally:
        schedule_sweep()
