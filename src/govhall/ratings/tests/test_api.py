"""The ratings API: the applicant rates their closed case and lists their ratings; staff list their units' ratings."""

from __future__ import annotations

from typing import Any

import pytest
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from django.test import Client

from govhall.cases.models import Case
from govhall.identity.models import User
from govhall.ratings.models import Rating, Rectification

pytestmark = pytest.mark.django_db


def _applicant(user: User) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(user)
    return client


def _staff(user: User) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(user)
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def _rate(client: Client, case: Case, **body: Any) -> Any:
    return client.post(f"/api/v1/ratings/cases/{case.public_id}/", body, content_type="application/json")


def test_the_applicant_rates_their_case_and_lists_it(closed_case: Case, alice: User) -> None:
    client = _applicant(alice)
    answer = _rate(
        client, closed_case, level="dissatisfied", reasons=["slow"], indicator_scores={"efficiency": 2}, comment="慢"
    )
    assert answer.status_code == 201, answer.json()
    body = answer.json()
    assert body["level_label"] == "不满意" and body["rectification_status"] == "new"
    assert body["indicator_scores"] == {"efficiency": 2, "overall": 2}
    listing = client.get("/api/v1/ratings/").json()
    assert [r["public_id"] for r in listing["results"]] == [body["public_id"]]


def test_a_second_first_rating_is_a_conflict_and_changes_nothing(closed_case: Case, alice: User) -> None:
    client = _applicant(alice)
    _rate(client, closed_case, level="satisfied")
    again = _rate(client, closed_case, level="very_dissatisfied", reasons=["slow"])
    assert again.status_code == 409
    assert again.json() == {"errors": ["您已评价过这次服务，不能再次首次评价；如有新的意见，可以追加评价一次。"]}
    assert Rating.objects.count() == 1 and not Rectification.objects.exists()


def test_a_case_not_closed_is_a_conflict(open_case: Case, alice: User) -> None:
    answer = _rate(_applicant(alice), open_case, level="satisfied")
    assert answer.status_code == 409
    assert answer.json()["errors"][0].startswith("办件办结后才能评价。")


def test_someone_elses_case_is_not_found_and_nothing_changes(closed_case: Case, bob: User) -> None:
    from conftest import PASSWORD
    from govhall.identity import actions as identity_actions

    mallory = identity_actions.register_applicant(
        name="马丽", id_number="350205199001010010", phone="13800000009", password=PASSWORD
    )
    assert _rate(_applicant(mallory), closed_case, level="satisfied").status_code == 404
    assert _rate(_staff(bob), closed_case, level="satisfied").status_code == 403
    assert not Rating.objects.exists()


def test_a_bad_rating_without_a_reason_is_bad_input(closed_case: Case, alice: User) -> None:
    answer = _rate(_applicant(alice), closed_case, level="very_dissatisfied")
    assert answer.status_code == 400
    assert answer.json() == {"errors": {"reasons": ["请至少选择一项不满意的原因，以便我们有针对性地整改。"]}}


def test_staff_list_their_units_ratings_without_the_rater(closed_case: Case, alice: User, bob: User) -> None:
    _rate(_applicant(alice), closed_case, level="dissatisfied", reasons=["slow"])
    answer = _staff(bob).get("/api/v1/desk/ratings/", {"bad": "true"})
    assert answer.status_code == 200
    (row,) = answer.json()["results"]
    assert row["department"] == "林业科" and "rater" not in row
    assert "陈爱丽" not in answer.content.decode()
    # Nor the case (whose applicant the clerk who served it knows) or the comment of a bad rating:
    assert (row["case"], row["case_reference"], row["comment"]) == (None, None, None)
    assert row["level"] == "dissatisfied" and row["item_name"]


def test_the_reasons_are_public(db: None) -> None:
    reasons = Client().get("/api/v1/ratings/reasons/").json()
    assert reasons[0] == {"code": "slow", "text": "办理时间长、效率低", "label": "办理时间长、效率低"}
