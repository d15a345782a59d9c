"""A closed case's applicant is invited by SMS once; the signed link rates without login, once, until it expires."""

from __future__ import annotations

import datetime
import re

import pytest

from django.core import signing
from django.test import Client
from django.utils import timezone

from govhall.cases.models import Case
from govhall.identity.models import User
from govhall.proactive.models import Notification
from govhall.ratings import actions
from govhall.ratings.constants import Channel, RatingLevel
from govhall.ratings.models import Rating, RatingInvitation

pytestmark = pytest.mark.django_db


def _link(alice: User) -> str:
    body = Notification.objects.filter(recipient=alice, subject__startswith="请评价").get().body
    match = re.search(r"https?://[^/]+(/ratings/sms/[^ ]+/)", body)
    assert match, body
    return match.group(1)


def test_the_sweep_invites_each_closed_case_once(closed_case: Case, alice: User) -> None:
    assert actions.send_invitations() == 1
    assert actions.send_invitations() == 0  # run again: nothing new
    assert RatingInvitation.objects.filter(case=closed_case).count() == 1
    message = Notification.objects.get(recipient=alice, subject__startswith="请评价")
    assert "已办结" in message.body and "只能使用一次" in message.body


def test_an_open_case_and_a_case_already_rated_are_not_invited(open_case: Case, closed_case: Case, alice: User) -> None:
    actions.rate_case(closed_case, rater=alice, level=RatingLevel.SATISFIED)
    assert actions.send_invitations() == 0


def test_the_link_rates_without_login_and_works_once(closed_case: Case, alice: User) -> None:
    actions.send_invitations()
    link = _link(alice)
    page = Client().get(link)
    assert page.status_code == 200 and closed_case.reference in page.content.decode()
    answer = Client().post(link, {"level": RatingLevel.SATISFIED, "score_efficiency": "5"})
    assert answer.status_code == 200 and "感谢您的评价" in answer.content.decode()
    rating = Rating.objects.get()
    assert (rating.channel, rating.rater, rating.indicator_scores["efficiency"]) == (Channel.SMS, alice, 5)
    again = Client().post(link, {"level": RatingLevel.VERY_DISSATISFIED, "reasons": ["slow"]})
    assert again.status_code == 410
    assert "这个评价链接已经使用过，每个链接只能评价一次。" in again.content.decode()
    assert Rating.objects.count() == 1


def test_an_expired_link_is_refused_with_what_to_do(closed_case: Case, alice: User, settings: object) -> None:
    actions.send_invitations()
    link = _link(alice)
    RatingInvitation.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    answer = Client().post(link, {"level": RatingLevel.SATISFIED})
    assert answer.status_code == 410
    assert "这个评价链接已过期。如需评价，请登录“我的办事空间”" in answer.content.decode()
    assert not Rating.objects.exists()


def test_a_forged_link_is_refused(closed_case: Case, alice: User) -> None:
    actions.send_invitations()
    invitation = RatingInvitation.objects.get()
    forged = signing.dumps(str(invitation.public_id), salt="another-salt")
    answer = Client().get(f"/ratings/sms/{forged}/")
    assert answer.status_code == 410
    assert "这个评价链接无效" in answer.content.decode()


def test_a_bad_rating_through_the_link_without_a_reason_says_what_is_missing(closed_case: Case, alice: User) -> None:
    actions.send_invitations()
    answer = Client().post(_link(alice), {"level": RatingLevel.DISSATISFIED})
    assert answer.status_code == 400
    assert "请至少选择一项不满意的原因，以便我们有针对性地整改。" in answer.content.decode()
    assert not Rating.objects.exists() and RatingInvitation.objects.get().used_at is None


def test_no_rating_after_the_set_days_gives_the_default_marked_as_such(closed_case: Case, alice: User) -> None:
    actions.send_invitations()
    assert actions.give_default_ratings(timezone.now() + datetime.timedelta(days=6)) == 0
    assert actions.give_default_ratings(timezone.now() + datetime.timedelta(days=8)) == 1
    rating = Rating.objects.get()
    assert (rating.is_default, rating.level, rating.rater) == (True, RatingLevel.SATISFIED, None)
    assert actions.give_default_ratings(timezone.now() + datetime.timedelta(days=9)) == 0
    with pytest.raises(actions.InvalidTransition) as error:
        actions.rate_case(closed_case, rater=alice, level=RatingLevel.BASIC)
    assert error.value.messages == ["这次服务已超过评价期限，系统已按规定给出默认评价。如有意见，可以追加评价一次。"]


def test_the_default_level_is_configurable(closed_case: Case, settings: object) -> None:
    settings.RATINGS_DEFAULT_LEVEL = RatingLevel.BASIC  # type: ignore[attr-defined]
    actions.send_invitations()
    actions.give_default_ratings(timezone.now() + datetime.timedelta(days=8))
    assert Rating.objects.get().level == RatingLevel.BASIC
