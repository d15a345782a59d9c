"""A token travels only in the Authorization header and is kept only as a hash; floods are throttled and counted."""

from __future__ import annotations

import hashlib
from typing import Any

from oauth2_provider.models import AccessToken

from django.test import Client

from conftest import ALICE_ID
from govhall.audit.models import AuditRecord
from govhall.dossier.tests.conftest import Held
from govhall.identity.models import Department

from .test_api import api, make_client, token_for

URL = "/api/v1/sharing/licences/"


def a_token(departments: dict[str, Department], rate: int = 60) -> str:
    access, secret = make_client([departments["forestry"]], ["licences"], rate=rate)
    return str(token_for(access, secret).json()["access_token"])


def test_a_token_in_the_address_is_refused_with_a_clear_message(held: Held, departments: dict[str, Department]) -> None:
    token = a_token(departments)
    in_address = Client().post(f"{URL}?access_token={token}", {"subject": ALICE_ID}, content_type="application/json")
    assert in_address.status_code == 401
    assert in_address.json() == {"detail": "访问令牌只能放在 Authorization 请求头中（Bearer），不能放在网址或表单里。"}
    # Even beside a good header: the token was written where logs keep it, so the call is refused:
    both = Client().post(
        f"{URL}?access_token={token}",
        {"subject": ALICE_ID},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert both.status_code == 401
    assert api(token, "licences", {"subject": ALICE_ID}).status_code == 200


def test_a_token_in_a_form_body_is_refused_too(held: Held, departments: dict[str, Department]) -> None:
    token = a_token(departments)
    response = Client().post(URL, {"subject": ALICE_ID, "access_token": token})
    assert response.status_code == 401
    assert "不能放在网址或表单里" in response.json()["detail"]
    assert "licences" not in response.json()


def test_a_call_without_a_token_or_with_a_bad_one_is_told_what_is_wrong(held: Held) -> None:
    none = Client().post(URL, {"subject": ALICE_ID}, content_type="application/json")
    assert none.status_code == 401 and none.json() == {"detail": "请在 Authorization 请求头中提供访问令牌（Bearer）。"}
    assert none["WWW-Authenticate"].startswith("Bearer")
    bad = api("not-a-token", "licences", {"subject": ALICE_ID})
    assert bad.status_code == 401 and bad.json() == {"detail": "访问令牌无效或已过期，请重新获取。"}


def test_the_database_keeps_only_a_hash_of_each_token(held: Held, departments: dict[str, Department]) -> None:
    token = a_token(departments)
    stored = AccessToken.objects.get()
    assert stored.token == ""
    assert stored.token_checksum == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(list(AccessToken.objects.values()))
    assert api(token, "licences", {"subject": ALICE_ID}).status_code == 200


def _refused_records() -> list[dict[str, Any]]:
    return [
        entry.extra
        for entry in AuditRecord.objects.filter(event="sharing.queried", outcome="denied").order_by("sequence")
    ]


def test_a_flood_without_a_token_is_throttled_per_address_and_audited_in_aggregate(held: Held) -> None:
    flooder = Client(REMOTE_ADDR="203.0.113.9")
    statuses = [
        flooder.post(URL, {"subject": ALICE_ID}, content_type="application/json").status_code for _ in range(300)
    ]
    assert statuses == [401] * 30 + [429] * 270
    throttled = flooder.post(URL, {"subject": ALICE_ID}, content_type="application/json")
    assert throttled.status_code == 429 and throttled["Retry-After"] == "60"
    # 301 calls, three chain records: the first, the first throttled, the 300th (ten times the limit):
    records = _refused_records()
    assert [(r["status"], r["calls_this_minute"]) for r in records] == [(401, 1), (429, 31), (429, 300)]
    assert all(r["limit"] == 30 and r["endpoint"] == "licences" for r in records)
    assert AuditRecord.objects.filter(event="sharing.queried", ip_address="203.0.113.9").count() == 3
    # Another address is not held back by this one:
    other = Client(REMOTE_ADDR="198.51.100.7").post(URL, {"subject": ALICE_ID}, content_type="application/json")
    assert other.status_code == 401


def test_bad_tokens_count_against_the_address_like_missing_ones(held: Held) -> None:
    statuses = [
        Client(REMOTE_ADDR="203.0.113.10")
        .post(URL, {"subject": ALICE_ID}, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer guess{n}")
        .status_code
        for n in range(31)
    ]
    assert statuses == [401] * 30 + [429]


def test_a_client_past_its_rate_is_audited_in_aggregate(held: Held, departments: dict[str, Department]) -> None:
    token = a_token(departments, rate=2)
    statuses = [api(token, "licences", {"subject": ALICE_ID}).status_code for _ in range(25)]
    assert statuses == [200, 200] + [429] * 23
    answered = AuditRecord.objects.filter(event="sharing.queried", outcome="success").count()
    assert answered == 2
    assert [r["calls_this_minute"] for r in _refused_records()] == [3, 20]


def test_token_requests_are_counted_per_address_before_any_secret_is_checked(
    departments: dict[str, Department],
) -> None:
    access, _secret = make_client([departments["forestry"]], ["licences"])
    guesser = Client(REMOTE_ADDR="203.0.113.11")
    data = {"grant_type": "client_credentials", "client_id": access.application.client_id, "client_secret": "guess"}
    statuses = [guesser.post("/o/token/", data).status_code for _ in range(31)]
    assert statuses == [401] * 30 + [429]
    slowed = guesser.post("/o/token/", data)
    assert slowed.json() == {"error": "slow_down", "error_description": "请求过于频繁，请一分钟后再试。"}
    assert slowed["Retry-After"] == "60"
