"""On PostgreSQL: raising an order on one object from two places at once gives one order."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest

from govhall.complaints import actions
from govhall.complaints.constants import Level, ObjectKind, Source
from govhall.complaints.models import SupervisionOrder
from govhall.identity.models import Department
from govhall.lib.tests.races import race as _race

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_sweeps_raising_the_same_order_at_once_make_one(departments: dict[str, Department]) -> None:
    object_id = uuid.uuid4()

    def raise_it(level: str) -> Callable[[], Any]:
        return lambda: actions.raise_supervision_order(
            object_kind=ObjectKind.CASE,
            object_id=object_id,
            department=departments["forestry"],
            level=level,
            reason="办件超期",
            source=Source.LATE_CASE,
        )

    results = _race([raise_it(Level.YELLOW), raise_it(Level.RED), raise_it(Level.YELLOW)])
    assert all(isinstance(result, SupervisionOrder) for result in results), results
    assert len({result.pk for result in results}) == 1
    assert SupervisionOrder.objects.count() == 1
    assert SupervisionOrder.objects.get().level == Level.RED
