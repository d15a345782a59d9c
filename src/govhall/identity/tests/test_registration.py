"""An applicant registers; every mistake is named, in the user's language, and nothing is created."""

from __future__ import annotations

import datetime

import pytest

from django.test import Client
from django.utils import timezone

from govhall.audit.models import AuditRecord
from govhall.identity.models import NaturalPerson, User
from govhall.proactive.models import Notification

pytestmark = pytest.mark.django_db

GOOD = {
    "name": "王小明",
    "id_number": "350205199001010010",
    "phone": "13900000009",
    "password": "Good#Pass2026",
    "password_again": "Good#Pass2026",
    "consent": "on",
}


def test_a_citizen_registers_and_can_log_in(zh_client: Client) -> None:
    response = zh_client.post("/register/", GOOD)
    assert response.status_code == 302
    assert zh_client.post("/login/", {"account": GOOD["id_number"], "password": GOOD["password"]}).status_code == 302


def test_a_wrong_check_digit_is_explained_and_nothing_is_created(zh_client: Client) -> None:
    response = zh_client.post("/register/", {**GOOD, "id_number": "350205199001010011"})
    assert response.status_code == 400
    assert "校验位不正确" in response.content.decode()
    assert User.objects.count() == 0
    assert NaturalPerson.objects.count() == 0


def test_registration_errors_are_in_english_for_english_users(en_client: Client) -> None:
    response = en_client.post("/register/", {**GOOD, "id_number": "350205199002300010", "password": "simple"})
    page = response.content.decode()
    assert response.status_code == 400
    assert "does not exist" in page
    assert "at least three" in page


def test_a_weak_password_is_refused_with_the_rule(zh_client: Client) -> None:
    response = zh_client.post("/register/", {**GOOD, "password": "abcdefgh", "password_again": "abcdefgh"})
    assert "至少三类" in response.content.decode()
    assert User.objects.count() == 0


ANSWER = "如该身份证号码尚未注册，账户已开通"


def _answer(client: Client, data: dict[str, str]) -> tuple[int, str, str]:
    """What the registrant sees: the status, where they are sent, and the page they land on."""
    response = client.post("/register/", data)
    landing = client.get(response["Location"]).content.decode() if response.status_code == 302 else ""
    return response.status_code, response.get("Location", ""), landing


def test_a_new_and_an_already_registered_id_number_get_the_same_answer(zh_client: Client) -> None:
    first = _answer(zh_client, GOOD)
    again = _answer(
        Client(HTTP_ACCEPT_LANGUAGE="zh-hans"),
        {**GOOD, "phone": "13900000010", "password": "Other#Pass2026", "password_again": "Other#Pass2026"},
    )
    assert first[:2] == again[:2] == (302, "/login/")
    assert ANSWER in first[2] and ANSWER in again[2]
    assert "已注册账户" not in again[2]
    assert User.objects.count() == 1


def test_the_holder_of_an_already_registered_number_is_told_and_keeps_their_account(zh_client: Client) -> None:
    zh_client.post("/register/", GOOD)
    owner = User.objects.get()
    password_before = owner.password
    Client().post(
        "/register/",
        {
            **GOOD,
            "name": "冒名者",
            "phone": "13900000010",
            "password": "Other#Pass2026",
            "password_again": "Other#Pass2026",
        },
    )
    owner.refresh_from_db()
    assert owner.password == password_before
    assert owner.person.phone_masked == "139****0009"  # type: ignore[union-attr]
    notice = Notification.objects.get(recipient=owner)
    assert notice.subject == "有人用您的身份证号码申请注册账户"
    assert "没有开通新账户" in notice.body and "密码都没有改变" in notice.body
    # The owner logs in as before; the newcomer's password does not open the account:
    assert Client().post("/login/", {"account": GOOD["id_number"], "password": GOOD["password"]}).status_code == 302
    assert Client().post("/login/", {"account": GOOD["id_number"], "password": "Other#Pass2026"}).status_code == 400
    attempt = AuditRecord.objects.get(event="identity.registration_for_registered_number")
    assert GOOD["id_number"] not in attempt.actor_label


def test_the_owner_is_told_in_their_own_language(zh_client: Client) -> None:
    zh_client.post("/register/", GOOD)
    User.objects.update(language="en")
    Client().post("/register/", {**GOOD, "password": "Other#Pass2026", "password_again": "Other#Pass2026"})
    assert Notification.objects.get().subject == "Someone tried to register an account with your ID number"


