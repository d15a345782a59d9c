"""Delivery to the provincial sandbox: acknowledgements, faults, dead letters, replays."""

from __future__ import annotations

import datetime
import time
from typing import Any
from urllib.parse import quote

import pytest

from django.core.exceptions import PermissionDenied
from django.utils import timezone

from govhall.cases import actions as cases
from govhall.catalog.models import ItemVersion
from govhall.identity.models import User
from govhall.sharing import actions
from govhall.sharing.constants import Adapter, MessageStatus
from govhall.sharing.exchange import case_stream
from govhall.sharing.models import OutboxMessage, Platform

from .exchange_helpers import SECRET, call, sandbox_in_thread
from .test_outbox import submit

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_backoff")]


@pytest.fixture
def sandbox() -> Any:
    with sandbox_in_thread() as running:
        yield running


@pytest.fixture
def province(sandbox: Any) -> Platform:
    _box, url = sandbox
    return actions.save_platform(
        code="350000", name="福建省网上办事大厅", adapter=Adapter.PROVINCE, url=url, secret=SECRET, timeout_seconds=2
    )


def drain(platform: Platform, rounds: int = 200) -> None:
    """Deliver until nothing is waiting or due (backoff is milliseconds here)."""
    for _ in range(rounds):
        actions.deliver(platform)
        if not OutboxMessage.objects.filter(platform=platform, status=MessageStatus.PENDING).exists():
            return
        time.sleep(0.02)


def three_cases(felling: ItemVersion, alice: User, bob: User) -> None:
    for key in "abc":
        case = submit(felling, alice, key)
        cases.accept_case(case, actor=bob)
    actions.consume_case_events()


def in_order(received: list[dict[str, Any]]) -> bool:
    last: dict[str, int] = {}
    for record in received:
        if record["SEQ"] != last.get(record["STREAM"], 0) + 1:
            return False
        last[record["STREAM"]] = record["SEQ"]
    return True


def test_messages_arrive_once_in_order_with_their_acknowledgements(
    sandbox: Any, province: Platform, felling: ItemVersion, alice: User, bob: User, on_day: Any
) -> None:
    box, _url = sandbox
    three_cases(felling, alice, bob)
    report = actions.deliver(province)
    assert report.acknowledged == 9 and report.requests == 1
    assert len(box.received) == 9 and in_order(box.received)
    delivered = OutboxMessage.objects.filter(platform=province)
    assert all(m.status == MessageStatus.DELIVERED and m.ack_id.startswith("ACK") for m in delivered)
    province.refresh_from_db()
    assert province.last_ack_at is not None


@pytest.mark.parametrize(
    "fault",
    [
        "/control/fail-next?count=2&status=500",
        "/control/garbage-next?count=1",
        "/control/drop-acks?count=1",
        "/control/ack-twice?count=1",
    ],
)
def test_after_a_fault_the_receiver_holds_each_message_once_in_order(
    fault: str, sandbox: Any, province: Platform, felling: ItemVersion, alice: User, bob: User, on_day: Any
) -> None:
    box, url = sandbox
    call(url + fault, method="POST", body=b"")
    three_cases(felling, alice, bob)
    drain(province)
    assert len(box.received) == 9 and in_order(box.received)
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {MessageStatus.DELIVERED}
    if "garbage" in fault or "drop" in fault:
        # Applied, but the answer was lost: the resend was answered "duplicate":
        assert set(OutboxMessage.objects.values_list("ack_result", flat=True)) == {"duplicate"}


