"""The office demo loads on the demo bureau, and loading it twice changes nothing."""

from __future__ import annotations

import pytest

from govhall.identity.demo import load_demo
from govhall.office.constants import DocumentStatus
from govhall.office.demo import load_office_demo
from govhall.office.models import Document, Task

pytestmark = pytest.mark.django_db


def test_the_demo_loads_once() -> None:
    load_demo()
    assert len(load_office_demo()) == 4
    assert load_office_demo() == []
    assert Document.objects.count() == 3 and Task.objects.count() == 1
    issued = Document.objects.get(status=DocumentStatus.ISSUED)
    assert issued.number.startswith("厦海农林水〔") and issued.pdf
