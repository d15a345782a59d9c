"""`manage.py reconcile_payments`: match the finance platform's statement of a day, or queue the daily runs."""

import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from govhall.payments.actions import reconcile_day, schedule_checks, schedule_reconciliation
from govhall.payments.finance import TransportError


class Command(BaseCommand):
    help = "Reconcile payments with the finance platform's daily statement (default: yesterday)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--day", type=datetime.date.fromisoformat, help="the day, YYYY-MM-DD (default yesterday)")
        parser.add_argument(
            "--schedule", action="store_true", help="only queue the 15-minute checks and the daily reconciliation"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["schedule"]:
            queued = schedule_checks(delay_seconds=60) and schedule_reconciliation()
            self.stdout.write("Payment checks queued." if queued else "No task queue that can wait: nothing queued.")
            return
        day = options["day"] or timezone.localdate() - datetime.timedelta(days=1)
        try:
            run = reconcile_day(day)
        except TransportError as exc:
            raise CommandError(f"The finance platform could not be reached: {exc}") from exc
        self.stdout.write(f"{day}: {run.lines} statement lines, {run.total} yuan, {run.differences} differences.")
