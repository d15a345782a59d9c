"""Password rules (等级保护 level 3): each refused with its own message, in Chinese and English."""

from __future__ import annotations

import datetime

import pytest
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone, translation

from conftest import PASSWORD
from govhall.audit.models import AuditRecord
from govhall.identity import actions
from govhall.identity.demo import DEMO_PASSWORD
from govhall.identity.models import User
from govhall.identity.passwords import attach_identifiers

pytestmark = pytest.mark.django_db

ID_NUMBER = "350205199001010010"
PHONE = "13900000009"


def _applicant() -> User:
    return attach_identifiers(User(username="applicant", kind="applicant"), id_number=ID_NUMBER, phone=PHONE)


def _staff() -> User:
    return User(username="wangfang", full_name="王芳", kind="staff")


def _messages(password: str, user: User, language: str) -> list[str]:
    with translation.override(language):
        try:
            validate_password(password, user)
        except ValidationError as exc:
            return list(exc.messages)
    return []


@pytest.mark.parametrize(
    ("password", "account", "chinese", "english"),
    [
        ("Ab#12345", "staff", "密码太短：至少需要12个字符。", "at least 12 characters"),
        ("Ab#1234", "applicant", "密码太短：至少需要8个字符。", "at least 8 characters"),
        ("abcdefghijkl", "staff", "密码须包含小写字母、大写字母、数字、符号中的至少三类。", "at least three"),
        ("Ab#" + ID_NUMBER, "applicant", "密码不能包含您的身份证号码", "your ID number"),
        ("Birth#19900101", "applicant", "也不能包含其中的出生日期或后六位", "birth date"),
        ("Pin#010010ab", "applicant", "也不能包含其中的出生日期或后六位", "last six"),
        ("Call#" + PHONE, "applicant", "密码不能包含您的手机号码。", "your phone number"),
        ("Wangfang#2026", "staff", "密码不能包含您的用户名。", "your user name"),
        ("Password1!", "applicant", "这个密码太常见了。", "This password is too common."),
    ],
)
def test_each_rule_refuses_with_its_own_message_in_both_languages(
    password: str, account: str, chinese: str, english: str
) -> None:
    user = _applicant() if account == "applicant" else _staff()
    assert any(chinese in message for message in _messages(password, user, "zh-hans"))
    assert any(english in message for message in _messages(password, user, "en"))


def test_an_applicant_is_not_refused_for_the_user_name_the_platform_made_up() -> None:
    assert _messages("Applicant#2026", _applicant(), "zh-hans") == []


def test_the_demo_password_passes_for_staff_and_applicants() -> None:
    assert _messages(DEMO_PASSWORD, _staff(), "zh-hans") == []
    assert _messages(DEMO_PASSWORD, _applicant(), "zh-hans") == []
    assert _messages(PASSWORD, _staff(), "zh-hans") == []


def test_an_eight_character_password_is_enough_for_a_citizen_but_not_for_staff() -> None:
    assert _messages("Tea#2026", _applicant(), "zh-hans") == []
    assert _messages("Tea#2026", _staff(), "zh-hans") == ["密码太短：至少需要12个字符。"]


def test_a_registration_with_the_id_number_in_the_password_is_refused_and_nothing_is_created(
    zh_client: Client,
) -> None:
    data = {
        "name": "王小明",
        "id_number": ID_NUMBER,
        "phone": PHONE,
        "password": "Me#" + ID_NUMBER,
        "password_again": "Me#" + ID_NUMBER,
        "consent": "on",
    }
    response = zh_client.post("/register/", data)
    assert response.status_code == 400
    assert "密码不能包含您的身份证号码" in response.content.decode()
    assert User.objects.count() == 0


def test_a_staff_name_differing_only_in_case_is_refused(bob: User) -> None:
    with pytest.raises(ValidationError, match="已被使用"):
        actions.create_staff(username="BOB", full_name="另一个", password=PASSWORD)


# Expiry ------------------------------------------------------------------------------------


def _verified_client(user: User) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(user)
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def _age_password(user: User, days: int) -> None:
    User.objects.filter(pk=user.pk).update(password_changed_at=timezone.now() - datetime.timedelta(days=days))


def test_a_staff_member_with_an_expired_password_must_set_a_new_one_before_anything_else(bob: User) -> None:
    client = _verified_client(bob)
    _age_password(bob, 91)
    for url in ("/desk/", "/desk/cases/", "/admin/", "/my/", "/"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/desk/password/"), url
    assert client.get("/api/v1/desk/cases/").status_code == 403
    page = client.get("/desk/password/").content.decode()
    assert "您的密码已超过90天未更换。请先设置新密码，再继续使用工作台。" in page

    same = client.post(
        "/desk/password/", {"current_password": PASSWORD, "new_password": PASSWORD, "new_password_again": PASSWORD}
    )
    assert "新密码不能与当前密码相同。" in same.content.decode()
    new = "Forest#Lane2027"
    response = client.post(
        "/desk/password/?next=/desk/cases/",
        {"current_password": PASSWORD, "new_password": new, "new_password_again": new},
    )
    assert response["Location"] == "/desk/cases/"
    assert client.get("/desk/").status_code == 200  # still logged in, and let through now
    bob.refresh_from_db()
    assert bob.check_password(new)
    assert AuditRecord.objects.filter(event="identity.password_changed", actor_id=bob.pk).exists()
    assert AuditRecord.objects.filter(event="identity.password_change_refused", actor_id=bob.pk).exists()


def test_the_password_page_asks_for_the_second_factor_first(bob: User, zh_client: Client) -> None:
    _age_password(bob, 91)
    zh_client.post("/desk/login/", {"username": "bob", "password": PASSWORD})
    response = zh_client.get("/desk/password/")
    assert response["Location"].startswith("/desk/verify/")


def test_a_wrong_current_password_is_refused_in_english_too(bob: User) -> None:
    client = _verified_client(bob)
    client.cookies["django_language"] = "en"
    new = "Forest#Lane2027"
    page = client.post(
        "/desk/password/", {"current_password": "Wrong#Pass2026", "new_password": new, "new_password_again": new}
    ).content.decode()
    assert "The current password is not correct." in page
    bob.refresh_from_db()
    assert bob.check_password(PASSWORD)


def test_a_password_younger_than_the_limit_and_applicants_passwords_never_expire(
    bob: User, alice: User, settings: object
) -> None:
    _age_password(bob, 89)
    assert _verified_client(bob).get("/desk/").status_code == 200
    _age_password(alice, 4000)
    client = Client()
    client.force_login(alice)
    assert client.get("/my/").status_code == 200
    settings.STAFF_PASSWORD_MAX_DAYS = 0  # type: ignore[attr-defined]
    _age_password(bob, 4000)
    assert _verified_client(bob).get("/desk/").status_code == 200
