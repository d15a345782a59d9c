"""The finance platform's sandbox as its own process: down when the fee is assessed, killed after a payment."""

from __future__ import annotations

import datetime
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from django.conf import settings
from django.utils import timezone

from govhall.cases import actions as case_actions
from govhall.cases.models import Case
from govhall.identity.models import User
from govhall.payments import actions
from govhall.payments.constants import OrderStatus
from govhall.payments.models import PaymentOrder

from .conftest import SECRET

pytestmark = pytest.mark.django_db


class FinanceProcess:
    """``manage.py finance_sandbox`` on a fixed port, its state in a file; SIGKILL at will."""

    def __init__(self, store: Path) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.store = store
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        manage = Path(settings.BASE_DIR) / "manage.py"
        self.process = subprocess.Popen(
            [sys.executable, str(manage), "finance_sandbox", "--port", str(self.port), "--store", str(self.store)],
            env={**os.environ, "GOVHALL_FINANCE_SECRET": SECRET},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                self.state()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("the finance sandbox did not start")

    def kill(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)
            self.process = None

    def state(self) -> dict[str, Any]:
        with urllib.request.urlopen(self.url + "/state", timeout=2) as answer:
            result: dict[str, Any] = json.loads(answer.read())
            return result

    def control(self, route: str) -> None:
        urllib.request.urlopen(urllib.request.Request(self.url + route, data=b"", method="POST"), timeout=5).close()


def test_an_order_waits_while_the_platform_is_down_and_nothing_is_lost_or_made_twice_across_a_kill(
    tmp_path: Path, at_fee_step: Case, bob: User, settings: Any
) -> None:
    platform = FinanceProcess(tmp_path / "finance.json")
    settings.FINANCE_URL, settings.FINANCE_SECRET, settings.FINANCE_TIMEOUT = platform.url, SECRET, 2
    try:
        # Down when the clerk assesses the fee: the order is kept, and waits in the outbox:
        fee = at_fee_step.item_version.fees.get()
        order = actions.issue_order(
            at_fee_step, actor=bob, assessments=[actions.Assessment(fee, "12000.00", "1200㎡×10元")]
        )
        assert order is not None
        assert actions.send_due_orders() == {"later": 1}
        assert actions.send_due_orders() == {}  # it backs off before the next try
        assert PaymentOrder.objects.get(pk=order.pk).status == OrderStatus.CREATED

        platform.start()
        PaymentOrder.objects.filter(pk=order.pk).update(next_send_at=timezone.now())
        assert actions.send_due_orders() == {"sent": 1}
        platform.control("/control/callbacks?mode=never")
        platform.control(f"/control/pay/{order.payment_code}?channel=online")
        platform.kill()  # paid, then the platform dies before anyone asks

        assert actions.poll_pending(now=timezone.now() + datetime.timedelta(minutes=20))["paid"] == 0
        platform.start()  # back, with what it had written down
        assert actions.refresh_order(PaymentOrder.objects.get(pk=order.pk)) == "paid"
        orders = platform.state()["orders"]
        assert [o["payment_code"] for o in orders] == [order.payment_code]
        assert orders[0]["status"] == "paid"
    finally:
        platform.kill()
    at_fee_step.refresh_from_db()
    assert not case_actions.is_at_fee_step(at_fee_step)
