"""`python -m bench.sensors`: sustained ingest from Mosquitto into PostgreSQL, and red-threshold-to-notice latency.

    .venv/bin/python -m bench.sensors [--stations 200] [--minutes 60] [--latency-probes 20] [--paced 2000] [--database-url …]

Makes a fresh PostgreSQL database govhall_bench_sensors (or --database-url, which must name a
govhall_bench* database) with the demo rules and ``--stations`` rain gauges (PJ, VT, ZT: three
readings a report; the 暴雨 and status-bit rules apply to every one), starts its own Mosquitto
(the registry's passwd/acl plus one bench publisher user, persistence on) on a free port and
the real subscriber (``manage.py sensors_subscriber``, a separate process), then:

1. ingest: one publisher sends ``--minutes`` of minute reports for every station (QoS 1, as
   fast as the broker takes them); readings per second = readings stored / time from the first
   stored to the last, read from the day table the subscriber keeps (so the figure includes
   the aggregates, the rainfall windows and the alarm evaluation of every batch);
2. latency, under a steady background load of ``--paced`` readings/s (2,000: a storm's worth,
   below the ceiling — under a saturating burst the figure would only measure the queue):
   ``--latency-probes`` times, a river station's water level is published above its red (保证)
   level (hold 0) and back down; the time from the publish to the staff notice of the red
   alarm being committed (polled every 10 ms) gives p50/p95.

Prints the figures and a JSON line.
"""

from __future__ import annotations

import argparse
import datetime
import getpass
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/govhall_bench_sensors"
ROOT = Path(__file__).resolve().parent.parent
PUBLISHER = ("bench-publisher", "bench-Publisher-2026")
SUBSCRIBER = ("govhall-sensors", "bench-Subscriber-2026")


def _setup(url: str) -> None:
    for path in (str(ROOT), str(ROOT / "src")):
        if path not in sys.path:
            sys.path.append(path)
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "govhall.conf.settings"
    os.environ.setdefault("GOVHALL_VAR_DIR", str(ROOT / "var" / "bench"))
    os.environ.setdefault("GOVHALL_LOG_LEVEL", "WARNING")
    import django

    django.setup()


def _fresh_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    if not name.startswith("govhall_bench"):
        raise SystemExit("--database-url must name a govhall_bench* database")
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _world(stations: int) -> dict[str, Any]:
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from govhall.identity import actions as identity
    from govhall.identity.constants import Role
    from govhall.sensors.constants import NoticeKind, Severity, StationType
    from govhall.sensors.demo import load_sensors_demo
    from govhall.sensors.models import AlarmRule, Element, Station

    bureau = identity.save_department(code="bureau", name="海沧区农林水利局", credit_code="11350205MB01000012")
    water = identity.save_department(code="water", name="水利科", credit_code="11350205MB0100004B", parent=bureau)
    clerk = identity.create_staff(username="carol", full_name="陈嘉欣", password="Bench#Pass2026")
    identity.grant_role(clerk, water, Role.CLERK)
    load_sensors_demo(water)
    rain_elements = list(Element.objects.filter(code__in=["PJ", "VT", "ZT"]))
    made = Station.objects.bulk_create(
        [
            Station(
                code=f"bench-rain-{i:04d}",
                name=f"压测雨量站{i}",
                station_type=StationType.RAIN,
                township="东孚镇",
                village=f"压测村{i % 20}",
                department=water,
                interval_minutes=1,
            )  # fmt: skip
            for i in range(stations)
        ]
    )
    through = Station.elements.through
    through.objects.bulk_create([through(station_id=s.pk, element_id=e.code) for s in made for e in rain_elements])
    probe = Station.objects.get(code="hc-guoban-river")
    AlarmRule.objects.create(name="压测红色水位", station=probe, element=Element.objects.get(code="Z"), threshold=13.6,
                             hold_minutes=0, severity=Severity.RED, notice_kind=NoticeKind.FLOOD)  # fmt: skip
    return {"codes": [s.code for s in made], "probe": probe.code, "clerk": clerk.pk}


