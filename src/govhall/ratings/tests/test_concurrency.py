"""Row locks: an SMS link posted twice at once makes one rating; two supervisors classifying at once, one wins."""

from __future__ import annotations

from typing import Any

import pytest

from django.core.exceptions import ValidationError

from conftest import PASSWORD
from govhall.cases.models import Case
from govhall.identity import actions as identity_actions
from govhall.identity.constants import Role
from govhall.identity.models import Department, User
from govhall.lib.tests.races import race as _race
from govhall.ratings import actions
from govhall.ratings.constants import RatingLevel
from govhall.ratings.models import Rating, RatingInvitation, Rectification, RectificationEvent

pytestmark = pytest.mark.postgres


def test_an_sms_link_posted_twice_at_once_makes_one_rating(committed: None, closed_case: Case) -> None:
    actions.send_invitations()
    token = actions.invitation_token(RatingInvitation.objects.get())
    results = _race(
        [
            lambda: actions.rate_by_sms(token, level=RatingLevel.VERY_DISSATISFIED, reason_codes=["slow"]),
            lambda: actions.rate_by_sms(token, level=RatingLevel.VERY_DISSATISFIED, reason_codes=["slow"]),
        ]
    )
    assert sum(isinstance(r, Rating) for r in results) == 1, results
    assert sum(isinstance(r, ValidationError) for r in results) == 1, results
    assert Rating.objects.count() == 1 and Rectification.objects.count() == 1


def test_two_supervisors_classifying_at_once_never_both_succeed(
    committed: None, closed_case: Case, alice: User, dan: User, departments: dict[str, Department]
) -> None:
    other = identity_actions.create_staff(username="dan2", full_name="郑二", password=PASSWORD)
    identity_actions.grant_role(other, departments["forestry"], Role.SUPERVISOR)
    actions.rate_case(closed_case, rater=alice, level=RatingLevel.DISSATISFIED, reason_codes=["slow"])
    rectification = Rectification.objects.get()

    def classify(user: User) -> Any:
        return actions.classify_rectification(
            rectification, actor=user, is_reasonable=True, is_true=True, is_malicious=False
        )

    results = _race([lambda: classify(dan), lambda: classify(other)])
    assert sum(isinstance(r, Rectification) for r in results) == 1, results
    assert RectificationEvent.objects.filter(action="classify").count() == 1
