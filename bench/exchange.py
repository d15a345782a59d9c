"""`python -m bench.exchange`: the provincial outbox's delivery rate, its cost beside a case transition, and a backlog's drain.

    .venv/bin/python -m bench.exchange [--backlog 100000] [--transitions 400] [--batch 200] [--database-url …]

Makes a fresh PostgreSQL database govhall_bench_exchange (or --database-url, which must name a
govhall_bench* database) and starts the provincial sandbox (``manage.py province_sandbox``) as
its own process on a free port, then:

1. transitions: ``--transitions`` case changes (corrections asked and answered on accepted
   cases), timed one by one, first alone, then again while a second process consumes the case
   events into the outbox and delivers them, polling every second. Reported: the median transition
   time alone and beside the outbox, and the consumer's own time per event (what the outbox
   adds to each change, paid after the fact, never inside the change's transaction);
2. backlog: ``--backlog`` messages stored while the platform is "down" (the consumer's real
   ``_store`` with the payload of a real case message, 10 messages per case stream), then the
   sandbox comes back and ``deliver`` drains it: messages/s delivered, and the drain time.

Prints the figures and a JSON line.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/govhall_bench_exchange"
SECRET = "bench-exchange-shared-secret"
ROOT = Path(__file__).resolve().parent.parent


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


def _world(cases: int) -> tuple[list[object], object, object]:
    import io

    from pypdf import PdfWriter

    from django.core.files.uploadedfile import SimpleUploadedFile

    from govhall.cases import actions as case_actions
    from govhall.catalog.tests.factories import create_draft, publish
    from govhall.identity import actions as identity
    from govhall.identity.constants import Role

    password = "Bench#Pass2026"
    bureau = identity.save_department(code="bureau", name="海沧区农林水利局", credit_code="11350205MB01000012")
    forestry = identity.save_department(code="forestry", name="林业科", credit_code="11350205MB01000038", parent=bureau)

    def staff(name: str, department: object, role: str) -> object:
        user = identity.create_staff(username=name, full_name=name, password=password)
        identity.grant_role(user, department, role)
        return user

    helen, grace = staff("helen", bureau, Role.CONTENT_EDITOR), staff("grace", bureau, Role.APPROVER)
    bob = staff("bob", forestry, Role.CLERK)
    version = publish(create_draft(helen, forestry), helen, grace)
    alice = identity.register_applicant(
        name="陈爱丽", id_number="350205198503120020", phone="13800000001", password=password
    )
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    made = []
    for n in range(cases):
        files = {
            m.pk: SimpleUploadedFile(f"{m.name}.pdf", buffer.getvalue(), content_type="application/pdf")
            for m in version.materials.all()
        }
        case = case_actions.submit_case(
            version,
            applicant=alice,
            form_data={"location": f"鼎美村{n}林班", "volume": 12.5},
            submit_key=f"b{n}",
            files=files,
        )
        made.append(case_actions.accept_case(case, actor=bob))
    return made, bob, alice


def _transitions(cases: list[Any], bob: Any, alice: Any, count: int, start: int) -> list[float]:
    from govhall.cases import actions as case_actions
    from govhall.cases.models import Case

    times = []
    n = start
    while len(times) < count:
        for case in cases:
            if len(times) >= count:
                break
            fresh = Case.objects.get(pk=case.pk)  # type: ignore[attr-defined]
            started = time.perf_counter()
            if fresh.status == "in_progress":
                case_actions.request_correction(fresh, actor=bob, items=[f"第{n}次补正"])
            else:
                case_actions.answer_correction(fresh, applicant=alice, note="已补正")
            times.append(time.perf_counter() - started)
        n += 1
    return times


def _outbox_loop(stop_at: float) -> None:
    from django.db import connections

    connections.close_all()
    from govhall.sharing import actions
    from govhall.sharing.models import Platform

    platform = Platform.objects.get(code="350000")
    while time.monotonic() < stop_at:
        actions.consume_case_events()
        actions.deliver(platform)
        time.sleep(1.0)  # the worker's poll (GOVHALL_EXCHANGE_POLL_SECONDS is 5 by default; 1 is harsher)


def _start_sandbox(store: Path, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "GOVHALL_EXCHANGE_SANDBOX_SECRET": SECRET}
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "province_sandbox", "--port", str(port), "--store", str(store)],
        env=env,
        stdout=subprocess.DEVNULL,
    )
    for _ in range(300):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/state", timeout=1).read()
            return process
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("sandbox did not start")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.exchange", description=__doc__.split("\n")[0])
    parser.add_argument("--backlog", type=int, default=100_000)
    parser.add_argument("--transitions", type=int, default=400)
    parser.add_argument("--cases", type=int, default=40)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_EXCHANGE_DATABASE_URL", DEFAULT_URL))
    args = parser.parse_args(argv)
    from bench.__main__ import recreate_database

    recreate_database(args.database_url)
    _setup(args.database_url)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    print("exchange bench", flush=True)
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    folder = Path(tempfile.mkdtemp(prefix="govhall-exchange-bench-"))
    sandbox = _start_sandbox(folder / "province.jsonl", port)
    try:
        from django.db import connections

        from govhall.sharing import actions
        from govhall.sharing.constants import Adapter, MessageStatus
        from govhall.sharing.exchange import Draft
        from govhall.sharing.models import OutboxMessage, Platform

        platform = actions.save_platform(
            code="350000",
            name="福建省网上办事大厅",
            adapter=Adapter.PROVINCE,
            url=f"http://127.0.0.1:{port}",
            secret=SECRET,
            actor="bench",
        )
        cases, bob, alice = _world(args.cases)
        actions.consume_case_events()
        actions.deliver(platform)

        # 1. A transition's time alone, then beside the outbox working flat out in another process:
        alone = _transitions(cases, bob, alice, args.transitions, 0)
        pending_events = args.transitions
        started = time.perf_counter()
        consumed = actions.consume_case_events()
        consume_seconds = time.perf_counter() - started
        messages_made = OutboxMessage.objects.filter(status=MessageStatus.PENDING).count()
        actions.deliver(platform)
        connections.close_all()
        stop_at = time.monotonic() + 3600
        worker = multiprocessing.get_context("fork").Process(target=_outbox_loop, args=(stop_at,))
        worker.start()
        beside = _transitions(cases, bob, alice, args.transitions, 10_000)
        worker.terminate()
        worker.join()
        median_alone, median_beside = statistics.median(alone), statistics.median(beside)
        per_event = consume_seconds / max(consumed, 1)
        print(
            f"  transitions: median {median_alone * 1000:.2f} ms alone, {median_beside * 1000:.2f} ms beside the outbox "
            f"worker ({(median_beside / median_alone - 1) * 100:+.1f} %); the consumer spends {per_event * 1000:.2f} ms "
            f"per event ({per_event / median_alone * 100:.1f} % of a transition, after the fact); "
            f"{pending_events} events made {messages_made} messages",
            flush=True,
        )

        # 2. A backlog built while the platform is down, then drained once it is back:
        sample = OutboxMessage.objects.filter(message_type="10").order_by("pk").first()
        payload = dict(sample.payload) if sample else {"PROJID": "X"}
        actions.consume_case_events()
        actions.deliver(platform)
        Platform.objects.filter(pk=platform.pk).update(is_active=False)
        started = time.perf_counter()
        chunk = 5000
        for first in range(0, args.backlog, chunk):
            drafts = [
                (f"bench:{n}", Draft("20", "I", f"case:BENCH{n // 10:07d}", {**payload, "EVENT_ID": n}))
                for n in range(first, min(args.backlog, first + chunk))
            ]
            from django.db import transaction

            with transaction.atomic():
                actions._store(drafts, [platform])
        store_seconds = time.perf_counter() - started
        Platform.objects.filter(pk=platform.pk).update(is_active=True, retry_at=None, failures=0)
        # As autovacuum would have done during an outage of any length (a fresh bench table has no statistics):
        with connections["default"].cursor() as cursor:
            cursor.execute("ANALYZE sharing_outboxmessage")
        waiting = OutboxMessage.objects.filter(status=MessageStatus.PENDING).count()
        print(f"  backlog: {waiting} messages stored in {store_seconds:.1f} s while the platform was down", flush=True)
        started = time.perf_counter()
        requests = 0
        while OutboxMessage.objects.filter(platform=platform, status=MessageStatus.PENDING).exists():
            report = actions.deliver(platform, batch=args.batch)
            requests += report.requests
            if report.error:
                print("  delivery error:", report.error, flush=True)
                Platform.objects.filter(pk=platform.pk).update(retry_at=None)
        drain_seconds = time.perf_counter() - started
        state = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/state", timeout=10).read())
        rate = waiting / drain_seconds
        print(
            f"  drain: {waiting} messages delivered in {drain_seconds:.1f} s = {rate:.0f} messages/s "
            f"({requests} requests of ≤{args.batch}; the sandbox holds {state['received']}; {os.cpu_count()} cores)",
            flush=True,
        )
        print(
            json.dumps(
                {
                    "bench": "exchange",
                    "transition_ms_alone": round(median_alone * 1000, 3),
                    "transition_ms_beside_outbox": round(median_beside * 1000, 3),
                    "consumer_ms_per_event": round(per_event * 1000, 3),
                    "backlog": waiting,
                    "drain_seconds": round(drain_seconds, 1),
                    "messages_per_second": round(rate),
                    "cores": os.cpu_count(),
                }
            )
        )
    finally:
        sandbox.terminate()
        sandbox.wait(10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
