"""`manage.py keep_service_reports [--month YYYY-MM]`: keep the monthly 通报 now, and start its schedule."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from govhall.stats.actions import keep_missing_reports, keep_service_report, schedule_reports


class Command(BaseCommand):
    help = "Keep the monthly service report (ratings, complaints, supervision) of ended months, and schedule the task."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--month", help="one month, YYYY-MM (default: every ended month not yet kept)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["month"]:
            try:
                month = datetime.date.fromisoformat(options["month"] + "-01")
            except ValueError:
                raise CommandError("--month must look like 2026-11") from None
            try:
                reports = [keep_service_report(month)]
            except ValidationError as error:
                raise CommandError(" ".join(error.messages)) from None
        else:
            reports = keep_missing_reports()
        for report in reports:
            self.stdout.write(f"kept {report} ({report.sha256[:12]})")
        if schedule_reports():
            self.stdout.write("the report task is scheduled")
