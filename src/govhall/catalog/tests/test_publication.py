"""Versions move draft → submitted → published → superseded; four eyes; rules refuse publication."""

from __future__ import annotations

import datetime

import pytest

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from govhall.audit.models import AuditRecord
from govhall.catalog import actions
from govhall.catalog.constants import VersionState
from govhall.catalog.models import ItemVersion
from govhall.catalog.queries import live_versions
from govhall.catalog.tests.factories import create_draft, publish
from govhall.identity.models import Department, User

pytestmark = pytest.mark.django_db


def test_an_editor_drafts_and_an_approver_publishes(
    helen: User, grace: User, departments: dict[str, Department]
) -> None:
    draft = create_draft(helen, departments["forestry"])
    assert list(live_versions()) == []
    published = publish(draft, helen, grace)
    assert published.state == VersionState.PUBLISHED
    assert published.published_by == grace
    assert list(live_versions()) == [published]
    assert AuditRecord.objects.filter(event="catalog.version_published", actor_label="grace").exists()


def test_only_content_editors_create_items(bob: User, departments: dict[str, Department]) -> None:
    with translation.override("zh-hans"), pytest.raises(PermissionDenied, match="只有内容编辑"):
        create_draft(bob, departments["forestry"])
    assert not ItemVersion.objects.exists()


def test_the_submitter_cannot_publish_their_own_version(
    helen: User, grace: User, departments: dict[str, Department]
) -> None:
    from govhall.identity import actions as identity_actions
    from govhall.identity.constants import Role

    identity_actions.grant_role(grace, departments["bureau"], Role.CONTENT_EDITOR)
    draft = create_draft(grace, departments["forestry"])
    actions.submit_version(draft, actor=grace)
    with translation.override("zh-hans"), pytest.raises(PermissionDenied, match="双人复核"):
        actions.publish_version(draft, actor=grace)
    draft.refresh_from_db()
    assert draft.state == VersionState.SUBMITTED


@pytest.mark.parametrize("language, message", [("zh-hans", "您编辑过这个版本"), ("en", "You edited this version")])
def test_an_approver_who_edited_a_version_cannot_publish_what_another_submitted(
    helen: User, grace: User, departments: dict[str, Department], language: str, message: str
) -> None:
    from govhall.identity import actions as identity_actions
    from govhall.identity.constants import Role

    # Grace holds both roles: she slips a change into Helen's draft, Helen submits it:
    identity_actions.grant_role(grace, departments["bureau"], Role.CONTENT_EDITOR)
    draft = create_draft(helen, departments["forestry"])
    actions.update_draft(draft, content={"acceptance_conditions": "无需任何条件。"}, actor=grace)
    actions.submit_version(draft, actor=helen)
    with translation.override(language), pytest.raises(PermissionDenied) as refused:
        actions.publish_version(draft, actor=grace)
    assert message in str(refused.value)
    draft.refresh_from_db()
    assert draft.state == VersionState.SUBMITTED and draft.published_by is None
    assert not AuditRecord.objects.filter(event="catalog.version_published").exists()


def test_an_approver_who_only_read_the_draft_publishes_it(
    helen: User, grace: User, departments: dict[str, Department]
) -> None:
    from govhall.identity import actions as identity_actions
    from govhall.identity.constants import Role

    identity_actions.grant_role(grace, departments["bureau"], Role.CONTENT_EDITOR)
    draft = create_draft(helen, departments["forestry"])
    assert publish(draft, helen, grace).state == VersionState.PUBLISHED


def test_an_editor_without_approval_rights_cannot_publish(helen: User, departments: dict[str, Department]) -> None:
    draft = create_draft(helen, departments["forestry"])
    actions.submit_version(draft, actor=helen)
    with pytest.raises(PermissionDenied):
        actions.publish_version(draft, actor=helen)


def test_publication_lists_every_broken_rule_and_changes_nothing(
    helen: User, grace: User, departments: dict[str, Department]
) -> None:
    draft = create_draft(
        helen,
        departments["forestry"],
        overrides={"supervision_phone": "0592-6050001", "visits": 1, "committed_limit": 30},
    )
    actions.submit_version(draft, actor=helen)
    with translation.override("zh-hans"), pytest.raises(actions.PublicationRefused) as refused:
        actions.publish_version(draft, actor=grace)
    rules = {p.rule for p in refused.value.problems}
    assert {"phones", "visit_reason", "full_online", "limits"} <= rules
    messages = " ".join(p.message for p in refused.value.problems)
    assert "咨询电话和监督投诉电话不能相同" in messages
    assert "法定办结时限（20）不能少于承诺办结时限（30）" in messages
    draft.refresh_from_db()
    assert draft.state == VersionState.SUBMITTED
    assert AuditRecord.objects.filter(event="catalog.publication_refused").exists()


