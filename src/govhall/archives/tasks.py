"""The archives' upkeep as a periodic task (lib.schedule: each run queues the next)."""

from __future__ import annotations

from typing import Any

from django_tasks import task

from django.conf import settings

from govhall.archives import actions
from govhall.lib.schedule import queue_once


@task()
def keep_archives() -> dict[str, Any]:
    """Read the case events, build due packages, destroy lists past their wait; then queue the next run."""
    try:
        return actions.keep_archives()
    finally:
        queue_once(keep_archives, delay_seconds=settings.ARCHIVES_UPKEEP_SECONDS)


@task()
def check_fixity() -> dict[str, int]:
    """Re-hash a rotating sample of packages (ARCHIVES_FIXITY_SAMPLE; 0 = all); then queue the next run."""
    try:
        return actions.run_fixity()
    finally:
        queue_once(check_fixity, delay_seconds=settings.ARCHIVES_FIXITY_SECONDS)
