"""The ratings tests' fixtures: a closed felling case of Alice's, and a second clerk of the forestry unit."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any
from unittest import mock

import pytest

from conftest import PASSWORD
from govhall.cases import actions as case_actions
from govhall.cases.models import Case
from govhall.cases.tests.conftest import felling, frank, material_files  # noqa: F401 - fixtures
from govhall.catalog.models import ItemVersion
from govhall.catalog.tests.conftest import grace, helen  # noqa: F401 - fixtures
from govhall.identity import actions
from govhall.identity.constants import Role
from govhall.identity.models import Department, User

FORM = {"location": "东孚镇鼎美村3林班", "volume": 12.5}


@pytest.fixture
def ivy(departments: dict[str, Department]) -> User:
    """Clerk Ivy, forestry unit: she did not serve Alice's case, so she may handle its rectification."""
    user = actions.create_staff(username="ivy", full_name="李一涵", password=PASSWORD)
    actions.grant_role(user, departments["forestry"], Role.CLERK)
    return user


def submit(version: ItemVersion, applicant: User, key: str = "r1") -> Case:
    return case_actions.submit_case(
        version, applicant=applicant, form_data=FORM, submit_key=key, files=material_files(version)
    )


def close(case: Case, bob: User, frank: User, grace: User, carol: User) -> Case:  # noqa: F811
    case = case_actions.accept_case(case, actor=bob)
    case = case_actions.complete_step(case, actor=frank, opinion="符合采伐限额。")
    case = case_actions.start_countersign(case, actor=frank, departments=[carol.memberships.get().department])
    case = case_actions.answer_countersign(case.countersigns.get(), actor=carol, agrees=True, opinion="同意。")
    case = case_actions.decide_case(
        case, actor=grace, decision="approve", reason="符合采伐条件。", legal_basis="《森林法》第五十六条"
    )
    return case_actions.close_case(case, actor=bob)


@pytest.fixture
def closed_case(
    felling: ItemVersion,  # noqa: F811
    alice: User,
    bob: User,
    frank: User,  # noqa: F811
    grace: User,  # noqa: F811
    carol: User,
) -> Case:
    """Alice's felling case: Bob accepts and closes, Frank reviews, Carol countersigns, Grace decides."""
    return close(submit(felling, alice), bob, frank, grace, carol)


@pytest.fixture
def open_case(felling: ItemVersion, alice: User, bob: User) -> Case:  # noqa: F811
    """Alice's felling case, accepted and still being handled."""
    return case_actions.accept_case(submit(felling, alice, "open"), actor=bob)


@pytest.fixture
def on_day() -> Iterator[Any]:
    """Freeze the ratings' working-day clock: ``on_day("2026-09-30")``."""
    patcher = mock.patch("govhall.ratings.actions._today")
    today = patcher.start()

    def set_day(day: str) -> None:
        today.return_value = datetime.date.fromisoformat(day)

    set_day("2026-09-24")
    yield set_day
    patcher.stop()


@pytest.fixture
def committed(transactional_db: None, migration_data: str) -> None:
    """Committed data (a worker, a live server, threads read it), with what the migrations seeded put back.

    The flush after an earlier transactional test emptied the reasons list and the holidays.
    """
    from browser_testing import restore_migration_data

    restore_migration_data(migration_data)
