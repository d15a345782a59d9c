"""``manage.py plan_inspections [--schedule]``: make the inspections that came due, now; or only queue the daily task."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from govhall.inspections import actions, tasks
from govhall.lib.schedule import queue_once


class Command(BaseCommand):
    help = "Make the post-licence inspections that came due (after-end and yearly plans), with inspectors drawn."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--schedule", action="store_true", help="only queue the daily task")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["schedule"]:
            queue_once(tasks.plan_due_inspections, delay_seconds=0)
            self.stdout.write("queued")
            return
        self.stdout.write(f"inspections made: {actions.plan_due_inspections()}")
