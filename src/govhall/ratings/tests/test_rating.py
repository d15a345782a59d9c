"""The applicant rates a closed case once (and may add one follow-up); a bad rating opens its rectification."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from django.core.exceptions import PermissionDenied, ValidationError

from conftest import PASSWORD
from govhall.audit.models import AuditRecord
from govhall.cases.models import Case
from govhall.identity import actions as identity_actions
from govhall.identity.models import User
from govhall.ratings import actions
from govhall.ratings.constants import Channel, RatingLevel, RectificationStatus
from govhall.ratings.models import Rating, Rectification

pytestmark = pytest.mark.django_db


def test_the_applicant_rates_a_closed_case_with_the_online_indicators(closed_case: Case, alice: User) -> None:
    rating = actions.rate_case(
        closed_case,
        rater=alice,
        level=RatingLevel.VERY_SATISFIED,
        indicator_scores={"efficiency": 5, "guide_accuracy": "4"},
        comment="办理很快。",
    )
    assert rating.channel == Channel.ONLINE
    assert rating.indicator_scores == {"efficiency": 5, "guide_accuracy": 4, "overall": 5}
    assert rating.department_id == closed_case.department_id
    assert not Rectification.objects.exists()
    assert AuditRecord.objects.filter(event="ratings.rated").count() == 1


def test_the_staff_who_served_the_case_are_the_staff_rated(
    closed_case: Case, alice: User, bob: User, frank: User, grace: User, carol: User
) -> None:
    rating = actions.rate_case(closed_case, rater=alice, level=RatingLevel.SATISFIED)
    assert set(rating.staff.all()) == {bob, frank, grace, carol}


def test_it_refuses_a_rating_of_someone_elses_case_and_changes_nothing(closed_case: Case) -> None:
    mallory = identity_actions.register_applicant(
        name="马丽", id_number="350205199001010010", phone="13800000009", password=PASSWORD
    )
    with pytest.raises(PermissionDenied) as error:
        actions.rate_case(closed_case, rater=mallory, level=RatingLevel.VERY_DISSATISFIED, reason_codes=["slow"])
    assert str(error.value) == "只有办件的申请人本人可以评价这次服务。"
    assert not Rating.objects.exists() and not Rectification.objects.exists()


def test_it_refuses_a_rating_before_the_case_is_closed(open_case: Case, alice: User) -> None:
    with pytest.raises(actions.InvalidTransition) as error:
        actions.rate_case(open_case, rater=alice, level=RatingLevel.SATISFIED)
    assert error.value.messages == ["办件办结后才能评价。您的办件当前为“办理中”，办结后我们会邀请您评价。"]
    assert not Rating.objects.exists()


def test_it_refuses_a_second_first_rating_and_keeps_the_first(closed_case: Case, alice: User) -> None:
    actions.rate_case(closed_case, rater=alice, level=RatingLevel.SATISFIED)
    with pytest.raises(actions.InvalidTransition) as error:
        actions.rate_case(closed_case, rater=alice, level=RatingLevel.VERY_DISSATISFIED, reason_codes=["slow"])
    assert error.value.messages == ["您已评价过这次服务，不能再次首次评价；如有新的意见，可以追加评价一次。"]
    assert list(Rating.objects.values_list("level", flat=True)) == [RatingLevel.SATISFIED]
    assert not Rectification.objects.exists()


def test_one_follow_up_rating_is_allowed_after_the_first_and_no_second(closed_case: Case, alice: User) -> None:
    with pytest.raises(actions.InvalidTransition) as error:
        actions.rate_case(closed_case, rater=alice, level=RatingLevel.SATISFIED, is_follow_up=True)
    assert error.value.messages == ["您还没有评价过这次服务，请先进行首次评价。"]
    actions.rate_case(closed_case, rater=alice, level=RatingLevel.BASIC)
    follow_up = actions.rate_case(closed_case, rater=alice, level=RatingLevel.SATISFIED, is_follow_up=True)
    assert follow_up.is_follow_up
    with pytest.raises(actions.InvalidTransition) as error:
        actions.rate_case(closed_case, rater=alice, level=RatingLevel.SATISFIED, is_follow_up=True)
    assert error.value.messages == ["您已追加评价过这次服务，每次服务只能追加评价一次。"]
    assert Rating.objects.count() == 2


def test_a_bad_rating_needs_a_reason_from_the_list(closed_case: Case, alice: User) -> None:
    with pytest.raises(ValidationError) as error:
        actions.rate_case(closed_case, rater=alice, level=RatingLevel.DISSATISFIED)
    assert error.value.message_dict == {"reasons": ["请至少选择一项不满意的原因，以便我们有针对性地整改。"]}
    with pytest.raises(ValidationError) as error:
        actions.rate_case(closed_case, rater=alice, level=RatingLevel.DISSATISFIED, reason_codes=["slow", "made-up"])
    assert error.value.message_dict == {"reasons": ["所选的原因不在可选范围内，请重新选择。"]}
    assert not Rating.objects.exists()


def test_an_indicator_of_another_channel_or_out_of_range_is_refused(closed_case: Case, alice: User) -> None:
    with pytest.raises(ValidationError) as error:
        actions.rate_case(closed_case, rater=alice, level=RatingLevel.SATISFIED, indicator_scores={"attitude": 5})
    assert error.value.message_dict == {"indicator_scores": ["“attitude”不是这个渠道的评价指标。"]}
    with pytest.raises(ValidationError) as error:
        actions.rate_case(closed_case, rater=alice, level=RatingLevel.SATISFIED, indicator_scores={"efficiency": 9})
    assert error.value.message_dict == {"indicator_scores": ["“办事效率”的评分应为 1 到 5 分。"]}
    assert not Rating.objects.exists()


def test_a_bad_rating_opens_a_rectification_due_in_one_working_day(
    closed_case: Case, alice: User, dan: User, on_day: Any
) -> None:
    on_day("2026-09-30")  # the day before National Day: the holiday runs to 10-07
    rating = actions.rate_case(
        closed_case, rater=alice, level=RatingLevel.VERY_DISSATISFIED, reason_codes=["slow", "attitude"]
    )
    rectification = Rectification.objects.get(rating=rating)
    assert rectification.status == RectificationStatus.NEW
    assert rectification.department_id == closed_case.department_id
    assert rectification.classify_due_on == datetime.date(2026, 10, 8)
    assert set(rating.reasons.values_list("code", flat=True)) == {"slow", "attitude"}
    # The supervisor over the unit is told:
    from govhall.proactive.models import Notification

    assert Notification.objects.filter(recipient=dan, subject__startswith="收到一条差评").exists()


def test_a_rating_is_always_of_a_real_service(closed_case: Case) -> None:
    from django.db import IntegrityError, transaction

    from govhall.ratings.constants import ServiceKind

    with pytest.raises(IntegrityError), transaction.atomic():
        Rating.objects.create(
            service_kind=ServiceKind.VISIT, department_id=closed_case.department_id, channel="pad", level="satisfied"
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        Rating.objects.create(
            service_kind=ServiceKind.CASE, department_id=closed_case.department_id, channel="online", level="satisfied"
        )
