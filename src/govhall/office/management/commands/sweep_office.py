"""`manage.py sweep_office`: remind units of tasks coming due, supervise overdue ones, and queue the repeating task."""

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from govhall.office.actions import schedule_sweep, sweep_office


class Command(BaseCommand):
    help = (
        "Remind units of supervised tasks coming due, raise supervision orders (督办) for each overdue unit "
        "assignment, and queue the self-repeating task."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--schedule", action="store_true", help="only queue the self-repeating task")

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["schedule"]:
            counts = sweep_office()
            self.stdout.write(" ".join(f"{name}={value}" for name, value in counts.items()))
        if not schedule_sweep():
            self.stdout.write("no queue that can defer a task; run this command from cron")
