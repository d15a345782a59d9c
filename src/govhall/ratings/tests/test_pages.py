"""The workspace, desk and SMS pages: who sees what, and what a bad post says."""

from __future__ import annotations

from typing import Any

import pytest

from django.test import Client

from conftest import PASSWORD
from govhall.cases.models import Case
from govhall.identity.models import User
from govhall.ratings import actions
from govhall.ratings.constants import RatingLevel
from govhall.ratings.models import Rating, RatingInvitation, Rectification

pytestmark = pytest.mark.django_db


def _applicant(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_closed_case_page_offers_the_rating(closed_case: Case, alice: User) -> None:
    page = _applicant(alice).get(f"/my/cases/{closed_case.public_id}/")
    assert f'href="/my/ratings/cases/{closed_case.public_id}/"' in page.content.decode()
    assert "评价本次服务" in page.content.decode()


def test_an_open_case_page_offers_no_rating(open_case: Case, alice: User) -> None:
    page = _applicant(alice).get(f"/my/cases/{open_case.public_id}/")
    assert "/my/ratings/cases/" not in page.content.decode()


def test_the_applicant_rates_in_the_workspace(closed_case: Case, alice: User) -> None:
    client = _applicant(alice)
    answer = client.post(
        f"/my/ratings/cases/{closed_case.public_id}/",
        {"level": RatingLevel.DISSATISFIED, "reasons": ["slow"], "comment": "太慢", "score_efficiency": "2"},
    )
    assert answer.status_code == 302 and answer["Location"] == "/my/ratings/"
    listing = client.get("/my/ratings/").content.decode()
    assert "不满意" in listing and "待分类" in listing
    assert Rating.objects.get().indicator_scores == {"efficiency": 2, "overall": 2}


def test_a_second_first_rating_in_the_workspace_becomes_the_follow_up_form(closed_case: Case, alice: User) -> None:
    actions.rate_case(closed_case, rater=alice, level=RatingLevel.BASIC)
    page = _applicant(alice).get(f"/my/ratings/cases/{closed_case.public_id}/").content.decode()
    assert "追加评价" in page
    _applicant(alice).post(f"/my/ratings/cases/{closed_case.public_id}/", {"level": RatingLevel.SATISFIED})
    assert list(Rating.objects.order_by("pk").values_list("is_follow_up", flat=True)) == [False, True]


def test_rating_an_open_case_in_the_workspace_says_when_it_can_be_rated(open_case: Case, alice: User) -> None:
    answer = _applicant(alice).post(f"/my/ratings/cases/{open_case.public_id}/", {"level": RatingLevel.SATISFIED})
    assert answer.status_code == 400
    assert "办件办结后才能评价。" in answer.content.decode()
    assert not Rating.objects.exists()


def test_someone_elses_case_is_not_found(closed_case: Case) -> None:
    from govhall.identity import actions as identity_actions

    mallory = identity_actions.register_applicant(
        name="马丽", id_number="350205199001010010", phone="13800000009", password=PASSWORD
    )
    client = _applicant(mallory)
    assert client.get(f"/my/ratings/cases/{closed_case.public_id}/").status_code == 404
    assert client.post(f"/my/ratings/cases/{closed_case.public_id}/", {"level": "satisfied"}).status_code == 404
    assert not Rating.objects.exists()


def test_the_desk_list_never_tells_the_rated_clerk_who_rated_them_badly(
    closed_case: Case, alice: User, bob: User, dan: User, desk: Any
) -> None:
    actions.rate_case(closed_case, rater=alice, level=RatingLevel.DISSATISFIED, reason_codes=["slow"], comment="太慢")
    # Bob served the case: its number (whose applicant he knows) and the comment are not his to see:
    page = desk(bob).get("/desk/ratings/").content.decode()
    assert "不满意" in page and "陈爱丽" not in page
    assert closed_case.reference not in page and "太慢" not in page
    assert "差评的办件和内容只有整改责任人和监督人员可以查看。" in page
    # The supervisor over the unit sees the case and what was said:
    page = desk(dan).get("/desk/ratings/").content.decode()
    assert closed_case.reference in page and "太慢" in page


def test_the_rated_clerk_does_not_find_the_rectification(closed_case: Case, alice: User, bob: User, desk: Any) -> None:
    actions.rate_case(closed_case, rater=alice, level=RatingLevel.DISSATISFIED, reason_codes=["slow"])
    rectification = Rectification.objects.get()
    assert desk(bob).get(f"/desk/ratings/rectifications/{rectification.public_id}/").status_code == 404
    answer = desk(bob).post(
        f"/desk/ratings/rectifications/{rectification.public_id}/classify/",
        {"is_reasonable": "no", "is_true": "no", "is_malicious": "yes"},
    )
    assert answer.status_code == 404
    assert Rectification.objects.get().status == "new"


def test_the_supervisor_works_the_rectification_on_the_desk(
    closed_case: Case, alice: User, dan: User, ivy: User, desk: Any
) -> None:
    actions.rate_case(closed_case, rater=alice, level=RatingLevel.DISSATISFIED, reason_codes=["slow"])
    rectification = Rectification.objects.get()
    client = desk(dan)
    url = f"/desk/ratings/rectifications/{rectification.public_id}/"
    page = client.get(url).content.decode()
    assert "陈爱丽" in page and "分类认定" in page  # the supervisor may see the rater
    missing = client.post(url + "classify/", {"is_reasonable": "yes"})
    assert missing.status_code == 400 and "该字段是必填项。" in missing.content.decode()
    client.post(url + "classify/", {"is_reasonable": "yes", "is_true": "yes", "is_malicious": "no", "note": "属实"})
    answer = client.post(url + "assign/", {"handler": "ivy", "note": "请整改"})
    assert answer.status_code == 302
    fresh = Rectification.objects.get()
    assert (fresh.status, fresh.handler) == ("assigned", ivy)
    out_of_order = client.post(url + "classify/", {"is_reasonable": "yes", "is_true": "yes", "is_malicious": "no"})
    assert out_of_order.status_code == 302
    assert "差评整改当前为“已交办”，不能进行这个操作。" in client.get(url).content.decode()


def test_after_an_sms_rating_the_workspace_offers_the_follow_up(closed_case: Case, alice: User) -> None:
    actions.send_invitations()
    invitation = RatingInvitation.objects.get()
    actions.rate_by_sms(
        actions.invitation_token(invitation), level=RatingLevel.DISSATISFIED, reason_codes=["not_handled"]
    )
    page = _applicant(alice).get(f"/my/ratings/cases/{closed_case.public_id}/").content.decode()
    assert "追加评价" in page and "短信评价链接" in page
