"""`python -m bench.payments`: verified payment callbacks per second, and the daily reconciliation of 100,000 orders.

    .venv/bin/python -m bench.payments [--callbacks 2000] [--workers 2] [--orders 100000] [--database-url …]

Makes a fresh PostgreSQL database govhall_bench_payments (or --database-url, which must name a
govhall_bench* database) and a case at its 缴费 step, then:

- **callbacks**: ``--callbacks`` pending orders (bulk-inserted), each paid by one signed callback
  posted through Django's test client (the whole middleware stack and the view, no network) by
  ``--workers`` processes at once: signature and nonce checked, the receipt's signature checked,
  the order locked and booked, a case event, an audit record and a notification written. Prints
  callbacks per second over the wall time (the issue asks ≥ 200/s on 2 cores).
- **reconciliation**: ``--orders`` orders paid on one day, and the finance sandbox (a real HTTP
  server in this process) holding the same payments with planted differences; times
  ``reconcile_day`` whole: fetching the statement, reading it, matching it, keeping the
  differences (the issue asks ≤ 10 s for 100,000).
"""

from __future__ import annotations

import argparse
import datetime
import json
import multiprocessing
import os
import sys
import threading
import time
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/govhall_bench_payments"
SECRET = "bench-finance-secret-0123456789abcdef"


def _setup(url: str) -> None:
    root = Path(__file__).resolve().parent.parent
    for path in (str(root), str(root / "src")):
        if path not in sys.path:
            sys.path.append(path)
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "govhall.conf.settings"
    os.environ.setdefault("GOVHALL_VAR_DIR", str(root / "var" / "bench"))
    os.environ.setdefault("GOVHALL_LOG_LEVEL", "WARNING")
    os.environ["GOVHALL_FINANCE_SECRET"] = SECRET
    os.environ["DJANGO_ALLOWED_HOSTS"] = "testserver"  # the test client's host
    import django

    django.setup()


