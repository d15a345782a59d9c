"""`manage.py sweep_sensors [--loop SECONDS]`: offline stations, escalation of unacknowledged red alarms, partitions."""

from __future__ import annotations

import logging
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import DatabaseError, close_old_connections

from govhall.sensors.actions import sweep_sensors

log = logging.getLogger("govhall.sensors")


class Command(BaseCommand):
    help = "Raise offline alarms, escalate unacknowledged red alarms to the duty officer, make reading partitions."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--loop", type=float, default=0, help="run again every N seconds (0: once)")

    def handle(self, *args: Any, **options: Any) -> None:
        while True:
            try:
                result = sweep_sensors()
            except DatabaseError:
                # A lost connection or a deadlock with the subscriber must not end offline
                # detection and escalation: log it and try again on the next round.
                if not options["loop"]:
                    raise
                log.exception("sensors sweep failed; trying again in %s s", options["loop"])
                close_old_connections()
                time.sleep(options["loop"])
                continue
            self.stdout.write(
                f"offline {result.offline}, back online {result.back_online}, escalated {result.escalated}, "
                f"partitions made {len(result.partitions)}"
            )
            if not options["loop"]:
                return
            time.sleep(options["loop"])
