"""EMS's sandbox as its own process: down when the result is ready, killed after the waybill, back again."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from django.utils import timezone

from govhall.cases.models import Case
from govhall.delivery import actions
from govhall.delivery.constants import DeliveryStatus, Method, ShipmentStatus
from govhall.delivery.models import Delivery, Shipment
from govhall.identity.models import User
from govhall.lib.tests.sandbox_process import SandboxProcess

from .conftest import HOME, SECRET, close_and_prepare

pytestmark = pytest.mark.django_db


def test_a_waybill_waits_while_ems_is_down_and_nothing_is_lost_or_made_twice_across_a_kill(
    tmp_path: Path, decided: Case, alice: User, bob: User, settings: Any
) -> None:
    ems = SandboxProcess("ems_sandbox", tmp_path / "ems.json", {"GOVHALL_EMS_SECRET": SECRET})
    settings.EMS_URL, settings.EMS_SECRET, settings.EMS_TIMEOUT = ems.url, SECRET, 2
    try:
        actions.choose(decided, applicant=alice, method=Method.EMS, address=HOME)
        close_and_prepare(decided, bob)  # EMS is down: the waybill waits in the outbox
        assert actions.send_due_shipments() == {"later": 1}
        assert Shipment.objects.get().status == ShipmentStatus.CREATED

        ems.start()
        Shipment.objects.update(next_send_at=timezone.now())
        assert actions.send_due_shipments() == {"sent": 1}
        number = Shipment.objects.get().waybill_no
        ems.control("/control/push?mode=never")
        ems.control(f"/control/advance/{number}?to=picked_up")
        ems.control(f"/control/advance/{number}?to=signed")
        ems.kill()  # signed for, then EMS dies before anyone asks

        assert actions.poll_tracking() == {"asked": 0, "events": 0}
        ems.start()  # back, with what it had written down
        assert actions.poll_tracking() == {"asked": 1, "events": 2}
        # The same order id asked again (a retry that never got its answer) finds the same waybill:
        Shipment.objects.update(status=ShipmentStatus.CREATED, next_send_at=timezone.now())
        assert actions.send_due_shipments() == {"sent": 1}
        assert [w["waybill_no"] for w in ems.state()["waybills"]] == [number]
    finally:
        ems.kill()
    assert Delivery.objects.get().status == DeliveryStatus.DELIVERED
