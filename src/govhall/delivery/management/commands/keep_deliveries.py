"""`manage.py keep_deliveries [--schedule]`: one delivery round now, or queue the worker's rounds."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from govhall.delivery.actions import keep_deliveries, schedule_upkeep


class Command(BaseCommand):
    help = "Make closed cases' results ready, send waybills to EMS, ask for tracking, remind uncollected results."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--schedule", action="store_true", help="queue the rounds for the worker instead")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["schedule"]:
            queued = schedule_upkeep(delay_seconds=0)
            self.stdout.write("Delivery rounds queued for the worker." if queued else "No queue to hold the rounds.")
            return
        counts = keep_deliveries()
        self.stdout.write(", ".join(f"{key} {value}" for key, value in sorted(counts.items())))
