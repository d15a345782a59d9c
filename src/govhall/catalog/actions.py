"""Every write to the catalog: items, drafts, review, publication, suspension."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from govhall.audit.actions import record
from govhall.catalog.constants import SECRET_REFUSED, ItemStatus, Secrecy, VersionState
from govhall.catalog.models import (
    CONTENT_FIELDS,
    Fee,
    ItemVersion,
    Material,
    ProcessStep,
    Question,
    ServiceItem,
    copy_children,
)
from govhall.catalog.queries import forget_live_catalog
from govhall.catalog.rules import Problem, check_codes, check_version
from govhall.catalog.search import build_search_text
from govhall.identity.constants import Role
from govhall.identity.models import Department, User
from govhall.identity.queries import has_role


class PublicationRefused(Exception):
    """Publishing was refused; ``problems`` lists every failing rule."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(p.message for p in problems))
        self.problems = problems


def _require_editor(actor: Any) -> None:
    if actor is not None and not isinstance(actor, str) and not has_role(actor, Role.CONTENT_EDITOR):
        raise PermissionDenied(_("只有内容编辑可以编辑事项草稿。"))


def _require_approver(actor: Any) -> None:
    if not has_role(actor, Role.APPROVER):
        raise PermissionDenied(_("只有具有审批权限的人员可以发布事项。"))


def _label(actor: Any) -> str:
    if actor is None:
        return "system"
    return actor if isinstance(actor, str) else actor.get_username()


CHILD_MODELS = {"materials": Material, "steps": ProcessStep, "fees": Fee, "questions": Question}


def _clean_text(value: Any) -> Any:
    # Browsers send textarea line breaks as CRLF; store one form, so an untouched text stays equal:
    return value.replace("\r\n", "\n").replace("\r", "\n") if isinstance(value, str) else value


def _apply(version: ItemVersion, content: dict[str, Any], children: dict[str, list[dict[str, Any]]] | None) -> None:
    content = {field: _clean_text(value) for field, value in content.items()}
    if children is not None:
        children = {
            relation: [{k: _clean_text(v) for k, v in row.items()} for row in rows]
            for relation, rows in children.items()
        }
    unknown = set(content) - set(CONTENT_FIELDS)
    if unknown:
        raise ValueError(f"not a guide element: {sorted(unknown)}")
    if "secrecy" in content and not content["secrecy"]:
        content["secrecy"] = Secrecy.NONE  # a list that does not say is a list of public items
    if content.get("secrecy", Secrecy.NONE) != Secrecy.NONE:
        raise ValidationError({"secrecy": SECRET_REFUSED})
    for field, value in content.items():
        setattr(version, field, value)
    version.full_clean(exclude=["item", "number", "search_text"], validate_unique=False, validate_constraints=False)
    version.save()
    if children is not None:
        for relation, rows in children.items():
            model = CHILD_MODELS[relation]
            model.objects.filter(version=version).delete()  # type: ignore[attr-defined]
            model.objects.bulk_create([model(version=version, **row) for row in rows])  # type: ignore[attr-defined]
    version.search_text = build_search_text(version)
    version.save(update_fields=["search_text"])


@transaction.atomic
def create_item(
    *,
    basic_code: str,
    implementation_code: str,
    handling_code: str = "",
    department: Department,
    content: dict[str, Any],
    children: dict[str, list[dict[str, Any]]] | None = None,
    actor: Any = None,
) -> ItemVersion:
    """Create a service item and its first draft version.

    Raises ValidationError if a code is wrong (the credit code strictly; see rules.check_codes)
    or the implementation code is taken, PermissionDenied for a non-editor.
    """
    _require_editor(actor)
    blocking = [p.message for p in check_codes(basic_code, implementation_code, handling_code) if p.is_blocking]
    if blocking:
        raise ValidationError(blocking)
    if ServiceItem.objects.filter(implementation_code=implementation_code).exists():
        raise ValidationError(_("实施编码 %(code)s 已存在。") % {"code": implementation_code})
    item = ServiceItem.objects.create(
        basic_code=basic_code,
        implementation_code=implementation_code,
        handling_code=handling_code,
        department=department,
    )
    version = ItemVersion(item=item, number=1, created_by=_label(actor))
    _apply(version, content, children or {})
    _note_editor(version, actor)
    record("catalog.item_created", actor, item, {"version": 1})
    return version


