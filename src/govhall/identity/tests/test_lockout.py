"""A lockout counts per account, whatever spelling of it was typed, and per client address."""

from __future__ import annotations

import pytest

from django.test import Client

from conftest import ALICE_ID, ALICE_PHONE, PASSWORD
from govhall.audit.models import AuditRecord
from govhall.identity.models import User

pytestmark = pytest.mark.django_db

WRONG = "Wrong#Pass2026"
# Every way Alice's account may be typed: her ID number, and her phone number 13800000001:
ALICE_SPELLINGS = [
    ALICE_ID,
    ALICE_ID.lower(),
    " 350205 19850312 0020 ",
    "350205-19850312-0020",
    "３５０２０５１９８５０３１２００２０",  # full-width digits from a Chinese input method
    "350205850312002",  # the legacy 15-digit form of the same number
    ALICE_PHONE,
    "+86 138 0000 0001",
    "+8613800000001",
    "0086 13800000001",
    "0086-138-0000-0001",
    "(+86) 138-0000-0001",
    "（+86）13800000001",
    "138 0000 0001",
    "138-0000-0001",
    "8613800000001",
    "１３８００００００01",
]
BOB_SPELLINGS = ["bob", "BOB", "Bob", " bob ", "b o b", "\tBoB\n"]


def _applicant(client: Client, account: str, password: str) -> object:
    return client.post("/login/", {"account": account, "password": password})


def _staff(client: Client, username: str, password: str) -> object:
    return client.post("/desk/login/", {"username": username, "password": password})


@pytest.mark.parametrize("spelling", ALICE_SPELLINGS)
def test_every_spelling_of_alices_account_logs_her_in(alice: User, spelling: str) -> None:
    assert _applicant(Client(), spelling, PASSWORD).status_code == 302


def test_failures_under_every_spelling_count_against_the_one_account(alice: User, zh_client: Client) -> None:
    page = ""
    for number, spelling in enumerate(ALICE_SPELLINGS[:4]):
        page = _applicant(Client(REMOTE_ADDR=f"10.0.0.{number}"), spelling, WRONG).content.decode()
    assert "再失败1次，账户将被锁定" in page


@pytest.mark.parametrize("last", ALICE_SPELLINGS)
def test_after_the_limit_no_spelling_of_the_account_gets_in(alice: User, last: str) -> None:
    # Five failures from five addresses, each with a different spelling:
    for number, spelling in enumerate(ALICE_SPELLINGS[-5:]):
        _applicant(Client(REMOTE_ADDR=f"10.0.1.{number}"), spelling, WRONG)
    response = _applicant(Client(REMOTE_ADDR="10.0.2.1"), last, PASSWORD)
    assert response.status_code == 400
    assert "登录失败次数过多，账户已被锁定，请30分钟后再试。" in response.content.decode()


def test_staff_names_count_as_one_account_in_any_case_and_spacing(bob: User) -> None:
    for number, spelling in enumerate(BOB_SPELLINGS[1:]):
        _staff(Client(REMOTE_ADDR=f"10.0.3.{number}"), spelling, WRONG)
    for spelling in BOB_SPELLINGS:
        response = _staff(Client(REMOTE_ADDR="10.0.4.1"), spelling, PASSWORD)
        assert response.status_code == 400
        assert "账户已被锁定" in response.content.decode()
    assert AuditRecord.objects.filter(event="identity.login_locked", extra__scope="account").count() == 6


@pytest.mark.parametrize("spelling", BOB_SPELLINGS)
def test_bob_logs_in_on_the_desk_with_his_name_in_any_case(bob: User, spelling: str) -> None:
    response = _staff(Client(), spelling, PASSWORD)
    assert response.status_code == 302
    assert response["Location"].startswith("/desk/verify/")


def test_a_name_that_is_no_account_is_locked_the_same_way(zh_client: Client) -> None:
    # Otherwise the lock would tell which ID numbers have accounts:
    pages = [_applicant(Client(), "350205199001010010", WRONG).content.decode() for _attempt in range(6)]
    assert "再失败4次" in pages[0]
    assert "账户已被锁定，请30分钟后再试。" in pages[-1]


