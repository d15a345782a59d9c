"""Fixtures of the identity tests: the security administrator who issues enrolment codes."""

from __future__ import annotations

import pytest

from conftest import PASSWORD
from govhall.identity import actions
from govhall.identity.constants import Role
from govhall.identity.models import Department, User


@pytest.fixture
def ivan(departments: dict[str, Department]) -> User:
    """Security administrator Ivan: grants roles and issues authenticator enrolment codes."""
    user = actions.create_staff(username="ivan", full_name="蔡一凡", password=PASSWORD)
    actions.grant_role(user, departments["bureau"], Role.SECURITY_ADMIN)
    return user
