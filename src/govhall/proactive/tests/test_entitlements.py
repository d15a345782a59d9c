"""免申即享: the platform finds the eligible, a person grants with a purpose, the holder is told and may decline."""

from __future__ import annotations

import pytest

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.test import Client

from conftest import PASSWORD
from govhall.audit.models import AuditRecord
from govhall.identity import actions as identity_actions
from govhall.identity.models import Department, User
from govhall.lib.errors import Conflict
from govhall.licences.models import LicenceType
from govhall.licences.tests.conftest import forest_right_of, forest_right_type  # noqa: F401 - fixtures
from govhall.proactive import entitlements
from govhall.proactive.models import Entitlement, EntitlementGrant, GrantStatus, Notification

pytestmark = pytest.mark.django_db


@pytest.fixture
def policy(departments: dict[str, Department], forest_right_type: LicenceType, alice: User) -> Entitlement:  # noqa: F811
    forest_right_of(alice.person, forest_right_type)  # type: ignore[arg-type]
    forest_right_of(
        alice.person, forest_right_type, serial="2019000999", holder_key="someone-else", holder_name="林大山"
    )  # type: ignore[arg-type]
    return Entitlement.objects.create(
        name="生态公益林损失补偿",
        description="补偿资金直接拨付。",
        legal_basis="《福建省生态公益林条例》",
        department=departments["forestry"],
        licence_type=forest_right_type,
    )


def test_finding_proposes_once_and_grants_nothing(policy: Entitlement, dan: User, alice: User) -> None:
    assert entitlements.find_eligible(policy, actor=dan) == 2
    assert entitlements.find_eligible(policy, actor=dan) == 0
    assert set(policy.grants.values_list("status", flat=True)) == {GrantStatus.PROPOSED}
    assert not Notification.objects.filter(recipient=alice).exists()
    assert AuditRecord.objects.filter(event="proactive.eligibility_searched").count() == 2
    assert not list(entitlements.grants_of(alice))  # a proposal is not a grant


def test_a_grant_needs_the_right_person_and_a_purpose_and_tells_the_holder(
    policy: Entitlement, dan: User, bob: User, alice: User
) -> None:
    entitlements.find_eligible(policy, actor=dan)
    ids = list(policy.grants.values_list("public_id", flat=True))
    with pytest.raises(PermissionDenied):
        entitlements.grant(policy, ids, actor=bob, purpose="2026年度补偿")
    with pytest.raises(ValidationError):
        entitlements.grant(policy, ids, actor=dan, purpose=" ")
    assert entitlements.grant(policy, ids, actor=dan, purpose="2026年度补偿") == 2
    assert Notification.objects.filter(recipient=alice, subject__contains="生态公益林损失补偿").count() == 1
    audit = AuditRecord.objects.get(event="proactive.entitlements_granted")
    assert audit.extra["purpose"] == "2026年度补偿" and audit.extra["count"] == 2
    with pytest.raises(Conflict):
        entitlements.grant(policy, ids, actor=dan, purpose="再兑现一次")


def test_the_holder_sees_and_may_decline_and_nobody_else_can(policy: Entitlement, dan: User, alice: User) -> None:
    entitlements.find_eligible(policy, actor=dan)
    mine = policy.grants.get(subject_name__startswith="陈")
    entitlements.grant(policy, [mine.public_id], actor=dan, purpose="2026年度补偿")
    bea = identity_actions.register_applicant(
        name="白雅", id_number="350205199001010010", phone="13800000002", password=PASSWORD
    )
    with pytest.raises(Http404):
        entitlements.decline(mine.public_id, user=bea)
    client = Client()
    client.force_login(alice)
    assert "生态公益林损失补偿" in client.get("/my/entitlements/").content.decode()
    done = client.post(f"/my/entitlements/{mine.public_id}/decline/", {"reason": "已迁出"}, follow=True)
    assert "您已放弃" in done.content.decode()
    mine.refresh_from_db()
    assert mine.status == GrantStatus.DECLINED and mine.decline_reason == "已迁出"
    again = client.post(f"/my/entitlements/{mine.public_id}/decline/", follow=True)
    assert "无需再次操作" in again.content.decode()
    assert EntitlementGrant.objects.filter(status=GrantStatus.GRANTED).count() == 0
