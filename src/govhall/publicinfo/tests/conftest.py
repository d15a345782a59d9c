"""Personas of 政务公开: Helen edits in the office, Grace approves for the bureau; the catalog's felling item."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from django.core.files.uploadedfile import SimpleUploadedFile

from conftest import PASSWORD
from govhall.cases.tests.conftest import pdf_bytes
from govhall.catalog.models import ServiceItem
from govhall.identity import actions
from govhall.identity.constants import Role
from govhall.identity.models import Department, User
from govhall.publicinfo import actions as info_actions
from govhall.publicinfo.constants import EntryKind
from govhall.publicinfo.models import Entry


@pytest.fixture
def office(departments: dict[str, Department]) -> Department:
    return actions.save_department(
        code="office", name="办公室", credit_code="11350205MB01000025", parent=departments["bureau"]
    )


@pytest.fixture
def helen(office: Department) -> User:
    user = actions.create_staff(username="helen", full_name="许海伦", password=PASSWORD)
    actions.grant_role(user, office, Role.CONTENT_EDITOR)
    return user


@pytest.fixture
def grace(departments: dict[str, Department]) -> User:
    user = actions.create_staff(username="grace", full_name="吴佳慧", password=PASSWORD)
    actions.grant_role(user, departments["bureau"], Role.APPROVER)
    return user


@pytest.fixture
def felling(grace: User, departments: dict[str, Department]) -> ServiceItem:
    """The felling licence item, published in the catalog by its own editor Kim and Grace."""
    from govhall.catalog.tests.factories import create_draft, publish

    kim = actions.create_staff(username="kim", full_name="金可", password=PASSWORD)
    actions.grant_role(kim, departments["bureau"], Role.CONTENT_EDITOR)
    return publish(create_draft(kim, departments["forestry"]), kim, grace).item


def policy_data(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "kind": EntryKind.POLICY,
        "title": "海沧区林木采伐管理实施办法",
        "doc_number": "厦海农林水〔2026〕8号",
        "index_number": "XM00105-0200-2026-00008",
        "issuer": "厦门市海沧区农林水利局",
        "written_on": datetime.date(2026, 3, 2),
        "body": "第一条 为规范林木采伐管理，制定本办法。",
    }
    data.update(changes)
    return data


def a_pdf(name: str = "附件.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, pdf_bytes(), content_type="application/pdf")


@pytest.fixture
def draft(helen: User, office: Department) -> Entry:
    return info_actions.create_draft(actor=helen, department=office, data=policy_data())


@pytest.fixture
def published(draft: Entry, helen: User, grace: User) -> Entry:
    info_actions.record_secrecy_review(draft, actor=helen, passed=True, note="不涉密")
    return info_actions.approve(draft, actor=grace)
