"""Webhook subscriptions of other systems: signed messages of the types subscribed, refusals, a pause after
repeated failures, a key rotation without a lost message, and the admin that manages them."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from govhall.audit.models import AuditRecord
from govhall.cases import actions as cases
from govhall.catalog.models import ItemVersion
from govhall.identity.models import User
from govhall.sharing import actions
from govhall.sharing.constants import MessageStatus, MessageType
from govhall.sharing.models import OutboxMessage, Platform

from .exchange_helpers import SECRET, call, sandbox_in_thread
from .test_delivery import drain, three_cases
from .test_outbox import submit

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_backoff")]
NEW_KEY = "a-new-webhook-key-of-at-least-32-characters"


@pytest.fixture
def sandbox() -> Any:
    with sandbox_in_thread() as running:
        yield running


@pytest.fixture
def hook(sandbox: Any) -> Platform:
    _box, url = sandbox
    return actions.save_webhook(
        code="hook-archive",
        name="区档案系统",
        url=url + "/webhook",
        message_types=[MessageType.CASE],
        new_secret=SECRET,
    )


def received(url: str) -> list[dict[str, Any]]:
    return list(call(url + "/webhooks")["received"])


def test_a_subscriber_gets_each_message_of_its_types_once_signed(
    sandbox: Any, hook: Platform, felling: ItemVersion, alice: User, bob: User
) -> None:
    _box, url = sandbox
    three_cases(felling, alice, bob)
    drain(hook)
    got = received(url)
    # Only the case messages (10), not the steps (20): submitted and accepted, three cases:
    assert [m["MSG_TYPE"] for m in got] == ["10"] * 6
    assert len({m["MSG_ID"] for m in got}) == 6 and all(m["SIGNATURES"] == 1 for m in got)
    assert set(OutboxMessage.objects.filter(platform=hook).values_list("status", flat=True)) == {
        MessageStatus.DELIVERED
    }


def test_a_refused_message_goes_to_the_dead_letters(
    sandbox: Any, hook: Platform, felling: ItemVersion, alice: User, bob: User, settings: Any
) -> None:
    _box, url = sandbox
    settings.EXCHANGE_MAX_ATTEMPTS = 1
    call(url + "/control/reject-next?count=1", method="POST", body=b"")
    three_cases(felling, alice, bob)
    drain(hook, rounds=20)
    [dead] = OutboxMessage.objects.filter(platform=hook, status=MessageStatus.DEAD)
    assert "HTTP 422" in dead.last_error


def test_a_subscriber_that_keeps_failing_is_paused_and_gets_everything_when_switched_on(
    sandbox: Any, hook: Platform, felling: ItemVersion, alice: User, bob: User, erin: User, settings: Any
) -> None:
    _box, url = sandbox
    settings.EXCHANGE_WEBHOOK_PAUSE_AFTER = 2
    call(url + "/control/down?on=1", method="POST", body=b"")
    three_cases(felling, alice, bob)
    for _ in range(3):
        actions.deliver(hook)
        Platform.objects.filter(pk=hook.pk).update(retry_at=None)
    hook.refresh_from_db()
    assert not hook.is_active and hook.paused_at is not None and hook.failures == 2
    assert AuditRecord.objects.filter(event="sharing.webhook_paused").count() == 1
    call(url + "/control/down?on=0", method="POST", body=b"")
    hook = actions.save_webhook(
        code=hook.code, name=hook.name, url=hook.url, message_types=hook.message_types, is_active=True, actor=erin
    )
    assert hook.failures == 0 and hook.paused_at is None
    drain(hook)
    assert len(received(url)) == 6


def test_a_key_rotation_signs_with_both_keys_until_the_subscriber_has_switched(
    sandbox: Any, hook: Platform, felling: ItemVersion, alice: User, bob: User, erin: User
) -> None:
    _box, url = sandbox
    hook = actions.save_webhook(
        code=hook.code, name=hook.name, url=hook.url, message_types=hook.message_types, new_secret=NEW_KEY, actor=erin
    )
    assert hook.previous_secret_until > timezone.now() + datetime.timedelta(hours=23)
    three_cases(felling, alice, bob)
    drain(hook)  # the subscriber still checks the old key: both sign, so it takes them
    assert len(received(url)) == 6 and all(m["SIGNATURES"] == 2 for m in received(url))
    # After the changeover the old key no longer signs; the subscriber checks the new one:
    Platform.objects.filter(pk=hook.pk).update(previous_secret_until=timezone.now() - datetime.timedelta(seconds=1))
    call(url + f"/control/webhook-secret?value={NEW_KEY}", method="POST", body=b"")
    for key in "def":
        cases.accept_case(submit(felling, alice, key), actor=bob)
    actions.consume_case_events()
    drain(hook)
    assert len(received(url)) == 12 and received(url)[-1]["SIGNATURES"] == 1
    assert AuditRecord.objects.filter(event="sharing.webhook_key_rotated").exists()
    assert NEW_KEY not in str(list(AuditRecord.objects.values_list("extra", flat=True)))


def test_a_subscription_outside_what_it_may_take_or_with_a_short_key_is_refused(db: None) -> None:
    with pytest.raises(ValidationError, match="只能订阅"):
        actions.save_webhook(
            code="hook", name="x", url="http://127.0.0.1:9/", message_types=[MessageType.LICENCE], new_secret=NEW_KEY
        )
    with pytest.raises(ValidationError, match="至少 32 个字符"):
        actions.save_webhook(code="hook", name="x", url="http://127.0.0.1:9/", message_types=[], new_secret="short")
    assert not Platform.objects.exists()


def test_the_system_administrator_manages_subscriptions_in_the_admin(
    sandbox: Any, erin: User, dan: User, settings: Any
) -> None:
    _box, url = sandbox
    settings.STAFF_2FA_SKIP = True
    client = Client()
    client.force_login(dan)  # a supervisor is no administrator
    assert client.get("/admin/sharing/webhooksubscription/add/").status_code in (302, 403)
    client.force_login(erin)
    form = {"code": "hook-gis", "name": "区地理信息平台", "url": url + "/webhook", "timeout_seconds": "5",
            "is_active": "on", "types": ["10", "30"], "new_secret": "short"}  # fmt: skip
    page = client.post("/admin/sharing/webhooksubscription/add/", form)
    assert page.status_code == 200 and "签名密钥至少 32 个字符" in page.content.decode()
    assert not Platform.objects.exists()
    client.post("/admin/sharing/webhooksubscription/add/", {**form, "new_secret": NEW_KEY})
    hook = Platform.objects.get(code="hook-gis")
    assert hook.message_types == ["10", "30"] and NEW_KEY not in hook.secret_encrypted
    assert AuditRecord.objects.filter(event="sharing.webhook_saved", actor_id=erin.pk).exists()
    client.post(f"/admin/sharing/webhooksubscription/{hook.pk}/delete/", {"post": "yes"})
    assert not Platform.objects.exists() and AuditRecord.objects.filter(event="sharing.webhook_deleted").exists()
