"""``manage.py send_renewal_reminders [--schedule]``: remind the holders of licences coming to an end, now."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from govhall.lib.schedule import queue_once
from govhall.proactive import renewals


class Command(BaseCommand):
    help = "Send the renewal reminders due today (each step once per licence), or only queue the daily task."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--schedule", action="store_true", help="only queue the daily task")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["schedule"]:
            queue_once(renewals.remind_renewals, delay_seconds=0)
            self.stdout.write("queued")
            return
        self.stdout.write(f"licences reminded: {renewals.send_renewal_reminders()}")
