"""Roles are granted per department, never imply one another, and the three administrators stay apart."""

from __future__ import annotations

from typing import Any

import pytest

from django.core.exceptions import ValidationError
from django.utils import translation

from govhall.audit.models import AuditRecord
from govhall.identity import actions
from govhall.identity.constants import Role
from govhall.identity.models import Department, Membership, User
from govhall.identity.queries import departments_with_role, has_role

pytestmark = pytest.mark.django_db


def test_a_role_never_implies_another(bob: User, departments: dict[str, Department]) -> None:
    assert has_role(bob, Role.CLERK, departments["forestry"])
    assert not has_role(bob, Role.CLERK, departments["water"])
    assert not has_role(bob, Role.REVIEWER)
    assert not has_role(bob, Role.APPROVER)
    assert not has_role(bob, Role.SUPERVISOR)
    assert list(departments_with_role(bob, Role.CLERK)) == [departments["forestry"]]


def test_it_refuses_one_person_holding_two_administrator_roles(erin: User, departments: dict[str, Department]) -> None:
    before = Membership.objects.count()
    with translation.override("zh-hans"), pytest.raises(ValidationError) as error:
        actions.grant_role(erin, departments["bureau"], Role.AUDIT_ADMIN)
    assert "三员分立" in error.value.messages[0]
    assert Membership.objects.count() == before
    assert not has_role(erin, Role.AUDIT_ADMIN)


def test_it_refuses_an_administrator_who_also_handles_cases(bob: User, departments: dict[str, Department]) -> None:
    with pytest.raises(ValidationError):
        actions.grant_role(bob, departments["bureau"], Role.SYSTEM_ADMIN)
    assert not bob.memberships.filter(role=Role.SYSTEM_ADMIN).exists()


def test_it_refuses_roles_for_applicants(alice: User, departments: dict[str, Department]) -> None:
    with pytest.raises(ValidationError):
        actions.grant_role(alice, departments["forestry"], Role.CLERK)


def test_admin_access_follows_the_administrator_roles(erin: User, departments: dict[str, Department]) -> None:
    erin.refresh_from_db()
    assert erin.is_staff
    actions.revoke_role(erin, departments["bureau"], Role.SYSTEM_ADMIN)
    erin.refresh_from_db()
    assert not erin.is_staff


def test_every_role_change_is_audited(bob: User, departments: dict[str, Department]) -> None:
    actions.grant_role(bob, departments["forestry"], Role.REVIEWER, actor="ivan")
    actions.revoke_role(bob, departments["forestry"], Role.REVIEWER, actor="ivan")
    events = list(
        AuditRecord.objects.filter(target_id=str(bob.pk), event__startswith="identity.role_")
        .order_by("sequence")
        .values_list("event", "actor_label", "extra")
    )
    assert events[-2:] == [
        ("identity.role_granted", "ivan", {"department": "forestry", "role": "reviewer"}),
        ("identity.role_revoked", "ivan", {"department": "forestry", "role": "reviewer"}),
    ]


def test_a_department_needs_a_valid_credit_code(db: None) -> None:
    with pytest.raises(ValidationError):
        actions.save_department(code="x", name="坏部门", credit_code="11350205MB0100001O")
    assert not Department.objects.filter(code="x").exists()


def test_a_role_covers_its_unit_and_every_unit_below_it_worked_out_in_one_query(
    bob: User, dan: User, departments: dict[str, Department], django_assert_num_queries: Any
) -> None:
    from govhall.identity.queries import departments_covered

    nursery = actions.save_department(
        code="nursery", name="林木种苗站", credit_code="12350205MB0100005B", parent=departments["forestry"]
    )
    with django_assert_num_queries(1):
        covered = departments_covered(dan, [Role.SUPERVISOR])
    assert covered == sorted(d.pk for d in [*departments.values(), nursery])
    assert departments_covered(bob, [Role.CLERK]) == sorted([departments["forestry"].pk, nursery.pk])
    assert departments_covered(bob, [Role.SUPERVISOR]) == []
    assert departments_covered(bob, []) == []
    # A role granted later counts at once (the user object forgets what it kept):
    actions.grant_role(bob, departments["water"], Role.REVIEWER, actor=dan)
    assert departments["water"].pk in departments_covered(bob, [Role.REVIEWER])
