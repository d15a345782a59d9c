"""Other departments' systems query a subject through OAuth2 client credentials, within their grant."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from django.core.management import call_command
from django.test import Client

from conftest import ALICE_ID
from govhall.audit.models import AuditRecord
from govhall.dossier.tests.conftest import Held
from govhall.identity.models import Department
from govhall.lib.tests.redis_db import TEST_REDIS_CACHE_URL
from govhall.sharing.actions import create_api_client, retire_api_client
from govhall.sharing.models import ClientAccess


def make_client(departments: list[Department], scopes: list[str], rate: int = 60) -> tuple[ClientAccess, str]:
    return create_api_client(
        organisation="厦门市公安局海沧分局", scopes=scopes, departments=departments, rate_per_minute=rate
    )


def token_for(access: ClientAccess, secret: str, scope: str = "") -> Any:
    basic = base64.b64encode(f"{access.application.client_id}:{secret}".encode()).decode()
    data = {"grant_type": "client_credentials", **({"scope": scope} if scope else {})}
    return Client().post("/o/token/", data, HTTP_AUTHORIZATION=f"Basic {basic}")


def api(token: str, endpoint: str, body: dict[str, str]) -> Any:
    return Client().post(
        f"/api/v1/sharing/{endpoint}/", body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}"
    )


@pytest.fixture
def forestry_licences_client(departments: dict[str, Department]) -> str:
    access, secret = make_client([departments["forestry"]], ["licences"])
    response = token_for(access, secret)
    assert response.status_code == 200, response.content
    assert response.json()["scope"] == "licences"
    return str(response.json()["access_token"])


def test_a_client_limited_to_licences_lists_the_licences_of_its_departments(
    held: Held, forestry_licences_client: str
) -> None:
    response = api(forestry_licences_client, "licences", {"subject": ALICE_ID})
    assert response.status_code == 200
    found = {lic["identifier"]: lic for lic in response.json()["licences"]}
    assert set(found) == {held.felling.identifier, held.forest_right.identifier}
    assert (
        found[held.felling.identifier]["status"] == "01" and found[held.felling.identifier]["type"] == "林木采伐许可证"
    )
    right = held.forest_right
    assert found[right.identifier] == {
        "identifier": right.identifier,
        "type_code": right.licence_type.code,
        "type": "林权证",
        "number": right.number,
        "issuer": "厦门市自然资源和规划局海沧分局",
        "issued_on": "2019-06-12",
        "valid_from": "2019-06-12",
        "valid_until": "2069-06-11",
        "status": "01",
        "status_label": "有效",
    }
    # Nothing about the holder comes back — the caller already knows whom it asked about:
    assert "陈爱丽" not in response.content.decode()


def test_a_client_without_the_cases_scope_is_refused_and_the_refusal_is_audited(
    held: Held, forestry_licences_client: str
) -> None:
    response = api(forestry_licences_client, "cases", {"subject": ALICE_ID})
    assert response.status_code == 403
    assert response.json()["detail"] == "该客户端未获授权使用这个接口（需要授权范围：cases）。"
    assert held.forestry_case.reference not in response.content.decode()
    entry = AuditRecord.objects.filter(event="sharing.queried").latest("sequence")
    assert entry.outcome == "denied" and entry.extra["endpoint"] == "cases" and entry.extra["status"] == 403


def test_a_token_cannot_be_had_for_a_scope_that_was_not_granted(departments: dict[str, Department]) -> None:
    access, secret = make_client([departments["forestry"]], ["licences"])
    response = token_for(access, secret, scope="licences cases")
    assert response.status_code == 400 and response.json()["error"] == "invalid_scope"
    assert token_for(access, "wrong-secret").status_code == 401


def test_case_statuses_are_those_of_the_clients_departments(held: Held, departments: dict[str, Department]) -> None:
    access, secret = make_client([departments["water"]], ["cases"])
    token = token_for(access, secret).json()["access_token"]
    response = api(token, "cases", {"subject": ALICE_ID})
    assert response.status_code == 200
    assert [c["reference"] for c in response.json()["cases"]] == [held.water_case.reference]
    assert response.json()["cases"][0]["status"] == "submitted"


def test_the_licence_check_answers_yes_or_no_and_nothing_else(held: Held, departments: dict[str, Department]) -> None:
    access, secret = make_client([departments["forestry"]], ["licence_check"])
    token = token_for(access, secret).json()["access_token"]
    yes = api(token, "licence-check", {"subject": ALICE_ID, "licence_type": held.felling.licence_type.code})
    assert yes.status_code == 200 and yes.json() == {"holds_valid_licence": True}
    no = api(token, "licence-check", {"subject": "11010519491231002X", "licence_type": held.felling.licence_type.code})
    assert no.json() == {"holds_valid_licence": False}
    assert api(token, "licences", {"subject": ALICE_ID}).status_code == 403


def test_a_revoked_licence_no_longer_counts(held: Held, departments: dict[str, Department], grace: Any) -> None:
    from govhall.licences.actions import change_status

    change_status(held.felling, "revoke", actor=grace, reason="以欺骗手段取得")
    access, secret = make_client([departments["forestry"]], ["licence_check"])
    token = token_for(access, secret).json()["access_token"]
    answer = api(token, "licence-check", {"subject": ALICE_ID, "licence_type": held.felling.licence_type.code})
    assert answer.json() == {"holds_valid_licence": False}


def test_an_unknown_subject_looks_like_one_with_nothing_in_scope(
    held: Held, forestry_licences_client: str, alice_company: Any
) -> None:
    unknown = api(forestry_licences_client, "licences", {"subject": "11010519491231002X"})
    nothing = api(forestry_licences_client, "licences", {"subject": alice_company.credit_code})
    assert unknown.status_code == nothing.status_code == 200
    assert unknown.json() == nothing.json() == {"licences": []}


def test_a_malformed_identifier_gets_a_clear_message(forestry_licences_client: str) -> None:
    response = api(forestry_licences_client, "licences", {"subject": "350205199001010011"})
    assert response.status_code == 400
    assert "身份证号码校验位不正确" in response.json()["subject"][0]


def test_calls_without_a_token_or_with_a_retired_clients_token_are_refused(
    departments: dict[str, Department], held: Held
) -> None:
    assert api("not-a-token", "licences", {"subject": ALICE_ID}).status_code == 401
    access, secret = make_client([departments["forestry"]], ["licences"])
    token = token_for(access, secret).json()["access_token"]
    retire_api_client(access)
    assert api(token, "licences", {"subject": ALICE_ID}).status_code == 401
    assert token_for(access, secret).status_code in {400, 401}


def test_each_client_is_held_to_its_own_rate(held: Held, departments: dict[str, Department]) -> None:
    access, secret = make_client([departments["forestry"]], ["licences"], rate=2)
    token = token_for(access, secret).json()["access_token"]
    statuses = [api(token, "licences", {"subject": ALICE_ID}).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    other_access, other_secret = make_client([departments["forestry"]], ["licences"], rate=2)
    other = token_for(other_access, other_secret).json()["access_token"]
    assert api(other, "licences", {"subject": ALICE_ID}).status_code == 200


def test_every_call_is_audited_with_the_client_and_the_count(held: Held, forestry_licences_client: str) -> None:
    api(forestry_licences_client, "licences", {"subject": ALICE_ID})
    entry = AuditRecord.objects.filter(event="sharing.queried").latest("sequence")
    client_id = ClientAccess.objects.get().application.client_id
    assert entry.actor_label == f"client:{client_id}"
    assert entry.extra == {
        "endpoint": "licences",
        "kind": "person",
        "code": "350205********0020",
        "count": 2,
        "status": 200,
    }
    assert entry.target_label == "350205********0020"


def test_the_command_prints_the_secret_once_and_keeps_only_its_hash(
    departments: dict[str, Department], capsys: Any
) -> None:
    call_command("create_api_client", "市林业局", "--scopes", "licences,licence_check", "--departments", "forestry")
    out = capsys.readouterr().out
    secret = out.split("client_secret: ")[1].split()[0]
    access = ClientAccess.objects.get()
    assert access.scopes == ["licence_check", "licences"]
    assert access.application.client_secret != secret  # stored hashed
    assert token_for(access, secret).status_code == 200


def test_a_bad_grant_is_refused_with_a_clear_message(departments: dict[str, Department]) -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="授权范围只能是"):
        call_command("create_api_client", "某单位", "--scopes", "everything", "--departments", "forestry")
    with pytest.raises(CommandError, match="No such department: nowhere"):
        call_command("create_api_client", "某单位", "--scopes", "licences", "--departments", "nowhere")
    assert not ClientAccess.objects.exists()


def test_with_redis_configured_the_rate_counters_live_where_every_app_server_sees_them(
    held: Held, departments: dict[str, Department], settings: Any
) -> None:
    import redis

    from django.core.cache import cache

    location = TEST_REDIS_CACHE_URL
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": location}}
    cache.clear()
    access, secret = make_client([departments["forestry"]], ["licences"], rate=1)
    token = token_for(access, secret).json()["access_token"]
    assert api(token, "licences", {"subject": ALICE_ID}).status_code == 200
    # What another server process would read — straight from Redis, not from this process:
    keys = redis.Redis.from_url(location).keys(f"*sharing-rate:client:{access.application.client_id}*")
    assert len(keys) == 1
    assert api(token, "licences", {"subject": ALICE_ID}).status_code == 429
    cache.clear()
