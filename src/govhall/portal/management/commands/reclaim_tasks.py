"""Put back on the queue the tasks that a killed worker left RUNNING (docs/operations.md)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from govhall.portal.tasks import reclaim_stuck_tasks


class Command(BaseCommand):
    help = "Queue again every task RUNNING longer than GOVHALL_TASK_RUNNING_TIMEOUT_SECONDS."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"Queued again: {reclaim_stuck_tasks()}")
