"""Disposal: a list past its date, reviewers, a second archivist, a waiting period, holds, a signed certificate."""

from __future__ import annotations

import datetime
import io
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from govhall.archives import actions, queries
from govhall.archives.models import ArchivalPackage
from govhall.audit.models import AuditRecord
from govhall.cases.models import Case
from govhall.catalog.models import ItemVersion
from govhall.identity.models import User
from govhall.lib.signing import SignatureStatus, check_pdf_signatures

from .conftest import close_licensed


@pytest.fixture
def old_packages(
    package: ArchivalPackage, licensed_felling: ItemVersion, alice: User, bob: User, grace: User
) -> list[ArchivalPackage]:
    """Two accepted packages, both past their disposal date."""
    second = close_licensed(licensed_felling, alice, bob, grace, key="second")
    actions.read_case_events()
    built = actions.build_package(ArchivalPackage.objects.get(case=second))
    ArchivalPackage.objects.filter(pk__in=[package.pk, built.pk]).update(disposal_on=datetime.date(2020, 1, 1))
    return list(ArchivalPackage.objects.filter(pk__in=[package.pk, built.pk]).order_by("pk"))


def test_a_list_goes_through_review_and_the_archivist_and_a_held_package_survives(
    old_packages: list[ArchivalPackage],
    ada: User,
    otto: User,
    dan: User,
    archive_folders: tuple[Path, Path],
    django_capture_on_commit_callbacks: Any,
) -> None:
    kept, destroyed = old_packages
    disposal = actions.create_disposal_list(actor=ada, name="2020年到期办件档案", packages=old_packages)
    with pytest.raises(ValidationError):
        actions.submit_for_review(disposal, actor=ada, reviewers=[ada])  # no one reviews their own list
    actions.submit_for_review(disposal, actor=ada, reviewers=[dan])
    actions.review_disposal_list(disposal, actor=dan, decision="changes_requested", comment="请核对年度。")
    disposal.refresh_from_db()
    assert disposal.status == "changes_requested"
    actions.submit_for_review(disposal, actor=ada, reviewers=[dan])
    actions.review_disposal_list(disposal, actor=dan, decision="approved")
    actions.send_to_archivist(disposal, actor=ada)
    with pytest.raises(PermissionDenied):
        actions.decide_disposal_list(disposal, actor=ada, approve=True)  # the author cannot approve
    actions.decide_disposal_list(disposal, actor=otto, approve=True)
    disposal.refresh_from_db()
    assert disposal.status == "ready_to_delete"
    assert disposal.destroy_after - disposal.approved_at == datetime.timedelta(days=7)
    # Nothing happens before the waiting period is over:
    assert actions.destroy_due_lists() == 0
    # Litigation starts during the wait: that package is held back:
    actions.place_hold(kept, actor=ada, kind="litigation", reason="（2026）闽0205行初12号")
    with django_capture_on_commit_callbacks(execute=True):  # the folders go after the commit
        assert actions.destroy_due_lists(now=timezone.now() + datetime.timedelta(days=7, minutes=1)) == 1
    disposal.refresh_from_db()
    assert disposal.status == "deleted"
    kept.refresh_from_db()
    destroyed.refresh_from_db()
    assert kept.status == "accepted" and (archive_folders[0] / kept.reference).is_dir()
    assert destroyed.status == "destroyed" and destroyed.subject_key == ""
    for root in archive_folders:
        assert not (root / destroyed.reference).exists()
    # The minimal record stays; the audit chain keeps every step:
    assert ArchivalPackage.objects.filter(reference=destroyed.reference, status="destroyed").exists()
    assert AuditRecord.objects.filter(event="archives.disposal_deleted").exists()
    assert AuditRecord.objects.filter(event="archives.package_accepted", target_id=str(destroyed.pk)).exists()
    # The certificate is signed and lists both outcomes:
    pdf = disposal.certificate.read()
    assert check_pdf_signatures(io.BytesIO(pdf)).status == SignatureStatus.VALID
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).replace("\n", "")
    assert destroyed.reference in text and kept.reference in text and "保全" in text


def test_a_held_package_or_one_not_due_cannot_be_listed(
    old_packages: list[ArchivalPackage], ada: User, closed_case: Case
) -> None:
    first, second = old_packages
    actions.place_hold(first, actor=ada, kind="inspection", reason="2026年档案专项检查")
    ArchivalPackage.objects.filter(pk=second.pk).update(disposal_on=timezone.localdate() + datetime.timedelta(days=1))
    with pytest.raises(ValidationError) as refused:
        actions.create_disposal_list(actor=ada, name="清单", packages=[first, second])
    messages = refused.value.message_dict["packages"]
    assert any("处于保全状态" in m for m in messages)
    assert any("未到销毁日期" in m for m in messages)
    assert not type(first).objects.filter(disposal_items__isnull=False).exists()


def test_an_open_complaint_about_the_case_holds_its_package(
    old_packages: list[ArchivalPackage], closed_case: Case, alice: User
) -> None:
    from govhall.complaints import actions as complaint_actions

    held = next(p for p in old_packages if p.case_id == closed_case.pk)
    assert queries.holds_on(held) == []
    complaint_actions.submit_complaint(
        complainant=alice,
        is_anonymous=False,
        kind="slowness",
        title="采伐证办理慢",
        content="等了很久才办结。",
        case=closed_case,
    )
    assert any("投诉" in reason for reason in queries.holds_on(held))


def test_a_reviewer_who_is_not_on_the_list_cannot_review(
    old_packages: list[ArchivalPackage], ada: User, dan: User, carol: User
) -> None:
    disposal = actions.create_disposal_list(actor=ada, name="清单", packages=old_packages)
    actions.submit_for_review(disposal, actor=ada, reviewers=[dan])
    with pytest.raises(PermissionDenied):
        actions.review_disposal_list(disposal, actor=carol, decision="approved")
    disposal.refresh_from_db()
    assert disposal.status == "ready_to_review"
