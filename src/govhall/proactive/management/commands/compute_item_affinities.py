"""`manage.py compute_item_affinities [--schedule]`: recount the item pairs behind suggestions now, or queue it nightly."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from govhall.lib.schedule import queue_once
from govhall.proactive import tasks
from govhall.proactive.suggestions import compute_affinities


class Command(BaseCommand):
    help = "Recount which items people who closed a case of one item also closed (suggestions), keeping pairs with enough support."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--schedule", action="store_true", help="queue the nightly run for the worker instead")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["schedule"]:
            queued = queue_once(tasks.compute_item_affinities, delay_seconds=0)
            self.stdout.write("Item affinities queued for the worker." if queued else "No queue to hold the run.")
            return
        self.stdout.write(f"{compute_affinities()} item pairs with enough support.")
