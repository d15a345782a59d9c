"""`manage.py load_holidays YEAR`: enter a year's State Council notice from a library that holds it.

The due dates of open cases that depend on the year are recounted in the same transaction
(``cases.actions.load_holiday_notice``), and their applicants told when a date moved.
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from govhall.cases.actions import load_holiday_notice
from govhall.holidays.actions import days_from_chinese_calendar, days_from_holidays_library, days_from_libraries

LIBRARIES = {"chinese-calendar": days_from_chinese_calendar, "python-holidays": days_from_holidays_library}


class Command(BaseCommand):
    help = (
        "Load a year's holidays and make-up workdays from the chinese-calendar or python-holidays library "
        "(the first that holds the year's published notice), and recount the due dates that depend on it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("year", type=int)
        parser.add_argument("--source", default="", help="The notice the dates come from.")
        parser.add_argument("--library", choices=sorted(LIBRARIES), help="Take the notice from this library only.")

    def handle(self, *args: Any, **options: Any) -> None:
        year = options["year"]
        try:
            if options["library"]:
                library = options["library"]
                days = LIBRARIES[library](year)
            else:
                days, library = days_from_libraries(year)
            result = load_holiday_notice(
                year, source=options["source"] or f"{library} ({year})", days=days, actor="cli"
            )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"{year}: {result['days']} days off and make-up workdays loaded from {library}; "
                f"due dates of {result['moved']} open cases moved, {result['confirmed']} confirmed."
            )
        )
