"""The demo complaints load on the demo bureau, and loading them again changes nothing."""

from __future__ import annotations

import pytest

from govhall.complaints.demo import load_complaints_demo
from govhall.complaints.models import Complaint, SupervisionOrder
from govhall.identity.demo import load_demo

pytestmark = pytest.mark.django_db


def test_the_demo_loads_once() -> None:
    load_demo()
    made = load_complaints_demo()
    assert len(made) == 3
    assert Complaint.objects.count() == 3
    assert SupervisionOrder.objects.count() == 1
    assert load_complaints_demo() == []
    assert Complaint.objects.count() == 3
