"""`manage.py collect_licences --year 2026`: queue the year's licences for the district licence library."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from govhall.sharing.actions import collect_licences


class Command(BaseCommand):
    help = "Push the year's licences (issued here and imported) to the district licence library through the outbox."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--year", type=int, default=timezone.localdate().year)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            count = collect_licences(options["year"], actor="manage.py collect_licences")
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        self.stdout.write(f"{count} licence messages queued for {options['year']}.")
