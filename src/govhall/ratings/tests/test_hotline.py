"""Staff enter a 12345 hotline rating with its work-order number, once."""

from __future__ import annotations

from typing import Any

import pytest

from govhall.cases.models import Case
from govhall.identity.models import User
from govhall.ratings.constants import Channel, RatingLevel
from govhall.ratings.models import Rating, Rectification

pytestmark = pytest.mark.django_db


def _post(client: Any, case: Case, number: str = "12345-20261205-0001", **extra: Any) -> Any:
    data = {"case_reference": case.reference, "hotline_number": number, "level": RatingLevel.DISSATISFIED}
    data.update({"reasons": ["slow"], "comment": "电话反映审批慢。"}, **extra)
    return client.post("/desk/ratings/hotline/", data)


def test_a_clerk_enters_a_hotline_rating_for_the_applicant(
    closed_case: Case, bob: User, alice: User, desk: Any
) -> None:
    answer = _post(desk(bob), closed_case)
    assert answer.status_code == 302
    rating = Rating.objects.get()
    assert (rating.channel, rating.rater, rating.entered_by, rating.hotline_number) == (
        Channel.HOTLINE,
        alice,
        bob,
        "12345-20261205-0001",
    )
    assert Rectification.objects.filter(rating=rating).exists()


def test_a_work_order_number_entered_twice_is_refused_and_nothing_changes(
    closed_case: Case, bob: User, desk: Any
) -> None:
    client = desk(bob)
    _post(client, closed_case)
    again = _post(client, closed_case, level=RatingLevel.VERY_SATISFIED)
    assert again.status_code == 400
    assert "12345工单 12345-20261205-0001 的评价已经录入过，不能重复录入。" in again.content.decode()
    assert Rating.objects.count() == 1 and Rectification.objects.count() == 1


def test_a_clerk_of_another_unit_cannot_enter_a_rating_of_the_case(closed_case: Case, desk: Any) -> None:
    from conftest import PASSWORD
    from govhall.identity import actions as identity_actions
    from govhall.identity.constants import Role
    from govhall.identity.models import Department

    # The agriculture unit had nothing to do with the case (the water unit countersigned it):
    agriculture = identity_actions.save_department(
        code="agriculture",
        name="农业科",
        credit_code="11350205MB0100005E",
        parent=Department.objects.get(code="bureau"),
    )
    other_clerk = identity_actions.create_staff(username="gao", full_name="高农", password=PASSWORD)
    identity_actions.grant_role(other_clerk, agriculture, Role.CLERK)
    answer = _post(desk(other_clerk), closed_case)
    assert answer.status_code == 400
    assert "没有找到这个办件，或它不是您所在单位的办件。请核对办件编号。" in answer.content.decode()
    assert not Rating.objects.exists()
