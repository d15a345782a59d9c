"""Fixtures shared by every app's tests: the personas of STYLE.md, built once per test."""

from __future__ import annotations

import pytest

from django.test import Client
from django.utils import translation

from govhall.identity import actions
from govhall.identity.constants import AuthorisationRole, Role
from govhall.identity.models import Department, LegalEntity, User

pytest_plugins = ["browser_testing"]

PASSWORD = "Test#Pass2026"
ALICE_ID = "350205198503120020"
ALICE_PHONE = "13800000001"


@pytest.fixture(autouse=True)
def _fast_and_isolated(settings: pytest.FixtureRequest, tmp_path: object, monkeypatch: pytest.MonkeyPatch) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # type: ignore[attr-defined]
    settings.STAFF_2FA_SKIP = False  # type: ignore[attr-defined]
    # Uploaded materials of tests go to the test's own folder, never into var/ (the field
    # resolved its storage when the model was defined, so the field is pointed elsewhere):
    from django.core.files.storage import FileSystemStorage

    from govhall.cases.models import CaseMaterial
    from govhall.licences.models import Licence

    folder = tmp_path / "private"  # type: ignore[operator]
    monkeypatch.setattr(CaseMaterial._meta.get_field("file"), "storage", FileSystemStorage(location=str(folder)))
    from govhall.cases.models import Case

    monkeypatch.setattr(Case._meta.get_field("acceptance_notice"), "storage", FileSystemStorage(location=str(folder)))
    monkeypatch.setattr(Licence._meta.get_field("document"), "storage", FileSystemStorage(location=str(folder)))
    from govhall.payments.models import PaymentOrder

    monkeypatch.setattr(PaymentOrder._meta.get_field("notice"), "storage", FileSystemStorage(location=str(folder)))
    from govhall.delivery.models import Delivery, Shipment

    monkeypatch.setattr(
        Delivery._meta.get_field("decision_document"), "storage", FileSystemStorage(location=str(folder))
    )
    monkeypatch.setattr(Shipment._meta.get_field("label"), "storage", FileSystemStorage(location=str(folder)))
    from govhall.archives.models import DisposalList
    from govhall.complaints.models import SupervisionEvidence
    from govhall.office.models import Attachment, Document, Evidence
    from govhall.ratings.models import RectificationEvidence
    from govhall.stats.models import ServiceReport

    for model, name in (
        (ServiceReport, "pdf"),
        (RectificationEvidence, "file"),
        (SupervisionEvidence, "file"),
        (Attachment, "file"),
        (Evidence, "file"),
        (Document, "pdf"),
        (DisposalList, "certificate"),
    ):
        monkeypatch.setattr(model._meta.get_field(name), "storage", FileSystemStorage(location=str(folder)))
    settings.PRIVATE_MEDIA_ROOT = folder  # type: ignore[attr-defined]
    # Archival packages too (both copies):
    settings.ARCHIVES_PRIMARY_DIR = tmp_path / "archive-a"  # type: ignore[attr-defined, operator]
    settings.ARCHIVES_SECONDARY_DIR = tmp_path / "archive-b"  # type: ignore[attr-defined, operator]
    # A request leaves its language active in the thread; each test starts in Chinese:
    translation.activate("zh-hans")
    # Kept pages and this process's copy of the live catalog belong to the test that made them:
    from django.core.cache import caches

    from govhall.catalog.queries import forget_live_catalog

    caches["pages"].clear()
    forget_live_catalog()


@pytest.fixture
def departments(db: None) -> dict[str, Department]:
    bureau = actions.save_department(code="bureau", name="海沧区农林水利局", credit_code="11350205MB01000012")
    return {
        "bureau": bureau,
        "forestry": actions.save_department(
            code="forestry", name="林业科", credit_code="11350205MB01000038", parent=bureau
        ),
        "water": actions.save_department(code="water", name="水利科", credit_code="11350205MB0100004B", parent=bureau),
    }


def _staff(username: str, name: str, department: Department, role: str) -> User:
    user = actions.create_staff(username=username, full_name=name, password=PASSWORD)
    actions.grant_role(user, department, role)
    return user


@pytest.fixture
def bob(departments: dict[str, Department]) -> User:
    """Clerk Bob, forestry unit."""
    return _staff("bob", "林建波", departments["forestry"], Role.CLERK)


@pytest.fixture
def carol(departments: dict[str, Department]) -> User:
    """Clerk Carol, water unit: must not see Bob's cases."""
    return _staff("carol", "陈嘉欣", departments["water"], Role.CLERK)


@pytest.fixture
def dan(departments: dict[str, Department]) -> User:
    """Supervisor Dan."""
    return _staff("dan", "郑德安", departments["bureau"], Role.SUPERVISOR)


@pytest.fixture
def erin(departments: dict[str, Department]) -> User:
    """Administrator Erin (system administrator)."""
    return _staff("erin", "王艺琳", departments["bureau"], Role.SYSTEM_ADMIN)


@pytest.fixture
def alice(db: None) -> User:
    """Applicant Alice, a farmer."""
    return actions.register_applicant(name="陈爱丽", id_number=ALICE_ID, phone=ALICE_PHONE, password=PASSWORD)


@pytest.fixture
def alice_company(alice: User) -> LegalEntity:
    """Alice's forestry cooperative, which she represents."""
    entity = actions.register_entity(name="绿源林业专业合作社", credit_code="93350205MA2Y4GL0XK")
    actions.authorise_for_entity(alice, entity, role=AuthorisationRole.LEGAL_REPRESENTATIVE)
    return entity


@pytest.fixture
def desk(settings: pytest.FixtureRequest) -> object:
    """``desk(user)``: a client logged in at the desk as ``user`` (the second factor skipped)."""
    settings.STAFF_2FA_SKIP = True  # type: ignore[attr-defined]

    def login(user: User) -> Client:
        client = Client()
        client.post("/desk/login/", {"username": user.username, "password": PASSWORD})
        return client

    return login


@pytest.fixture
def zh_client() -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE="zh-hans")


@pytest.fixture
def en_client() -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.cookies["django_language"] = "en"
    return client
