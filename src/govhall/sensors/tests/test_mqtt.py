"""Through a real Mosquitto with the registry's passwords and ACL: a storm stored, a spoofed topic
refused by the broker, a broken payload logged, messages never acknowledged redelivered,
and ingest resuming by itself after Mosquitto restarts."""

from __future__ import annotations

import getpass
import json
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from django.db.utils import OperationalError
from django.utils import timezone

from govhall.sensors.actions import forget_registry, issue_station_password
from govhall.sensors.broker import write_broker_files
from govhall.sensors.models import Alarm, IngestProblem, Reading, Station
from govhall.sensors.simulator import storm
from govhall.sensors.subscriber import Subscriber

MOSQUITTO = "/usr/sbin/mosquitto"
pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not shutil.which(MOSQUITTO), reason="mosquitto is not installed"),
]
SUBSCRIBER = ("govhall-sensors", "sub-Secret-2026")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Broker:
    def __init__(self, folder: Path, port: int) -> None:
        self.folder, self.port = folder, port
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen([MOSQUITTO, "-c", str(self.folder / "mosquitto.conf")], stderr=subprocess.PIPE)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("mosquitto did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()  # Mosquitto saves its persistent sessions on SIGTERM
            self.process.wait(10)
            self.process = None


@pytest.fixture
def broker(stations: dict[str, Station], tmp_path: Path) -> Iterator[tuple[Broker, dict[str, str]]]:
    passwords = {
        code: issue_station_password(stations[code], actor=None) for code in ("hc-guoban-rain", "hc-guoban-river")
    }
    port = _free_port()
    write_broker_files(tmp_path / "broker", subscriber_user=SUBSCRIBER[0], subscriber_password=SUBSCRIBER[1], port=port,
                       run_as=getpass.getuser())  # fmt: skip
    running = Broker(tmp_path / "broker", port)
    running.start()
    forget_registry()
    yield running, passwords
    running.stop()


def _station_client(port: int, code: str, password: str) -> mqtt.Client:
    client = mqtt.Client(callback_api_version=CallbackAPIVersion.VERSION2, client_id=f"test-{code}")
    client.username_pw_set(code, password)
    client.connect("127.0.0.1", port)
    client.loop_start()
    return client


def _publish(client: mqtt.Client, topic: str, payload: bytes) -> None:
    client.publish(topic, payload, qos=1).wait_for_publish(5)


def _until(check: Callable[[], bool], seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            if check():
                return
        except OperationalError:  # SQLite's shared in-memory test database, locked by the subscriber's write
            pass
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.1)


def _run(subscriber: Subscriber) -> threading.Thread:
    thread = threading.Thread(target=subscriber.run, daemon=True)
    thread.start()
    return thread


def test_a_storm_goes_through_the_broker_to_alarms_and_bad_messages_are_kept_out(
    broker: tuple[Broker, dict[str, str]],
) -> None:
    running, passwords = broker
    subscriber = Subscriber(port=running.port, username=SUBSCRIBER[0], password=SUBSCRIBER[1], client_id="t-sub")
    thread = _run(subscriber)
    _until(subscriber.connected.is_set)
    rain = _station_client(running.port, "hc-guoban-rain", passwords["hc-guoban-rain"])
    river = _station_client(running.port, "hc-guoban-river", passwords["hc-guoban-river"])
    reports = list(
        storm(rain=("350205", "hc-guoban-rain"), river=("350205", "hc-guoban-river"), end=timezone.now(), hours=3)
    )
    for topic, payload in reports:
        _publish(rain if "rain" in topic else river, topic, payload)
    # The river station tries to write the rain gauge's topic: the broker's ACL drops it.
    spoof = {"station": "hc-guoban-rain", "time": timezone.now().isoformat(), "values": {"PJ": 250.0}}
    _publish(river, "govhall/350205/hc-guoban-rain/data", json.dumps(spoof).encode())
    _publish(rain, "govhall/350205/hc-guoban-rain/data", b'{"station": "hc-guoban-rain", "time":')
    expected = 3 * len(reports)  # three elements a report
    _until(lambda: Reading.objects.count() >= expected and IngestProblem.objects.exists())
    subscriber.stop()
    thread.join(10)
    assert Reading.objects.count() == expected
    assert not Reading.objects.filter(value=250.0).exists()
    assert list(IngestProblem.objects.values_list("kind", flat=True)) == ["malformed"]
    raised = set(Alarm.objects.values_list("rule__name", flat=True))
    assert "暴雨红色预警信号：3小时降雨量≥100毫米" in raised
    assert "过坂溪超警戒水位" in raised
    # A station without the right password is refused by the broker:
    stranger = mqtt.Client(callback_api_version=CallbackAPIVersion.VERSION2, client_id="stranger")
    stranger.username_pw_set("hc-guoban-rain", "wrong")
    assert stranger.connect("127.0.0.1", running.port) == 0
    result = stranger.loop(timeout=2)
    assert result != 0 or not stranger.is_connected()


def test_what_was_not_acknowledged_comes_again_and_ingest_resumes_after_a_broker_restart(
    broker: tuple[Broker, dict[str, str]],
) -> None:
    running, passwords = broker
    # A subscriber that dies mid-batch: it received messages but stored and acknowledged none.
    dying = Subscriber(port=running.port, username=SUBSCRIBER[0], password=SUBSCRIBER[1], client_id="t-sub")
    dying.start()
    _until(dying.connected.is_set)
    rain = _station_client(running.port, "hc-guoban-rain", passwords["hc-guoban-rain"])
    now = timezone.now().replace(microsecond=0)
    for minutes in range(10):
        body = {
            "station": "hc-guoban-rain",
            "time": (now - timezone.timedelta(minutes=minutes)).isoformat(),
            "values": {"PJ": 1.0},
        }
        _publish(rain, "govhall/350205/hc-guoban-rain/data", json.dumps(body).encode())
    _until(lambda: dying.inbox.qsize() >= 10)
    dying.client._sock_close()  # killed: no acknowledgement, no clean disconnect
    dying.client.loop_stop()
    # Mosquitto restarts while no one is subscribed; the session and its queue survive:
    running.stop()
    running.start()
    rain.reconnect()
    body = {
        "station": "hc-guoban-rain",
        "time": (now + timezone.timedelta(minutes=1)).isoformat(),
        "values": {"PJ": 2.0},
    }
    _publish(rain, "govhall/350205/hc-guoban-rain/data", json.dumps(body).encode())
    subscriber = Subscriber(port=running.port, username=SUBSCRIBER[0], password=SUBSCRIBER[1], client_id="t-sub")
    thread = _run(subscriber)
    _until(lambda: Reading.objects.filter(element_id="PJ").count() >= 11)
    # The broker restarts under a running subscriber: it reconnects and goes on by itself.
    running.stop()
    running.start()
    rain.reconnect()
    body = {
        "station": "hc-guoban-rain",
        "time": (now + timezone.timedelta(minutes=2)).isoformat(),
        "values": {"PJ": 3.0},
    }
    _publish(rain, "govhall/350205/hc-guoban-rain/data", json.dumps(body).encode())
    _until(lambda: Reading.objects.filter(element_id="PJ").count() >= 12, seconds=40)
    subscriber.stop()
    thread.join(10)
    assert Reading.objects.filter(element_id="PJ").count() == 12
    assert subscriber.totals.connections >= 2
