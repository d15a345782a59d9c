"""Queue again the notifications whose sending task was lost; run every hour (docs/operations.md)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from govhall.proactive.tasks import redeliver_pending


class Command(BaseCommand):
    help = "Queue again pending notifications long past their sending time."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"Queued again: {redeliver_pending()}")
