"""On PostgreSQL: two documents issued at the same moment get consecutive numbers, never the same one."""

from __future__ import annotations

from typing import Any

import pytest

from django.db import transaction

from govhall.identity.models import Department, User
from govhall.lib.tests.races import race as _race
from govhall.office import actions
from govhall.office.constants import DocumentStatus
from govhall.office.models import Document
from govhall.office.tests.conftest import AUTHORITY

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _signed(bob: User, grace: User, forestry: Department, title: str) -> Document:
    document = actions.draft_document(
        actor=bob, department=forestry, title=title, issuing_authority=AUTHORITY, series="厦海农林水"
    )
    with transaction.atomic():
        locked = Document.objects.select_for_update().get(pk=document.pk)
        actions.move(locked, DocumentStatus.AWAITING_SIGNATURE, actor=bob, kind="countersigned")
    return actions.sign_off(locked, actor=grace)


def test_two_issues_at_once_take_numbers_one_and_two(
    on_day: Any, bob: User, grace: User, departments: dict[str, Department]
) -> None:
    first = _signed(bob, grace, departments["forestry"], "第一份")
    second = _signed(bob, grace, departments["forestry"], "第二份")
    results = _race(
        [lambda: actions.issue_document(first, actor=bob), lambda: actions.issue_document(second, actor=bob)]
    )
    assert all(isinstance(r, Document) for r in results), results
    assert sorted(r.number for r in results) == ["厦海农林水〔2026〕1号", "厦海农林水〔2026〕2号"]