def _broker(folder: Path, port: int) -> subprocess.Popen[bytes]:
    from govhall.sensors.broker import _mosquitto_hash, write_broker_files

    write_broker_files(folder, subscriber_user=SUBSCRIBER[0], subscriber_password=SUBSCRIBER[1], port=port,
                       run_as=getpass.getuser())  # fmt: skip
    with open(folder / "passwd", "a") as f:
        f.write(f"{PUBLISHER[0]}:{_mosquitto_hash(PUBLISHER[1])}\n")
    with open(folder / "acl", "a") as f:
        f.write(f"\nuser {PUBLISHER[0]}\ntopic write govhall/#\n")
    # The broker's log is kept beside its files: a shortfall in the figures is looked for there.
    log = open(folder / "mosquitto.log", "wb")  # noqa: SIM115 - open for the broker's lifetime
    process = subprocess.Popen(["/usr/sbin/mosquitto", "-c", str(folder / "mosquitto.conf")], stderr=log, stdout=log)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process
        except OSError:
            time.sleep(0.05)
    raise SystemExit("mosquitto did not start")


def _publisher(port: int) -> Any:
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    client = mqtt.Client(callback_api_version=CallbackAPIVersion.VERSION2, client_id=f"bench-pub-{time.monotonic_ns()}")
    client.username_pw_set(*PUBLISHER)
    client.max_inflight_messages_set(1000)
    client.max_queued_messages_set(0)
    client.connect("127.0.0.1", port)
    client.loop_start()
    return client


def _stored() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(SUM(count), 0) FROM sensors_dailyvalue")
        return int(cursor.fetchone()[0])


