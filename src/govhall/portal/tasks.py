"""Background tasks of the page framework."""

from __future__ import annotations

from django_tasks import task

from django.utils import timezone


@task()
def heartbeat() -> str:
    """A no-op that proves a worker is taking tasks off the queue (see /healthz)."""
    return timezone.now().isoformat()
