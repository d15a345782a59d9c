"""一件事 (a bundle): several catalog items applied for at once — 一次告知、一表申请、一套材料.

A bundle is data (``Bundle`` and its items, kept in the admin). Its form is the items' own forms
joined: a field of the same name in two items is asked once; its materials are the items'
materials joined: the same licence type, or the same material name, is asked once (one upload,
or one licence the platform holds, for every item that needs it). Filing makes one case per item
through ``cases.actions.submit_case`` — each handled by its own unit, in parallel — all or none:
if any item's application is refused, nothing is filed and every problem is shown at once. The
applicant follows them as one thing with one status.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from govhall.audit.actions import record
from govhall.cases.actions import submit_case
from govhall.cases.constants import FINISHED_STATUSES, CaseStatus
from govhall.catalog.constants import ItemStatus, MaterialNeed
from govhall.catalog.queries import live_versions
from govhall.proactive.models import Bundle, BundleCase, BundleFiling


@dataclass
class MaterialGroup:
    """One material asked once for the bundle: the items' materials of the same licence type or name."""

    key: str
    name: str
    licence_type_code: str
    required: bool
    materials: list[Any] = field(default_factory=list)  # (catalog Material) of each item that needs it


@dataclass
class BundleForm:
    """What the bundle asks: the joined schema, its UI order, and the material groups."""

    bundle: Bundle
    versions: list[Any]
    schema: dict[str, Any]
    ui: dict[str, Any]
    groups: list[MaterialGroup]


def live_bundle_versions(bundle: Bundle) -> list[Any]:
    """The live version of each item of the bundle, in the bundle's order; refused if one is not live."""
    members = list(bundle.members.select_related("item").order_by("order", "pk"))
    live = live_versions().filter(item__in=[m.item for m in members], item__status=ItemStatus.IN_USE)
    versions = {v.item_id: v for v in live.select_related("handling_department")}
    missing = [m.item.implementation_code for m in members if m.item_id not in versions]
    if not bundle.is_active or not members or missing:
        raise ValidationError(
            _("“%(name)s”中有事项当前未发布或已暂停办理，暂不能一并申请，请分别办理。") % {"name": bundle.name},
            code="not_live",
        )
    return [versions[m.item_id] for m in members]


def bundles_for_units(departments: list[int]) -> list[tuple[Bundle, list[Any]]]:
    """The active bundles whose every live item is handled by one of these units (a window clerk's), with
    their items' live versions."""
    offered = []
    for bundle in Bundle.objects.filter(is_active=True):
        try:
            versions = live_bundle_versions(bundle)
        except ValidationError:
            continue
        if all(version.handling_department_id in departments for version in versions):
            offered.append((bundle, versions))
    return offered


def bundle_form(bundle: Bundle) -> BundleForm:
    versions = live_bundle_versions(bundle)
    properties: dict[str, Any] = {}
    required: list[str] = []
    order: list[str] = []
    ui: dict[str, Any] = {}
    groups: dict[str, MaterialGroup] = {}
    for version in versions:
        schema = version.form_schema or {}
        for name, spec in schema.get("properties", {}).items():
            properties.setdefault(name, spec)  # asked once, as the first item words it
        required += [name for name in schema.get("required", []) if name not in required]
        version_ui = version.form_ui or {}
        for name in [*version_ui.get("ui:order", []), *schema.get("properties", {})]:
            if name in properties and name not in order:
                order.append(name)
        ui.update({k: v for k, v in version_ui.items() if k != "ui:order" and k not in ui})
        for material in version.materials.all():
            key = f"licence:{material.licence_type_code}" if material.licence_type_code else f"name:{material.name}"
            group = groups.setdefault(key, MaterialGroup(key, material.name, material.licence_type_code, False, []))
            group.materials.append(material)
            group.required = group.required or material.need == MaterialNeed.REQUIRED
    ui["ui:order"] = order
    return BundleForm(
        bundle, versions, {"type": "object", "properties": properties, "required": required}, ui, list(groups.values())
    )


