"""`manage.py sweep_time_limits`: mark open cases yellow or red; run it daily (and hourly is fine)."""

from typing import Any

from django.core.management.base import BaseCommand

from govhall.cases.actions import sweep_time_limits


class Command(BaseCommand):
    help = "Mark open cases nearly late (yellow) or late (red) and tell their clerks and supervisors."

    def handle(self, *args: Any, **options: Any) -> None:
        counts = sweep_time_limits()
        self.stdout.write(self.style.SUCCESS(f"{counts['red']} cases turned red, {counts['yellow']} turned yellow."))
