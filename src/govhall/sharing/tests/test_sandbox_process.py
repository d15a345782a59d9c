"""The provincial sandbox as its own process, killed and restarted during a run of 1,000 case changes."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from govhall.cases import actions as cases
from govhall.cases.models import Case, CaseEvent
from govhall.catalog.models import ItemVersion
from govhall.identity.models import User
from govhall.sharing import actions
from govhall.sharing.constants import Adapter, MessageStatus
from govhall.sharing.models import OutboxMessage, Platform

from .exchange_helpers import SECRET, SandboxProcess
from .test_delivery import in_order
from .test_outbox import submit

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_backoff")]

CASES = 50
CHANGES = 1000


def deliver_round(platform: Platform) -> None:
    actions.consume_case_events()
    Platform.objects.filter(pk=platform.pk).update(retry_at=None)  # the test does not wait out the backoff
    actions.deliver(platform, batch=50)


def test_the_receiver_holds_every_change_once_in_order_across_kills(
    tmp_path: Path, felling: ItemVersion, alice: User, bob: User, on_day: Any
) -> None:
    sandbox = SandboxProcess(tmp_path / "province.jsonl")
    sandbox.start()
    province = actions.save_platform(
        code="350000",
        name="福建省网上办事大厅",
        adapter=Adapter.PROVINCE,
        url=sandbox.url,
        secret=SECRET,
        timeout_seconds=3,
    )
    try:
        # 50 cases filed and accepted, then corrections asked and answered, 1,000 changes in all,
        # delivered as they happen while the sandbox is killed twice:
        made = [submit(felling, alice, f"k{n}") for n in range(CASES)]
        made = [cases.accept_case(case, actor=bob) for case in made]
        changes = 2 * CASES
        round_number = 0
        while changes < CHANGES:
            for case in made:
                if changes >= CHANGES:
                    break
                if case.status == "in_progress":
                    cases.request_correction(case, actor=bob, items=[f"第{round_number}次补正"])
                else:
                    cases.answer_correction(case, applicant=alice, note="已补正")
                case.refresh_from_db()
                changes += 1
            round_number += 1
            if round_number == 3:
                # Killed in the middle of a batch: it applies, then dies before it answers:
                sandbox.control("/control/slow-ack?seconds=5")
                threading.Timer(0.8, sandbox.kill).start()
                deliver_round(province)
                assert Platform.objects.get(pk=province.pk).failures == 1
                time.sleep(1.0)
                deliver_round(province)  # nobody answers: the platform backs off, nothing is lost
                deliver_round(province)
                sandbox.start()
            else:
                deliver_round(province)
            if round_number == 12:
                sandbox.kill()  # down for a while between batches
            if round_number == 15:
                sandbox.start()
        assert CaseEvent.objects.filter(case__in=made).count() == CHANGES
        for _ in range(200):
            deliver_round(province)
            if not OutboxMessage.objects.filter(status=MessageStatus.PENDING).exists():
                break
            time.sleep(0.02)
        received = sandbox.received()
    finally:
        sandbox.kill()
    expected = list(OutboxMessage.objects.filter(platform=province).order_by("stream", "sequence"))
    assert len(expected) > CHANGES
    assert not OutboxMessage.objects.exclude(status=MessageStatus.DELIVERED).exists()
    # Each message once (no id twice), none missing, and each case's in order:
    ids = [r["MSG_ID"] for r in received]
    assert len(ids) == len(set(ids)) == len(expected)
    assert set(ids) == {m.idempotency_key for m in expected}
    assert in_order(received)
    # The answers lost in the kill were answered "duplicate" when sent again:
    assert OutboxMessage.objects.filter(ack_result="duplicate").exists()
    # The received log tells each case's history: as many messages as its events make, in order:
    for case in Case.objects.filter(pk__in=[c.pk for c in made[:5]]):
        stream = [r for r in received if r["STREAM"] == f"case:{case.reference}"]
        events = list(case.events.order_by("pk"))
        assert [r["DATA"].get("EVENT_ID") for r in stream] == [
            e.pk for e in events for _ in range(len(_messages_of(e)))
        ]


def _messages_of(event: CaseEvent) -> list[Any]:
    from govhall.sharing.exchange import messages_for_event

    return messages_for_event(event)
