"""`manage.py load_holidays YEAR`: enter a year's State Council notice from chinese-calendar."""

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from govhall.holidays.actions import days_from_chinese_calendar, load_year


class Command(BaseCommand):
    help = "Load a year's holidays and make-up workdays from the chinese-calendar library."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("year", type=int)
        parser.add_argument("--source", default="", help="The notice the dates come from.")

    def handle(self, *args: Any, **options: Any) -> None:
        year = options["year"]
        try:
            days = days_from_chinese_calendar(year)
            count = load_year(year, source=options["source"] or f"chinese-calendar ({year})", days=days, actor="cli")
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(self.style.SUCCESS(f"{year}: {count} days off and make-up workdays loaded."))
