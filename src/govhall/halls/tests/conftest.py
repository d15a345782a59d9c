"""A district hall with three queues and four windows, a forestry and a water item, on a Tuesday morning."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import time_machine

from django.utils import timezone

from govhall.catalog.models import ItemVersion
from govhall.catalog.tests.conftest import grace, helen  # noqa: F401 - fixtures
from govhall.catalog.tests.factories import create_draft, publish
from govhall.halls.constants import WindowKind
from govhall.halls.models import Hall, Queue, Window
from govhall.identity import actions as identity
from govhall.identity.constants import Role
from govhall.identity.models import Department, User

# A Tuesday, an ordinary working day:
TUESDAY = datetime.date(2026, 12, 8)
CAROL_ID = "350205195001010012"  # born 1950: 76 years old on TUESDAY


def at(day: datetime.date, hhmm: str) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time.fromisoformat(hhmm), tzinfo=timezone.get_current_timezone())


@pytest.fixture
def clock() -> Iterator[Any]:
    """The clock at 09:00 on TUESDAY; ``clock.move_to(...)`` moves it, ``clock.shift(seconds)`` on."""
    with time_machine.travel(at(TUESDAY, "09:00"), tick=False) as traveller:
        yield traveller


@pytest.fixture
def felling(helen: User, grace: User, departments: dict[str, Department]) -> ItemVersion:  # noqa: F811
    return publish(create_draft(helen, departments["forestry"]), helen, grace)


@pytest.fixture
def water_item(helen: User, grace: User, departments: dict[str, Department]) -> ItemVersion:  # noqa: F811
    draft = create_draft(helen, departments["water"], code_suffix="00002000", overrides={"name": "取水许可"})
    return publish(draft, helen, grace)


@dataclass
class District:
    hall: Hall
    forestry: Queue
    water: Queue
    pickup: Queue
    general: Window
    general2: Window
    forestry_window: Window
    pickup_window: Window


@pytest.fixture
def district(departments: dict[str, Department], felling: ItemVersion, water_item: ItemVersion) -> District:
    hall = Hall.objects.create(
        code="haicang", name="海沧区行政服务中心", department=departments["bureau"], address="海沧大道 1 号"
    )
    forestry = Queue.objects.create(hall=hall, prefix="A", name="林业业务", sort_order=1)
    forestry.items.add(felling.item)
    water = Queue.objects.create(hall=hall, prefix="B", name="水利业务", sort_order=2)
    water.items.add(water_item.item)
    pickup = Queue.objects.create(hall=hall, prefix="C", name="领取结果", is_pickup=True, sort_order=3)
    general = Window.objects.create(hall=hall, number=1)
    general2 = Window.objects.create(hall=hall, number=2)
    forestry_window = Window.objects.create(hall=hall, number=3, kind=WindowKind.SPECIALISED)
    forestry_window.queues.add(forestry)
    pickup_window = Window.objects.create(hall=hall, number=9, kind=WindowKind.PICKUP)
    return District(hall, forestry, water, pickup, general, general2, forestry_window, pickup_window)


@pytest.fixture
def hank(departments: dict[str, Department]) -> User:
    """A second window clerk of the bureau (the hall hangs on the bureau)."""
    user = identity.create_staff(username="hank", full_name="黄汉克", password="Test#Pass2026")
    identity.grant_role(user, departments["bureau"], Role.CLERK)
    return user


@pytest.fixture
def ivy(departments: dict[str, Department]) -> User:
    user = identity.create_staff(username="ivy", full_name="叶依依", password="Test#Pass2026")
    identity.grant_role(user, departments["bureau"], Role.CLERK)
    return user
