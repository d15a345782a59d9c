"""On PostgreSQL: two editors saving the same 文号 at once, two requests filed at once."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

from django.core.exceptions import ValidationError
from django.db import connection

from conftest import ALICE_ID
from govhall.identity.models import Department, User
from govhall.publicinfo import actions
from govhall.publicinfo.models import DisclosureRequest, Entry
from govhall.publicinfo.tests.conftest import policy_data

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


def test_one_doc_number_saved_twice_at_once_is_kept_once(helen: User, office: Department) -> None:
    results = _race(
        [
            lambda n=n: actions.create_draft(actor=helen, department=office, data=policy_data(title=f"文件{n}"))
            for n in range(3)
        ]
    )
    assert sum(isinstance(r, Entry) for r in results) == 1
    assert all(isinstance(r, (Entry, ValidationError)) for r in results)
    assert Entry.objects.count() == 1


def test_requests_filed_at_once_get_different_numbers(db: None) -> None:
    def file() -> Any:
        return actions.submit_request(
            applicant_kind="person",
            name="陈爱丽",
            id_number=ALICE_ID,
            contact_phone="13800000001",
            description="采伐限额",
            form_wanted="paper",
        )

    results = _race([file for _n in range(4)])
    assert all(isinstance(r, tuple) for r in results), results
    assert DisclosureRequest.objects.values("number").distinct().count() == 4
