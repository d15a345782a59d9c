"""`manage.py sweep_supervision`: raise supervision orders for late cases and complaints, escalate late orders."""

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from govhall.complaints.actions import schedule_sweep, sweep_supervision


class Command(BaseCommand):
    help = (
        "Mark late complaints, raise supervision orders for red cases and late complaints, escalate overdue "
        "orders (催办, then 通报), and queue the self-repeating task."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--schedule", action="store_true", help="only queue the self-repeating task")

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["schedule"]:
            counts = sweep_supervision()
            self.stdout.write(" ".join(f"{name}={value}" for name, value in counts.items()))
        if not schedule_sweep():
            self.stdout.write("no queue that can defer a task; run this command from cron")
