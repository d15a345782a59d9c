"""Notifications go out by SMS through a signed HTTP gateway; a gateway that says no is retried,
and a message is never sent twice — neither by SMS nor by a channel that already delivered.

The gateway here is the sandbox (proactive/sandbox_sms.py) on a real socket on 127.0.0.1.
"""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from govhall.audit.models import AuditRecord
from govhall.identity.models import User
from govhall.portal.tests.test_settings import _start as start_production_server
from govhall.proactive.actions import notify, notify_contact
from govhall.proactive.models import DeliveryStatus, Notification
from govhall.proactive.sandbox_sms import SmsSandbox, make_sandbox_server
from govhall.proactive.senders import compose_sms_text, sign_sms_request
from govhall.proactive.tasks import deliver_notification

pytestmark = pytest.mark.django_db(transaction=True)

SECRET = "sandbox-shared-secret-for-tests"
SMS = "govhall.proactive.senders.SmsGatewaySender"
EMAIL = "govhall.proactive.senders.EmailSender"


class Gateway:
    """A running sandbox and its address."""

    def __init__(self, sandbox: SmsSandbox, url: str) -> None:
        self.sandbox = sandbox
        self.url = url

    def post(self, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
        request = urllib.request.Request(f"{self.url}/send", data=body, method="POST", headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read())


@contextmanager
def _serve(sandbox: SmsSandbox) -> Iterator[Gateway]:
    server = make_sandbox_server(sandbox, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Gateway(sandbox, f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def gateway(settings: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Gateway]:
    # A proxy configured on the machine must not carry requests meant for 127.0.0.1:
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    sandbox = SmsSandbox(SECRET, store=tmp_path / "sms.jsonl")
    with _serve(sandbox) as running:
        settings.NOTIFICATION_SENDER = [SMS]
        settings.SMS_URL = f"{running.url}/send"
        settings.SMS_SECRET = SECRET
        settings.SMS_TIMEOUT = 5
        settings.SMS_LINK_BASE = "https://zwfw.example.gov.cn"
        yield running


def _signed(body: bytes, *, secret: str = SECRET, timestamp: int | None = None) -> dict[str, str]:
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    return {
        "Content-Type": "application/json",
        "X-Govhall-Timestamp": stamp,
        "X-Govhall-Signature": sign_sms_request(secret, stamp, body),
    }


def _message(**changes: str) -> bytes:
    message = {
        "message_id": "govhall-350205-1",
        "phone": "+8613800000001",
        "text": "您的办件已受理",
        "sent_at": "2026-11-25T10:31:00+08:00",
    }
    return json.dumps({**message, **changes}, ensure_ascii=False).encode("utf-8")


# The platform's side ---------------------------------------------------------------------


def test_the_gateway_receives_a_signed_message_with_the_mobile_number_and_a_short_text(
    alice: User, gateway: Gateway
) -> None:
    notification = notify(alice, "您的办件已受理", body="林木采伐许可", link="/my/cases/5b0e8a52-0000/")

    assert deliver_notification.call(notification.pk) == "sent"

    [message] = gateway.sandbox.messages
    assert message["message_id"] == f"govhall-350205-{notification.pk}"
    assert message["phone"] == "+8613800000001"
    assert message["text"] == "您的办件已受理 https://zwfw.example.gov.cn/my/"
    assert [attempt.status for attempt in gateway.sandbox.requests] == [200]
    notification.refresh_from_db()
    assert notification.delivery == DeliveryStatus.SENT and notification.attempts == 1
    assert notification.channels_sent == [SMS]
    # Reading the number in clear is audited, as every full view of a personal identifier is:
    assert AuditRecord.objects.filter(event="identity.phone_viewed", extra__purpose="发送短信通知").count() == 1


def test_a_contact_without_an_account_gets_the_sms_at_the_number_they_gave(gateway: Gateway) -> None:
    notification = notify_contact(
        phone="13900000009", subject="您的投诉 TS2026000001 已答复", link="/complaints/follow/"
    )
    assert notification.recipient is None and "13900000009" not in notification.contact_phone_encrypted

    assert deliver_notification.call(notification.pk) == "sent"

    [message] = gateway.sandbox.messages
    assert message["phone"] == "+8613900000009"
    assert message["text"] == "您的投诉 TS2026000001 已答复 https://zwfw.example.gov.cn/complaints/"
    assert AuditRecord.objects.filter(event="proactive.contact_phone_used").count() == 1


def test_a_contact_needs_a_phone_number_or_an_email_address(db: None) -> None:
    with pytest.raises(ValueError):
        notify_contact(subject="您的投诉已答复")
    assert not Notification.objects.exists()


def test_a_forged_secret_is_refused_and_the_notification_waits_for_a_retry(
    alice: User, gateway: Gateway, settings: Any
) -> None:
    settings.SMS_SECRET = "not-the-gateway-secret"
    notification = notify(alice, "您的办件已受理")

    assert deliver_notification.call(notification.pk) == "failed"

    assert [attempt.status for attempt in gateway.sandbox.requests] == [401]
    assert gateway.sandbox.messages == []
    notification.refresh_from_db()
    assert notification.delivery == DeliveryStatus.PENDING
    assert notification.attempts == 1
    assert "SMS gateway answered 401: bad signature" in notification.last_error
    assert notification.channels_sent == []


def test_a_gateway_that_fails_once_gets_the_message_on_the_second_attempt_exactly_once(
    alice: User, gateway: Gateway
) -> None:
    # Through the sandbox's control route, as a developer would from the command line:
    control = urllib.request.Request(f"{gateway.url}/control/fail-next?count=1&status=503", method="POST")
    with urllib.request.urlopen(control, timeout=5) as response:
        assert json.loads(response.read()) == {"fail_next": 1, "status": 503}
    notification = notify(alice, "您的办件已受理")

    assert deliver_notification.call(notification.pk) == "failed"
    notification.refresh_from_db()
    assert notification.delivery == DeliveryStatus.PENDING
    assert "SMS gateway answered 503" in notification.last_error

    assert deliver_notification.call(notification.pk) == "sent"
    notification.refresh_from_db()
    assert notification.delivery == DeliveryStatus.SENT and notification.attempts == 2
    assert [attempt.status for attempt in gateway.sandbox.requests] == [503, 200]
    assert len(gateway.sandbox.messages) == 1


def test_a_retry_after_a_lost_answer_is_recognised_by_its_message_id(alice: User, gateway: Gateway) -> None:
    notification = notify(alice, "您的办件已受理")
    assert deliver_notification.call(notification.pk) == "sent"
    # The gateway took the message but the platform never heard (timeout, crash before commit):
    Notification.objects.filter(pk=notification.pk).update(delivery=DeliveryStatus.PENDING, channels_sent=[])

    assert deliver_notification.call(notification.pk) == "sent"

    assert len(gateway.sandbox.messages) == 1
    assert [attempt.status for attempt in gateway.sandbox.requests] == [200, 200]


def test_a_gateway_that_answers_2xx_without_accepting_is_a_failure(alice: User, gateway: Gateway) -> None:
    gateway.sandbox.fail_next(1, status=200)
    notification = notify(alice, "您的办件已受理")

    assert deliver_notification.call(notification.pk) == "failed"

    notification.refresh_from_db()
    assert notification.delivery == DeliveryStatus.PENDING
    assert "SMS gateway refused the message: refused by the sandbox" in notification.last_error
    assert gateway.sandbox.messages == []


def test_an_unreachable_gateway_is_a_failure_that_is_retried(alice: User, gateway: Gateway, settings: Any) -> None:
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    settings.SMS_URL = f"http://127.0.0.1:{port}/send"  # nothing listens there now
    notification = notify(alice, "您的办件已受理")

    assert deliver_notification.call(notification.pk) == "failed"

    notification.refresh_from_db()
    assert notification.delivery == DeliveryStatus.PENDING
    assert "SMS gateway unreachable" in notification.last_error


def test_a_recipient_without_a_mobile_number_is_skipped_not_failed(
    bob: User, gateway: Gateway, caplog: pytest.LogCaptureFixture
) -> None:
    notification = notify(bob, "有新的办件待受理")

    with caplog.at_level("INFO", logger="govhall.proactive.senders"):
        assert deliver_notification.call(notification.pk) == "sent"

    assert gateway.sandbox.requests == []
    assert "recipient has no mobile phone number; SMS skipped" in caplog.text


def test_email_and_sms_are_both_tried_and_a_retry_does_not_send_the_email_again(
    alice: User, gateway: Gateway, settings: Any, mailoutbox: list[Any]
) -> None:
    alice.email = "alice@example.cn"
    alice.save(update_fields=["email"])
    settings.NOTIFICATION_SENDER = f"{EMAIL},{SMS}"  # as GOVHALL_NOTIFICATION_SENDER gives it
    gateway.sandbox.fail_next(1)
    notification = notify(alice, "您的办件已受理")

    assert deliver_notification.call(notification.pk) == "failed"
    notification.refresh_from_db()
    assert len(mailoutbox) == 1
    assert notification.channels_sent == [EMAIL]
    assert notification.delivery == DeliveryStatus.PENDING
    assert "SmsGatewaySender: SmsGatewayError: SMS gateway answered 503" in notification.last_error

    assert deliver_notification.call(notification.pk) == "sent"
    notification.refresh_from_db()
    assert len(mailoutbox) == 1
    assert len(gateway.sandbox.messages) == 1
    assert notification.channels_sent == [EMAIL, SMS]
    assert notification.delivery == DeliveryStatus.SENT and notification.attempts == 2


def test_a_failing_first_channel_does_not_stop_the_second(alice: User, gateway: Gateway, settings: Any) -> None:
    settings.NOTIFICATION_SENDER = ["govhall.proactive.tests.test_notifications.BrokenSender", SMS]
    notification = notify(alice, "您的办件已受理")

    assert deliver_notification.call(notification.pk) == "failed"

    assert len(gateway.sandbox.messages) == 1
    notification.refresh_from_db()
    assert notification.channels_sent == [SMS]
    assert "BrokenSender: ConnectionError: SMS gateway unreachable" in notification.last_error


def test_a_long_subject_is_cut_politely_to_one_segment_with_the_link_whole(settings: Any) -> None:
    settings.SMS_LINK_BASE = "https://zwfw.example.gov.cn/"
    subject = "您申请的林木采伐许可证（海沧区东孚街道寨后村集体林地）已经审批通过，请登录平台查看批准文件并按要求领取纸质证照，逾期未领取的将邮寄送达"

    text = compose_sms_text(subject, "/desk/cases/5b0e8a52-0000/")

    assert len(text) == 70
    assert text.endswith("… https://zwfw.example.gov.cn/desk/")
    assert text.startswith("您申请的林木采伐许可证")
    assert compose_sms_text("您的办件已受理", "") == "您的办件已受理 https://zwfw.example.gov.cn/"
    settings.SMS_LINK_BASE = ""
    assert compose_sms_text("您的办件已受理", "/my/") == "您的办件已受理"


def test_production_refuses_the_sms_channel_without_its_address_and_secret(tmp_path: Path) -> None:
    result = start_production_server({"GOVHALL_NOTIFICATION_SENDER": f"{EMAIL},{SMS}"}, tmp_path)
    assert result.returncode != 0
    assert "GOVHALL_SMS_URL or GOVHALL_SMS_SECRET is not set" in result.stderr

    secret_file = tmp_path / "sms-secret"
    secret_file.write_text("a-long-random-sms-secret\n")
    result = start_production_server(
        {
            "GOVHALL_NOTIFICATION_SENDER": f"{EMAIL},{SMS}",
            "GOVHALL_SMS_URL": "https://sms.example.gov.cn/send",
            "GOVHALL_SMS_SECRET_FILE": str(secret_file),
        },
        tmp_path,
    )
    assert result.returncode == 0, result.stderr


# The sandbox behaves like a gateway, not like a fake -------------------------------------


def test_the_sandbox_refuses_a_tampered_body(gateway: Gateway) -> None:
    headers = _signed(_message())
    status, answer = gateway.post(_message(phone="+8613900000009"), headers)
    assert (status, answer) == (401, {"accepted": False, "error": "bad signature"})
    assert gateway.sandbox.messages == []


def test_the_sandbox_refuses_a_timestamp_more_than_five_minutes_old(gateway: Gateway) -> None:
    body = _message()
    status, answer = gateway.post(body, _signed(body, timestamp=int(time.time()) - 301))
    assert status == 401 and "more than 300 s off" in answer["error"]
    status, _answer = gateway.post(body, {"Content-Type": "application/json"})
    assert status == 401


def test_the_sandbox_refuses_a_landline_and_a_malformed_message(gateway: Gateway) -> None:
    body = _message(phone="0592-6051234")
    status, answer = gateway.post(body, _signed(body))
    assert status == 400 and "mobile number" in answer["error"]
    body = _message(sent_at="2026-11-25T10:31:00")
    assert gateway.post(body, _signed(body))[0] == 400
    body = b"not json"
    assert gateway.post(body, _signed(body)) == (400, {"accepted": False, "error": "body is not JSON"})


def test_the_sandbox_refuses_a_message_id_reused_for_another_message(gateway: Gateway) -> None:
    first, second = _message(), _message(text="另一条短信")
    assert gateway.post(first, _signed(first))[0] == 200
    assert gateway.post(first, _signed(first)) == (
        200,
        {"accepted": True, "message_id": "govhall-350205-1", "duplicate": True},
    )
    assert gateway.post(second, _signed(second))[0] == 409
    assert [message["text"] for message in gateway.sandbox.messages] == ["您的办件已受理"]


def test_the_sandbox_remembers_message_ids_across_a_restart(gateway: Gateway, tmp_path: Path) -> None:
    body = _message()
    assert gateway.post(body, _signed(body))[0] == 200

    with _serve(SmsSandbox(SECRET, store=tmp_path / "sms.jsonl")) as restarted:
        status, answer = restarted.post(body, _signed(body))
        assert status == 200 and answer["duplicate"] is True
        assert len(restarted.sandbox.messages) == 1

        with urllib.request.urlopen(f"{restarted.url}/messages", timeout=5) as response:
            assert [message["message_id"] for message in json.loads(response.read())["messages"]] == [
                "govhall-350205-1"
            ]
