"""Background work of the exchange: consume the case events and deliver, then queue the next round."""

from __future__ import annotations

from django_tasks import task

from django.conf import settings

from govhall.lib.schedule import queue_once


@task()
def deliver_outbox() -> dict[str, int]:
    """One round of the outbox (sharing.actions.deliver_all); the next is queued whatever happened."""
    from govhall.sharing.actions import deliver_all, refresh_due_datasets

    try:
        refresh_due_datasets()  # the open data sets whose release is due (cheap when none is)
        return {code: report.acknowledged for code, report in deliver_all(max_seconds=50).items()}
    finally:
        queue_once(deliver_outbox, delay_seconds=settings.EXCHANGE_POLL_SECONDS)
