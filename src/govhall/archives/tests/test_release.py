"""After archiving, the live store may shed a case's materials; the case then serves them from the package."""

from __future__ import annotations

import datetime
import os

import pytest

from django.test import Client
from django.utils import timezone

from govhall.archives import actions, packaging
from govhall.archives.models import ArchivalPackage
from govhall.cases.models import CaseMaterial
from govhall.identity.models import User

pytestmark = pytest.mark.django_db


def _later() -> datetime.datetime:
    return timezone.now() + datetime.timedelta(days=2)


def test_released_materials_are_served_from_the_package_and_a_changed_copy_is_refused(
    package: ArchivalPackage, bob: User, settings, django_capture_on_commit_callbacks
) -> None:
    settings.ARCHIVES_RELEASE_MATERIALS_AFTER_DAYS = 1
    settings.STAFF_2FA_SKIP = True
    material = CaseMaterial.objects.filter(case=package.case).exclude(file="").first()
    assert material is not None
    with material.file.open("rb") as handle:
        original = handle.read()
    live = material.file.path
    assert actions.release_due_materials(timezone.now()) == 0  # not yet: archived today
    with django_capture_on_commit_callbacks(execute=True):
        released = actions.release_due_materials(_later())
    assert (
        released
        == CaseMaterial.objects.filter(case=package.case, is_current=True).exclude(archived_copy="").count()
        > 0
    )
    material.refresh_from_db()
    assert not material.file and material.archived_copy
    assert not os.path.exists(live)  # the live copy is gone once the release committed
    client = Client()
    client.force_login(bob)
    url = f"/desk/cases/{package.case.public_id}/materials/{material.public_id}/"
    response = client.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == original
    # A byte changed in the package's copy: the case refuses to serve it, and says why.
    copy = (
        packaging.bag_path(packaging.primary_root(), package.reference)
        / "data"
        / material.archived_copy.name.split("/data/", 1)[1]
    )
    copy.chmod(0o644)
    copy.write_bytes(original[:-1] + bytes([original[-1] ^ 1]))
    refused = client.get(url)
    assert refused.status_code == 409 and "完整性校验" in refused.content.decode()


def test_nothing_is_released_when_the_package_copy_does_not_match(package: ArchivalPackage, settings) -> None:
    settings.ARCHIVES_RELEASE_MATERIALS_AFTER_DAYS = 1
    material = CaseMaterial.objects.filter(case=package.case).exclude(file="").first()
    assert material is not None
    folder = packaging.bag_path(packaging.primary_root(), package.reference) / "data" / "materials"
    target = sorted(folder.iterdir())[0]
    target.chmod(0o644)
    target.write_bytes(b"changed")
    assert actions.release_due_materials(_later()) == 0
    material.refresh_from_db()
    assert material.file and not material.archived_copy
    package.refresh_from_db()
    assert package.materials_released_at is None
