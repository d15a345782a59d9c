"""An applicant registers; every mistake is named, in the user's language, and nothing is created."""

from __future__ import annotations

import pytest

from django.test import Client

from govhall.identity.models import NaturalPerson, User

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


def test_a_second_registration_with_the_same_id_number_is_refused(zh_client: Client) -> None:
    zh_client.post("/register/", GOOD)
    response = zh_client.post("/register/", {**GOOD, "phone": "13900000010"})
    assert "已注册" in response.content.decode()
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
