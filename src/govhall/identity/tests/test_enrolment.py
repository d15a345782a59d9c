"""One-time authenticator enrolment: the secret is shown only after the security administrator's code."""

from __future__ import annotations

import datetime

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone

from conftest import PASSWORD
from govhall.audit.models import AuditRecord
from govhall.identity import actions
from govhall.identity.models import EnrolmentCode, User

pytestmark = pytest.mark.django_db


def _desk_login(username: str) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert client.post("/desk/login/", {"username": username, "password": PASSWORD}).status_code == 302
    return client


def _confirm(client: Client, user: User) -> object:
    device = TOTPDevice.objects.get(user=user)
    return client.post("/desk/verify/", {"token": f"{totp(device.bin_key):06d}"})


def test_without_a_code_no_secret_is_shown_and_no_authenticator_is_made(bob: User) -> None:
    client = _desk_login("bob")
    page = client.get("/desk/verify/").content.decode()
    assert "请先输入安全管理员签发给您的一次性绑定码" in page
    assert "<svg" not in page and "secret" not in page
    assert not TOTPDevice.objects.filter(user=bob).exists()
    assert client.get("/desk/")["Location"].startswith("/desk/verify/")


def test_the_code_opens_the_secret_and_the_first_token_binds_the_authenticator(bob: User, ivan: User) -> None:
    code = actions.issue_enrolment_code(bob, actor=ivan)
    client = _desk_login("bob")
    response = client.post("/desk/verify/?next=/desk/", {"code": code.lower().replace("-", " ")})
    assert response.status_code == 302
    page = client.get("/desk/verify/").content.decode()
    assert "绑定码已验证" in page and "<svg" in page
    assert _confirm(client, bob)["Location"] == "/desk/"  # type: ignore[index]
    assert client.get("/desk/").status_code == 200
    assert TOTPDevice.objects.get(user=bob).confirmed
    events = set(AuditRecord.objects.filter(target_id=str(bob.pk)).values_list("event", flat=True))
    assert {"identity.enrolment_code_issued", "identity.enrolment_code_used", "identity.totp_enrolled"} <= events


def test_a_code_is_used_once(bob: User, ivan: User) -> None:
    code = actions.issue_enrolment_code(bob, actor=ivan)
    first = _desk_login("bob")
    first.post("/desk/verify/", {"code": code})
    second = _desk_login("bob")
    response = second.post("/desk/verify/", {"code": code})
    assert response.status_code == 400
    assert "该绑定码已经使用过，每个绑定码只能用一次。请向安全管理员申请新的绑定码。" in response.content.decode()
    assert "<svg" not in response.content.decode()


def test_an_expired_code_is_refused(bob: User, ivan: User) -> None:
    code = actions.issue_enrolment_code(bob, actor=ivan)
    EnrolmentCode.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    response = _desk_login("bob").post("/desk/verify/", {"code": code})
    assert "该绑定码已过期，请向安全管理员申请新的绑定码。" in response.content.decode()
    assert AuditRecord.objects.filter(event="identity.enrolment_code_refused", outcome="failure").exists()


def test_a_wrong_code_or_another_persons_code_is_refused_in_both_languages(bob: User, carol: User, ivan: User) -> None:
    carols = actions.issue_enrolment_code(carol, actor=ivan)
    client = _desk_login("bob")
    assert "绑定码不正确" in client.post("/desk/verify/", {"code": carols}).content.decode()
    client.cookies["django_language"] = "en"
    page = client.post("/desk/verify/", {"code": "AAAA-BBBB-CCCC"}).content.decode()
    assert "The enrolment code is not correct" in page
    assert not EnrolmentCode.objects.filter(used_at__isnull=False).exists()


def test_the_code_is_stored_only_as_a_keyed_hash_and_expires_after_the_configured_hours(bob: User, ivan: User) -> None:
    code = actions.issue_enrolment_code(bob, actor=ivan)
    entry = EnrolmentCode.objects.get()
    plain = code.replace("-", "")
    assert plain not in entry.code_hash and len(entry.code_hash) == 64
    hours = (entry.expires_at - entry.issued_at).total_seconds() / 3600
    assert round(hours) == 24
    record = AuditRecord.objects.get(event="identity.enrolment_code_issued")
    assert plain not in str(record.extra) and code not in str(record.extra)


