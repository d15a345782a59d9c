from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any
from unittest import mock

import pytest

from conftest import PASSWORD
from govhall.cases.tests.conftest import felling, frank, on_day  # noqa: F401 - fixtures
from govhall.catalog.tests.conftest import grace, helen  # noqa: F401 - fixtures
from govhall.identity import actions
from govhall.identity.constants import Role
from govhall.identity.models import Department, User


@pytest.fixture
def tom(departments: dict[str, Department]) -> User:
    """Approver Tom, head of the forestry unit."""
    user = actions.create_staff(username="tom", full_name="唐志远", password=PASSWORD)
    actions.grant_role(user, departments["forestry"], Role.APPROVER)
    return user


@pytest.fixture
def liam(departments: dict[str, Department]) -> User:
    """Clerk Liam, forestry unit (Bob's colleague)."""
    user = actions.create_staff(username="liam", full_name="李明", password=PASSWORD)
    actions.grant_role(user, departments["forestry"], Role.CLERK)
    return user


@pytest.fixture
def today() -> Iterator[Any]:
    """Freeze the complaints' clock: ``today("2026-09-24")``."""
    patcher = mock.patch("govhall.complaints.actions._today")
    frozen = patcher.start()

    def set_day(day: str) -> None:
        frozen.return_value = datetime.date.fromisoformat(day)

    set_day("2026-09-24")
    yield set_day
    patcher.stop()


@pytest.fixture(autouse=True)
def _fresh_rate_counters() -> Iterator[None]:
    # The anonymous-complaint counters live in the cache; each test starts with none:
    from django.core.cache import caches

    caches["default"].clear()
    yield
    caches["default"].clear()
