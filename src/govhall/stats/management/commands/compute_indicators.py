"""`manage.py compute_indicators [--day D | --from D --to D] [--schedule]`: compute the indicators' daily figures."""

from __future__ import annotations

import datetime
import time
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from govhall.stats.actions import (
    compute_day,
    compute_days,
    compute_missing_days,
    first_day_with_data,
    schedule_indicators,
)


def _date(text: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"not a date (YYYY-MM-DD): {text}") from None


class Command(BaseCommand):
    help = (
        "Compute the indicators' figures: by default every day not yet computed whole, and today so far; "
        "--day or --from/--to recompute those days (--all: every day since the first data)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--day", help="one day, YYYY-MM-DD")
        parser.add_argument("--from", dest="first", help="first day to recompute, YYYY-MM-DD")
        parser.add_argument("--to", dest="last", help="last day to recompute (default today)")
        parser.add_argument("--all", action="store_true", help="recompute every day since the first data")
        parser.add_argument("--schedule", action="store_true", help="also queue the hourly task for the worker")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        if options["last"] and not options["first"]:
            raise CommandError("--to needs --from")
        try:
            if options["day"]:
                day = _date(options["day"])
                compute_day(day)  # refuses a day in the future
                days = [day]
            elif options["first"] or options["all"]:
                first = _date(options["first"]) if options["first"] else first_day_with_data()
                last = _date(options["last"]) if options["last"] else datetime.date.max
                if first and last < first:
                    raise CommandError("--to is before --from")
                days = compute_days(first, last) if first else []
            else:
                days = compute_missing_days()
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        self.stdout.write(f"computed {len(days)} day(s) in {time.monotonic() - started:.1f} s")
        if options["schedule"] and schedule_indicators():
            self.stdout.write("the indicators task is scheduled")