def test_many_failures_from_one_address_lock_that_address_for_every_account(alice: User, settings: object) -> None:
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 3  # type: ignore[attr-defined]
    guesser = Client(REMOTE_ADDR="203.0.113.7")
    for account in ("350205199001010010", "13900000001", "13900000002"):
        _applicant(guesser, account, WRONG)
    response = _applicant(guesser, ALICE_ID, PASSWORD)
    assert response.status_code == 400
    assert "从您所在网络地址登录失败的次数过多，暂停登录，请30分钟后再试。" in response.content.decode()
    assert _staff(guesser, "bob", PASSWORD).status_code == 400
    # Alice, elsewhere, is not locked out: her account had no failure of its own.
    assert _applicant(Client(REMOTE_ADDR="198.51.100.1"), ALICE_ID, PASSWORD).status_code == 302
    assert AuditRecord.objects.filter(event="identity.login_locked", extra__scope="address").count() == 2


def test_a_success_does_not_clear_the_addresss_count(alice: User, settings: object) -> None:
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 3  # type: ignore[attr-defined]
    guesser = Client(REMOTE_ADDR="203.0.113.8")
    _applicant(guesser, "13900000001", WRONG)
    _applicant(guesser, "13900000002", WRONG)
    assert _applicant(Client(REMOTE_ADDR="203.0.113.8"), ALICE_ID, PASSWORD).status_code == 302
    _applicant(guesser, "13900000003", WRONG)
    assert _applicant(Client(REMOTE_ADDR="203.0.113.8"), ALICE_ID, PASSWORD).status_code == 400


def test_behind_the_trusted_proxy_each_client_address_counts_on_its_own(alice: User, settings: object) -> None:
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 3  # type: ignore[attr-defined]
    settings.TRUSTED_PROXIES = ["10.9.9.9"]  # type: ignore[attr-defined]
    via_proxy = Client(REMOTE_ADDR="10.9.9.9")
    for account in ("13900000001", "13900000002", "13900000003"):
        via_proxy.post("/login/", {"account": account, "password": WRONG}, HTTP_X_FORWARDED_FOR="203.0.113.9")
    locked = via_proxy.post("/login/", {"account": ALICE_ID, "password": PASSWORD}, HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert "网络地址" in locked.content.decode()
    # Another citizen behind the same proxy is not locked out:
    other = via_proxy.post("/login/", {"account": ALICE_ID, "password": PASSWORD}, HTTP_X_FORWARDED_FOR="198.51.100.2")
    assert other.status_code == 302


def test_a_made_up_forwarded_address_from_outside_does_not_escape_the_address_count(
    alice: User, settings: object
) -> None:
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 3  # type: ignore[attr-defined]
    settings.TRUSTED_PROXIES = ["10.9.9.9"]  # type: ignore[attr-defined]
    guesser = Client(REMOTE_ADDR="203.0.113.10")
    for number, account in enumerate(("13900000001", "13900000002", "13900000003")):
        guesser.post("/login/", {"account": account, "password": WRONG}, HTTP_X_FORWARDED_FOR=f"192.0.2.{number}")
    response = guesser.post("/login/", {"account": ALICE_ID, "password": PASSWORD}, HTTP_X_FORWARDED_FOR="192.0.2.99")
    assert response.status_code == 400


def test_the_address_lockout_message_is_in_english_for_english_users(alice: User, settings: object) -> None:
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 1  # type: ignore[attr-defined]
    client = Client(HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR="203.0.113.11")
    client.cookies["django_language"] = "en"
    page = _applicant(client, "13900000001", WRONG).content.decode()
    assert "Too many failed logins from your network address" in page


def test_a_phone_number_leads_to_the_account_that_registered_it_first(alice: User) -> None:
    from govhall.identity import actions

    later = actions.register_applicant(
        name="冒名者", id_number="350205199001010010", phone=ALICE_PHONE, password="Other#Pass2026"
    )
    assert _applicant(Client(), "+86 138 0000 0001", "Other#Pass2026").status_code == 400
    assert _applicant(Client(), "+86 138 0000 0001", PASSWORD).status_code == 302
    assert _applicant(Client(), "350205199001010010", "Other#Pass2026").status_code == 302
    assert later.pk != alice.pk