def _copy(upload: UploadedFile) -> UploadedFile:
    """A fresh file for one more case (each case keeps its own copy of the material)."""
    upload.seek(0)
    content = upload.read()
    upload.seek(0)
    return SimpleUploadedFile(
        upload.name or "material", content, content_type=upload.content_type or "application/octet-stream"
    )


def file_bundle(
    bundle: Bundle,
    *,
    applicant: Any,
    answers: dict[str, Any],
    uploads: dict[str, UploadedFile],
    licences: dict[str, str],
    submit_key: str,
    entity: Any = None,
    filed_by: Any = None,
) -> BundleFiling:
    """File the bundle: one case per item, all or none; idempotent per ``submit_key``.

    ``uploads`` and ``licences`` are by material group key. Raises ValidationError with every
    item's problems at once (a material's under ``group:<key>``), PermissionDenied if the
    account may not apply. ``filed_by``: the window clerk filing it for the applicant at the
    hall (一窗受理), who must be a clerk of every item's unit (``submit_case`` checks each).
    """
    existing = BundleFiling.objects.filter(applicant=applicant, submit_key=submit_key).first()
    if existing is not None:
        return existing
    form = bundle_form(bundle)
    group_of = {material.pk: group for group in form.groups for material in group.materials}
    errors: dict[str, list[str]] = {}
    try:
        with transaction.atomic():
            filing = BundleFiling.objects.create(
                bundle=bundle, applicant=applicant, entity=entity, submit_key=submit_key
            )
            for n, version in enumerate(form.versions, start=1):
                names = set((version.form_schema or {}).get("properties", {}))
                files, chosen = {}, {}
                for material in version.materials.all():
                    group = group_of[material.pk]
                    if licences.get(group.key):
                        chosen[material.pk] = licences[group.key]
                    elif group.key in uploads:
                        files[material.pk] = _copy(uploads[group.key])
                try:
                    case = submit_case(
                        version, applicant=applicant, entity=entity, submit_key=f"{submit_key[:56]}:{n}",
                        form_data={k: v for k, v in answers.items() if k in names}, files=files, licences=chosen,
                        filed_by=filed_by,
                    )  # fmt: skip
                except ValidationError as error:
                    for key, messages in error.message_dict.items():
                        if key.startswith(("material_", "licence_")) and key.split("_", 1)[1].isdigit():
                            key = f"group:{group_of[int(key.split('_', 1)[1])].key}"
                        for message in messages:
                            if message not in errors.setdefault(key, []):
                                errors[key].append(message)
                    continue
                BundleCase.objects.create(filing=filing, case=case)
            if errors:
                raise ValidationError(errors)
            record(
                "proactive.bundle_filed", filed_by or applicant, filing,
                {"bundle": bundle.code, "cases": len(form.versions), "channel": "window" if filed_by else "online"},
            )  # fmt: skip
    except IntegrityError:
        # A double click with the same key won the race; answer with its filing:
        return BundleFiling.objects.get(applicant=applicant, submit_key=submit_key)
    return filing


@dataclass(frozen=True)
class FilingStatus:
    label: str
    cases: list[Any]
    done: bool
    rate_case: Any = None  # once all have ended: a closed case whose rating page rates the bundle (once)


def filing_status(filing: BundleFiling) -> FilingStatus:
    """One status for the bundle's cases: what the applicant must do first, then in progress, then done."""
    cases = [link.case for link in filing.links.select_related("case__item_version", "case__department")]
    statuses = {case.status for case in cases}
    if CaseStatus.CORRECTION_REQUESTED in statuses:
        label = _("有事项需要您补正，请打开该事项补正")
    elif statuses and statuses <= FINISHED_STATUSES:
        label = _("全部办结")
    else:
        done = sum(1 for case in cases if case.status in FINISHED_STATUSES)
        label = _("办理中：%(done)s / %(total)s 项已办结") % {"done": done, "total": len(cases)}
    ended = bool(statuses) and statuses <= FINISHED_STATUSES
    closed = [case for case in cases if case.status == CaseStatus.CLOSED]
    return FilingStatus(label, cases, ended, closed[0] if ended and closed else None)
