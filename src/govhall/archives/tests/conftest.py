"""The archives tests' fixtures: two archive folders, archivists Ada and Otto, security admin Sam,
and Alice's closed felling case whose approval issued a signed licence."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import PASSWORD
from govhall.archives import actions
from govhall.archives.constants import ARCHIVIST  # noqa: E402
from govhall.archives.models import ArchivalPackage
from govhall.cases import actions as case_actions
from govhall.cases.models import Case
from govhall.cases.tests.conftest import frank, material_files  # noqa: F401 - fixtures
from govhall.catalog.models import ItemVersion
from govhall.catalog.tests.conftest import grace, helen  # noqa: F401 - fixtures
from govhall.identity import actions as identity_actions
from govhall.identity.constants import Role
from govhall.identity.models import Department, User
from govhall.licences.tests.conftest import (  # noqa: F401 - fixtures
    _copies_in_the_test_folder,
    approved_case,
    felling_type,
    forest_right_type,
    licensed_felling,
)


@pytest.fixture(autouse=True)
def archive_folders(settings: pytest.FixtureRequest, tmp_path: Path) -> tuple[Path, Path]:
    settings.ARCHIVES_PRIMARY_DIR = tmp_path / "archive-a"
    settings.ARCHIVES_SECONDARY_DIR = tmp_path / "archive-b"
    settings.ARCHIVES_BUILD_DELAY_SECONDS = 0
    return tmp_path / "archive-a", tmp_path / "archive-b"


def _staff(username: str, name: str, department: Department, role: str) -> User:
    user = identity_actions.create_staff(username=username, full_name=name, password=PASSWORD)
    identity_actions.grant_role(user, department, role)
    return user


@pytest.fixture
def ada(departments: dict[str, Department]) -> User:
    """Archivist Ada, at the bureau's archives."""
    return _staff("ada", "安达", departments["bureau"], ARCHIVIST)


@pytest.fixture
def otto(departments: dict[str, Department]) -> User:
    """Archivist Otto: approves the disposal lists Ada writes."""
    return _staff("otto", "欧图", departments["bureau"], ARCHIVIST)


@pytest.fixture
def sam(departments: dict[str, Department]) -> User:
    """Security administrator Sam."""
    return _staff("sam", "沈安", departments["bureau"], Role.SECURITY_ADMIN)


def close_licensed(version: ItemVersion, applicant: User, bob: User, grace: User, key: str = "k") -> Case:  # noqa: F811
    case = approved_case(version, applicant, bob, grace) if key == "k" else None
    if case is None:
        case = case_actions.submit_case(
            version,
            applicant=applicant,
            form_data={"location": "东孚镇鼎美村3林班", "volume": 12.5},
            submit_key=key,
            files=material_files(version),
        )
        case = case_actions.accept_case(case, actor=bob)
        case = case_actions.complete_step(case, actor=User.objects.get(username="frank"), opinion="符合采伐限额。")
        case = case_actions.decide_case(
            case, actor=grace, decision="approve", reason="符合采伐条件", legal_basis="《森林法》第五十六条"
        )
    return case_actions.close_case(case, actor=bob)


@pytest.fixture
def closed_case(
    licensed_felling: ItemVersion,  # noqa: F811
    alice: User,
    bob: User,
    grace: User,  # noqa: F811
    frank: User,  # noqa: F811
) -> Case:
    """Alice's felling case, approved (a signed licence issued) and closed."""
    return close_licensed(licensed_felling, alice, bob, grace)


@pytest.fixture
def package(closed_case: Case) -> ArchivalPackage:
    """The accepted package of Alice's case, read from the case events and built."""
    actions.read_case_events()
    built = actions.build_package(ArchivalPackage.objects.get(case=closed_case))
    assert built.status == "accepted", built.last_error
    return built
