from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from govhall.cases import actions as case_actions
from govhall.cases.models import Case
from govhall.cases.tests.conftest import frank, material_files  # noqa: F401, F811 - fixture
from govhall.catalog.models import ItemVersion
from govhall.catalog.tests.conftest import grace, helen  # noqa: F401 - fixtures
from govhall.catalog.tests.factories import create_draft, publish
from govhall.identity.models import Department, NaturalPerson, User
from govhall.lib.licence_ids import make_licence_identifier
from govhall.licences.actions import reserve_status_indexes
from govhall.licences.constants import HolderCodeType
from govhall.licences.models import Licence, LicenceType


@pytest.fixture(autouse=True)
def _copies_in_the_test_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """加注件 files go where src/conftest.py puts the licences' own: the test's folder, never var/."""
    from django.core.files.storage import FileSystemStorage

    from govhall.licences.models import LicenceCopy

    storage = FileSystemStorage(location=str(tmp_path / "private"))
    monkeypatch.setattr(LicenceCopy._meta.get_field("document"), "storage", storage)


FELLING_TYPE = "11350205MB01000012001"
FOREST_RIGHT_TYPE = "11100000000013338W003"


@pytest.fixture
def felling_type(db: None) -> LicenceType:
    return LicenceType.objects.create(
        code=FELLING_TYPE,
        name="林木采伐许可证",
        defining_body="厦门市海沧区农林水利局",
        issuer_name="厦门市海沧区农林水利局",
        issuer_code="11350205MB01000012",
        face_schema={
            "type": "object",
            "properties": {
                "location": {"type": "string", "title": "采伐地点"},
                "volume": {"type": "number", "title": "采伐蓄积（立方米）"},
            },
        },
        validity_years=1,
        layout={"title": "林木采伐许可证", "number_prefix": "闽厦海采字"},
        issued_here=True,
    )


@pytest.fixture
def forest_right_type(db: None) -> LicenceType:
    return LicenceType.objects.create(code=FOREST_RIGHT_TYPE, name="林权证", defining_body="自然资源部")


@pytest.fixture
def licensed_felling(
    helen: User,  # noqa: F811
    grace: User,  # noqa: F811
    departments: dict[str, Department],
    felling_type: LicenceType,
    forest_right_type: LicenceType,
    frank: User,  # noqa: F811
) -> ItemVersion:
    """The felling item whose approval results in a felling licence; its 林权证 can come from the library."""
    forestry = departments["forestry"]
    steps = [
        {"order": n, "name": name, "kind": kind, "role": role, "department": forestry, "time_limit": 1}
        for n, (name, kind, role) in enumerate(
            [
                ("受理", "accept", "clerk"),
                ("审查", "review", "reviewer"),
                ("决定", "decision", "approver"),
                ("办结", "close", "clerk"),
                ("送达", "deliver", "clerk"),
            ],
            start=1,
        )
    ]
    draft = create_draft(helen, forestry, steps=steps, overrides={"result_licence_type_code": FELLING_TYPE})
    return publish(draft, helen, grace)


FORM = {"location": "东孚镇鼎美村3林班", "volume": 12.5}


def reusing_case(version: ItemVersion, applicant: User, licence: Licence, submit_key: str = "reuse") -> Case:
    """An application for ``version`` that takes ``licence`` from the library for its material of that type."""
    material = version.materials.get(licence_type_code=licence.licence_type.code)
    files = material_files(version)
    del files[material.pk]
    return case_actions.submit_case(
        version,
        applicant=applicant,
        form_data=FORM,
        submit_key=submit_key,
        files=files,
        licences={material.pk: str(licence.public_id)},
    )


def approved_case(version: ItemVersion, applicant: User, clerk: User, approver: User) -> Case:
    case = case_actions.submit_case(
        version, applicant=applicant, form_data=FORM, submit_key="k", files=material_files(version)
    )
    case = case_actions.accept_case(case, actor=clerk)
    reviewer = User.objects.get(username="frank")
    case = case_actions.complete_step(case, actor=reviewer, opinion="符合采伐限额。")
    return case_actions.decide_case(
        case, actor=approver, decision="approve", reason="符合采伐条件", legal_basis="《森林法》第五十六条"
    )


def forest_right_of(person: NaturalPerson, licence_type: LicenceType, **changes: object) -> Licence:
    """A historical 林权证 held by ``person`` (as the bulk import would record it)."""
    serial = str(changes.pop("serial", "2019000123"))
    values: dict[str, object] = dict(
        identifier=make_licence_identifier(licence_type.code, "11350205MB0C100016", serial, 1),
        licence_type=licence_type,
        number=f"闽（2019）海沧不动产权第{serial}号",
        serial=serial,
        issuer_name="厦门市自然资源和规划局海沧分局",
        issuer_code="11350205MB0C100016",
        issued_on=datetime.date(2019, 6, 12),
        valid_from=datetime.date(2019, 6, 12),
        valid_until=datetime.date(2069, 6, 11),
        holder_name=person.name,
        holder_code_type=HolderCodeType.RESIDENT_ID,
        holder_key=person.id_number_hash,
        holder_masked=person.id_number_masked,
        status_index=reserve_status_indexes(1),
        imported=True,
    )
    values.update(changes)
    return Licence.objects.create(**values)
