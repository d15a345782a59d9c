"""`manage.py expire_licences`: mark licences past their validity as expired; run it daily."""

from typing import Any

from django.core.management.base import BaseCommand

from govhall.licences.actions import expire_licences


class Command(BaseCommand):
    help = "Mark every licence past its validity as expired and republish the status lists."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(self.style.SUCCESS(f"{expire_licences()} licences expired."))
