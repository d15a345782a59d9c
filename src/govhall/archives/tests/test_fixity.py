"""Fixity: a changed byte or a deleted file in one copy is found, alerted, audited, and restored from the other."""

from __future__ import annotations

from pathlib import Path

import pytest

from govhall.archives import actions
from govhall.archives.models import ArchivalPackage
from govhall.audit.models import AuditRecord
from govhall.identity.models import User
from govhall.lib.errors import Conflict
from govhall.proactive.models import Notification


def _flip_one_byte(path: Path) -> None:
    path.chmod(0o600)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def test_an_intact_package_passes_and_a_changed_byte_is_found_and_restored(
    package: ArchivalPackage, archive_folders: tuple[Path, Path], ada: User, sam: User
) -> None:
    counts = actions.run_fixity()
    assert (counts["checked"], counts["damaged"]) == (1, 0)
    assert counts["bytes"] > 2 * package.byte_count  # both copies, tag files too
    material = next((archive_folders[1] / package.reference / "data" / "materials").iterdir())
    _flip_one_byte(material)
    counts = actions.run_fixity()
    assert counts["damaged"] == 1
    check = package.fixity_checks.first()
    assert check.problems == {"secondary": [f"data/materials/{material.name}: changed"]}
    assert AuditRecord.objects.filter(event="archives.fixity_failed", target_id=str(package.pk)).exists()
    # The archivist and the security administrator are both told:
    assert Notification.objects.filter(recipient=ada, subject__contains="副本受损").exists()
    assert Notification.objects.filter(recipient=sam, subject__contains="副本受损").exists()
    restored = actions.restore_package(package, actor=ada)
    assert restored.outcome == "restored"
    assert actions.run_fixity()["damaged"] == 0
    package.refresh_from_db()
    assert package.is_damaged is False


def test_a_file_deleted_from_one_copy_and_a_manifest_forged_with_it_are_found(
    package: ArchivalPackage, archive_folders: tuple[Path, Path], ada: User
) -> None:
    primary = archive_folders[0] / package.reference
    (primary / "data" / "events.xml").unlink()
    # Changing a file and its manifest line together still breaks the anchor kept in the database:
    manifest = primary / "manifest-sha256.txt"
    manifest.chmod(0o600)
    text = manifest.read_text()  # the first line's digest is forged; its path stays as it was
    manifest.write_text(("0" if text[0] != "0" else "1") + text[1:])
    actions.run_fixity()
    problems = package.fixity_checks.first().problems["primary"]
    assert "data/events.xml: missing" in problems
    assert "tagmanifest-sha256.txt: changed" not in problems and "manifest-sha256.txt: changed" in problems
    actions.restore_package(package, actor=ada)
    assert (primary / "data" / "events.xml").is_file()
    assert actions.run_fixity()["damaged"] == 0


def test_nothing_is_restored_when_both_copies_are_damaged_or_by_someone_not_an_archivist(
    package: ArchivalPackage, archive_folders: tuple[Path, Path], ada: User, bob: User
) -> None:
    from django.core.exceptions import PermissionDenied

    for root in archive_folders:
        _flip_one_byte(root / package.reference / "data" / "metadata.xml")
    with pytest.raises(PermissionDenied):
        actions.restore_package(package, actor=bob)
    with pytest.raises(Conflict) as refused:
        actions.restore_package(package, actor=ada)
    assert "两个副本都已受损" in refused.value.messages[0]


def test_the_sample_rotates_over_the_packages(package: ArchivalPackage) -> None:
    assert actions.run_fixity(sample=1)["checked"] == 1
    first = ArchivalPackage.objects.get(pk=package.pk).last_fixity_at
    assert actions.run_fixity(sample=1)["checked"] == 1
    assert ArchivalPackage.objects.get(pk=package.pk).last_fixity_at > first
