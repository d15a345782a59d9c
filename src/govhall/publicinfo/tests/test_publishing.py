"""The one store: drafting, the mandatory secrecy review, a second person's approval, corrections, links."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from govhall.audit.models import AuditRecord
from govhall.catalog.models import ServiceItem
from govhall.identity.models import Department, User
from govhall.publicinfo import actions, queries
from govhall.publicinfo.constants import EntryKind, EntryStatus
from govhall.publicinfo.models import Entry
from govhall.publicinfo.tests.conftest import a_pdf, policy_data

pytestmark = pytest.mark.django_db


def test_an_entry_is_published_only_after_review_and_a_second_persons_approval(
    draft: Entry, helen: User, grace: User
) -> None:
    assert queries.column(EntryKind.POLICY) == []
    with pytest.raises(ValidationError, match="尚未通过保密审查"):
        actions.approve(draft, actor=grace)
    draft.refresh_from_db()
    assert draft.status == EntryStatus.DRAFT

    actions.record_secrecy_review(draft, actor=helen, passed=True, note="不涉密")
    assert queries.column(EntryKind.POLICY) == []
    published = actions.approve(draft, actor=grace)
    assert published.status == EntryStatus.PUBLISHED and published.published_on is not None
    assert queries.column(EntryKind.POLICY) == [published]
    events = list(
        AuditRecord.objects.filter(event__startswith="publicinfo.").order_by("pk").values_list("event", flat=True)
    )
    assert events == ["publicinfo.drafted", "publicinfo.secrecy_reviewed", "publicinfo.published"]


def test_the_author_cannot_approve_their_own_entry(office: Department, helen: User, grace: User) -> None:
    from govhall.identity import actions as identity_actions
    from govhall.identity.constants import Role

    identity_actions.grant_role(grace, office, Role.CONTENT_EDITOR)
    entry = actions.create_draft(actor=grace, department=office, data=policy_data())
    actions.record_secrecy_review(entry, actor=helen, passed=True)
    with pytest.raises(ValidationError, match="起草人以外的另一人"):
        actions.approve(entry, actor=grace)
    entry.refresh_from_db()
    assert entry.status == EntryStatus.REVIEWED


def test_a_failed_review_is_recorded_and_needs_a_reason(draft: Entry, helen: User) -> None:
    with pytest.raises(ValidationError, match="写明原因"):
        actions.record_secrecy_review(draft, actor=helen, passed=False)
    actions.record_secrecy_review(draft, actor=helen, passed=False, note="第三条含内部数据")
    draft.refresh_from_db()
    assert draft.status == EntryStatus.DRAFT and draft.secrecy_note == "第三条含内部数据"
    assert AuditRecord.objects.filter(event="publicinfo.secrecy_reviewed", extra__passed=False).exists()


def test_only_roles_may_write(draft: Entry, bob: User, office: Department) -> None:
    with pytest.raises(PermissionDenied):
        actions.create_draft(actor=bob, department=office, data=policy_data(doc_number=""))
    with pytest.raises(PermissionDenied):
        actions.record_secrecy_review(draft, actor=bob, passed=True)


def test_published_text_is_never_edited_in_place(published: Entry, helen: User) -> None:
    with pytest.raises(ValidationError, match="不能直接修改"):
        actions.update_draft(published, actor=helen, data=policy_data(title="改过的标题"))
    published.refresh_from_db()
    assert published.title == "海沧区林木采伐管理实施办法"


def test_a_correction_is_a_new_version_that_supersedes_the_old_one(published: Entry, helen: User, grace: User) -> None:
    correction = actions.start_correction(published, actor=helen)
    assert correction.version == 2 and correction.status == EntryStatus.DRAFT
    actions.update_draft(
        correction, actor=helen, data=policy_data(body="第一条 修改后的条文。", change_note="更正第一条")
    )
    actions.record_secrecy_review(correction, actor=helen, passed=True)
    actions.approve(correction, actor=grace)
    published.refresh_from_db()
    correction.refresh_from_db()
    assert published.status == EntryStatus.SUPERSEDED and published.body == "第一条 为规范林木采伐管理，制定本办法。"
    assert queries.column(EntryKind.POLICY) == [correction]
    assert [v.version for v in queries.history(correction)] == [2, 1]


def test_a_doc_number_already_used_is_refused(published: Entry, helen: User, office: Department) -> None:
    with pytest.raises(ValidationError, match="已被《海沧区林木采伐管理实施办法》使用"):
        actions.create_draft(actor=helen, department=office, data=policy_data(title="另一个文件"))
    assert Entry.objects.count() == 1


def test_a_withdrawn_entrys_number_may_be_used_again(
    published: Entry, helen: User, grace: User, office: Department
) -> None:
    actions.withdraw(published, actor=grace, reason="文号登记错误")
    actions.create_draft(actor=helen, department=office, data=policy_data(title="重新发布"))
    assert queries.column(EntryKind.POLICY) == []


@pytest.mark.parametrize("field", ["title", "body", "issuer"])
def test_script_in_a_text_field_is_refused(helen: User, office: Department, field: str) -> None:
    with pytest.raises(ValidationError, match="不要包含网页代码或脚本"):
        actions.create_draft(
            actor=helen, department=office, data=policy_data(**{field: "通知<script>alert(1)</script>"})
        )
    assert not Entry.objects.exists()


def test_a_policy_and_its_interpretation_link_both_ways_and_to_the_item(
    published: Entry, helen: User, grace: User, office: Department, felling: ServiceItem
) -> None:
    interpretation = actions.create_draft(
        actor=helen,
        department=office,
        data={"kind": EntryKind.INTERPRETATION, "title": "政策解读", "issuer": "农林水利局"},
        interprets=published,
        items=[felling],
    )
    actions.record_secrecy_review(interpretation, actor=helen, passed=True)
    actions.approve(interpretation, actor=grace)
    assert queries.interpretations_of(published) == [interpretation]
    assert queries.policy_of(interpretation) == published
    assert queries.entries_for_item(felling) == [interpretation]
    # After a correction of the policy the interpretation points at its new version:
    correction = actions.start_correction(published, actor=helen)
    actions.record_secrecy_review(correction, actor=helen, passed=True)
    actions.approve(correction, actor=grace)
    assert queries.policy_of(interpretation) == correction
    assert queries.interpretations_of(correction) == [interpretation]
    assert queries.entries_for_item(felling) == [interpretation]


def test_attachments_are_checked_like_uploads(helen: User, office: Department) -> None:
    fake = SimpleUploadedFile("办法.pdf", b"MZ\x90\x00 an executable", content_type="application/pdf")
    with pytest.raises(ValidationError) as caught:
        actions.create_draft(actor=helen, department=office, data=policy_data(), attachments=[fake])
    assert "attachments" in caught.value.message_dict
    assert not Entry.objects.exists()
    entry = actions.create_draft(actor=helen, department=office, data=policy_data(), attachments=[a_pdf("办法.pdf")])
    assert [a.original_name for a in entry.attachments.all()] == ["办法.pdf"]


def test_the_warning_list_shows_drafts_near_or_past_their_20_working_day_clock(
    helen: User, office: Department, draft: Entry
) -> None:
    fresh = actions.create_draft(
        actor=helen,
        department=office,
        data=policy_data(title="新文件", doc_number="厦海农林水〔2026〕9号", written_on=datetime.date(2026, 3, 20)),
    )
    warnings = queries.disclosure_warnings(helen, today=datetime.date(2026, 3, 25))
    # 2026-03-02 + 20 working days = 2026-03-30: 3 working days left on the 25th; the other is not near.
    assert [(w.entry, w.due_on, w.days_left) for w in warnings] == [(draft, datetime.date(2026, 3, 30), 3)]
    late = queries.disclosure_warnings(helen, today=datetime.date(2026, 4, 1))
    assert late[0].entry == draft and late[0].days_left == -2
    assert fresh not in [w.entry for w in late]


def test_a_repealed_or_corrected_policy_flags_the_items_guide(
    published: Entry, helen: User, grace: User, felling: ServiceItem
) -> None:
    published.items.set([felling])
    assert queries.guides_to_review() == []
    correction = actions.start_correction(published, actor=helen)
    actions.update_draft(
        correction,
        actor=helen,
        data=policy_data(validity="repealed", repealed_on=datetime.date(2026, 12, 1), change_note="废止"),
    )
    actions.record_secrecy_review(correction, actor=helen, passed=True)
    actions.approve(correction, actor=grace)
    reasons = sorted(flag.reason for flag in queries.guides_to_review())
    assert reasons == [
        "关联的《海沧区林木采伐管理实施办法》已废止",
        "关联的《海沧区林木采伐管理实施办法》已更正（新版本）",
    ]
    assert {flag.item for flag in queries.guides_to_review()} == {felling}


def test_the_published_key_changes_with_each_publication_and_withdrawal(
    published: Entry, helen: User, grace: User, django_capture_on_commit_callbacks: Any
) -> None:
    first = queries.published_key()
    # Read again within the re-check interval, the key is the process's copy (no query)…
    assert queries.published_key() == first
    # …but a withdrawal, once committed, makes the guide pages look again at once:
    with django_capture_on_commit_callbacks(execute=True):
        actions.withdraw(published, actor=grace, reason="错误")
    assert queries.published_key() != first