def run(stations: int, minutes: int, probes: int, url: str, paced: int = 2000) -> dict[str, Any]:
    _fresh_database(url)
    _setup(url)
    world = _world(stations)
    from django.db import connection

    from govhall.proactive.models import Notification

    folder = Path(tempfile.mkdtemp(prefix="bench-sensors-"))
    port = _free_port()
    broker = _broker(folder / "broker", port)
    # The subscriber's persistent session exists before anything is published (as in production,
    # where it has existed since the first start), so nothing published while it starts is lost:
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    session = mqtt.Client(
        callback_api_version=CallbackAPIVersion.VERSION2, client_id="bench-subscriber", clean_session=False
    )
    session.username_pw_set(*SUBSCRIBER)
    session.connect("127.0.0.1", port)
    session.loop_start()
    session.subscribe([("govhall/+/+/data", 1), ("govhall/+/+/state", 1)])
    time.sleep(0.5)
    session.disconnect()
    session.loop_stop()
    env = {**os.environ, "DATABASE_URL": url}
    subscriber = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "manage.py"),
            "sensors_subscriber",
            "--port",
            str(port),
            "--username",
            SUBSCRIBER[0],
            "--password",
            SUBSCRIBER[1],
            "--client-id",
            "bench-subscriber",
        ],  # fmt: skip
        env=env,
        stdout=open(folder / "subscriber.log", "wb"),  # noqa: SIM115
        stderr=subprocess.STDOUT,
    )
    try:
        publisher = _publisher(port)
        start = datetime.datetime.now(datetime.UTC).replace(second=0, microsecond=0) - datetime.timedelta(
            minutes=minutes + 600
        )
        expected = stations * minutes * 3
        latencies: list[float] = []
        baseline = _stored()

        def report(code: str, stamp: str, m: int) -> None:
            body = {"station": code, "time": stamp, "values": {"PJ": 0.2 if m % 7 else 1.5, "VT": 12.4, "ZT": 0}}
            publisher.publish(f"govhall/350205/{code}/data", json.dumps(body), qos=1)

        # 1. Throughput: every station's minutes, as fast as the broker takes them.
        began = time.monotonic()
        for m in range(minutes):
            stamp = (start + datetime.timedelta(minutes=m)).isoformat()
            for code in world["codes"]:
                report(code, stamp, m)
        while True:
            stored = _stored() - baseline
            if stored >= expected or time.monotonic() - began > 600:
                break
            time.sleep(0.05)
        wall = time.monotonic() - began
        rate = round(stored / wall, 1)
        # 2. Latency under a steady load of ``paced`` readings/s (below the ceiling, as in a storm):
        stop = threading.Event()

        def paced_load() -> None:
            m = minutes
            while not stop.is_set():
                tick = time.monotonic()
                stamp = (start + datetime.timedelta(minutes=m)).isoformat()
                for code in world["codes"]:
                    report(code, stamp, m)
                m += 1
                time.sleep(max(0.0, len(world["codes"]) * 3 / paced - (time.monotonic() - tick)))

        loader = threading.Thread(target=paced_load, daemon=True)
        loader.start()
        probe_topic = f"govhall/350205/{world['probe']}/data"
        time.sleep(1)
        for _ in range(probes):
            before = Notification.objects.filter(recipient_id=world["clerk"], subject__contains="压测红色水位").count()
            moment = datetime.datetime.now(datetime.UTC) - datetime.timedelta(seconds=1)
            sent = time.monotonic()
            publisher.publish(
                probe_topic,
                json.dumps({"station": world["probe"], "time": moment.isoformat(), "values": {"Z": 13.9}}),
                qos=1,
            )
            while (
                Notification.objects.filter(recipient_id=world["clerk"], subject__contains="压测红色水位").count()
                == before
            ):
                if time.monotonic() - sent > 30:
                    break
                time.sleep(0.01)
            latencies.append(time.monotonic() - sent)
            later = moment + datetime.timedelta(milliseconds=500)
            publisher.publish(
                probe_topic,
                json.dumps({"station": world["probe"], "time": later.isoformat(), "values": {"Z": 12.0}}),
                qos=1,
            )
            time.sleep(0.3)
        stop.set()
        loader.join()
        connection.close()
        result = {
            "stations": stations,
            "minutes_of_data": minutes,
            "readings_expected": expected,
            "readings_stored": stored,
            "wall_seconds": round(wall, 2),
            "readings_per_second": rate,
            "latency_probes": len(latencies),
            "latency_background_readings_per_second": paced,
            "red_to_notice_p50_ms": round(statistics.median(latencies) * 1000, 1) if latencies else None,
            "red_to_notice_p95_ms": round(sorted(latencies)[max(0, int(len(latencies) * 0.95) - 1)] * 1000, 1)
            if latencies
            else None,
            "cores": os.cpu_count(),
        }
        publisher.disconnect()
        return result
    finally:
        subscriber.terminate()
        subscriber.wait(30)
        broker.terminate()
        broker.wait(10)
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stations", type=int, default=200)
    parser.add_argument("--minutes", type=int, default=60)
    parser.add_argument("--latency-probes", type=int, default=20)
    parser.add_argument("--paced", type=int, default=2000, help="background readings/s while latency is measured")
    parser.add_argument("--database-url", default=DEFAULT_URL)
    args = parser.parse_args()
    result = run(args.stations, args.minutes, args.latency_probes, args.database_url, args.paced)
    print(f"sustained ingest: {result['readings_per_second']} readings/s ({result['readings_stored']} in {result['wall_seconds']} s, "
          f"{result['stations']} stations, alarms evaluated)")  # fmt: skip
    print(f"red threshold → notice committed: p50 {result['red_to_notice_p50_ms']} ms, p95 {result['red_to_notice_p95_ms']} ms "
          f"({result['latency_probes']} probes under {result['latency_background_readings_per_second']} readings/s)")  # fmt: skip
    print(json.dumps(result))


if __name__ == "__main__":
    main()
