"""Background work of the hall: the upkeep round, queued again after each run."""

from __future__ import annotations

from django_tasks import task


@task()
def keep_halls() -> dict[str, int]:
    """Every minute: expire held bookings, mark no-shows, remind tomorrow's bookings, close yesterday's tickets."""
    from govhall.halls.actions import keep_halls as keep
    from govhall.halls.actions import schedule_upkeep

    try:
        return keep()
    finally:
        schedule_upkeep()