def test_only_a_security_administrator_issues_codes_and_never_their_own(bob: User, erin: User, ivan: User) -> None:
    with pytest.raises(PermissionDenied):
        actions.issue_enrolment_code(bob, actor=erin)
    with pytest.raises(ValidationError, match="不能为自己签发绑定码"):
        actions.issue_enrolment_code(ivan, actor=ivan)
    assert not EnrolmentCode.objects.exists()


def test_a_new_code_replaces_the_old_code_and_the_lost_authenticator(bob: User, ivan: User) -> None:
    old = actions.issue_enrolment_code(bob, actor=ivan)
    TOTPDevice.objects.create(user=bob, name="phone", confirmed=True)
    new = actions.issue_enrolment_code(bob, actor=ivan)
    assert not TOTPDevice.objects.filter(user=bob).exists()
    client = _desk_login("bob")
    assert "已过期" in client.post("/desk/verify/", {"code": old}).content.decode()
    assert client.post("/desk/verify/", {"code": new}).status_code == 302


def test_an_authenticator_started_in_another_session_does_not_let_this_one_in(bob: User, ivan: User) -> None:
    code = actions.issue_enrolment_code(bob, actor=ivan)
    holder = _desk_login("bob")
    holder.post("/desk/verify/", {"code": code})
    # Someone else with Bob's password, but not the code, cannot use the pending authenticator:
    other = _desk_login("bob")
    response = _confirm(other, bob)
    assert response.status_code == 400  # type: ignore[attr-defined]
    assert not TOTPDevice.objects.get(user=bob).confirmed


def test_the_security_administrators_desk_page_issues_a_code_shown_once(
    bob: User, ivan: User, settings: object
) -> None:
    settings.STAFF_2FA_SKIP = True  # type: ignore[attr-defined]
    client = _desk_login("ivan")
    page = client.get("/desk/enrolment-codes/").content.decode()
    assert "bob" in page and "未绑定" in page
    response = client.post("/desk/enrolment-codes/", {"user": str(bob.public_id)})
    page = response.content.decode()
    assert "仅显示这一次，平台不保存明文。24小时内有效，只能使用一次。" in page
    shown = page.split('<code class="secret">')[1].split("</code>")[0]
    assert _desk_login("bob").post("/desk/verify/", {"code": shown}).status_code == 302
    assert shown not in client.get("/desk/enrolment-codes/").content.decode()


def test_the_enrolment_page_is_not_found_for_anyone_but_the_security_administrator(
    bob: User, erin: User, settings: object
) -> None:
    settings.STAFF_2FA_SKIP = True  # type: ignore[attr-defined]
    for username in ("bob", "erin"):
        client = _desk_login(username)
        assert client.get("/desk/enrolment-codes/").status_code == 404
        assert client.post("/desk/enrolment-codes/", {"user": str(bob.public_id)}).status_code == 404
    assert not EnrolmentCode.objects.exists()


def test_the_first_security_administrator_gets_a_code_from_the_server_command_line(ivan: User) -> None:
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("issue_enrolment_code", "IVAN", stdout=out)
    code = out.getvalue().split()[0]
    assert EnrolmentCode.objects.get(user=ivan).issued_by is None
    assert AuditRecord.objects.get(event="identity.enrolment_code_issued").actor_label == "cli"
    assert _desk_login("ivan").post("/desk/verify/", {"code": code}).status_code == 302


def test_the_desk_home_leads_to_the_password_page_and_only_the_security_administrator_to_the_codes(
    bob: User, ivan: User, settings: object
) -> None:
    settings.STAFF_2FA_SKIP = True  # type: ignore[attr-defined]
    for_ivan = _desk_login("ivan").get("/desk/").content.decode()
    for_bob = _desk_login("bob").get("/desk/").content.decode()
    assert 'href="/desk/password/"' in for_ivan and 'href="/desk/password/"' in for_bob
    assert 'href="/desk/enrolment-codes/"' in for_ivan
    assert 'href="/desk/enrolment-codes/"' not in for_bob