def test_a_double_click_opens_one_account_and_alarms_nobody(zh_client: Client) -> None:
    assert zh_client.post("/register/", GOOD).status_code == 302
    assert zh_client.post("/register/", GOOD).status_code == 302
    assert User.objects.count() == 1
    assert not Notification.objects.exists()
    assert AuditRecord.objects.filter(event="identity.registration_repeated").count() == 1
    assert zh_client.post("/login/", {"account": GOOD["phone"], "password": GOOD["password"]}).status_code == 302


def test_the_same_password_days_later_is_a_new_attempt_and_the_owner_is_told(zh_client: Client) -> None:
    zh_client.post("/register/", GOOD)
    User.objects.update(date_joined=timezone.now() - datetime.timedelta(days=3))
    Client().post("/register/", GOOD)
    assert Notification.objects.count() == 1


def test_a_registration_that_finds_the_account_takes_a_password_hash_like_a_new_one(
    zh_client: Client, settings: object
) -> None:
    # Timing must not tell the two answers apart: each path hashes the password once.
    from django.contrib.auth import hashers

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]  # type: ignore[attr-defined]
    calls: list[str] = []
    original = hashers.PBKDF2PasswordHasher.encode

    def counting(self: object, password: str, salt: str, iterations: int | None = None) -> str:
        calls.append("hash")
        return original(self, password, salt, iterations)  # type: ignore[arg-type]

    hashers.PBKDF2PasswordHasher.encode = counting  # type: ignore[method-assign]
    try:
        zh_client.post("/register/", GOOD)
        new_account = len(calls)
        calls.clear()
        Client().post("/register/", {**GOOD, "password": "Other#Pass2026", "password_again": "Other#Pass2026"})
        existing = len(calls)
    finally:
        hashers.PBKDF2PasswordHasher.encode = original  # type: ignore[method-assign]
    assert new_account == existing == 1


@pytest.mark.parametrize(
    ("id_number", "why"),
    [("000000199001010016", "000000"), ("990000199001010013", "990000"), ("350299199001010016", "350299")],
)
def test_an_id_number_whose_region_code_is_no_division_is_refused(zh_client: Client, id_number: str, why: str) -> None:
    from govhall.lib.identifiers import resident_check_character

    number = id_number[:17] + resident_check_character(id_number[:17])
    response = zh_client.post("/register/", {**GOOD, "id_number": number})
    assert response.status_code == 400
    assert f"身份证号码前6位地址码 {why} 不是有效的行政区划代码，请核对是否输错。" in response.content.decode()
    assert User.objects.count() == 0 and NaturalPerson.objects.count() == 0


def test_the_region_code_message_is_in_english_for_english_users(en_client: Client) -> None:
    from govhall.lib.identifiers import resident_check_character

    number = "00000019900101001" + resident_check_character("00000019900101001")
    page = en_client.post("/register/", {**GOOD, "id_number": number}).content.decode()
    assert "The first six digits of the ID number (000000) are not an administrative division code" in page


@pytest.mark.parametrize(
    ("region", "what"),
    [
        ("110103", "崇文区, merged into 东城区 in 2010"),
        ("350202", "鼓浪屿区, merged into 思明区 in 2003"),
        ("132102", "a 1980s code of 邯郸地区"),
        ("130171", "石家庄高新技术产业开发区, a development zone"),
        ("350205", "海沧区, in use"),
        ("830000", "a Taiwan resident's residence permit"),
    ],
)
def test_codes_that_exist_or_once_existed_are_accepted(zh_client: Client, region: str, what: str) -> None:
    from govhall.lib.identifiers import resident_check_character

    first17 = region + "19800101001"
    response = zh_client.post("/register/", {**GOOD, "id_number": first17 + resident_check_character(first17)})
    assert response.status_code == 302, what
    assert User.objects.count() == 1


def test_the_acting_company_is_switched_only_to_an_authorised_one(
    alice: User, alice_company: object, zh_client: Client
) -> None:
    from conftest import ALICE_ID, PASSWORD

    zh_client.post("/login/", {"account": ALICE_ID, "password": PASSWORD})
    response = zh_client.post("/my/acting-for/", {"entity": str(alice_company.public_id)})  # type: ignore[attr-defined]
    assert response.status_code == 302
    assert "当前以企业身份办理" in zh_client.get("/my/").content.decode()
    stranger = zh_client.post("/my/acting-for/", {"entity": "00000000-0000-0000-0000-000000000000"})
    assert stranger.status_code == 404
