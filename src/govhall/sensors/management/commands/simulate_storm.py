"""`manage.py simulate_storm`: publish a realistic storm to Mosquitto for a rain gauge and a river station."""

from __future__ import annotations

import time
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from govhall.sensors.models import Station
from govhall.sensors.simulator import storm


class Command(BaseCommand):
    help = "Publish a storm (rain through the 暴雨 levels, a river crossing 警戒) as the stations would, QoS 1."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=1883)
        parser.add_argument("--rain", default="hc-guoban-rain", help="rain station code ('' for none)")
        parser.add_argument("--river", default="hc-guoban-river", help="river station code ('' for none)")
        parser.add_argument("--password", action="append", default=[], help="CODE=PASSWORD for a broker with an ACL")
        parser.add_argument("--hours", type=int, default=4)
        parser.add_argument(
            "--pause", type=float, default=0.05, help="seconds between reports (0: as fast as possible)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        passwords = dict(item.split("=", 1) for item in options["password"])
        clients: dict[str, mqtt.Client] = {}
        pairs = {}
        for role in ("rain", "river"):
            code = options[role]
            if not code:
                continue
            station = Station.objects.filter(code=code).first()
            if station is None:
                raise CommandError(f"no station {code!r}")
            pairs[role] = (station.region, station.code)
            client = mqtt.Client(callback_api_version=CallbackAPIVersion.VERSION2, client_id=f"sim-{code}")
            if code in passwords:
                client.username_pw_set(code, passwords[code])
            state = f"govhall/{station.region}/{station.code}/state"
            client.will_set(state, "offline", qos=1, retain=True)
            client.connect(options["host"], options["port"], keepalive=30)
            client.loop_start()
            client.publish(state, "online", qos=1, retain=True).wait_for_publish(5)
            clients[code] = client
        sent = 0
        for topic, payload in storm(
            rain=pairs.get("rain"), river=pairs.get("river"), end=timezone.now(), hours=options["hours"]
        ):
            code = topic.split("/")[2]
            clients[code].publish(topic, payload, qos=1).wait_for_publish(10)
            sent += 1
            if options["pause"]:
                time.sleep(options["pause"])
        for client in clients.values():
            client.disconnect()
            client.loop_stop()
        self.stdout.write(f"published {sent} reports")