@transaction.atomic
def start_new_version(item: ServiceItem, *, actor: Any) -> ItemVersion:
    """Open a draft copied from the newest version (the published one stays as it is).

    Raises ValidationError if a draft or submitted version is already open.
    """
    _require_editor(actor)
    item = ServiceItem.objects.select_for_update().get(pk=item.pk)
    if item.versions.filter(state__in=[VersionState.DRAFT, VersionState.SUBMITTED]).exists():
        raise ValidationError(_("该事项已有未发布的版本，请先完成或撤回它。"))
    latest = item.versions.order_by("-number").first()
    assert latest is not None
    draft = ItemVersion.objects.get(pk=latest.pk)
    draft.pk = None
    draft.public_id = ItemVersion._meta.get_field("public_id").get_default()
    draft.number = latest.number + 1
    draft.state = VersionState.DRAFT
    draft.effective_from = None
    draft.created_by = _label(actor)
    draft.submitted_by = draft.published_by = None
    draft.submitted_at = draft.published_at = None
    draft.review_note = ""
    draft.save()
    copy_children(latest, draft)
    _note_editor(draft, actor)
    record("catalog.version_started", actor, item, {"version": draft.number})
    return draft


def _note_editor(version: ItemVersion, actor: Any) -> None:
    if isinstance(actor, User):
        version.editors.add(actor)


def _lock_version(version: ItemVersion) -> ItemVersion:
    return ItemVersion.objects.select_for_update().select_related("item").get(pk=version.pk)


@transaction.atomic
def update_draft(
    version: ItemVersion,
    *,
    content: dict[str, Any],
    children: dict[str, list[dict[str, Any]]] | None = None,
    actor: Any,
) -> ItemVersion:
    """Change a draft's guide elements (and, if given, replace its materials/steps/fees/FAQs).

    A published version is never changed: raises ValidationError unless the version is a draft.
    """
    _require_editor(actor)
    version = _lock_version(version)
    if version.state != VersionState.DRAFT:
        raise ValidationError(_("只能修改草稿；已提交或已发布的版本不能修改。"))
    _apply(version, content, children)
    _note_editor(version, actor)
    record("catalog.draft_updated", actor, version.item, {"version": version.number, "fields": sorted(content)})
    return version


@transaction.atomic
def submit_version(version: ItemVersion, *, actor: Any) -> ItemVersion:
    """Send a draft for review by an approver."""
    _require_editor(actor)
    version = _lock_version(version)
    if version.state != VersionState.DRAFT:
        raise ValidationError(_("只有草稿可以提交审核。"))
    version.state = VersionState.SUBMITTED
    version.submitted_by = actor if isinstance(actor, User) else None
    version.submitted_at = timezone.now()
    version.save(update_fields=["state", "submitted_by", "submitted_at"])
    _note_editor(version, actor)
    record("catalog.version_submitted", actor, version.item, {"version": version.number})
    return version


@transaction.atomic
def return_version(version: ItemVersion, *, actor: User, note: str) -> ItemVersion:
    """Send a submitted version back to its editors with the reviewer's note."""
    _require_approver(actor)
    version = _lock_version(version)
    if version.state != VersionState.SUBMITTED:
        raise ValidationError(_("只有待审核的版本可以退回。"))
    if not note.strip():
        raise ValidationError(_("退回时请写明需要修改的内容。"))
    version.state = VersionState.DRAFT
    version.review_note = note
    version.save(update_fields=["state", "review_note"])
    record("catalog.version_returned", actor, version.item, {"version": version.number, "note": note})
    return version