def test_a_platform_that_is_down_keeps_its_messages_and_backs_off(
    sandbox: Any, province: Platform, felling: ItemVersion, alice: User, bob: User, on_day: Any, settings: Any
) -> None:
    box, url = sandbox
    # Long enough that a slow machine cannot pass the retry time before the assertion:
    settings.EXCHANGE_BACKOFF_BASE_SECONDS = 30
    settings.EXCHANGE_BACKOFF_CAP_SECONDS = 60
    call(url + "/control/down?on=1", method="POST", body=b"")
    three_cases(felling, alice, bob)
    report = actions.deliver(province)
    assert report.transport_failures == 1 and "503" in report.error
    province.refresh_from_db()
    assert province.failures == 1 and province.retry_at > timezone.now()
    # Before its time nothing is tried, and an outage never sends a message to the dead letters:
    assert actions.deliver(province).requests == 0
    assert not OutboxMessage.objects.exclude(status=MessageStatus.PENDING).exists()
    call(url + "/control/down?on=0", method="POST", body=b"")
    Platform.objects.filter(pk=province.pk).update(retry_at=timezone.now())
    drain(province)
    assert len(box.received) == 9


def test_a_refused_message_goes_to_the_dead_letters_and_holds_back_its_case(
    sandbox: Any,
    province: Platform,
    felling: ItemVersion,
    alice: User,
    bob: User,
    dan: User,
    carol: User,
    on_day: Any,
    settings: Any,
) -> None:
    box, url = sandbox
    settings.EXCHANGE_MAX_ATTEMPTS = 2
    case = submit(felling, alice, "a")
    actions.consume_case_events()
    call(url + "/control/reject-next?count=2", method="POST", body=b"")
    drain(province, rounds=20)
    [dead] = OutboxMessage.objects.filter(status=MessageStatus.DEAD)
    assert "reject-next" in dead.last_error and dead.attempts == 2
    cases.accept_case(case, actor=bob)
    actions.consume_case_events()
    drain(province, rounds=5)
    assert box.received == []  # the case's later messages wait behind the dead one
    with pytest.raises(PermissionDenied):
        actions.replay_message(dead, actor=carol)
    actions.replay_message(dead, actor=dan)
    drain(province)
    assert [r["SEQ"] for r in box.received] == [1, 2, 3]


def test_streams_held_back_by_dead_letters_never_stall_the_others(
    sandbox: Any, province: Platform, felling: ItemVersion, alice: User, bob: User, on_day: Any, settings: Any
) -> None:
    """More held-back messages than two batches wait in front; a new case's messages still go."""
    box, url = sandbox
    settings.EXCHANGE_MAX_ATTEMPTS = 1
    settings.EXCHANGE_BATCH = 2
    held = [submit(felling, alice, key) for key in "abc"]
    actions.consume_case_events()
    call(url + "/control/reject-next?count=3", method="POST", body=b"")
    drain(province, rounds=10)
    assert OutboxMessage.objects.filter(status=MessageStatus.DEAD).count() == 3
    for case in held:  # each held-back case gets later messages that must wait
        cases.accept_case(case, actor=bob)
    actions.consume_case_events()
    waiting = OutboxMessage.objects.filter(status=MessageStatus.PENDING).count()
    assert waiting > 2 * settings.EXCHANGE_BATCH
    fresh = submit(felling, alice, "d")
    actions.consume_case_events()
    drain(province, rounds=10)
    assert {r["STREAM"] for r in box.received} == {case_stream(fresh)}
    assert OutboxMessage.objects.filter(status=MessageStatus.PENDING).count() == waiting


def test_replay_from_a_time_restores_a_platform_that_lost_data(
    sandbox: Any, province: Platform, felling: ItemVersion, alice: User, bob: User, dan: User, on_day: Any
) -> None:
    box, url = sandbox
    three_cases(felling, alice, bob)
    drain(province)
    lost_from = timezone.now()
    time.sleep(0.01)
    case = submit(felling, alice, "d")
    cases.accept_case(case, actor=bob)
    actions.consume_case_events()
    drain(province)
    assert len(box.received) == 12
    call(url + f"/control/forget?since={quote(lost_from.isoformat())}", method="POST", body=b"")
    assert len(box.received) == 9
    assert actions.replay_since(province, lost_from - datetime.timedelta(seconds=1), actor=dan) >= 2
    drain(province)
    assert len(box.received) == 12 and in_order(sorted(box.received, key=lambda r: (r["STREAM"], r["SEQ"])))


