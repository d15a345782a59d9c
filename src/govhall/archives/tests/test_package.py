"""The package of a closed case: a valid BagIt bag, checked, in two places, written once."""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import bagit
import pytest

from govhall.archives import actions
from govhall.archives.models import ArchivalPackage
from govhall.cases.models import Case
from govhall.lib.errors import Conflict


def test_a_closed_case_is_scheduled_once_from_the_case_events(closed_case: Case) -> None:
    assert actions.read_case_events() > 0
    assert ArchivalPackage.objects.filter(case=closed_case, status="scheduled").count() == 1
    assert actions.read_case_events() == 0
    assert actions.schedule_package(closed_case) is None  # a case is archived once
    assert ArchivalPackage.objects.filter(case=closed_case).count() == 1


def test_the_package_is_a_bag_the_independent_validator_accepts(
    package: ArchivalPackage, archive_folders: tuple[Path, Path], closed_case: Case
) -> None:
    primary, secondary = archive_folders
    bag = primary / closed_case.reference
    # The bagit command line, in its own process, as an archive receiving it would run it:
    done = subprocess.run([sys.executable, "-m", "bagit", "--validate", str(bag)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "is valid" in done.stderr
    names = {str(p.relative_to(bag)) for p in bag.rglob("*") if p.is_file()}
    assert {"bagit.txt", "bag-info.txt", "manifest-sha256.txt", "tagmanifest-sha256.txt"} <= names
    assert "archive-check-report.json" in names
    assert {"data/metadata.xml", "data/events.xml", "data/audit/audit-extract.jsonl"} <= names
    # The acceptance notice as issued: the one the case kept (kept by archiving, its task not run here):
    closed_case.refresh_from_db()
    with closed_case.acceptance_notice.open("rb") as kept:
        assert (bag / "data/documents/acceptance-notice.pdf").read_bytes() == kept.read()
    assert any(n.startswith("data/documents/licence-") for n in names)
    materials = [n for n in names if n.startswith("data/materials/")]
    assert len(materials) == closed_case.materials.filter(is_current=True).exclude(file="").count() > 0
    # The second copy is the same bag:
    assert bagit.Bag(str(secondary / closed_case.reference)).is_valid()
    assert (bag / "tagmanifest-sha256.txt").read_bytes() == (
        secondary / closed_case.reference / "tagmanifest-sha256.txt"
    ).read_bytes()
    # Materials as received, byte for byte:
    received = {m.sha256 for m in closed_case.materials.exclude(file="")}
    import hashlib

    assert {hashlib.sha256((bag / n).read_bytes()).hexdigest() for n in materials} == received


def test_the_metadata_maps_the_case(
    package: ArchivalPackage, archive_folders: tuple[Path, Path], closed_case: Case
) -> None:
    root = ET.parse(archive_folders[0] / closed_case.reference / "data" / "metadata.xml").getroot()
    values = {child.tag: child.text or "" for child in root.find("著录")}
    assert values["办件编号"] == closed_case.reference
    assert values["办理结果"] == "准予"
    assert values["保管期限"] == "30年"
    assert values["证照标识"].startswith("1.2.156.3005.2.")
    assert "********" in values["申请人证件号码"]  # masked, never the full ID number
    assert package.subject_key == closed_case.person.id_number_hash
    events = ET.parse(archive_folders[0] / closed_case.reference / "data" / "events.xml").getroot()
    assert len(events) == closed_case.events.count()
    assert package.check_report["passed"] is True
    assert package.disposal_on is not None and package.disposal_on.year == closed_case.closed_at.year + 31


def test_the_same_case_is_never_archived_twice(package: ArchivalPackage) -> None:
    with pytest.raises(Conflict) as refused:
        actions.build_package(package)
    assert "已归档，不能再次归档" in refused.value.messages[0]


def test_a_package_written_by_a_killed_worker_leaves_no_half_package(
    closed_case: Case, archive_folders: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    actions.read_case_events()
    scheduled = ArchivalPackage.objects.get(case=closed_case)

    def killed(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt  # the worker dies while writing the bag

    make_bag = bagit.make_bag
    monkeypatch.setattr("govhall.archives.packaging.bagit.make_bag", killed)
    with pytest.raises(KeyboardInterrupt):
        actions.build_package(scheduled)
    primary, secondary = archive_folders
    assert not (primary / closed_case.reference).exists()
    assert not (secondary / closed_case.reference).exists()
    assert list((primary / ".incoming").iterdir()) == []
    monkeypatch.setattr("govhall.archives.packaging.bagit.make_bag", make_bag)
    assert actions.build_package(scheduled).status == "accepted"


def test_a_bag_renamed_into_place_before_the_worker_died_is_taken_up(
    package: ArchivalPackage, archive_folders: tuple[Path, Path]
) -> None:
    # The worker died after the rename, before its transaction committed (the row still scheduled)
    # and before the second copy:
    import shutil

    from govhall.archives.packaging import make_writable

    secondary = archive_folders[1] / package.reference
    make_writable(secondary)
    shutil.rmtree(secondary)
    ArchivalPackage.objects.filter(pk=package.pk).update(status="scheduled")
    assert actions.build_package(package).status == "accepted"
    assert bagit.Bag(str(secondary)).is_valid()


def test_a_material_whose_signature_broke_is_not_accepted_and_is_listed_for_the_archivist(
    closed_case: Case, ada: object, archive_folders: tuple[Path, Path]
) -> None:
    # The licence PDF in the live store was changed after signing:
    from govhall.licences.models import Licence

    licence = Licence.objects.get(case_public_id=closed_case.public_id)
    path = Path(licence.document.path)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    actions.read_case_events()
    built = actions.build_package(ArchivalPackage.objects.get(case=closed_case))
    assert built.status == "rejected"
    failed = [f for f in built.check_report["findings"] if not f["ok"]]
    assert any("licence" in f["subject"] and f["check"] == "authenticity" for f in failed)
    assert not (archive_folders[0] / closed_case.reference).exists()
    from govhall.proactive.models import Notification

    assert Notification.objects.filter(recipient=ada, subject__contains="未通过检测").exists()
