"""The dossier's ratings and complaints: the subject sees their own; among staff only supervisors see them."""

from __future__ import annotations

from typing import Any

import pytest

from django.test import Client

from conftest import ALICE_ID
from govhall.cases.models import Case
from govhall.cases.tests.conftest import felling, frank  # noqa: F401 - fixtures
from govhall.catalog.tests.conftest import grace, helen  # noqa: F401 - fixtures
from govhall.complaints import actions as complaint_actions
from govhall.identity.models import User
from govhall.ratings import actions as rating_actions
from govhall.ratings.tests.conftest import closed_case  # noqa: F401 - fixtures

from .test_desk import look_up

pytestmark = pytest.mark.django_db


@pytest.fixture
def feedback(closed_case: Case, alice: User) -> Case:  # noqa: F811
    rating_actions.rate_case(closed_case, rater=alice, level="dissatisfied", reason_codes=["slow"])
    complaint_actions.submit_complaint(
        kind="slowness",
        title="采伐证办理太慢",
        content="受理后等了很久。",
        complainant=alice,
        is_anonymous=False,
        about_department=closed_case.department,
        case=closed_case,
    )
    return closed_case


def test_a_supervisor_sees_the_subjects_ratings_and_complaints(feedback: Case, dan: User, desk: Any) -> None:
    page = look_up(desk(dan), ALICE_ID, "supervision")
    assert "服务评价（1）" in page and "不满意" in page
    assert "投诉举报（1）" in page and "采伐证办理太慢" in page


def test_the_clerk_who_served_the_case_sees_neither(feedback: Case, bob: User, desk: Any) -> None:
    page = look_up(desk(bob), ALICE_ID)
    assert "办件（1）" in page
    assert "服务评价" not in page and "采伐证办理太慢" not in page


def test_the_subject_sees_their_own_in_my_dossier_and_its_export(feedback: Case, alice: User) -> None:
    client = Client()
    client.force_login(alice)
    page = client.get("/my/dossier/").content.decode()
    assert "服务评价（1）" in page and "投诉举报（1）" in page
    exported = client.get("/my/dossier/export.json").json()
    assert [rating["level"] for rating in exported["ratings"]] == ["dissatisfied"]
    assert [complaint["title"] for complaint in exported["complaints"]] == ["采伐证办理太慢"]
