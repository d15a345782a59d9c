"""`manage.py sweep_ratings`: send rating invitations, give default ratings, mark and escalate late rectifications."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from govhall.ratings.actions import run_sweep, schedule_sweep


class Command(BaseCommand):
    help = "Send SMS rating invitations, give default ratings, mark late rectifications, and queue the self-repeating task."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--schedule", action="store_true", help="only queue the self-repeating task")

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["schedule"]:
            counts = run_sweep()
            self.stdout.write(" ".join(f"{name}={value}" for name, value in counts.items()))
        if not schedule_sweep():
            self.stdout.write("no queue that can defer a task; run this command from cron")
