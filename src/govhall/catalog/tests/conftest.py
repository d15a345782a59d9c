from __future__ import annotations

import pytest

from conftest import PASSWORD
from govhall.identity import actions
from govhall.identity.constants import Role
from govhall.identity.models import Department, User


@pytest.fixture
def helen(departments: dict[str, Department]) -> User:
    """Content editor Helen."""
    user = actions.create_staff(username="helen", full_name="许海伦", password=PASSWORD)
    actions.grant_role(user, departments["bureau"], Role.CONTENT_EDITOR)
    return user


@pytest.fixture
def grace(departments: dict[str, Department]) -> User:
    """Approver Grace."""
    user = actions.create_staff(username="grace", full_name="吴佳慧", password=PASSWORD)
    actions.grant_role(user, departments["bureau"], Role.APPROVER)
    return user
