"""Row locks: two clerks acting at once never both succeed; case numbers stay unique under load."""

from __future__ import annotations

import pytest

from django.core.exceptions import ValidationError

from govhall.cases import actions
from govhall.cases.constants import CaseStatus
from govhall.cases.models import Case
from govhall.catalog.models import ItemVersion
from govhall.identity import actions as identity_actions
from govhall.identity.constants import Role
from govhall.identity.models import Department, User
from govhall.lib.tests.races import race as _race

from .conftest import material_files

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

FORM = {"location": "东孚镇", "volume": 3}


def test_two_clerks_accepting_at_once_never_both_succeed(
    felling: ItemVersion, alice: User, bob: User, departments: dict[str, Department]
) -> None:
    other = identity_actions.create_staff(username="bob2", full_name="林二", password="Test#Pass2026")
    identity_actions.grant_role(other, departments["forestry"], Role.CLERK)
    case = actions.submit_case(
        felling, applicant=alice, form_data=FORM, submit_key="race", files=material_files(felling)
    )
    results = _race(
        [
            lambda: actions.accept_case(case, actor=bob),
            lambda: actions.accept_case(case, actor=other),
        ]
    )
    successes = [r for r in results if isinstance(r, Case)]
    failures = [r for r in results if isinstance(r, ValidationError)]
    assert len(successes) == 1 and len(failures) == 1, results
    case.refresh_from_db()
    assert case.events.count() == 2  # submitted + the one that won


def test_concurrent_submissions_get_distinct_numbers(felling: ItemVersion, alice: User) -> None:
    results = _race(
        [
            (
                lambda key=f"k{i}": actions.submit_case(
                    felling, applicant=alice, form_data=FORM, submit_key=key, files=material_files(felling)
                )
            )
            for i in range(6)
        ]
    )
    assert all(isinstance(r, Case) for r in results), results
    references = {r.reference for r in results}
    assert len(references) == 6


def test_the_same_submit_key_at_once_makes_one_case(felling: ItemVersion, alice: User) -> None:
    results = _race(
        [
            lambda: actions.submit_case(
                felling, applicant=alice, form_data=FORM, submit_key="double", files=material_files(felling)
            )
            for _ in range(4)
        ]
    )
    assert all(isinstance(r, Case) for r in results), results
    assert Case.objects.filter(status=CaseStatus.SUBMITTED).count() == 1


def test_accepting_and_refusing_at_once_leave_one_outcome(felling: ItemVersion, alice: User, bob: User) -> None:
    case = actions.submit_case(
        felling, applicant=alice, form_data=FORM, submit_key="both", files=material_files(felling)
    )
    results = _race(
        [
            lambda: actions.accept_case(case, actor=bob),
            lambda: actions.not_accept_case(
                case, actor=bob, reason="不属于本机关职权", legal_basis="行政许可法第三十二条"
            ),
        ]
    )
    assert sum(isinstance(r, Case) for r in results) == 1, results
    case.refresh_from_db()
    assert case.status in {CaseStatus.IN_PROGRESS, CaseStatus.NOT_ACCEPTED}
    assert case.events.count() == 2
