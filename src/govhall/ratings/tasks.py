"""The ratings sweep on the worker: SMS invitations, default ratings, deadline marks and escalation.

As the audit upkeep (``audit.tasks``): django-tasks has no clock, so the task queues its own
next run (``RATINGS_SWEEP_SECONDS`` later) when it ends, whatever happened in it;
``actions.schedule_sweep`` starts it (``manage.py sweep_ratings --schedule``) and never queues
a second waiting run.
"""

from __future__ import annotations

from django_tasks import task

from govhall.ratings.actions import run_sweep, schedule_sweep


@task()
def sweep_ratings() -> dict[str, int]:
    """Run the sweep, and queue the next run."""
    try:
        return run_sweep()
    finally:
        schedule_sweep()


SWEEP_PATH = f"{sweep_ratings.func.__module__}.{sweep_ratings.func.__qualname__}"
