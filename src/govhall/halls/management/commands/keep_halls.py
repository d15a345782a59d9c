"""`manage.py keep_halls [--schedule]`: one hall upkeep round now, or queue the worker's rounds."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from govhall.halls.actions import keep_halls, schedule_upkeep


class Command(BaseCommand):
    help = "Expire held bookings, mark no-shows, remind tomorrow's bookings, close yesterday's tickets."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--schedule", action="store_true", help="queue the rounds for the worker instead")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["schedule"]:
            queued = schedule_upkeep(delay_seconds=0)
            self.stdout.write("Hall rounds queued for the worker." if queued else "No queue to hold the rounds.")
            return
        counts = keep_halls()
        self.stdout.write(", ".join(f"{key} {value}" for key, value in sorted(counts.items())))
