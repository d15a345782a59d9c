"""`manage.py sensors_broker_files --out DIR`: Mosquitto's passwd, acl and config from the station registry."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from govhall.sensors.broker import write_broker_files


class Command(BaseCommand):
    help = "Write passwd (one user per station), acl (each station writes only its own topics) and mosquitto.conf."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out", required=True)
        parser.add_argument("--port", type=int, default=1883)
        parser.add_argument("--bind", default="127.0.0.1")
        parser.add_argument("--certfile", default="")
        parser.add_argument("--keyfile", default="")
        parser.add_argument("--no-persistence", action="store_true")
        parser.add_argument("--run-as", default="mosquitto", help="the user Mosquitto becomes when started as root")

    def handle(self, *args: Any, **options: Any) -> None:
        user = settings.SENSORS_MQTT_USERNAME or "govhall-sensors"
        password = settings.SENSORS_MQTT_PASSWORD
        if not password:
            raise CommandError("Set GOVHALL_SENSORS_MQTT_PASSWORD: the subscriber's own password goes into passwd too.")
        counts = write_broker_files(
            Path(options["out"]).resolve(),
            subscriber_user=user,
            subscriber_password=password,
            port=options["port"],
            bind=options["bind"],
            persistence=not options["no_persistence"],
            certfile=options["certfile"],
            keyfile=options["keyfile"],
            run_as=options["run_as"],
        )
        self.stdout.write(f"wrote passwd, acl and mosquitto.conf for {counts['stations']} stations in {options['out']}")
