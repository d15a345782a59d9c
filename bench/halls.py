"""`python -m bench.halls`: the service hall's calling, kiosk issuing, display boards and slot page.

    .venv/bin/python -m bench.halls [--tickets 3000] [--windows 30] [--minutes 10] [--bookings 100000]
                                    [--boards 50] [--kiosks 3] [--board-seconds 60] [--database-url …]

Makes a fresh PostgreSQL database govhall_bench_halls (or --database-url, which must name a
govhall_bench* database), a district hall open 00:00–23:59 (today made a working day by a
调休 row of the holiday table if it is not one) with eight queues, ``--windows`` general
windows each held by its own clerk, and five published items; the cache is Redis
(``GOVHALL_REDIS_URL``, default ``redis://127.0.0.1:6379/15``), shared by every process as in
production. Then:

- **calling**: ``--tickets`` waiting tickets of today (bulk-inserted, their DailySerial rows set
  to match; a few priority and booked ones), and ``--windows`` processes, one per window, each
  pressing "next" (``call_next_ticket``), then ``start_serving`` and ``finish_ticket``, each its
  own transaction as at the counter, with no pause, for up to ``--minutes`` or until nobody
  waits. Prints the tickets called, the tickets called twice (from the ``called`` events; must
  be 0), the windows that ever held two tickets at once (must be 0), and the latency of a call,
  p50/p95/max (the issue asks p95 ≤ 100 ms). Beforehand one window alone calls 50 tickets: the
  call's latency and queries uncontended, for comparison.
- **kiosk issuing**: ``--kiosks`` processes taking tickets through ``take_ticket`` (every other
  one with an ID number) round the eight queues for 10 s. Prints tickets a second (≥ 50/s) and
  checks the serials (no number twice or skipped).
- **display boards**: ``--boards`` registered boards polling ``/hall/board/state.json`` every
  second (after each answer, as board.js does) with their cookie and ``If-None-Match``, against
  gunicorn as production runs it (``bench.runner.Server``: 2 × cores + 1 sync workers), for
  ``--board-seconds`` while a clerk calls a ticket every 5 s. Prints the server's CPU (its whole
  process group, from /proc) as % of one core (< 5 %; its idle CPU before the boards too), the
  share of 304s, and the delay from a call to each board showing it (≤ 2 s); then, in process,
  the CPU of one 304 and one 200.
- **slot page**: ``--bookings`` bookings bulk-inserted over the next 60 days (five items, their
  slots never over capacity; ~86 % booked, the rest cancelled, expired or held), the hall back
  to its default opening hours; times what the booking page reads for the busiest item
  (``bookable_days`` + ``free_places_by_day`` + ``list_slots``) and the page itself through
  Django's test client as a logged-in applicant, 200 times each: p50/p95 (≤ 50 ms).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import hashlib
import http.client
import json
import multiprocessing
import os
import random
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/govhall_bench_halls"
DEFAULT_REDIS = "redis://127.0.0.1:6379/15"
PASSWORD = "Bench#Pass2026"
PREFIXES = "ABCDEFGH"
ITEMS = 5
FORK = multiprocessing.get_context("fork")


def _setup(url: str, redis: str) -> None:
    root = Path(__file__).resolve().parent.parent
    for path in (str(root), str(root / "src")):
        if path not in sys.path:
            sys.path.append(path)
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "govhall.conf.settings"
    os.environ.setdefault("GOVHALL_VAR_DIR", str(root / "var" / "bench"))
    os.environ.setdefault("GOVHALL_LOG_LEVEL", "WARNING")
    os.environ["GOVHALL_REDIS_URL"] = redis
    # The test client's host, and the address the boards call the server by:
    os.environ["DJANGO_ALLOWED_HOSTS"] = "testserver,127.0.0.1,localhost"
    import django

    django.setup()


def _pct(values: list[float], q: float) -> float:
    """The q-quantile (0–1) of ``values``, nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(q * len(ordered))) - 1))] if ordered else float("nan")


def _ms(values: list[float]) -> dict[str, float]:
    """p50/p95/max of durations in seconds, in milliseconds."""
    return {key: round(fn(values) * 1000, 1) for key, fn in
            (("p50_ms", lambda v: _pct(v, 0.5)), ("p95_ms", lambda v: _pct(v, 0.95)), ("max_ms", max))}  # fmt: skip


