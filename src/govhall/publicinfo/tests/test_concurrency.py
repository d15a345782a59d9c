"""On PostgreSQL: two editors saving the same 文号 at once, two requests filed at once."""

from __future__ import annotations

from typing import Any

import pytest

from django.core.exceptions import ValidationError

from conftest import ALICE_ID
from govhall.identity.models import Department, User
from govhall.lib.tests.races import race as _race
from govhall.publicinfo import actions
from govhall.publicinfo.models import DisclosureRequest, Entry
from govhall.publicinfo.tests.conftest import policy_data

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


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