def test_a_licensing_item_needs_faq_and_the_full_process(
    helen: User, grace: User, departments: dict[str, Department]
) -> None:
    draft = create_draft(helen, departments["forestry"])
    actions.update_draft(
        draft,
        content={},
        children={"questions": [], "steps": [{"order": 1, "name": "受理", "kind": "accept", "role": "clerk"}]},
        actor=helen,
    )
    actions.submit_version(draft, actor=helen)
    with translation.override("zh-hans"), pytest.raises(actions.PublicationRefused) as refused:
        actions.publish_version(draft, actor=grace)
    messages = " ".join(p.message for p in refused.value.problems)
    assert "至少要有一条常见问题" in messages
    assert "审查" in messages and "决定" in messages and "送达" in messages


def test_a_published_version_never_changes(helen: User, grace: User, departments: dict[str, Department]) -> None:
    version = publish(create_draft(helen, departments["forestry"]), helen, grace)
    with pytest.raises(ValidationError):
        actions.update_draft(version, content={"name": "改名"}, actor=helen)
    version.refresh_from_db()
    assert version.name == "林木采伐许可证核发"


def test_a_new_version_supersedes_the_old_one_on_its_effective_date(
    helen: User, grace: User, departments: dict[str, Department]
) -> None:
    first = publish(create_draft(helen, departments["forestry"]), helen, grace)
    second = actions.start_new_version(first.item, actor=helen)
    assert second.number == 2 and second.materials.count() == first.materials.count()
    actions.update_draft(second, content={"committed_limit": 3}, actor=helen)
    next_month = timezone.localdate() + datetime.timedelta(days=30)
    publish(second, helen, grace, effective_from=next_month)
    # Published for next month: today the public still sees the first version.
    assert list(live_versions()) == [first]
    assert list(live_versions(next_month)) == [ItemVersion.objects.get(pk=second.pk)]
    assert actions.activate_due_versions(next_month) == 1
    first.refresh_from_db()
    assert first.state == VersionState.SUPERSEDED


def test_only_one_version_can_be_in_progress(helen: User, grace: User, departments: dict[str, Department]) -> None:
    first = publish(create_draft(helen, departments["forestry"]), helen, grace)
    actions.start_new_version(first.item, actor=helen)
    with pytest.raises(ValidationError):
        actions.start_new_version(first.item, actor=helen)


def test_a_wrong_credit_code_in_the_implementation_code_is_refused(
    helen: User, departments: dict[str, Department]
) -> None:
    from govhall.catalog.tests.factories import CONTENT

    with translation.override("zh-hans"), pytest.raises(ValidationError) as error:
        actions.create_item(
            basic_code="350100001000",
            implementation_code="11350205MB0100001X" + "4" + "350100001000",
            department=departments["forestry"],
            content={**CONTENT, "handling_department": departments["forestry"]},
            actor=helen,
        )
    assert "统一社会信用代码" in " ".join(error.value.messages)
    assert not ItemVersion.objects.exists()


def test_an_approver_returns_a_version_with_a_note(
    helen: User, grace: User, departments: dict[str, Department]
) -> None:
    draft = create_draft(helen, departments["forestry"])
    actions.submit_version(draft, actor=helen)
    actions.return_version(draft, actor=grace, note="请补充采伐地点示意图要求。")
    draft.refresh_from_db()
    assert draft.state == VersionState.DRAFT
    assert draft.review_note == "请补充采伐地点示意图要求。"


def test_suspending_and_cancelling_an_item(helen: User, grace: User, departments: dict[str, Department]) -> None:
    version = publish(create_draft(helen, departments["forestry"]), helen, grace)
    actions.set_item_status(version.item, "2", actor=grace, reason="系统升级")
    assert list(live_versions()) == [version]  # still shown, with a notice
    actions.set_item_status(version.item, "3", actor=grace, reason="事项取消")
    assert list(live_versions()) == []
    with pytest.raises(ValidationError):
        actions.set_item_status(version.item, "1", actor=grace, reason="恢复")


@pytest.mark.parametrize("language, message", [("zh-hans", "涉密事项不得在本平台"), ("en", "secret item")])
def test_a_secret_item_is_refused_and_nothing_is_created(
    helen: User, departments: dict[str, Department], language: str, message: str
) -> None:
    with translation.override(language), pytest.raises(ValidationError) as refused:
        create_draft(helen, departments["forestry"], overrides={"secrecy": "secret"})
    with translation.override(language):
        assert message in " ".join(refused.value.messages)
    assert not ItemVersion.objects.exists()
    assert not AuditRecord.objects.filter(event="catalog.item_created").exists()


def test_a_draft_cannot_be_marked_secret(helen: User, departments: dict[str, Department]) -> None:
    draft = create_draft(helen, departments["forestry"])
    with pytest.raises(ValidationError):
        actions.update_draft(draft, content={"secrecy": "confidential"}, actor=helen)
    draft.refresh_from_db()
    assert draft.secrecy == "none"
