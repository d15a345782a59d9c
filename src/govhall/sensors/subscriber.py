"""The long-running MQTT subscriber: receive, store in one transaction, then acknowledge.

paho-mqtt 2 with ``manual_ack``: a QoS 1 message is acknowledged (PUBACK) only after the
batch that holds it has committed. The session is persistent (``clean_session=False`` and a
fixed client id), so what Mosquitto has not had acknowledged — the subscriber was killed
mid-batch, the database was down, the network broke — it delivers again on the next
connection, and the readings' primary key makes the second delivery a no-op. paho reconnects
by itself after Mosquitto restarts (1 s to 30 s back-off) and the subscription is renewed
on every connection.

The network thread only queues messages; the main thread batches them (up to
``batch_size`` or ``batch_seconds``), stores them and acknowledges them. A batch that fails
to store is retried after a pause; its messages are never acknowledged until it succeeds.
"""

from __future__ import annotations

import datetime
import logging
import queue
import threading
import time
from dataclasses import dataclass, field

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from django.db import InterfaceError, OperationalError, close_old_connections, connections
from django.utils import timezone

from govhall.sensors.actions import StoreResult, record_problem, store_messages
from govhall.sensors.constants import ProblemKind
from govhall.sensors.ingest import Message, excerpt
from govhall.sensors.partitions import ensure_current_partitions

log = logging.getLogger("govhall.sensors")

TOPICS = ["govhall/+/+/data", "govhall/+/+/state"]


@dataclass
class Totals:
    messages: int = 0
    stored: int = 0
    duplicates: int = 0
    problems: int = 0
    batches: int = 0
    connections: int = 0
    started: float = field(default_factory=time.monotonic)


class Subscriber:
    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 1883,
        username: str = "",
        password: str = "",
        client_id: str = "govhall-sensors",
        batch_size: int = 500,
        batch_seconds: float = 0.2,
        tls_ca: str = "",
    ) -> None:
        self.host, self.port = host, port
        self.batch_size, self.batch_seconds = batch_size, batch_seconds
        self.inbox: queue.Queue[mqtt.MQTTMessage] = queue.Queue()
        self.stopping = threading.Event()
        self.connected = threading.Event()
        self.totals = Totals()
        client = mqtt.Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=client_id,
            clean_session=False,
            manual_ack=True,
        )
        if username:
            client.username_pw_set(username, password or None)
        if tls_ca:
            client.tls_set(ca_certs=tls_ca)
        client.reconnect_delay_set(min_delay=1, max_delay=30)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        self.client = client

    # Network thread:

    def _on_connect(
        self, client: mqtt.Client, userdata: object, flags: object, reason: object, properties: object
    ) -> None:
        if getattr(reason, "is_failure", False):
            log.error("sensors subscriber: broker refused the connection: %s", reason)
            return
        self.totals.connections += 1
        log.info("sensors subscriber: connected to %s:%s (session present: %s)", self.host, self.port,
                 getattr(flags, "session_present", "?"))  # fmt: skip
        client.subscribe([(topic, 1) for topic in TOPICS])
        self.connected.set()

    def _on_disconnect(
        self, client: mqtt.Client, userdata: object, flags: object, reason: object, properties: object
    ) -> None:
        self.connected.clear()
        if not self.stopping.is_set():
            log.warning("sensors subscriber: lost the broker (%s); reconnecting", reason)

    def _on_message(self, client: mqtt.Client, userdata: object, message: mqtt.MQTTMessage) -> None:
        self.inbox.put(message)

    # Main thread:

    def start(self) -> None:
        ensure_current_partitions()
        self.client.connect_async(self.host, self.port, keepalive=30)
        self.client.loop_start()

    def stop(self) -> None:
        self.stopping.set()

    def _take_batch(self) -> list[mqtt.MQTTMessage]:
        try:
            first = self.inbox.get(timeout=0.5)
        except queue.Empty:
            return []
        batch = [first]
        deadline = time.monotonic() + self.batch_seconds
        while len(batch) < self.batch_size:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                batch.append(self.inbox.get(timeout=remaining))
            except queue.Empty:
                break
        return batch

    def _store(self, batch: list[mqtt.MQTTMessage]) -> StoreResult:
        now = timezone.now()
        messages = [Message(m.topic, bytes(m.payload), now, m.mid) for m in batch]
        while True:
            try:
                close_old_connections()
                return store_messages(messages, now=now)
            except (OperationalError, InterfaceError):
                # The database is away: keep the batch, unacknowledged, and try again.
                log.exception("sensors subscriber: storing a batch of %d messages failed; retrying in 2 s", len(batch))
                if self.stopping.wait(2):
                    raise
            except Exception:
                # Something in the batch this code cannot store: retrying it would stop every
                # station's ingest for good. Store the messages one by one instead.
                log.exception("sensors subscriber: a batch of %d messages could not be stored; one by one", len(batch))
                return self._store_each(messages, now)

    def _store_each(self, messages: list[Message], now: datetime.datetime) -> StoreResult:
        """Store each message alone; one that still fails is kept as an ingest problem (and acknowledged)."""
        total = StoreResult()
        for message in messages:
            while True:
                try:
                    close_old_connections()
                    result = store_messages([message], now=now)
                except (OperationalError, InterfaceError):
                    log.exception("sensors subscriber: the database is away; retrying in 2 s")
                    if self.stopping.wait(2):
                        raise
                    continue
                except Exception as exc:
                    log.exception("sensors subscriber: a message on %s cannot be stored", message.topic)
                    record_problem(
                        ProblemKind.MALFORMED,
                        message.topic,
                        f"报文无法保存（{type(exc).__name__}），已记录原文，请检查测站的报文格式",
                        payload=excerpt(message.payload),
                    )
                    total.problems += 1
                    break
                for name in ("received", "stored", "duplicates", "problems", "alarms_changed", "notices"):
                    setattr(total, name, getattr(total, name) + getattr(result, name))
                break
        return total

    def run_once(self) -> int:
        batch = self._take_batch()
        if not batch:
            return 0
        result = self._store(batch)
        for message in batch:
            if message.qos > 0:
                self.client.ack(message.mid, message.qos)
        t = self.totals
        t.messages += len(batch)
        t.stored += result.stored
        t.duplicates += result.duplicates
        t.problems += result.problems
        t.batches += 1
        return len(batch)

    def run(self) -> None:
        """Run until ``stop()``; then finish the batch in hand, disconnect and return."""
        self.start()
        last_partition_check = time.monotonic()
        try:
            while not self.stopping.is_set():
                try:
                    self.run_once()
                except Exception:
                    if self.stopping.is_set():
                        break
                    raise
                if time.monotonic() - last_partition_check > 3600:
                    ensure_current_partitions()
                    last_partition_check = time.monotonic()
        finally:
            self.client.disconnect()
            self.client.loop_stop()
            connections.close_all()  # this thread's own connections
            log.info("sensors subscriber: stopped after %d messages (%d readings stored)", self.totals.messages,
                     self.totals.stored)  # fmt: skip
