"""The security administrator grants roles in the admin; a forbidden one is a message at the form."""

from __future__ import annotations

import pytest

from django.test import Client

from govhall.audit.models import AuditRecord
from govhall.identity.constants import Role
from govhall.identity.models import Department, Membership, User


@pytest.fixture
def admin_client(ivan: User, settings: object) -> Client:
    settings.STAFF_2FA_SKIP = True  # type: ignore[attr-defined]
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(ivan)
    return client


def test_granting_an_administrator_role_to_a_clerk_is_refused_at_the_form(
    admin_client: Client, bob: User, departments: dict[str, Department]
) -> None:
    before = set(Membership.objects.values_list("pk", flat=True))
    response = admin_client.post(
        "/admin/identity/membership/add/",
        {"user": bob.pk, "department": departments["bureau"].pk, "role": Role.SYSTEM_ADMIN},
    )
    assert response.status_code == 200
    assert (
        "系统管理员、安全管理员、审计管理员必须由不同人员担任，且不能兼任业务角色（三员分立）。"
        in response.content.decode()
    )
    assert set(Membership.objects.values_list("pk", flat=True)) == before
    assert not AuditRecord.objects.filter(event="identity.role_granted", extra__role=Role.SYSTEM_ADMIN).exists()


def test_a_permitted_role_is_granted_and_audited(
    admin_client: Client, bob: User, departments: dict[str, Department]
) -> None:
    response = admin_client.post(
        "/admin/identity/membership/add/",
        {"user": bob.pk, "department": departments["water"].pk, "role": Role.REVIEWER},
    )
    assert response.status_code == 302
    assert Membership.objects.filter(user=bob, department=departments["water"], role=Role.REVIEWER).exists()
    assert AuditRecord.objects.filter(event="identity.role_granted").exists()
