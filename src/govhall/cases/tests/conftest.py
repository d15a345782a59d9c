from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any
from unittest import mock

import pytest

from conftest import PASSWORD
from govhall.catalog.models import ItemVersion
from govhall.catalog.tests.conftest import grace, helen  # noqa: F401 - fixtures
from govhall.catalog.tests.factories import create_draft, publish
from govhall.identity import actions
from govhall.identity.constants import Role
from govhall.identity.models import Department, User


@pytest.fixture
def frank(departments: dict[str, Department]) -> User:
    """Reviewer Frank, forestry and water."""
    user = actions.create_staff(username="frank", full_name="黄志峰", password=PASSWORD)
    actions.grant_role(user, departments["forestry"], Role.REVIEWER)
    actions.grant_role(user, departments["water"], Role.REVIEWER)
    return user


@pytest.fixture
def felling(helen: User, grace: User, departments: dict[str, Department]) -> ItemVersion:  # noqa: F811
    """The felling licence item: accept, review, countersign, decision, close, deliver."""
    forestry = departments["forestry"]
    steps = [
        {"order": n, "name": name, "kind": kind, "role": role, "department": forestry, "time_limit": days}
        for n, (name, kind, role, days) in enumerate(
            [
                ("受理", "accept", "clerk", 0),
                ("审查", "review", "reviewer", 2),
                ("会签", "countersign", "reviewer", 2),
                ("决定", "decision", "approver", 1),
                ("办结", "close", "clerk", 0),
                ("送达", "deliver", "clerk", 0),
            ],
            start=1,
        )
    ]
    return publish(create_draft(helen, forestry, steps=steps), helen, grace)


@pytest.fixture
def on_day() -> Iterator[Any]:
    """Freeze the case clock on a given date: ``on_day(date)`` inside a test."""
    patcher = mock.patch("govhall.cases.actions._today")
    today = patcher.start()

    def set_day(day: str) -> None:
        today.return_value = datetime.date.fromisoformat(day)

    set_day("2026-09-24")
    yield set_day
    patcher.stop()


def pdf_bytes(pages: int = 1) -> bytes:
    """A real PDF with ``pages`` blank pages."""
    import io

    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def material_files(version: ItemVersion) -> dict[int, Any]:
    """One small PDF for every material of ``version``."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    return {
        m.pk: SimpleUploadedFile(f"{m.name}.pdf", pdf_bytes(), content_type="application/pdf")
        for m in version.materials.all()
    }
