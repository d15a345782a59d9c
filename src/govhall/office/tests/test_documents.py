"""Drafting, routing, countersigning, 签发, numbering and issuing documents; incoming documents and 传阅."""

from __future__ import annotations

import io
import subprocess
from typing import Any

import pytest

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction

from govhall.cases.tests.conftest import pdf_bytes
from govhall.identity.models import Department, User
from govhall.lib.signing import SignatureStatus, check_pdf_signatures
from govhall.office import actions
from govhall.office.constants import Classification, Direction, DocumentStatus, RouteStatus
from govhall.office.models import Attachment, Document, DocumentCounter, RouteStep
from govhall.office.tests.conftest import AUTHORITY
from govhall.proactive.models import Notification

pytestmark = pytest.mark.django_db


def _all_signed(document: Document, carol: User, kate: User) -> Document:
    actions.sign_document(document, actor=carol, opinion="同意")
    actions.sign_document(document, actor=kate, opinion="同意，建议增加值班安排")
    document.refresh_from_db()
    return document


def test_a_draft_sent_for_countersign_gives_each_unit_a_working_day_deadline(
    on_day: Any, routed: Document, carol: User
) -> None:
    # Drafted and sent on Monday 2026-09-14; three working days later is Thursday 09-17:
    steps = list(routed.route.order_by("role"))
    assert [s.department.code for s in steps] == ["agriculture", "water"]
    assert {s.due_on.isoformat() for s in steps if s.due_on} == {"2026-09-17"}
    assert routed.status == DocumentStatus.ROUTING
    assert Notification.objects.filter(recipient=carol, subject__contains="请会签").exists()


def test_the_deadline_skips_the_national_day_holiday(
    on_day: Any, draft: Document, bob: User, carol: User, departments: dict[str, Department]
) -> None:
    on_day("2026-09-24")
    actions.send_for_countersign(draft, actor=bob, lead=departments["water"], co_units=[], days=5)
    assert draft.route.get().due_on.isoformat() == "2026-10-09"


def test_when_every_unit_signed_the_draft_waits_for_the_leader(
    on_day: Any, routed: Document, carol: User, kate: User, grace: User
) -> None:
    document = _all_signed(routed, carol, kate)
    assert document.status == DocumentStatus.AWAITING_SIGNATURE
    assert set(document.route.values_list("status", flat=True)) == {RouteStatus.SIGNED}
    assert document.route.get(department__code="agriculture").opinion == "同意，建议增加值班安排"
    assert Notification.objects.filter(recipient=grace, subject__contains="待签发").exists()


def test_a_signer_outside_the_route_is_refused_and_nothing_changes(on_day: Any, routed: Document, bob: User) -> None:
    with pytest.raises(PermissionDenied) as raised:
        actions.sign_document(routed, actor=bob, opinion="同意")
    assert "不在这份公文的会签范围内" in str(raised.value)
    assert set(routed.route.values_list("status", flat=True)) == {RouteStatus.PENDING}


def test_signing_after_the_deadline_is_refused_until_an_extension_is_approved(
    on_day: Any, routed: Document, bob: User, kate: User, grace: User
) -> None:
    on_day("2026-09-18")
    with pytest.raises(ValidationError) as raised:
        actions.sign_document(routed, actor=kate, opinion="同意")
    assert "会签期限 2026-09-17 已过" in raised.value.messages[0]
    step = routed.route.get(department__code="agriculture")
    assert step.status == RouteStatus.PENDING
    # The drafter chases the late unit (催办), the leader grants two more working days:
    actions.urge_signer(step, actor=bob, note="请今天内会签")
    assert Notification.objects.filter(recipient=kate, subject__startswith="催办").exists()
    actions.extend_step(step, actor=grace, days=2, reason="农业科需征求镇街意见")
    actions.sign_document(routed, actor=kate, opinion="同意")
    step.refresh_from_db()
    assert step.status == RouteStatus.SIGNED and step.urge_count == 1
    # Two working days from Friday 09-18: Sunday 09-20 is a make-up workday, then Monday 09-21:
    assert step.extended_to is not None and step.extended_to.isoformat() == "2026-09-21"


