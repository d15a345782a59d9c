"""On PostgreSQL: two documents issued at the same moment get consecutive numbers, never the same one."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

from django.db import connection, transaction

from govhall.identity.models import Department, User
from govhall.office import actions
from govhall.office.constants import DocumentStatus
from govhall.office.models import Document
from govhall.office.tests.conftest import AUTHORITY

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _race(workers: list[Callable[[], Any]]) -> list[Any]:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises every writer; the race only exists on PostgreSQL")
    barrier = threading.Barrier(len(workers))
    results: list[Any] = [None] * len(workers)

    def run(index: int) -> None:
        try:
            barrier.wait()
            results[index] = workers[index]()
        except Exception as exc:  # noqa: BLE001 - the outcome is what is compared
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(workers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


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