@contextlib.contextmanager
def _counting_queries() -> Iterator[list[int]]:
    """Count the statements this thread's connection runs (the test client's requests included)."""
    from django.db import connection

    count = [0]

    def count_one(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        count[0] += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count_one):
        yield count


def _verdict(met: bool) -> str:
    return "met" if met else "MISSED"


def _resident_id(n: int, born: datetime.date) -> str:
    """A valid, recognisably synthetic ID number (sequence code 900–999, the bench's range)."""
    from govhall.lib.identifiers import resident_check_character

    first17 = f"350205{born:%Y%m%d}{900 + n % 100:03d}"
    return first17 + resident_check_character(first17)


# --- the hall ------------------------------------------------------------------------------


def _world(windows: int) -> dict[str, Any]:
    """Departments, an editor and an approver, five published items, the hall, its queues, windows and clerks."""
    from django.utils import timezone

    from govhall.catalog.tests.factories import create_draft, publish
    from govhall.halls import actions
    from govhall.halls.models import Hall, Queue, Window
    from govhall.holidays.models import DayKind, Holiday
    from govhall.holidays.queries import get_calendar
    from govhall.identity import actions as identity
    from govhall.identity.constants import Role

    today = timezone.localdate()
    made_workday = False
    if not get_calendar().is_working_day(today):
        Holiday.objects.create(date=today, kind=DayKind.WORKDAY, name="基准测试调休", source="bench.halls")
        made_workday = True
    bureau = identity.save_department(code="bureau", name="农林水利局", credit_code="11350205MB01000012")
    people = {}
    for name, role in (("helen", Role.CONTENT_EDITOR), ("grace", Role.APPROVER)):
        people[name] = identity.create_staff(username=name, full_name=name, password=PASSWORD)
        identity.grant_role(people[name], bureau, role)
    items = []
    for n in range(ITEMS):
        draft = create_draft(people["helen"], bureau, code_suffix=f"{1000 + n:08d}", overrides={"name": f"事项{n + 1}"})
        items.append(publish(draft, people["helen"], people["grace"]).item)
    hall = Hall.objects.create(
        code="haicang", name="海沧区行政服务中心", department=bureau, opening_hours=[["00:00", "23:59"]]
    )
    queues = []
    for n, prefix in enumerate(PREFIXES):
        queue = Queue.objects.create(hall=hall, prefix=prefix, name=f"业务{prefix}", sort_order=n, daily_quota=999)
        queue.items.add(items[n % ITEMS])
        queues.append(queue)
    clerks, hall_windows = [], []
    for n in range(1, windows + 1):
        window = Window.objects.create(hall=hall, number=n)
        clerk = identity.create_staff(username=f"clerk{n:02d}", full_name=f"窗口{n}", password=PASSWORD)
        identity.grant_role(clerk, bureau, Role.CLERK)
        actions.sign_in_window(window, clerk=clerk)
        clerks.append(clerk)
        hall_windows.append(window)
    return {"hall": hall, "queues": queues, "windows": hall_windows, "clerks": clerks, "items": items,
            "helen": people["helen"], "made_workday": made_workday, "today": today}  # fmt: skip


def _bulk_tickets(hall: Any, queues: list[Any], count: int) -> int:
    """``count`` waiting tickets of today round the queues, numbered on from each queue's DailySerial."""
    from django.utils import timezone

    from govhall.halls.constants import PriorityGroup, TicketEventKind, TicketSource, TicketStatus
    from govhall.halls.models import DailySerial, Ticket, TicketEvent

    today = timezone.localdate()
    now = timezone.now()
    last = {q.pk: DailySerial.objects.get_or_create(queue=q, day=today)[0].last for q in queues}
    rows = []
    for n in range(count):
        queue = queues[n % len(queues)]
        last[queue.pk] += 1
        serial = last[queue.pk]
        rows.append(
            Ticket(
                hall=hall,
                queue=queue,
                day=today,
                serial=serial,
                number=f"{queue.prefix}{serial:03d}",
                status=TicketStatus.WAITING,
                source=TicketSource.KIOSK,
                # One in 20 elderly (called before the others), one in 25 a booking whose slot began:
                priority_group=PriorityGroup.ELDERLY if n % 20 == 7 else "",
                booked_start=now - datetime.timedelta(minutes=5) if n % 25 == 3 else None,
                arrived_at=now - datetime.timedelta(seconds=(count - n) * 2),
            )  # fmt: skip
        )
    tickets = Ticket.objects.bulk_create(rows, batch_size=5000)
    TicketEvent.objects.bulk_create(
        [TicketEvent(ticket=t, kind=TicketEventKind.ISSUED, at=t.arrived_at) for t in tickets], batch_size=5000
    )
    for pk, serial in last.items():
        DailySerial.objects.filter(queue_id=pk, day=today).update(last=serial)
    return len(tickets)


