"""The finance platform's sandbox as its own process: down when the fee is assessed, killed after a payment."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pytest

from django.utils import timezone

from govhall.cases import actions as case_actions
from govhall.cases.models import Case
from govhall.identity.models import User
from govhall.lib.tests.sandbox_process import SandboxProcess
from govhall.payments import actions
from govhall.payments.constants import OrderStatus
from govhall.payments.models import PaymentOrder

from .conftest import SECRET

pytestmark = pytest.mark.django_db


def test_an_order_waits_while_the_platform_is_down_and_nothing_is_lost_or_made_twice_across_a_kill(
    tmp_path: Path, at_fee_step: Case, bob: User, settings: Any
) -> None:
    platform = SandboxProcess("finance_sandbox", tmp_path / "finance.json", {"GOVHALL_FINANCE_SECRET": SECRET})
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
