"""``manage.py sweep_archives [--fixity] [--schedule]``: one run of the archives' upkeep, now."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from govhall.archives import actions, tasks
from govhall.lib.schedule import queue_once


class Command(BaseCommand):
    help = "Read the case events, build due archival packages, destroy approved lists; --fixity re-hashes a sample."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--fixity", action="store_true", help="also run the fixity check now")
        parser.add_argument("--sample", type=int, default=None, help="how many packages the fixity check reads")
        parser.add_argument(
            "--schedule",
            action="store_true",
            help="only put the periodic tasks in the queue (where the platform starts)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["schedule"]:
            queue_once(tasks.keep_archives, delay_seconds=0)
            queue_once(tasks.check_fixity, delay_seconds=0)
            self.stdout.write("queued")
            return
        self.stdout.write(str(actions.keep_archives()))
        if options["fixity"]:
            self.stdout.write(str(actions.run_fixity(options["sample"])))