def _analyze(*tables: str) -> None:
    """As autovacuum would after a bulk load (fresh tables have no statistics for the planner)."""
    from django.db import connection

    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"ANALYZE {table}")


# --- 1. calling ----------------------------------------------------------------------------


def _serve_one(window: Any, clerk: Any) -> tuple[float, bool]:
    """Call the next ticket, start and finish it; the call's latency and whether there was one."""
    from govhall.halls import actions

    started = time.perf_counter()
    ticket = actions.call_next_ticket(window, clerk=clerk)
    latency = time.perf_counter() - started
    if ticket is None:
        return latency, False
    actions.start_serving(window, clerk=clerk)
    actions.finish_ticket(window, clerk=clerk)
    return latency, True


def _window_worker(window: Any, clerk: Any, seconds: float, barrier: Any, results: Any) -> None:
    from django.db import connection

    connection.ensure_connection()  # the connection is made before the clock starts
    latencies: list[float] = []
    errors: Counter[str] = Counter()
    barrier.wait()
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            try:
                latency, called = _serve_one(window, clerk)
            except Exception as exc:  # noqa: BLE001 - counted and reported
                errors[type(exc).__name__] += 1
                if sum(errors.values()) > 100:
                    break
                continue
            latencies.append(latency)
            if not called:
                break
    finally:
        results.put((window.number, latencies, dict(errors), time.monotonic()))
        connection.close()


def bench_calling(world: dict[str, Any], tickets: int, minutes: float) -> dict[str, Any]:
    from django.db import connections
    from django.db.models import Count

    from govhall.halls import actions
    from govhall.halls.constants import AT_WINDOW_STATUSES, TicketEventKind, TicketStatus
    from govhall.halls.models import Ticket, TicketEvent

    hall, windows, clerks = world["hall"], world["windows"], world["clerks"]
    solo = 50
    _bulk_tickets(hall, world["queues"], tickets + solo)
    _analyze("halls_ticket", "halls_ticketevent", "halls_dailyserial")

    # One window alone first: the call uncontended, and its queries.
    with _counting_queries() as queries:
        actions.call_next_ticket(windows[0], clerk=clerks[0])
    call_queries = queries[0]
    actions.start_serving(windows[0], clerk=clerks[0])
    actions.finish_ticket(windows[0], clerk=clerks[0])
    alone = [_serve_one(windows[0], clerks[0])[0] for _ in range(solo - 1)]

    connections.close_all()
    barrier = FORK.Barrier(len(windows) + 1)
    results: Any = FORK.Queue()
    processes = [FORK.Process(target=_window_worker, args=(w, c, minutes * 60, barrier, results))
                 for w, c in zip(windows, clerks, strict=True)]  # fmt: skip
    for process in processes:
        process.start()
    barrier.wait()
    started = time.monotonic()
    latencies: list[float] = []
    errors: Counter[str] = Counter()
    ended = started
    for _ in processes:
        _number, mine, their_errors, finished = results.get()
        latencies += mine
        errors.update(their_errors)
        ended = max(ended, finished)
    for process in processes:
        process.join()
    seconds = ended - started

    called_events = TicketEvent.objects.filter(ticket__hall=hall, kind=TicketEventKind.CALLED)
    twice = called_events.values("ticket").annotate(n=Count("pk")).filter(n__gt=1).count()
    # One ticket per window at any moment: each window's tickets, in call order, each finished
    # before the next was called.
    overlapping = 0
    last_finished: dict[int, Any] = {}
    for window_id, called_at, finished_at in (
        Ticket.objects.filter(hall=hall).exclude(window=None).order_by("window_id", "first_called_at")
        .values_list("window_id", "first_called_at", "finished_at")
    ):  # fmt: skip
        if window_id in last_finished and (last_finished[window_id] is None or called_at < last_finished[window_id]):
            overlapping += 1
        last_finished[window_id] = finished_at
    at_windows = Ticket.objects.filter(hall=hall, status__in=AT_WINDOW_STATUSES).count()
    done = Ticket.objects.filter(hall=hall, status=TicketStatus.DONE).count() - solo
    waiting = Ticket.objects.filter(hall=hall, status=TicketStatus.WAITING).count()
    return {
        "windows": len(windows), "tickets": tickets, "seconds": round(seconds, 1),
        "calls": len(latencies), "called": done, "left_waiting": waiting,
        "called_events": called_events.count() - solo, "called_twice": twice,
        "window_overlaps": overlapping, "at_windows_after": at_windows,
        "served_per_second": round(done / seconds, 1) if seconds else None,
        "errors": dict(errors), **_ms(latencies),
        "alone": {**_ms(alone), "queries": call_queries},
    }  # fmt: skip