def test_a_kept_month_s_indicators_go_up_once_with_the_report_s_numbers(
    sandbox: Any, province: Platform, felling: ItemVersion, alice: User, bob: User
) -> None:
    from govhall.stats.actions import keep_service_report

    box, _url = sandbox
    three_cases(felling, alice, bob)
    month = timezone.localdate().replace(day=1)
    report = keep_service_report(month, today=(month + datetime.timedelta(days=32)).replace(day=1))
    assert actions.queue_kept_reports() == 1
    assert actions.queue_kept_reports() == 0  # never twice
    drain(province)
    [sent] = [r for r in box.received if r["MSG_TYPE"] == "60"]
    assert sent["DATA"]["MONTH"] == f"{month:%Y-%m}"
    kept = {m["key"]: m["value"] for m in report.figures["indicators"]["measures"]}
    assert {m["CODE"]: m["VALUE"] for m in sent["DATA"]["MEASURES"]} == kept
    assert [u["DEPT_CODE"] for u in sent["DATA"]["UNITS"]] == [u["code"] for u in report.figures["indicators"]["units"]]


def test_a_paused_platform_keeps_what_happened_meanwhile_and_gets_it_when_switched_on(
    sandbox: Any, province: Platform, felling: ItemVersion, alice: User, bob: User
) -> None:
    box, url = sandbox
    Platform.objects.filter(pk=province.pk).update(is_active=False)
    three_cases(felling, alice, bob)
    assert actions.deliver(province).requests == 0 and box.received == []
    waiting = OutboxMessage.objects.filter(platform=province, status=MessageStatus.PENDING).count()
    assert waiting == 9  # three cases: submitted, accepted, the 受理 step
    Platform.objects.filter(pk=province.pk).update(is_active=True)
    drain(province)
    assert len(box.received) == waiting and in_order(box.received)


def test_one_platform_s_fault_never_stops_delivery_to_the_others(
    sandbox: Any, province: Platform, felling: ItemVersion, alice: User, bob: User
) -> None:
    box, url = sandbox
    # Made first, so tried first: a platform whose key cannot be read.
    Platform.objects.filter(pk=province.pk).delete()
    broken = actions.save_platform(code="350200", name="厦门市平台", adapter=Adapter.PROVINCE, url=url, secret=SECRET)
    Platform.objects.filter(pk=broken.pk).update(secret_encrypted="not a token")
    actions.save_platform(code="350000", name="福建省网上办事大厅", adapter=Adapter.PROVINCE, url=url, secret=SECRET)
    three_cases(felling, alice, bob)
    reports = actions.deliver_all()
    assert list(reports) == ["350200", "350000"] and "InvalidToken" in reports["350200"].error
    assert reports["350000"].acknowledged == 10  # the three cases (9) and the item published (1)


def test_a_timeout_longer_than_a_quarter_of_the_lease_is_refused(settings: Any) -> None:
    from django.core.exceptions import ValidationError

    settings.EXCHANGE_LEASE_SECONDS = 120
    with pytest.raises(ValidationError, match="不超过 30 秒"):
        actions.save_platform(
            code="350000", name="省平台", adapter=Adapter.PROVINCE, url="http://127.0.0.1:9", secret=SECRET,
            timeout_seconds=31,
        )  # fmt: skip
    assert not Platform.objects.exists()


def test_a_signed_answer_to_another_batch_or_from_another_receiver_acknowledges_nothing() -> None:
    import hashlib
    import json

    from govhall.sharing.adapters import TransportError, parse_acks

    batch = b'{"MESSAGES": []}'
    answer = {"RECEIVER_CODE": "350000", "REQUEST_DIGEST": hashlib.sha256(batch).hexdigest(), "ACKS": []}
    assert parse_acks(json.dumps(answer).encode(), request_body=batch, receiver="350000") == []
    with pytest.raises(TransportError, match="REQUEST_DIGEST"):
        parse_acks(json.dumps(answer).encode(), request_body=b'{"MESSAGES": [1]}', receiver="350000")
    with pytest.raises(TransportError, match="RECEIVER_CODE"):
        parse_acks(json.dumps(answer).encode(), request_body=batch, receiver="350200")