def test_a_unit_not_yet_late_is_not_chased(on_day: Any, routed: Document, bob: User) -> None:
    step = routed.route.get(department__code="agriculture")
    with pytest.raises(ValidationError) as raised:
        actions.urge_signer(step, actor=bob)
    assert "还没有到期" in raised.value.messages[0]
    step.refresh_from_db()
    assert step.urge_count == 0


def test_only_an_approver_signs_off(on_day: Any, routed: Document, bob: User, carol: User, kate: User) -> None:
    document = _all_signed(routed, carol, kate)
    with pytest.raises(PermissionDenied) as raised:
        actions.sign_off(document, actor=bob)
    assert "签发须由" in str(raised.value)
    document.refresh_from_db()
    assert document.status == DocumentStatus.AWAITING_SIGNATURE and document.signer_name == ""


def test_issuing_numbers_dates_and_signs_the_document(
    on_day: Any, routed: Document, bob: User, carol: User, kate: User, grace: User
) -> None:
    document = _all_signed(routed, carol, kate)
    actions.sign_off(document, actor=grace, note="同意印发")
    document = actions.issue_document(document, actor=bob)
    assert document.number == "厦海农林水〔2026〕1号"
    assert document.status == DocumentStatus.ISSUED
    assert document.signer_name == "吴佳慧"
    assert document.dated is not None and document.dated.isoformat() == "2026-09-14"
    data = document.pdf.read()
    check = check_pdf_signatures(io.BytesIO(data))
    assert check.status in (SignatureStatus.VALID, SignatureStatus.UNKNOWN_SIGNER)
    assert check.status == SignatureStatus.VALID, check.detail


def test_the_pdf_embeds_its_chinese_font(
    on_day: Any, routed: Document, bob: User, carol: User, kate: User, grace: User, tmp_path: Any
) -> None:
    document = _all_signed(routed, carol, kate)
    actions.sign_off(document, actor=grace)
    document = actions.issue_document(document, actor=bob)
    path = tmp_path / "doc.pdf"
    path.write_bytes(document.pdf.read())
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    cjk = [line for line in fonts.splitlines() if "WenQuanYi" in line]
    assert cjk and all(line.split()[-5] == "yes" for line in cjk)  # embedded
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "厦海农林水〔2026〕1号" in text and "关于做好2026年秋季森林防火工作的通知" in text


def test_numbers_follow_each_other_per_series_and_year_without_gaps(
    on_day: Any, draft: Document, bob: User, grace: User, departments: dict[str, Department]
) -> None:
    numbers = []
    for n in range(3):
        document = actions.draft_document(
            actor=bob,
            department=departments["forestry"],
            title=f"通知{n}",
            issuing_authority=AUTHORITY,
            series="厦海农林水" if n < 2 else "厦海农林水函",
        )
        actions.sign_off(_skip_route(document, bob), actor=grace)
        numbers.append(actions.issue_document(document, actor=bob).number)
    assert numbers == ["厦海农林水〔2026〕1号", "厦海农林水〔2026〕2号", "厦海农林水函〔2026〕1号"]
    assert DocumentCounter.objects.get(series="厦海农林水", year=2026).last_number == 2


def _skip_route(document: Document, actor: User) -> Document:
    # A draft that needs no co-signer goes straight to the leader (the table allows draft → awaiting):
    with transaction.atomic():
        document = Document.objects.select_for_update().get(pk=document.pk)
        actions.move(document, DocumentStatus.AWAITING_SIGNATURE, actor=actor, kind="countersigned")
    return document


