"""一件事 is rated once: one invitation when its last case ends, one rating recorded for each unit that served."""

from __future__ import annotations

import datetime
import re

import pytest

from django.test import Client
from django.utils import timezone

from govhall.cases.models import Case
from govhall.catalog.models import ItemVersion
from govhall.identity.models import User
from govhall.proactive.models import Bundle, BundleCase, BundleFiling, Notification
from govhall.ratings import actions, queries
from govhall.ratings.actions import InvalidTransition
from govhall.ratings.constants import Channel, RatingLevel
from govhall.ratings.models import Rating, RatingInvitation, Rectification
from govhall.ratings.tests.conftest import close, submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def filed_together(
    felling: ItemVersion, alice: User, bob: User, frank: User, grace: User, carol: User
) -> tuple[Case, Case]:
    """Two cases filed as one bundle: the first closed, the second still waiting to be handled."""
    first = close(submit(felling, alice, "bundle-1"), bob, frank, grace, carol)
    second = submit(felling, alice, "bundle-2")
    filing = BundleFiling.objects.create(
        bundle=Bundle.objects.create(code="forest", name="林地一件事"), applicant=alice, submit_key="k"
    )
    for case in (first, second):
        BundleCase.objects.create(filing=filing, case=case)
    return first, second


def test_a_bundle_is_invited_and_rated_once_when_its_last_case_ends(
    filed_together: tuple[Case, Case], alice: User, bob: User, frank: User, grace: User, carol: User
) -> None:
    first, second = filed_together
    # While the second case is handled, the first is neither invited nor rated on its own:
    assert actions.send_invitations() == 0
    with pytest.raises(InvalidTransition, match="全部办结后，请对这件事一并评价一次"):
        actions.rate_case(first, rater=alice, level=RatingLevel.SATISFIED)
    client = Client()
    client.force_login(alice)
    waiting = client.get(f"/my/ratings/cases/{first.public_id}/").content.decode()
    assert "“林地一件事”中还有事项正在办理" in waiting and 'name="level"' not in waiting

    second = close(second, bob, frank, grace, carol)
    assert actions.send_invitations() == 1 and actions.send_invitations() == 0
    message = Notification.objects.get(recipient=alice, subject__startswith="请评价")
    assert message.subject == "请评价您的一件事“林地一件事”" and "已全部办结（2 个事项）" in message.body
    assert RatingInvitation.objects.filter(case__in=[first, second]).count() == 2

    link = re.search(r"https?://[^/]+(/ratings/sms/[^ ]+/)", message.body)
    assert link is not None
    page = Client().get(link.group(1)).content.decode()
    assert "这件事只需评价一次" in page and first.reference in page and "2 个办件" in page
    answer = Client().post(link.group(1), {"level": RatingLevel.VERY_DISSATISFIED, "reasons": ["slow"]})
    assert answer.status_code == 200 and "感谢您的评价" in answer.content.decode()
    # One rating, recorded for each case (each unit sees its own), each opening its unit's rectification:
    ratings = list(Rating.objects.order_by("case_id"))
    assert [(r.case_id, r.channel, r.level, r.rater_id) for r in ratings] == [
        (first.pk, Channel.SMS, RatingLevel.VERY_DISSATISFIED, alice.pk),
        (second.pk, Channel.SMS, RatingLevel.VERY_DISSATISFIED, alice.pk),
    ]
    assert Rectification.objects.count() == 2
    assert not RatingInvitation.objects.filter(used_at__isnull=True).exists()
    # Rated once: not again through the other case, but a follow-up on one case stays that case's own:
    assert queries.can_rate(second) == {"first": False, "follow_up": True, "bundle_waiting": False}
    actions.rate_case(second, rater=alice, level=RatingLevel.SATISFIED, is_follow_up=True)
    assert Rating.objects.filter(is_follow_up=True).get().case_id == second.pk


def test_a_case_filed_alone_is_rated_as_before(closed_case: Case, alice: User) -> None:
    actions.rate_case(closed_case, rater=alice, level=RatingLevel.SATISFIED)
    assert Rating.objects.get().case_id == closed_case.pk


def test_a_bundle_whose_first_case_closed_long_ago_is_invited_when_its_last_case_ends(
    filed_together: tuple[Case, Case], alice: User
) -> None:
    first, second = filed_together
    Case.objects.filter(pk=first.pk).update(closed_at=timezone.now() - datetime.timedelta(days=30))
    from govhall.cases import actions as case_actions

    case_actions.withdraw_case(second, applicant=alice, reason="不再需要。")
    assert actions.send_invitations() == 1  # the link's days count from the bundle's end
    assert RatingInvitation.objects.get().case_id == first.pk
