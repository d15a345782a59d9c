"""`manage.py sweep_sensors [--loop SECONDS]`: offline stations, escalation of unacknowledged red alarms, partitions."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from govhall.sensors.actions import sweep_sensors


class Command(BaseCommand):
    help = "Raise offline alarms, escalate unacknowledged red alarms to the duty officer, make reading partitions."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--loop", type=float, default=0, help="run again every N seconds (0: once)")

    def handle(self, *args: Any, **options: Any) -> None:
        while True:
            result = sweep_sensors()
            self.stdout.write(
                f"offline {result.offline}, back online {result.back_online}, escalated {result.escalated}, "
                f"partitions made {len(result.partitions)}"
            )
            if not options["loop"]:
                return
            time.sleep(options["loop"])