def test_the_database_refuses_a_reused_document_number(
    on_day: Any, draft: Document, bob: User, departments: dict[str, Department]
) -> None:
    Document.objects.filter(pk=draft.pk).update(number="厦海农林水〔2026〕5号")
    other = actions.draft_document(
        actor=bob, department=departments["forestry"], title="另一份", issuing_authority=AUTHORITY, series="厦海农林水"
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Document.objects.filter(pk=other.pk).update(number="厦海农林水〔2026〕5号")


def test_a_secret_document_is_refused_with_the_reason(bob: User, departments: dict[str, Department]) -> None:
    with pytest.raises(ValidationError) as raised:
        actions.draft_document(
            actor=bob,
            department=departments["forestry"],
            title="涉密文件",
            issuing_authority=AUTHORITY,
            series="厦海农林水",
            classification=Classification.SECRET_INTERNAL,
            secrecy_period="10年",
        )
    assert "涉密网络" in raised.value.message_dict["classification"][0]
    assert not Document.objects.exists()


def test_the_table_cannot_hold_a_secret_document(draft: Document) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Document.objects.filter(pk=draft.pk).update(classification=Classification.CONFIDENTIAL)


def test_an_attachment_that_is_not_what_its_name_says_is_refused(bob: User, departments: dict[str, Department]) -> None:
    fake = SimpleUploadedFile("方案.pdf", b"MZ\x90\x00 this is an executable", content_type="application/pdf")
    with pytest.raises(ValidationError) as raised:
        actions.draft_document(
            actor=bob,
            department=departments["forestry"],
            title="附件不对",
            issuing_authority=AUTHORITY,
            series="厦海农林水",
            attachments=[fake],
        )
    assert "方案.pdf" in raised.value.message_dict["attachments"][0]
    assert not Document.objects.exists() and not Attachment.objects.exists()


def test_a_real_attachment_is_kept(bob: User, departments: dict[str, Department]) -> None:
    document = actions.draft_document(
        actor=bob,
        department=departments["forestry"],
        title="带附件",
        issuing_authority=AUTHORITY,
        series="厦海农林水",
        attachments=[SimpleUploadedFile("值班表.pdf", pdf_bytes(), content_type="application/pdf")],
    )
    attachment = document.attachments.get()
    assert attachment.original_name == "值班表.pdf" and attachment.file.read().startswith(b"%PDF")


def test_a_clerk_of_another_unit_cannot_draft_for_forestry(carol: User, departments: dict[str, Department]) -> None:
    with pytest.raises(PermissionDenied):
        actions.draft_document(
            actor=carol,
            department=departments["forestry"],
            title="越权",
            issuing_authority=AUTHORITY,
            series="厦海农林水",
        )
    assert not Document.objects.exists()


def test_an_incoming_document_is_registered_assigned_and_circulated(
    on_day: Any,
    bob: User,
    carol: User,
    kate: User,
    dan: User,
    departments: dict[str, Department],
    agriculture: Department,
) -> None:
    document = actions.register_incoming(
        actor=bob,
        department=departments["forestry"],
        title="关于开展松材线虫病疫情普查的通知",
        issuing_authority="厦门市林业局",
        number="厦林〔2026〕33号",
    )
    assert document.direction == Direction.INCOMING and document.status == DocumentStatus.REGISTERED
    actions.assign_incoming(document, actor=bob, lead=departments["forestry"], co_units=[agriculture], days=5)
    actions.circulate(document, actor=bob, readers=[dan])
    assert Notification.objects.filter(recipient=dan, subject__startswith="请阅").exists()
    receipt = actions.mark_read(document, actor=dan)
    assert receipt.read_at is not None
    actions.sign_document(document, actor=kate, opinion="配合开展普查")
    assert RouteStep.objects.get(document=document, department=agriculture).status == RouteStatus.SIGNED


def test_the_same_incoming_number_cannot_be_registered_twice(bob: User, departments: dict[str, Department]) -> None:
    fields = {
        "actor": bob,
        "department": departments["forestry"],
        "title": "普查通知",
        "issuing_authority": "厦门市林业局",
        "number": "厦林〔2026〕33号",
    }
    actions.register_incoming(**fields)
    with pytest.raises(ValidationError) as raised:
        actions.register_incoming(**fields)
    assert "请勿重复登记" in raised.value.message_dict["number"][0]
    assert Document.objects.count() == 1