# --- 2. kiosk issuing --------------------------------------------------------------------


def _kiosk_worker(number: int, queues: list[Any], seconds: float, barrier: Any, results: Any) -> None:
    from django.db import connection

    from govhall.halls import actions
    from govhall.halls.constants import TicketSource

    connection.ensure_connection()
    ids = [_resident_id(n, datetime.date(1940 + n % 60, 1 + n % 12, 1 + n % 28)) for n in range(100)]
    issued, latencies = 0, []
    errors: Counter[str] = Counter()
    barrier.wait()
    deadline = time.monotonic() + seconds
    n = number
    while time.monotonic() < deadline:
        n += 1
        started = time.perf_counter()
        try:
            actions.take_ticket(
                queues[n % len(queues)], source=TicketSource.KIOSK, id_number=ids[n % 100] if n % 2 else ""
            )
        except Exception as exc:  # noqa: BLE001 - counted and reported
            errors[type(exc).__name__] += 1
            if sum(errors.values()) > 100:
                break
            continue
        latencies.append(time.perf_counter() - started)
        issued += 1
    results.put((issued, latencies, dict(errors), time.monotonic()))
    connection.close()


def bench_kiosks(world: dict[str, Any], workers: int, seconds: float) -> dict[str, Any]:
    from django.db import connections
    from django.db.models import Count, Max

    from govhall.halls.models import DailySerial, Ticket

    hall, queues, today = world["hall"], world["queues"], world["today"]
    before = Ticket.objects.filter(hall=hall).count()
    connections.close_all()
    barrier = FORK.Barrier(workers + 1)
    results: Any = FORK.Queue()
    processes = [FORK.Process(target=_kiosk_worker, args=(n * 7919, queues, seconds, barrier, results))
                 for n in range(workers)]  # fmt: skip
    for process in processes:
        process.start()
    barrier.wait()
    started = time.monotonic()
    issued, ended = 0, started
    latencies: list[float] = []
    errors: Counter[str] = Counter()
    for _ in processes:
        mine, their_latencies, their_errors, finished = results.get()
        issued += mine
        latencies += their_latencies
        errors.update(their_errors)
        ended = max(ended, finished)
    for process in processes:
        process.join()
    wall = ended - started
    made = Ticket.objects.filter(hall=hall).count() - before
    # Every queue's serials run 1…last with no gap and no repeat (the constraint forbids repeats):
    serials = {row["queue_id"]: row for row in Ticket.objects.filter(hall=hall, day=today)
               .values("queue_id").annotate(n=Count("pk"), top=Max("serial"))}  # fmt: skip
    gaps = sum(1 for s in DailySerial.objects.filter(queue__hall=hall, day=today)
               if serials[s.queue_id]["n"] != s.last or serials[s.queue_id]["top"] != s.last)  # fmt: skip
    return {"processes": workers, "issued": issued, "rows": made, "seconds": round(wall, 1),
            "per_second": round(issued / wall, 1), "serial_gaps": gaps, "errors": dict(errors),
            **_ms(latencies)}  # fmt: skip


# --- 3. display boards -------------------------------------------------------------------


