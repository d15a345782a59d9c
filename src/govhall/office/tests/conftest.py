from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any
from unittest import mock

import pytest

from conftest import PASSWORD
from govhall.catalog.tests.conftest import grace, helen  # noqa: F401 - fixtures
from govhall.identity import actions as identity_actions
from govhall.identity.constants import Role
from govhall.identity.models import Department, User
from govhall.office import actions
from govhall.office.models import Document

AUTHORITY = "厦门市海沧区农林水利局"


@pytest.fixture
def agriculture(departments: dict[str, Department]) -> Department:
    return identity_actions.save_department(
        code="agriculture", name="农业科", credit_code="11350205MB0100005E", parent=departments["bureau"]
    )


@pytest.fixture
def kate(agriculture: Department) -> User:
    """Kate, agriculture section (reviewer)."""
    user = identity_actions.create_staff(username="kate", full_name="柯婷", password=PASSWORD)
    identity_actions.grant_role(user, agriculture, Role.REVIEWER)
    return user


@pytest.fixture
def on_day() -> Iterator[Any]:
    """Freeze the office clock: ``on_day("2026-09-24")``."""
    patcher = mock.patch("govhall.office.actions._today")
    today = patcher.start()

    def set_day(day: str) -> None:
        today.return_value = datetime.date.fromisoformat(day)

    set_day("2026-09-14")
    yield set_day
    patcher.stop()


@pytest.fixture
def draft(bob: User, departments: dict[str, Department]) -> Document:
    """A notice drafted by the forestry section."""
    return actions.draft_document(
        actor=bob,
        department=departments["forestry"],
        title="关于做好2026年秋季森林防火工作的通知",
        issuing_authority=AUTHORITY,
        series="厦海农林水",
        main_recipients="各科室、各镇（街）农业服务中心",
        copy_to="区应急管理局",
        body="为切实做好秋季森林防火工作，现将有关事项通知如下。\n一、压实责任。各单位要落实防火责任制。",
    )


@pytest.fixture
def routed(
    draft: Document, bob: User, carol: User, kate: User, departments: dict[str, Department], agriculture: Department
) -> Document:
    """The notice sent to water (lead) and agriculture (co-signer), 3 working days each."""
    return actions.send_for_countersign(draft, actor=bob, lead=departments["water"], co_units=[agriculture], days=3)
