"""Idle and absolute session limits: both end the session, say why, and are audited."""

from __future__ import annotations

import time

import pytest

from django.test import Client

from conftest import ALICE_ID, PASSWORD
from govhall.audit.models import AuditRecord
from govhall.identity.constants import SESSION_LAST_SEEN, SESSION_STARTED_AT
from govhall.identity.models import User

pytestmark = pytest.mark.django_db


def _logged_in(client: Client) -> Client:
    assert client.post("/login/", {"account": ALICE_ID, "password": PASSWORD}).status_code == 302
    return client


def _shift(client: Client, key: str, seconds: int) -> None:
    session = client.session
    session[key] = int(time.time()) - seconds
    session.save()


def test_a_session_idle_past_the_limit_ends(alice: User, zh_client: Client) -> None:
    _logged_in(zh_client)
    _shift(zh_client, SESSION_LAST_SEEN, 31 * 60)
    page = zh_client.get("/my/", follow=True).content.decode()
    assert "您已超过30分钟未操作，为保护您的信息已自动退出，请重新登录。" in page
    assert "_auth_user_id" not in zh_client.session


def test_a_session_used_within_the_idle_limit_goes_on(alice: User, zh_client: Client) -> None:
    _logged_in(zh_client)
    _shift(zh_client, SESSION_LAST_SEEN, 29 * 60)
    assert zh_client.get("/my/").status_code == 200


def test_a_busy_session_ends_at_the_absolute_limit_however_active(alice: User, zh_client: Client) -> None:
    _logged_in(zh_client)
    _shift(zh_client, SESSION_STARTED_AT, 12 * 3600 + 1)
    _shift(zh_client, SESSION_LAST_SEEN, 5)  # in use a moment ago
    page = zh_client.get("/my/", follow=True).content.decode()
    assert "每次登录最长有效12小时，您已自动退出，请重新登录。" in page
    assert "_auth_user_id" not in zh_client.session
    assert AuditRecord.objects.filter(event="identity.logout", extra__reason="session_limit").exists()


def test_the_absolute_limit_is_configurable_and_applies_to_staff(bob: User, settings: object) -> None:
    settings.SESSION_MAX_HOURS = 1  # type: ignore[attr-defined]
    settings.STAFF_2FA_SKIP = True  # type: ignore[attr-defined]
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.post("/desk/login/", {"username": "bob", "password": PASSWORD})
    assert client.get("/desk/").status_code == 200
    _shift(client, SESSION_STARTED_AT, 3601)
    assert client.get("/desk/")["Location"].startswith("/desk/login/")


def test_the_session_message_is_in_english_for_english_users(alice: User, en_client: Client) -> None:
    _logged_in(en_client)
    _shift(en_client, SESSION_STARTED_AT, 12 * 3600 + 1)
    page = en_client.get("/my/", follow=True).content.decode()
    assert "at most 12 hours" in page


def test_a_login_without_the_start_time_gets_one_on_its_first_request(alice: User) -> None:
    # An OIDC login does not pass through login_with_password; its clock starts at once:
    client = Client()
    client.force_login(alice)
    client.get("/my/")
    assert abs(client.session[SESSION_STARTED_AT] - time.time()) < 5
