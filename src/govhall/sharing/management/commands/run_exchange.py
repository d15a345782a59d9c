"""`manage.py run_exchange`: turn case events into outbox messages and deliver them, continuously or once."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from govhall.sharing.actions import deliver_all, refresh_due_datasets


class Command(BaseCommand):
    help = "Consume case events into the outbox and deliver to the higher-level platforms (--once for one round)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="one round, then exit")
        parser.add_argument(
            "--poll", type=float, default=settings.EXCHANGE_POLL_SECONDS, help="seconds between idle rounds"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        while True:
            refresh_due_datasets()  # the open data sets whose release is due (cheap when none is)
            reports = deliver_all(max_seconds=60)
            for code, report in reports.items():
                if report.sent or report.error:
                    self.stdout.write(
                        f"{code}: sent {report.sent}, acknowledged {report.acknowledged}, deferred {report.deferred}, "
                        f"rejected {report.rejected}, dead {report.dead}{' — ' + report.error if report.error else ''}"
                    )
            if options["once"]:
                return
            if not any(r.sent for r in reports.values()):
                time.sleep(options["poll"])
