"""Background work of the licences app: republishing the status lists when doing it at once failed."""

from __future__ import annotations

import datetime
import logging

from django_tasks import task

from django.utils import timezone

from govhall.licences.actions import publish_status_lists

logger = logging.getLogger(__name__)
MAX_ATTEMPTS = 10


@task()
def publish_status_lists_later(attempt: int) -> str:
    """Publish the status lists; on failure try again in 1, 2, 4 … minutes, up to MAX_ATTEMPTS.

    Each run publishes the lists as they are then, so a late run never publishes stale state.
    """
    try:
        publish_status_lists()
    except Exception:
        logger.exception("Status lists not published (attempt %d of %d)", attempt, MAX_ATTEMPTS)
        if attempt < MAX_ATTEMPTS:
            delay = datetime.timedelta(minutes=2 ** (attempt - 1))
            publish_status_lists_later.using(run_after=timezone.now() + delay).enqueue(attempt + 1)
        return "failed"
    return "published"