def _case() -> Any:
    """A published item with a fee and a 缴费 step, and one case at that step."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from govhall.cases import actions as case_actions
    from govhall.catalog.tests.factories import create_draft, publish
    from govhall.identity import actions
    from govhall.identity.constants import Role

    bureau = actions.save_department(code="bureau", name="农林水利局", credit_code="11350205MB01000012")
    forestry = actions.save_department(code="forestry", name="林业科", credit_code="11350205MB01000038", parent=bureau)
    people = {}
    for name, role, unit in (("helen", Role.CONTENT_EDITOR, bureau), ("grace", Role.APPROVER, bureau),
                             ("bob", Role.CLERK, forestry), ("frank", Role.REVIEWER, forestry)):  # fmt: skip
        people[name] = actions.create_staff(username=name, full_name=name, password="Bench#Pass2026")
        actions.grant_role(people[name], unit, role)
    alice = actions.register_applicant(
        name="陈爱丽", id_number="350205198503120020", phone="13800000001", password="Bench#Pass2026"
    )
    steps = [
        {"order": n, "name": name, "kind": kind, "role": role, "department": forestry, "time_limit": 1}
        for n, (name, kind, role) in enumerate(
            [
                ("受理", "accept", "clerk"),
                ("审查", "review", "reviewer"),
                ("决定", "decision", "approver"),
                ("缴费", "fee", "clerk"),
                ("办结", "close", "clerk"),
                ("送达", "deliver", "clerk"),
            ],
            start=1,
        )  # fmt: skip
    ]
    draft = create_draft(people["helen"], forestry, overrides={"has_fee": True, "fee_basis": "森林法"}, steps=steps)
    draft.fees.create(order=1, name="森林植被恢复费", standard="每平方米10元", basis="财税〔2015〕122号")
    version = publish(draft, people["helen"], people["grace"])
    from govhall.cases.tests.conftest import pdf_bytes

    pdf = pdf_bytes()
    files = {m.pk: SimpleUploadedFile("m.pdf", pdf, content_type="application/pdf") for m in version.materials.all()}
    case = case_actions.submit_case(version, applicant=alice, form_data={"location": "x", "volume": 1},
                                    submit_key="bench", files=files)  # fmt: skip
    case = case_actions.accept_case(case, actor=people["bob"])
    case = case_actions.complete_step(case, actor=people["frank"], opinion="同意")
    case = case_actions.decide_case(
        case, actor=people["grace"], decision="approve", reason="同意", legal_basis="森林法"
    )
    return case, people["bob"]


def _orders(
    case: Any, clerk: Any, count: int, first: int, *, paid_on: datetime.date | None = None, own_cases: bool = False
) -> list[Any]:
    from django.utils import timezone

    # Each order its own case (callbacks of different cases, as in life), copies of the one case:
    from govhall.cases.models import Case
    from govhall.payments.actions import luhn_digit
    from govhall.payments.constants import OrderStatus
    from govhall.payments.models import PaymentOrder

    copies = []
    for n in range(first, first + count if own_cases else first):
        twin = Case.objects.get(pk=case.pk)
        twin.pk, twin.public_id, twin.reference, twin.submit_key = None, uuid.uuid4(), f"{case.reference}-{n}", ""
        copies.append(twin)
    cases = Case.objects.bulk_create(copies, batch_size=2000) if own_cases else [case] * count
    rows = []
    paid_at = timezone.make_aware(datetime.datetime.combine(paid_on, datetime.time(10))) if paid_on else None
    for n in range(first, first + count):
        body = f"3502052026{n:09d}"
        code = body + luhn_digit(body)
        rows.append(
            PaymentOrder(
                case=cases[n - first],
                payment_code=code,
                payer_name="陈爱丽",
                total=Decimal("120.00"),
                due_on=datetime.date(2026, 12, 31),
                issued_by=clerk,
                status=OrderStatus.PAID if paid_on else OrderStatus.PENDING,
                paid_amount=Decimal("120.00") if paid_on else None,
                paid_at=paid_at,
                transaction_id=f"T{n:012d}" if paid_on else None,
                receipt_number=f"R{n:010d}" if paid_on else "",
            )  # fmt: skip
        )
    return PaymentOrder.objects.bulk_create(rows, batch_size=5000)


def _callback_worker(url: str, bodies: list[tuple[dict[str, str], bytes]], results: Any) -> None:
    _setup(url)
    from django.test import Client

    client = Client()
    ok = 0
    for headers, body in bodies:
        response = client.post("/payments/callback/", body, content_type="application/json", **headers)
        ok += response.status_code == 200
    results.put(ok)


def bench_callbacks(url: str, count: int, workers: int) -> dict[str, float]:
    from django.db import connections
    from django.utils import timezone

    from govhall.payments.finance import sign
    from govhall.payments.models import PaymentOrder
    from govhall.payments.sandbox_finance import receipt_signature

    case, clerk = _case()
    orders = _orders(case, clerk, count, 1, own_cases=True)
    bodies = []
    now = timezone.now().isoformat()
    for n, order in enumerate(orders):
        receipt = {"number": f"R{n:010d}", "kind": "福建省非税收入电子票据", "payment_code": order.payment_code,
                   "amount": "120.00", "issued_at": now}  # fmt: skip
        receipt["signature"] = receipt_signature(SECRET.encode(), receipt)
        data = {"event": "order.paid", "payment_code": order.payment_code, "transaction_id": f"T{n:012d}",
                "amount": "120.00", "paid_at": now, "channel": "online", "receipt": receipt}  # fmt: skip
        raw = json.dumps(data, ensure_ascii=False).encode()
        timestamp, nonce = str(int(time.time())), f"bench-{n:08d}-nonce"
        headers = {"HTTP_X_FINANCE_TIMESTAMP": timestamp, "HTTP_X_FINANCE_NONCE": nonce,
                   "HTTP_X_FINANCE_SIGNATURE": sign(SECRET.encode(), "POST", "/payments/callback/", timestamp, nonce, raw)}  # fmt: skip
        bodies.append((headers, raw))
    connections.close_all()
    results: Any = multiprocessing.Queue()
    shares = [bodies[i::workers] for i in range(workers)]
    processes = [multiprocessing.Process(target=_callback_worker, args=(url, share, results)) for share in shares]
    started = time.perf_counter()
    for process in processes:
        process.start()
    booked = sum(results.get() for _ in processes)
    for process in processes:
        process.join()
    seconds = time.perf_counter() - started
    paid = PaymentOrder.objects.filter(status="paid").count()
    return {"callbacks": count, "booked": booked, "paid": paid, "seconds": round(seconds, 2),
            "per_second": round(count / seconds, 1)}  # fmt: skip


def bench_reconciliation(count: int) -> dict[str, float]:
    from django.utils import timezone

    from govhall.lib.sandbox import make_sandbox_server
    from govhall.payments import actions
    from govhall.payments.finance import FinancePlatform
    from govhall.payments.models import PaymentOrder
    from govhall.payments.sandbox_finance import FinanceSandbox

    case = PaymentOrder.objects.first().case  # type: ignore[union-attr]
    clerk = PaymentOrder.objects.first().issued_by  # type: ignore[union-attr]
    day = timezone.localdate() - datetime.timedelta(days=1)
    started = time.perf_counter()
    orders = _orders(case, clerk, count, 10_000_000, paid_on=day)
    made = time.perf_counter() - started
    sandbox = FinanceSandbox(SECRET)
    paid_at = timezone.make_aware(datetime.datetime.combine(day, datetime.time(10))).isoformat()
    for order in orders:
        sandbox.orders[order.payment_code] = {
            "payment_code": order.payment_code, "amount": "120.00", "status": "paid", "paid_at": paid_at,
            "transaction_id": order.transaction_id, "channel": "online", "receipt": {"number": order.receipt_number},
        }  # fmt: skip
    sandbox.planted[day.isoformat()] = {"extra": 10, "drop": 10, "alter": 10}
    server = make_sandbox_server(sandbox)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    platform = FinancePlatform(f"http://127.0.0.1:{server.server_port}", timeout=60)
    started = time.perf_counter()
    run = actions.reconcile_day(day, platform=platform)
    seconds = time.perf_counter() - started
    server.shutdown()
    return {"orders": count, "statement_lines": run.lines, "differences": run.differences,
            "seconds": round(seconds, 2), "insert_seconds": round(made, 1)}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.payments", description=__doc__.split("\n")[0])
    parser.add_argument("--callbacks", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args(argv)
    from bench.__main__ import recreate_database

    url = args.database_url or DEFAULT_URL
    if not url.rsplit("/", 1)[-1].startswith("govhall_bench"):
        raise SystemExit("the benchmark needs a PostgreSQL database named govhall_bench*")
    recreate_database(url)
    _setup(url)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    callbacks = bench_callbacks(url, args.callbacks, args.workers)
    print(f"callbacks: {callbacks['callbacks']} in {callbacks['seconds']} s with {args.workers} processes = "
          f"{callbacks['per_second']}/s; {callbacks['paid']} orders booked as paid", flush=True)  # fmt: skip
    reconciliation = bench_reconciliation(args.orders)
    print(f"reconciliation: {reconciliation['orders']} orders, {reconciliation['statement_lines']} statement lines, "
          f"{reconciliation['differences']} differences in {reconciliation['seconds']} s", flush=True)  # fmt: skip
    print(json.dumps({"callbacks": callbacks, "reconciliation": reconciliation}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