def _board_poller(port: int, keys: list[str], start: float, stop: float, results: Any) -> None:
    """One thread a board, each polling as board.js does: a request, its answer, a second's pause."""
    outcomes: list[Any] = [None] * len(keys)

    def board(index: int, key: str) -> None:
        statuses: Counter[int] = Counter()
        latencies: list[float] = []
        times: list[float] = []
        seen: dict[int, float] = {}
        etag = ""
        time.sleep(max(0.0, start - time.time()) + random.random())  # boards are not in step
        while time.time() < stop:
            headers = {"Cookie": f"govhall_device={key}"}
            if etag:
                headers["If-None-Match"] = etag
            asked = time.time()
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                conn.request("GET", "/hall/board/state.json", headers=headers)
                response = conn.getresponse()
                body = response.read()
                conn.close()
            except OSError:
                statuses[0] += 1
                time.sleep(1)
                continue
            answered = time.time()
            times.append(answered)
            statuses[response.status] += 1
            latencies.append(answered - asked)
            if response.status == 200:
                etag = response.getheader("ETag") or ""
                for call in json.loads(body)["calls"]:
                    seen.setdefault(call["id"], answered)
            time.sleep(1)
        outcomes[index] = (dict(statuses), latencies, seen, times)

    threads = [threading.Thread(target=board, args=(i, key)) for i, key in enumerate(keys)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    results.put(outcomes)


def _in_process_board_cpu(key: str, etag_of: Any) -> dict[str, Any]:
    """The CPU of one 304 and one 200 of state.json through Django's handler in this process, and their queries."""
    from django.test import Client

    client = Client()
    client.cookies["govhall_device"] = key
    out: dict[str, Any] = {}
    for name, headers in (("304", lambda: {"If-None-Match": etag_of()}), ("200", dict)):
        client.get("/hall/board/state.json", headers=headers())  # warm
        with _counting_queries() as queries:
            status = client.get("/hall/board/state.json", headers=headers()).status_code
        started = time.process_time()
        for _ in range(200):
            client.get("/hall/board/state.json", headers=headers())
        out[name] = {"status": status, "cpu_ms": round((time.process_time() - started) / 200 * 1000, 2),
                     "queries": queries[0]}  # fmt: skip
    return out


def bench_boards(world: dict[str, Any], url: str, redis: str, count: int, seconds: float) -> dict[str, Any]:
    from django.db import connections

    from bench.runner import Server, process_group_cpu_seconds
    from govhall.halls import actions, queries
    from govhall.halls.constants import DeviceKind, TicketEventKind
    from govhall.halls.models import TicketEvent
    from govhall.halls.queries import board_tag

    hall, window, clerk = world["hall"], world["windows"][0], world["clerks"][0]
    keys = [actions.register_device(hall, kind=DeviceKind.BOARD, name=f"显示屏{n + 1}", actor=world["helen"])[1]
            for n in range(count)]  # fmt: skip
    connections.close_all()
    log = Path(os.environ["GOVHALL_VAR_DIR"]) / "halls-server.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    workers = 2 * (os.cpu_count() or 1) + 1
    with Server(url, workers=workers, threads=1, log=log, redis=redis) as server:
        group = server.process.pid  # type: ignore[union-attr]  # its own session: the group is its pid
        idle_at, idle_cpu = time.monotonic(), process_group_cpu_seconds(group)
        time.sleep(5)
        idle = (process_group_cpu_seconds(group) - idle_cpu) / (time.monotonic() - idle_at)
        warm = 3.0
        start = time.time() + 1
        stop = start + warm + seconds + 2
        results: Any = FORK.Queue()
        poller = FORK.Process(target=_board_poller, args=(server.port, keys, start, stop, results))
        poller.start()
        time.sleep(max(0.0, start + warm - time.time()))
        window_started, wall_started = time.monotonic(), time.time()
        cpu_before = process_group_cpu_seconds(group)
        calls: list[tuple[int, float]] = []
        next_call = time.time() + 1
        while next_call < start + warm + seconds - 3:  # the last call well before the boards stop
            time.sleep(max(0.0, next_call - time.time()))
            next_call += 5
            # The clerk finishes the person at the window and calls the next, who comes at once:
            if queries.ticket_at_window(window) is not None:
                actions.finish_ticket(window, clerk=clerk)
            ticket = actions.call_next_ticket(window, clerk=clerk)
            called_at = time.time()
            if ticket is None:
                break
            event = TicketEvent.objects.filter(ticket=ticket, kind=TicketEventKind.CALLED).latest("pk")
            calls.append((event.pk, called_at))
            actions.start_serving(window, clerk=clerk)
        time.sleep(max(0.0, start + warm + seconds - time.time()))
        cpu = process_group_cpu_seconds(group) - cpu_before
        window_seconds, wall_ended = time.monotonic() - window_started, time.time()
        outcomes = results.get()
        poller.join()
    statuses: Counter[int] = Counter()
    latencies: list[float] = []
    delays: list[float] = []
    unseen = in_window = 0
    for board_statuses, board_latencies, seen, times in outcomes:
        in_window += sum(1 for t in times if wall_started <= t < wall_ended)
        statuses.update({int(k): v for k, v in board_statuses.items()})
        latencies += board_latencies
        for event_id, called_at in calls:
            if event_id in seen:
                delays.append(max(0.0, seen[event_id] - called_at))
            else:
                unseen += 1
    answered = statuses[200] + statuses[304]
    in_process = _in_process_board_cpu(keys[0], lambda: f'"{board_tag(hall.pk)}"')
    return {
        "boards": count, "server_workers": workers, "seconds": round(window_seconds, 1),
        "requests": sum(statuses.values()), "per_second": round(sum(statuses.values()) / (warm + seconds), 1),
        "statuses": dict(statuses), "share_304": round(statuses[304] / answered, 3) if answered else None,
        "server_cpu_seconds": round(cpu, 2), "server_cpu_pct": round(cpu / window_seconds * 100, 1),
        "server_idle_cpu_pct": round(idle * 100, 2),
        "requests_in_window": in_window, "cpu_ms_per_request": round(cpu * 1000 / max(1, in_window), 2),
        "calls": len(calls), "unseen": unseen,
        "delay": {key: round(value / 1000, 2) for key, value in _ms(delays).items()} if delays else {},
        "poll": _ms(latencies), "in_process": in_process,
    }  # fmt: skip


# --- 4. slot page ------------------------------------------------------------------------


def _bookings(world: dict[str, Any], count: int) -> dict[str, Any]:
    """``count`` bookings over the bookable days, never more in a slot than its capacity."""
    from django.utils import timezone

    from govhall.halls import queries
    from govhall.halls.constants import BookingChannel, BookingStatus
    from govhall.halls.models import Booking
    from govhall.lib.crypto import encrypt_text

    hall, items = world["hall"], world["items"]
    days = queries.bookable_days(hall)
    slots = [start for day in days for start, _end in queries.day_slots(hall, day)]
    capacity = queries.booking_capacity(hall, items[0])
    weights = [0.40, 0.25, 0.15, 0.12, 0.08]
    if count * weights[0] > 0.9 * capacity * len(slots):
        raise SystemExit(f"{count} bookings do not fit {len(slots)} slots × {capacity} places; give more --windows")
    rng = random.Random(2026)
    taken: Counter[tuple[int, int]] = Counter()
    now = timezone.now()
    encrypted = encrypt_text(_resident_id(0, datetime.date(1985, 3, 12)))
    length = datetime.timedelta(minutes=hall.slot_minutes)
    rows = []
    per_item: Counter[int] = Counter()
    for n in range(count):
        item = rng.choices(range(len(items)), weights)[0]
        slot = rng.randrange(len(slots))
        while taken[item, slot] >= capacity:
            slot = (slot + 1) % len(slots)
        taken[item, slot] += 1
        per_item[item] += 1
        roll = rng.random()
        status, extra = BookingStatus.BOOKED, {"booked_at": now - datetime.timedelta(days=1)}
        if roll < 0.06:
            status, extra = BookingStatus.CANCELLED, {"cancelled_at": now - datetime.timedelta(hours=20)}
        elif roll < 0.07:  # cancelled minutes ago: the place is not free again yet
            status, extra = BookingStatus.CANCELLED, {"cancelled_at": now - datetime.timedelta(minutes=5)}
        elif roll < 0.13:
            status, extra = BookingStatus.EXPIRED, {"held_until": now - datetime.timedelta(hours=3)}
        elif roll < 0.14:  # a hold being completed now
            status, extra = BookingStatus.HELD, {"held_until": now + datetime.timedelta(minutes=20)}
        starts_at = slots[slot]
        rows.append(
            Booking(
                code=f"{n:08X}",
                hall=hall,
                item=items[item],
                day=timezone.localdate(starts_at),
                starts_at=starts_at,
                ends_at=starts_at + length,
                status=status,
                name="预约人",
                id_number_hash=hashlib.sha256(f"bench-{n}".encode()).hexdigest(),
                id_number_encrypted=encrypted,
                id_number_masked="350205********0020",
                channel=BookingChannel.API if n % 3 else BookingChannel.WEB,
                **extra,
            )  # fmt: skip
        )
    started = time.perf_counter()
    Booking.objects.bulk_create(rows, batch_size=5000)
    _analyze("halls_booking")
    busiest = items[per_item.most_common(1)[0][0]]
    return {"bookings": count, "days": len(days), "slots": len(slots), "capacity": capacity, "item": busiest,
            "busiest_item_bookings": per_item.most_common(1)[0][1], "insert_seconds": round(time.perf_counter() - started, 1)}  # fmt: skip


def bench_slot_page(world: dict[str, Any], count: int, repeats: int = 200) -> dict[str, Any]:
    from django.test import Client

    from govhall.halls import queries
    from govhall.halls.models import Hall
    from govhall.identity import actions as identity

    hall = world["hall"]
    # A hall books in its real opening hours (08:30–12:00, 14:30–17:30), not the 24 hours
    # the calling figures used to take tickets at any hour:
    Hall.objects.filter(pk=hall.pk).update(opening_hours=[["08:30", "12:00"], ["14:30", "17:30"]])
    hall.refresh_from_db()
    world["hall"] = hall
    made = _bookings(world, count)
    item = made.pop("item")

    def reads() -> int:
        days = queries.bookable_days(hall)
        free = queries.free_places_by_day(hall, item, days)
        day = next((d for d in days if free[d] > 0), None)
        return len(queries.list_slots(hall, item, day)) if day else 0

    reads()
    with _counting_queries() as read_queries:
        slots_shown = reads()
    read_times = []
    for _ in range(repeats):
        started = time.perf_counter()
        reads()
        read_times.append(time.perf_counter() - started)

    applicant = identity.register_applicant(
        name="陈爱丽", id_number=_resident_id(1, datetime.date(1985, 3, 12)), phone="13800000001", password=PASSWORD
    )
    client = Client()
    client.force_login(applicant)
    path = f"/my/appointments/book/?item={item.implementation_code}&hall={hall.code}"
    response = client.get(path)
    if response.status_code != 200 or b'name="starts_at"' not in response.content:
        raise RuntimeError(f"the booking page answered {response.status_code} without slots")
    radios = response.content.count(b'name="starts_at"')
    with _counting_queries() as page_queries:
        client.get(path)
    page_times = []
    for _ in range(repeats):
        started = time.perf_counter()
        client.get(path)
        page_times.append(time.perf_counter() - started)
    return {**made, "item_code": item.implementation_code, "slots_listed": slots_shown, "slots_on_page": radios,
            "reads": {**_ms(read_times), "queries": read_queries[0]},
            "page": {**_ms(page_times), "queries": page_queries[0]}}  # fmt: skip


# --- the run -------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.halls", description=__doc__.split("\n")[0])
    parser.add_argument("--tickets", type=int, default=3000)
    parser.add_argument("--windows", type=int, default=30)
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--bookings", type=int, default=100_000)
    parser.add_argument("--boards", type=int, default=50)
    parser.add_argument("--kiosks", type=int, default=3, help="processes taking tickets at once (2–4)")
    parser.add_argument("--kiosk-seconds", type=float, default=10)
    parser.add_argument("--board-seconds", type=float, default=60)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--redis-url", default=os.environ.get("GOVHALL_REDIS_URL") or DEFAULT_REDIS)
    args = parser.parse_args(argv)
    from bench.__main__ import recreate_database

    url = args.database_url or DEFAULT_URL
    if not url.rsplit("/", 1)[-1].startswith("govhall_bench"):
        raise SystemExit("the benchmark needs a PostgreSQL database named govhall_bench*")
    if args.tickets + 50 > 600 * len(PREFIXES):
        raise SystemExit(
            f"at most {600 * len(PREFIXES) - 50} tickets (eight queues of 999 a day, room left for the kiosks)"
        )
    recreate_database(url)
    _setup(url, args.redis_url)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    world = _world(args.windows)
    print(f"hall: {args.windows} windows and clerks, {len(PREFIXES)} queues, {ITEMS} items in "
          f"{time.perf_counter() - started:.0f} s; today {world['today']}"
          f"{' (made a working day for the bench)' if world['made_workday'] else ''}", flush=True)  # fmt: skip

    calling = bench_calling(world, args.tickets, args.minutes)
    print(f"calling: {calling['windows']} windows, {calling['called']} of {calling['tickets']} tickets called in "
          f"{calling['seconds']} s ({calling['served_per_second']} called, served and finished a second, {calling['left_waiting']} left); "
          f"called twice {calling['called_twice']}, windows holding two at once {calling['window_overlaps']} "
          f"(both must be 0: {_verdict(calling['called_twice'] == 0 and calling['window_overlaps'] == 0)}); "
          f"errors {calling['errors'] or 0}", flush=True)  # fmt: skip
    print(f"calling: call latency p50 {calling['p50_ms']} ms, p95 {calling['p95_ms']} ms, max {calling['max_ms']} ms "
          f"(target p95 ≤ 100 ms: {_verdict(calling['p95_ms'] <= 100)}); one window alone: p50 "
          f"{calling['alone']['p50_ms']} ms, p95 {calling['alone']['p95_ms']} ms, "
          f"{calling['alone']['queries']} queries a call", flush=True)  # fmt: skip

    kiosks = bench_kiosks(world, args.kiosks, args.kiosk_seconds)
    print(f"kiosks: {kiosks['issued']} tickets in {kiosks['seconds']} s from {kiosks['processes']} processes = "
          f"{kiosks['per_second']}/s (target ≥ 50/s: {_verdict(kiosks['per_second'] >= 50)}); p50 {kiosks['p50_ms']} ms, "
          f"p95 {kiosks['p95_ms']} ms; serial gaps {kiosks['serial_gaps']}; errors {kiosks['errors'] or 0}",
          flush=True)  # fmt: skip

    boards = bench_boards(world, url, args.redis_url, args.boards, args.board_seconds)
    delay = boards["delay"]
    print(f"boards: {boards['boards']} boards, {boards['requests']} polls in {boards['seconds']} s "
          f"({boards['per_second']}/s; {boards['statuses']}); 304s {boards['share_304'] * 100:.1f} %; "
          f"server CPU {boards['server_cpu_pct']} % of one core (target < 5 %: "
          f"{_verdict(boards['server_cpu_pct'] < 5)}; idle {boards['server_idle_cpu_pct']} %), "
          f"{boards['cpu_ms_per_request']} ms a poll", flush=True)  # fmt: skip
    print(f"boards: {boards['calls']} calls, delay to a board p50 {delay.get('p50_ms')} s, p95 {delay.get('p95_ms')} s, "
          f"max {delay.get('max_ms')} s (target ≤ 2 s: {_verdict(bool(delay) and delay['max_ms'] <= 2 and not boards['unseen'])}"
          f"; unseen {boards['unseen']}); poll p50 {boards['poll']['p50_ms']} ms, p95 {boards['poll']['p95_ms']} ms; "
          f"in process a 304 costs {boards['in_process']['304']['cpu_ms']} ms CPU "
          f"({boards['in_process']['304']['queries']} queries), a 200 {boards['in_process']['200']['cpu_ms']} ms "
          f"({boards['in_process']['200']['queries']} queries)", flush=True)  # fmt: skip

    slots = bench_slot_page(world, args.bookings)
    reads, page = slots["reads"], slots["page"]
    print(f"slot page: {slots['bookings']} bookings over {slots['days']} days ({slots['slots']} slots × "
          f"{slots['capacity']} places; busiest item {slots['busiest_item_bookings']}); reads p50 {reads['p50_ms']} ms, "
          f"p95 {reads['p95_ms']} ms ({reads['queries']} queries); the page p50 {page['p50_ms']} ms, p95 "
          f"{page['p95_ms']} ms ({page['queries']} queries) (target p95 ≤ 50 ms: "
          f"{_verdict(max(reads['p95_ms'], page['p95_ms']) <= 50)})", flush=True)  # fmt: skip
    print(json.dumps({"calling": calling, "kiosks": kiosks, "boards": boards, "slot_page": slots}, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
