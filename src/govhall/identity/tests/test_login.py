"""Logging in: applicants by ID number or phone, staff with a second factor, lockout, idle timeout."""

from __future__ import annotations

import time

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from django.test import Client
from django.utils import timezone

from conftest import ALICE_ID, ALICE_PHONE, PASSWORD
from govhall.audit.models import AuditRecord
from govhall.identity import actions as identity_actions
from govhall.identity.constants import SESSION_LAST_SEEN
from govhall.identity.models import LoginThrottle, User
from govhall.lib.tests.redis_db import TEST_REDIS_CACHE_URL

pytestmark = pytest.mark.django_db


def _login(client: Client, account: str, password: str) -> object:
    return client.post("/login/", {"account": account, "password": password})


def test_alice_logs_in_with_her_id_number_and_sees_her_workspace(alice: User, zh_client: Client) -> None:
    response = _login(zh_client, ALICE_ID, PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == "/my/"
    page = zh_client.get("/my/").content.decode()
    assert "陈爱丽" in page
    assert "350205********0020" in page
    assert ALICE_ID not in page


def test_alice_logs_in_with_her_phone_number(alice: User, zh_client: Client) -> None:
    assert _login(zh_client, ALICE_PHONE, PASSWORD).status_code == 302


def test_a_wrong_password_says_so_and_how_many_tries_are_left(alice: User, zh_client: Client) -> None:
    response = _login(zh_client, ALICE_ID, "Wrong#Pass1")
    assert response.status_code == 400
    page = response.content.decode()
    assert "账号或密码不正确" in page
    assert "账号或密码不正确。再失败4次，账户将被锁定。" in page
    assert AuditRecord.objects.filter(event="identity.login_failed").count() == 1


def test_five_failures_lock_the_account_even_for_the_right_password(alice: User, zh_client: Client) -> None:
    for _attempt in range(5):
        _login(zh_client, ALICE_ID, "Wrong#Pass1")
    response = _login(zh_client, ALICE_ID, PASSWORD)
    assert response.status_code == 400
    assert "账户已被锁定" in response.content.decode()
    assert "_auth_user_id" not in zh_client.session
    assert AuditRecord.objects.filter(event="identity.login_locked").exists()


def test_the_lock_ends_after_the_lockout_time(alice: User, zh_client: Client) -> None:
    for _attempt in range(5):
        _login(zh_client, ALICE_ID, "Wrong#Pass1")
    LoginThrottle.objects.update(locked_until=timezone.now() - timezone.timedelta(seconds=1))
    assert _login(zh_client, ALICE_ID, PASSWORD).status_code == 302


def test_the_lockout_message_is_in_english_for_english_users(alice: User, en_client: Client) -> None:
    for _attempt in range(5):
        response = _login(en_client, ALICE_ID, "Wrong#Pass1")
    assert "locked" in response.content.decode()


def test_the_throttle_never_stores_what_was_typed(alice: User, zh_client: Client) -> None:
    _login(zh_client, ALICE_ID, "Wrong#Pass1")
    assert LoginThrottle.objects.count() == 2  # the account's and the address's
    for throttle in LoginThrottle.objects.all():
        assert ALICE_ID not in throttle.account_hash and "127.0.0.1" not in throttle.account_hash
    failed = AuditRecord.objects.get(event="identity.login_failed")
    assert ALICE_ID not in failed.actor_label


def test_login_and_logout_are_audited(alice: User, zh_client: Client) -> None:
    _login(zh_client, ALICE_ID, PASSWORD)
    zh_client.post("/logout/")
    events = list(AuditRecord.objects.filter(actor_id=alice.pk).values_list("event", flat=True))
    assert "identity.login" in events
    assert "identity.logout" in events


def test_an_applicant_cannot_log_in_on_the_staff_desk(alice: User, zh_client: Client) -> None:
    response = zh_client.post("/desk/login/", {"username": alice.username, "password": PASSWORD})
    assert response.status_code == 400
    assert "_auth_user_id" not in zh_client.session


def test_staff_need_a_second_factor_before_the_desk(bob: User, ivan: User, zh_client: Client) -> None:
    code = identity_actions.issue_enrolment_code(bob, actor=ivan)
    response = zh_client.post("/desk/login/", {"username": "bob", "password": PASSWORD})
    assert response["Location"].startswith("/desk/verify/")
    assert zh_client.get("/desk/")["Location"].startswith("/desk/verify/")
    assert "绑定码" in zh_client.get("/desk/verify/").content.decode()
    zh_client.post("/desk/verify/", {"code": code})
    page = zh_client.get("/desk/verify/").content.decode()
    assert "绑定身份验证器" in page and "<svg" in page

    device = TOTPDevice.objects.get(user=bob)
    wrong = zh_client.post("/desk/verify/", {"token": "000000" if totp(device.bin_key) != 0 else "111111"})
    assert "验证码不正确" in wrong.content.decode()
    assert zh_client.get("/desk/").status_code == 302
    throttled = zh_client.post("/desk/verify/", {"token": "123456"})
    assert "秒后再试" in throttled.content.decode()

    device.refresh_from_db()
    device.throttle_reset()
    token = f"{totp(device.bin_key, step=device.step, digits=device.digits):06d}"
    response = zh_client.post("/desk/verify/", {"token": token})
    assert response["Location"] == "/desk/"
    desk = zh_client.get("/desk/")
    assert desk.status_code == 200
    assert "窗口受理" in desk.content.decode()
    device.refresh_from_db()
    assert device.confirmed


def test_the_development_skip_lets_staff_in_and_is_shown_on_screen(
    bob: User, zh_client: Client, settings: object
) -> None:
    settings.STAFF_2FA_SKIP = True  # type: ignore[attr-defined]
    zh_client.post("/desk/login/", {"username": "bob", "password": PASSWORD})
    desk = zh_client.get("/desk/")
    assert desk.status_code == 200
    assert "跳过了二次验证" in desk.content.decode()


def test_an_idle_session_ends_with_a_message(alice: User, zh_client: Client, settings: object) -> None:
    _login(zh_client, ALICE_ID, PASSWORD)
    session = zh_client.session
    session[SESSION_LAST_SEEN] = int(time.time()) - 31 * 60
    session.save()
    response = zh_client.get("/my/", follow=True)
    assert "自动退出" in response.content.decode()
    assert "_auth_user_id" not in zh_client.session
    assert AuditRecord.objects.filter(event="identity.logout", extra__reason="idle").exists()


def test_the_django_admin_is_closed_to_clerks(bob: User, zh_client: Client, settings: object) -> None:
    settings.STAFF_2FA_SKIP = True  # type: ignore[attr-defined]
    zh_client.post("/desk/login/", {"username": "bob", "password": PASSWORD})
    response = zh_client.get("/admin/")
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_the_system_administrator_edits_the_holiday_table_in_the_admin(
    erin: User, zh_client: Client, settings: object
) -> None:
    settings.STAFF_2FA_SKIP = True  # type: ignore[attr-defined]
    zh_client.post("/desk/login/", {"username": "erin", "password": PASSWORD})
    assert zh_client.get("/admin/holidays/holiday/").status_code == 200
    assert zh_client.get("/admin/audit/auditrecord/").status_code == 403


def test_with_redis_configured_a_request_reads_its_session_from_redis_and_a_logout_ends_it_in_both(
    alice: User, settings: object
) -> None:
    import subprocess
    import sys

    import redis

    from django.contrib.sessions.models import Session
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    # The settings choose the write-through session store exactly when Redis is configured:
    probe = "from govhall.conf import settings as s; print(s.SESSION_ENGINE)"
    for url, engine in ((TEST_REDIS_CACHE_URL, "cached_db"), ("", "db")):
        env = {**__import__("os").environ, "GOVHALL_REDIS_URL": url, "DJANGO_SETTINGS_MODULE": ""}
        out = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True)
        assert out.stdout.strip() == f"django.contrib.sessions.backends.{engine}"

    location = TEST_REDIS_CACHE_URL
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": location}}  # type: ignore[attr-defined]
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"  # type: ignore[attr-defined]
    cache.clear()
    client = Client()
    _login(client, ALICE_ID, PASSWORD)
    key = client.cookies["sessionid"].value
    assert Session.objects.filter(session_key=key).exists()
    assert redis.Redis.from_url(location).keys(f"*{key}*")
    client.get("/my/")  # the first page after logging in notes the time in the session
    with CaptureQueriesContext(connection) as made:
        assert client.get("/my/").status_code == 200
    assert not [q for q in made.captured_queries if "django_session" in q["sql"]]
    client.post("/logout/")
    assert not Session.objects.filter(session_key=key).exists()
    assert not redis.Redis.from_url(location).keys(f"*{key}*")
    assert client.get("/my/").status_code == 302  # back to the login page
    cache.clear()
