from __future__ import annotations

from dataclasses import dataclass

import pytest

from govhall.cases import actions as case_actions
from govhall.cases.models import Case
from govhall.cases.tests.conftest import frank, material_files  # noqa: F401 - fixture
from govhall.catalog.models import ItemVersion
from govhall.catalog.tests.conftest import grace, helen  # noqa: F401 - fixtures
from govhall.catalog.tests.factories import create_draft, publish
from govhall.identity.models import Department, LegalEntity, User
from govhall.licences.models import Licence, LicenceType
from govhall.licences.tests.conftest import (  # noqa: F401 - fixtures
    FORM,
    approved_case,
    felling_type,
    forest_right_of,
    forest_right_type,
    licensed_felling,
)


@dataclass
class Held:
    """What the platform holds about Alice: a forestry case that issued a licence, a water case."""

    forestry_case: Case
    water_case: Case
    company_case: Case
    felling: Licence
    forest_right: Licence


@pytest.fixture
def water_item(helen: User, grace: User, departments: dict[str, Department]) -> ItemVersion:  # noqa: F811
    """A water abstraction item of the water unit; it accepts no licence from the library."""
    draft = create_draft(
        helen,
        departments["water"],
        code_suffix="00002000",
        overrides={"name": "取水许可"},
        materials=[{"order": 1, "name": "取水许可申请书", "need": "1", "source": "1"}],
    )
    return publish(draft, helen, grace)


@pytest.fixture
def held(
    licensed_felling: ItemVersion,  # noqa: F811
    water_item: ItemVersion,
    alice: User,
    alice_company: LegalEntity,
    bob: User,
    grace: User,  # noqa: F811
    forest_right_type: LicenceType,  # noqa: F811
) -> Held:
    assert alice.person is not None
    forest_right = forest_right_of(alice.person, forest_right_type)
    forestry_case = approved_case(licensed_felling, alice, bob, grace)
    water_case = case_actions.submit_case(
        water_item, applicant=alice, form_data=FORM, submit_key="water", files=material_files(water_item)
    )
    company_case = case_actions.submit_case(
        water_item,
        applicant=alice,
        entity=alice_company,
        form_data=FORM,
        submit_key="company",
        files=material_files(water_item),
    )
    felling = Licence.objects.get(case_public_id=forestry_case.public_id)
    return Held(forestry_case, water_case, company_case, felling, forest_right)