def publish_version(version: ItemVersion, *, actor: User, effective_from: datetime.date | None = None) -> ItemVersion:
    """Publish a submitted version, effective from ``effective_from`` (default today).

    Four eyes: the publisher must hold the approver role and must have made no change to the
    version (created, edited or submitted it), so one person holding both roles cannot pass
    their own text.
    Runs every consistency rule and raises PublicationRefused listing all blocking problems
    (the refusal itself is audited). A version effective today supersedes the one it
    replaces at once; a later one takes over on its date (see ``activate_due_versions``).
    """
    with transaction.atomic():
        result = _publish(version, actor=actor, effective_from=effective_from)
    _live_set_changed()
    if isinstance(result, list):
        with transaction.atomic():
            record(
                "catalog.publication_refused",
                actor,
                version.item,
                {"version": version.number, "rules": [p.rule for p in result]},
            )
        raise PublicationRefused(result)
    return result


def _publish(version: ItemVersion, *, actor: User, effective_from: datetime.date | None) -> ItemVersion | list[Problem]:
    _require_approver(actor)
    version = _lock_version(version)
    if version.state != VersionState.SUBMITTED:
        raise ValidationError(_("只有待审核的版本可以发布。"))
    if version.submitted_by_id == actor.pk:
        raise PermissionDenied(_("提交人不能发布自己提交的版本，须由另一位审批人员发布（双人复核）。"))
    if version.editors.filter(pk=actor.pk).exists():
        raise PermissionDenied(_("您编辑过这个版本，不能再发布它，须由另一位审批人员发布（双人复核）。"))
    today = timezone.localdate()
    effective_from = effective_from or today
    if effective_from < today:
        raise ValidationError(_("生效日期不能早于今天。"))
    blocking = [p for p in check_version(version) if p.is_blocking]
    if blocking:
        return blocking
    version.state = VersionState.PUBLISHED
    version.published_by = actor
    version.published_at = timezone.now()
    version.effective_from = effective_from
    version.save(update_fields=["state", "published_by", "published_at", "effective_from"])
    record(
        "catalog.version_published",
        actor,
        version.item,
        {"version": version.number, "effective_from": effective_from.isoformat()},
    )
    if effective_from <= today:
        _supersede_older(version)
    return version


def _supersede_older(version: ItemVersion) -> None:
    ItemVersion.objects.filter(item_id=version.item_id, state=VersionState.PUBLISHED, number__lt=version.number).update(
        state=VersionState.SUPERSEDED
    )


@transaction.atomic
def activate_due_versions(today: datetime.date | None = None) -> int:
    """Let versions published for a later date take over once their date has come; idempotent."""
    today = today or timezone.localdate()
    count = 0
    for version in ItemVersion.objects.select_for_update().filter(
        state=VersionState.PUBLISHED, effective_from__lte=today
    ):
        older = ItemVersion.objects.filter(
            item_id=version.item_id, state=VersionState.PUBLISHED, number__lt=version.number
        )
        count += older.update(state=VersionState.SUPERSEDED)
    _live_set_changed()
    return count


@transaction.atomic
def set_item_status(item: ServiceItem, status: str, *, actor: User, reason: str) -> ServiceItem:
    """Suspend, cancel or resume an item (approver only, with a reason). Cancelled is final."""
    _require_approver(actor)
    item = ServiceItem.objects.select_for_update().get(pk=item.pk)
    if item.status == ItemStatus.CANCELLED:
        raise ValidationError(_("已取消的事项不能再变更状态。"))
    if not reason.strip():
        raise ValidationError(_("请填写变更事项状态的原因。"))
    previous = item.status
    item.status = status
    item.status_reason = reason
    item.save(update_fields=["status", "status_reason"])
    record("catalog.item_status_changed", actor, item, {"from": previous, "to": status, "reason": reason})
    _live_set_changed()
    return item


def _live_set_changed() -> None:
    """This process reads the live catalog afresh at once, and again once the change is committed
    (another thread may read the old one in between); other processes within a second."""
    forget_live_catalog()
    transaction.on_commit(forget_live_catalog)
