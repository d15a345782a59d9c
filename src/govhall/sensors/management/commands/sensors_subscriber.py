"""`manage.py sensors_subscriber`: receive the field stations' MQTT messages and store them (run beside the web server)."""

from __future__ import annotations

import signal
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from govhall.sensors.subscriber import Subscriber


class Command(BaseCommand):
    help = "Subscribe to govhall/+/+/data and …/state on the MQTT broker and store readings (QoS 1, ack after commit)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=settings.SENSORS_MQTT_HOST)
        parser.add_argument("--port", type=int, default=settings.SENSORS_MQTT_PORT)
        parser.add_argument("--username", default=settings.SENSORS_MQTT_USERNAME)
        parser.add_argument("--password", default=settings.SENSORS_MQTT_PASSWORD)
        parser.add_argument("--client-id", default=settings.SENSORS_MQTT_CLIENT_ID)
        parser.add_argument("--tls-ca", default=settings.SENSORS_MQTT_TLS_CA)
        parser.add_argument("--batch-size", type=int, default=1000)
        parser.add_argument("--batch-seconds", type=float, default=0.2)

    def handle(self, *args: Any, **options: Any) -> None:
        subscriber = Subscriber(
            host=options["host"],
            port=options["port"],
            username=options["username"],
            password=options["password"],
            client_id=options["client_id"],
            tls_ca=options["tls_ca"],
            batch_size=options["batch_size"],
            batch_seconds=options["batch_seconds"],
        )
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: subscriber.stop())
        self.stdout.write(f"sensors subscriber: {options['host']}:{options['port']} as {options['client_id']}")
        subscriber.run()
        t = subscriber.totals
        self.stdout.write(
            f"stopped: {t.messages} messages, {t.stored} readings stored, {t.duplicates} duplicates, {t.problems} problems"
        )
