"""The archivist's pages: search (the subject search audited), a package, transfer, and who may open them."""

from __future__ import annotations

import io
import tarfile
from typing import Any

from conftest import ALICE_ID
from govhall.archives.models import ArchivalPackage
from govhall.audit.models import AuditRecord
from govhall.identity.models import User


def test_only_an_archivist_opens_the_archives(package: ArchivalPackage, desk: Any, bob: User, ada: User) -> None:
    for url in ("/desk/archives/", f"/desk/archives/{package.public_id}/", "/desk/archives/disposal/"):
        assert desk(bob).get(url).status_code == 404
        assert desk(ada).get(url).status_code == 200
    before = ArchivalPackage.objects.get(pk=package.pk).status
    assert (
        desk(bob).post(f"/desk/archives/{package.public_id}/hold/", {"kind": "litigation", "reason": "x"}).status_code
        == 404
    )
    assert not package.holds.exists() and ArchivalPackage.objects.get(pk=package.pk).status == before


def test_the_archivist_finds_a_package_by_reference_item_year_and_subject(
    package: ArchivalPackage, desk: Any, ada: User
) -> None:
    client = desk(ada)
    for query in (f"reference={package.reference[:20]}", f"item={package.item_code}", f"year={package.year}"):
        assert package.reference in client.get(f"/desk/archives/?{query}").content.decode()
    page = client.post("/desk/archives/", {"subject": ALICE_ID}).content.decode()
    assert package.reference in page and "350205********0020" in page and ALICE_ID not in page
    looked = AuditRecord.objects.filter(event="archives.subject_searched", actor_id=ada.pk).get()
    assert looked.extra == {"kind": "person", "code": "350205********0020", "count": 1}
    bad = client.post("/desk/archives/", {"subject": "123"}).content.decode()
    assert "请输入正确的公民身份号码或统一社会信用代码" in bad


def test_a_transfer_export_holds_the_bags_and_a_transfer_list(package: ArchivalPackage, desk: Any, ada: User) -> None:
    response = desk(ada).post("/desk/archives/transfer/", {"references": package.reference})
    assert response.status_code == 200
    data = b"".join(response.streaming_content)
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        names = tar.getnames()
        listed = tar.extractfile("transfer-list.xml").read().decode()
    assert f"{package.reference}/bagit.txt" in names and "transfer-list.csv" in names
    assert package.reference in listed and package.archival_code in listed
    assert AuditRecord.objects.filter(event="archives.transferred").exists()


def test_a_hold_is_placed_from_the_package_page(package: ArchivalPackage, desk: Any, ada: User) -> None:
    client = desk(ada)
    refused = client.post(
        f"/desk/archives/{package.public_id}/hold/", {"kind": "litigation", "reason": ""}, follow=True
    )
    assert "请写明保全的依据" in refused.content.decode()
    client.post(f"/desk/archives/{package.public_id}/hold/", {"kind": "litigation", "reason": "（2026）闽0205行初12号"})
    page = client.get(f"/desk/archives/{package.public_id}/").content.decode()
    assert "（2026）闽0205行初12号" in page
