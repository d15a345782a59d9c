"""Every write to a case. Each status change goes through ``move()``, under a row lock."""

from __future__ import annotations

import datetime
import functools
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from govhall.audit.actions import record
from govhall.cases import tasks
from govhall.cases.constants import (
    OPEN_STATUSES,
    TRANSITIONS,
    CaseAction,
    CaseStatus,
    Channel,
    Decision,
    EventKind,
    Warning,
)
from govhall.cases.messages import applicant_message, day
from govhall.cases.models import Case, CaseEvent, CaseMaterial, CaseSerial, Countersign
from govhall.catalog.constants import ItemStatus, LimitUnit, MaterialNeed, StepKind
from govhall.catalog.models import ItemVersion, ProcessStep
from govhall.catalog.queries import live_versions
from govhall.holidays.actions import load_year
from govhall.holidays.queries import get_calendar
from govhall.identity.constants import Role, UserKind
from govhall.identity.models import Department, LegalEntity, Membership, User
from govhall.identity.queries import departments_covered, list_entities_for
from govhall.lib.errors import Conflict
from govhall.lib.jsonforms import validate_answers, with_known_answers
from govhall.lib.signing import SignatureCheck, SignatureStatus, check_pdf_signatures
from govhall.lib.storage import (
    discard_files_on_rollback,
    files_discarded_on_rollback,
    save_until_committed,
)
from govhall.lib.uploads import inspect_upload
from govhall.lib.workdays import Count, WorkingCalendar
from govhall.licences import queries as licence_queries
from govhall.licences.actions import issue_licence, renew_licence
from govhall.licences.constants import LicenceStatus
from govhall.licences.models import Licence, LicenceType
from govhall.proactive.actions import notify, notify_many


class InvalidTransition(Conflict):
    """The case is not in a status from which this action is allowed."""


def move(
    case: Case,
    to: str,
    *,
    actor: Any,
    kind: str,
    opinion: str = "",
    data: dict[str, Any] | None = None,
) -> CaseEvent:
    """Change the status of a locked case along the transition table; append the event and audit it."""
    if to not in TRANSITIONS[case.status]:
        raise InvalidTransition(
            _("办件当前为“%(status)s”，不能进行这个操作。") % {"status": case.get_status_display()},
            code="invalid_transition",
        )
    from_status = case.status
    case.status = to
    if to not in OPEN_STATUSES:
        # A decided or ended case promises no date any more; only an open one waits for a notice:
        case.due_is_provisional = case.statutory_due_is_provisional = False
    case.save()
    event = CaseEvent.objects.create(
        case=case,
        kind=kind,
        from_status=from_status,
        to_status=to,
        step_order=case.step_order,
        actor=actor if isinstance(actor, User) else None,
        actor_label=actor.get_username() if isinstance(actor, User) else str(actor or "system"),
        opinion=opinion,
        data=data or {},
    )
    record(f"cases.{kind}", actor, case, {"from": from_status, "to": to, **(data or {})})
    if kind in APPLICANT_EVENTS:
        _notify_applicant(case, event)
    return event


# What the applicant is told of (the rest is internal to the bureau):
APPLICANT_EVENTS = {
    "submitted",
    "accepted",
    "correction_requested",
    "correction_answered",
    "not_accepted",
    "extension_approved",
    "withdrawn",
    "special_procedure_started",
    "special_procedure_ended",
    "forwarded",
    "decided",
    "closed",
}


def _notify_applicant(case: Case, event: CaseEvent) -> None:
    # Written in the language the applicant chose, whoever's request caused it:
    with translation.override(case.applicant.language or settings.LANGUAGE_CODE):
        message = applicant_message(case, event)
    notify(case.applicant, message.subject, body=message.body, link=f"/my/cases/{case.public_id}/")


def _lock(case: Case) -> Case:
    return Case.objects.select_for_update(of=("self",)).select_related("item_version", "department").get(pk=case.pk)


def _today() -> datetime.date:
    return timezone.localdate()


# Submission ------------------------------------------------------------------------------


def _next_reference(implementation_code: str, day: datetime.date) -> str:
    # One counter row per code and day, created or incremented in one statement; its row stays
    # locked until commit, so the serial is unique and a rolled-back filing gives its number back:
    table, code, on, last = map(
        connection.ops.quote_name, [CaseSerial._meta.db_table, "implementation_code", "day", "last"]
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({code}, {on}, {last}) VALUES (%s, %s, 1) "
            f"ON CONFLICT ({code}, {on}) DO UPDATE SET {last} = {table}.{last} + 1 RETURNING {last}",
            [implementation_code, connection.ops.adapt_datefield_value(day)],
        )
        (last,) = cursor.fetchone()
    return f"{implementation_code}{day:%Y%m%d}{last:04d}"


def check_materials(
    version: ItemVersion,
    files: dict[int, UploadedFile],
    *,
    all_required: bool = True,
    already: frozenset[int] = frozenset(),
) -> dict[int, Any]:
    """Inspect every uploaded material; name each missing required one. Raises ValidationError.

    Returns the inspection of each file by material id. ``already`` names the materials
    provided otherwise (kept from a draft, or satisfied by a reused licence). The error has
    every problem at once, each under its upload's field name, ``material_<id>``.
    """
    errors: dict[str, list[str]] = {}
    inspected: dict[int, Any] = {}
    materials = {m.pk: m for m in version.materials.all()}
    for material_id, upload in files.items():
        if material_id not in materials:
            errors.setdefault(f"material_{material_id}", []).append(_("提交了本事项不需要的材料。"))
            continue
        try:
            inspected[material_id] = inspect_upload(
                upload,
                name=upload.name or "",
                size=upload.size or 0,
                max_bytes=settings.MATERIAL_MAX_BYTES,
                max_pages=settings.MATERIAL_MAX_PAGES,
            )
        except ValidationError as exc:
            errors.setdefault(f"material_{material_id}", []).extend(
                f"{materials[material_id].name}：{m}" for m in exc.messages
            )
    if all_required:
        for material in materials.values():
            if material.need == MaterialNeed.REQUIRED and material.pk not in files and material.pk not in already:
                errors[f"material_{material.pk}"] = [_("缺少必要材料：%(name)s。") % {"name": material.name}]
    if errors:
        raise ValidationError(errors)
    return inspected


def resolve_licences(
    version: ItemVersion,
    applicant: User,
    entity: LegalEntity | None,
    chosen: dict[int, str],
    reusable: dict[str, list[Licence]] | None = None,
) -> dict[int, Licence]:
    """The licences the applicant chose to provide instead of uploading, each checked to be theirs and valid.

    ``reusable``: what ``licences.queries.reusable_licences`` gave for this applicant (or
    entity) and the version's licence types in this same request, if the caller read it
    already (the application form does, for its choices); otherwise it is read here.
    """
    if not chosen:
        return {}
    materials = {m.pk: m for m in version.materials.all()}
    keys = licence_queries.holder_keys(applicant, entity)
    if reusable is None:
        codes = [m.licence_type_code for m in materials.values() if m.licence_type_code]
        reusable = licence_queries.reusable_licences(keys, codes)
    # Whoever passed them, only the applicant's own valid licences count:
    today = _today()
    held = {
        str(lic.public_id): lic
        for found in reusable.values()
        for lic in found
        if lic.holder_key in keys
        and lic.status == LicenceStatus.VALID
        and (lic.valid_until is None or lic.valid_until >= today)
    }
    resolved: dict[int, Licence] = {}
    refused: dict[str, list[ValidationError]] = {}
    for material_id, public_id in chosen.items():
        material = materials.get(material_id)
        licence = held.get(str(public_id))
        if material is None or licence is None or licence.licence_type.code != material.licence_type_code:
            # Every refused choice at once, each at its field (``licence_<material id>``):
            refused[f"licence_{material_id}"] = [
                ValidationError(
                    _("所选证照不能用于“%(name)s”：它不属于申请人、已失效，或类型不符。")
                    % {"name": material.name if material else "—"},
                    code="licence_not_usable",
                )
            ]
            continue
        resolved[material_id] = licence
    if refused:
        raise ValidationError(refused)
    return resolved


def _store_licences(case: Case, licences: dict[int, Licence], actor: User, *, replacing: bool = True) -> None:
    for material_id, licence in licences.items():
        if replacing:
            case.materials.filter(material_id=material_id, is_current=True).update(is_current=False)
        CaseMaterial.objects.create(
            case=case,
            material_id=material_id,
            licence=licence,
            original_name=f"{licence.licence_type.name} {licence.number}"[:120],
            content_type="licence",
            size=0,
            sha256=licence.document_sha256,
            page_count=0,
        )
        # Counted as a material not resubmitted (免提交):
        record("cases.licence_reused", actor, case, {"licence": licence.identifier, "material": material_id})


def _store_materials(
    case: Case, files: dict[int, UploadedFile], inspected: dict[int, Any], *, replacing: bool = True
) -> None:
    """Store the uploads as the case's current materials; ``replacing``: earlier ones may exist (not a new case).

    The caller's transaction is wrapped in ``lib.storage`` 's ``files_discarded_on_rollback``
    (or ``discard_files_on_rollback``): a filing that does not commit leaves no file.
    """
    for material_id, upload in files.items():
        info = inspected[material_id]
        if replacing:
            case.materials.filter(material_id=material_id, is_current=True).update(is_current=False)
        upload.name = f"material.{info.extension}"
        signature = (
            check_pdf_signatures(upload)
            if info.content_type == "application/pdf"
            else SignatureCheck(SignatureStatus.NONE)
        )
        upload.seek(0)
        material = CaseMaterial(
            case=case,
            material_id=material_id,
            original_name=info.safe_name,
            content_type=info.content_type,
            size=info.size,
            sha256=info.sha256,
            page_count=info.page_count,
            signature_status=signature.status,
            signature_signer=signature.signer[:300],
            signature_detail=signature.detail[:300],
        )
        # Kept only if this filing commits (lib.storage; the callers discard it on a rollback):
        name = material.file.field.generate_filename(material, upload.name)
        material.file = save_until_committed(name, upload, storage=material.file.storage)
        material.save()


def known_answers(applicant: User, entity: LegalEntity | None) -> dict[str, str]:
    """What the platform knows of the subject applying, by the form schema's ``x-source`` names.

    The application form shows these read-only and the actions put them in the answers
    whatever was posted (``lib.jsonforms``). Reads nothing beyond the two objects.
    """
    if entity is not None:
        return {"applicant_name": entity.name, "credit_code": entity.credit_code}
    return {"applicant_name": applicant.person.name if applicant.person else applicant.full_name}


def _check_may_apply(
    version: ItemVersion, applicant: User, entity: LegalEntity | None, *, checked_at_window: bool = False
) -> None:
    """``checked_at_window``: a window clerk filing for ``entity`` checked the agent's authorisation letter
    (the hall's counter requires it); nothing lasting is granted for it."""
    if applicant.kind != UserKind.APPLICANT:
        raise PermissionDenied(_("只有个人或企业账户可以提交申请。"))
    authorised = checked_at_window or (
        entity is not None and entity.authorisations.filter(user=applicant, is_active=True).exists()
    )
    if entity is not None and not authorised:
        raise PermissionDenied(_("您没有代表该单位办理的授权。"))
    # Read now from the database, not from the guide the page was built from (a process keeps
    # those): an item suspended, or a version replaced, elsewhere a moment ago takes no more.
    if not live_versions().filter(pk=version.pk, item__status=ItemStatus.IN_USE).exists():
        raise ValidationError(_("该事项当前未发布或已暂停办理，不能提交申请。"), code="not_live")


def save_draft(
    version: ItemVersion,
    *,
    applicant: User,
    form_data: dict[str, Any],
    files: dict[int, UploadedFile] | None = None,
    entity: LegalEntity | None = None,
    draft: Case | None = None,
    origin: str = "",
) -> Case:
    """Keep an unfinished application to resume later (草稿). Only the files themselves are checked.

    ``origin``: a ``CaseOrigin`` value, what led to a new draft; a draft saved again keeps its own.
    """
    _check_may_apply(version, applicant, entity)
    form_data = with_known_answers(version.form_schema or {}, form_data, known_answers(applicant, entity))
    files = files or {}
    inspected = check_materials(version, files, all_required=False)
    with files_discarded_on_rollback(), transaction.atomic():
        if draft is None:
            case = Case.objects.create(
                item_version=version,
                department=version.handling_department,
                applicant=applicant,
                person=applicant.person,
                entity=entity,
                applicant_name=entity.name if entity else applicant.full_name,
                status=CaseStatus.DRAFT,
                form_data=form_data,
                origin=origin,
            )
        else:
            case = _lock(draft)
            if case.applicant_id != applicant.pk or case.status != CaseStatus.DRAFT:
                raise PermissionDenied(_("这个草稿不能再修改。"))
            case.form_data = form_data
            case.save(update_fields=["form_data", "updated_at"])
        _store_materials(case, files, inspected, replacing=draft is not None)
        record("cases.draft_saved", applicant, case, {"fields": sorted(form_data), "files": len(files)})
    return case


RENEWABLE_STATUSES = (LicenceStatus.VALID, LicenceStatus.SUSPENDED, LicenceStatus.EXPIRED)
# A renewal under way: filed and not finished, so no second one is started and no reminder sent:
RENEWAL_UNDER_WAY = (*sorted(OPEN_STATUSES), CaseStatus.DRAFT)


def start_renewal(licence_public_id: Any, *, applicant: User) -> Case:
    """Open a renewal application (换证) for one of the applicant's licences, pre-filled from its case.

    The draft is for the live item that issues the licence's type, answers copied from the
    case that issued the licence (the applicant changes only what changed), and it names the
    licence it renews: approving it renews that licence. A second request returns the
    renewal already under way. Raises Http404 for a licence that is not the applicant's (or
    does not exist), ValidationError when it cannot be renewed here.
    """
    licence = licence_queries.licences_of(applicant).filter(public_id=licence_public_id).first()
    if licence is None:
        raise Http404
    under_way = Case.objects.filter(
        renews_licence=licence.public_id, applicant=applicant, status__in=RENEWAL_UNDER_WAY
    ).first()
    if under_way is not None:
        return under_way
    if licence.status not in RENEWABLE_STATUSES:
        raise ValidationError(
            _("这本证照已%(status)s，不能换证；如需继续经营，请重新申请。") % {"status": licence.get_status_display()}
        )
    version = (
        live_versions()
        .filter(result_licence_type_code=licence.licence_type.code, item__status=ItemStatus.IN_USE)
        .select_related("item")
        .first()
    )
    if version is None:
        raise ValidationError(_("本平台没有办理这类证照换证的事项，请联系颁发机关。"))
    entity = next((e for e in list_entities_for(applicant) if e.credit_code == licence.holder_key), None)
    issuing = Case.objects.filter(public_id=licence.case_public_id).first() if licence.case_public_id else None
    fields = (version.form_schema or {}).get("properties", {})
    answers = {k: v for k, v in (issuing.form_data if issuing else licence.face).items() if k in fields}
    with transaction.atomic():
        draft = save_draft(version, applicant=applicant, form_data=answers, entity=entity)
        draft.renews_licence = licence.public_id
        draft.save(update_fields=["renews_licence"])
        record("cases.renewal_started", applicant, draft, {"licence": licence.identifier})
    return draft


def submit_case(
    version: ItemVersion,
    *,
    applicant: User,
    form_data: dict[str, Any],
    submit_key: str,
    entity: LegalEntity | None = None,
    files: dict[int, UploadedFile] | None = None,
    draft: Case | None = None,
    licences: dict[int, str] | None = None,
    reusable: dict[str, list[Licence]] | None = None,
    filed_by: User | None = None,
    origin: str = "",
) -> Case:
    """File an application for a live item version (or a saved draft); idempotent per ``submit_key``.

    ``filed_by``: the window clerk filing it at the hall for the applicant (一窗受理; channel
    "window"), who must be a clerk of the handling department; the applicant's account is the
    case's, and the clerk is the actor of its first event. Filing for ``entity`` at the window,
    the clerk has checked the agent's letter of authorisation (the submitted event says so).

    ``licences``: material id -> the public id of a licence chosen instead of an upload;
    ``reusable``: the applicant's reusable licences if just read (see ``resolve_licences``).
    ``origin``: a ``CaseOrigin`` value, what led to the application; a case filed from a draft
    keeps the draft's origin (fixed when the draft was started).

    A retried or double-clicked submit (same key) returns the case made the first time.
    Materials already uploaded to the draft count; the fields the platform knows
    (``known_answers``) take its own values. Raises ValidationError if the item is not open
    for applications, or with every problem of the answers, the chosen licences and the
    materials at once (each under its field name), PermissionDenied if the account may not
    apply (or not for ``entity``).
    """
    if not submit_key or len(submit_key) > 64:
        raise ValidationError(_("提交请求缺少有效的防重复标识，请刷新页面后重试。"))
    existing = Case.objects.filter(applicant=applicant, submit_key=submit_key).first()
    if existing is not None:
        return existing
    _check_may_apply(version, applicant, entity, checked_at_window=filed_by is not None)
    if filed_by is not None and not _holds(filed_by, (Role.CLERK,), version.handling_department_id):
        raise PermissionDenied(_("您不是办理该事项部门的窗口受理人员，不能代为录入申请。"))
    if draft is not None and (draft.applicant_id != applicant.pk or draft.status != CaseStatus.DRAFT):
        raise PermissionDenied(_("这个草稿不能再修改。"))
    schema = version.form_schema or {"type": "object"}
    form_data = with_known_answers(schema, form_data, known_answers(applicant, entity))
    # Every problem in one answer, the applicant corrects them all in one round:
    problems: dict[str, list[str]] = validate_answers(schema, form_data)
    files = files or {}
    reused: dict[int, Licence] = {}
    try:
        reused = resolve_licences(version, applicant, entity, licences or {}, reusable)
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            problems.setdefault(field, []).extend(messages)
    for material_id in reused:
        files.pop(material_id, None)  # a licence chosen: nothing uploaded for that material
    kept = draft.materials.filter(is_current=True).values_list("material_id", flat=True) if draft else ()
    # A refused licence choice is named at its field; it is not also a missing material:
    chosen = [material_id for material_id in (licences or {}) if material_id not in reused]
    try:
        inspected = check_materials(version, files, already=frozenset([*kept, *reused, *chosen]))
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            problems.setdefault(field, []).extend(messages)
    if problems:
        raise ValidationError(problems)
    try:
        with files_discarded_on_rollback(), transaction.atomic():
            if draft is not None:
                case = _lock(draft)
                case.form_data = form_data
                case.submit_key = submit_key
            else:
                case = Case.objects.create(
                    item_version=version,
                    department=version.handling_department,
                    applicant=applicant,
                    person=applicant.person,
                    entity=entity,
                    applicant_name=entity.name if entity else applicant.full_name,
                    status=CaseStatus.DRAFT,
                    form_data=form_data,
                    submit_key=submit_key,
                    channel=Channel.WINDOW if filed_by else Channel.ONLINE,
                    filed_by=filed_by,
                    origin=origin,
                )
            _store_materials(case, files, inspected, replacing=draft is not None)
            # The day's serial is locked until commit: taken after the file writes, so submissions
            # of one item wait on each other only for the statements that follow — and before any
            # audit record, so every transaction takes the serial, then the audit chain head, in
            # that order (no deadlock):
            case.reference = _next_reference(version.item.implementation_code, _today())
            case.submitted_at = timezone.now()
            _store_licences(case, reused, applicant, replacing=draft is not None)
            move(
                case, CaseStatus.SUBMITTED, actor=filed_by or applicant, kind="submitted",
                data={"reference": case.reference, "channel": case.channel,
                      # For a company at the window: its agent's letter of authorisation was checked there:
                      **({"agent_authorisation": "checked_at_window"} if entity and filed_by else {})},
            )  # fmt: skip
    except IntegrityError:
        # A concurrent request with the same key won the race; answer with its case:
        return Case.objects.get(applicant=applicant, submit_key=submit_key)
    return case


# Acceptance and the clock ------------------------------------------------------------------


def _due(start: datetime.date, days: int, unit: str, calendar: WorkingCalendar) -> Count:
    if unit == LimitUnit.IMMEDIATE:
        return Count(start, False)
    if unit == LimitUnit.NATURAL_DAYS:
        return Count(start + datetime.timedelta(days=days), False)
    return calendar.count_working_days(start, days)


def _clock_date(case: Case, limit: int, unit: str, calendar: WorkingCalendar) -> Count:
    assert case.accepted_on is not None
    base = _due(case.accepted_on, limit, unit, calendar)
    # The paused working days and an approved extension, added to the limit's date at once;
    # the same date as adding them one by one when they happened (n working days after a
    # date, then m more, is n + m after it):
    more = case.paused_working_days + (case.extension_days if case.extension_approved else 0)
    moved = calendar.count_working_days(base.date, more)
    return Count(moved.date, base.is_provisional or moved.is_provisional)


def _set_due_dates(case: Case, calendar: WorkingCalendar) -> None:
    """Set an accepted case's due dates from its clock, and whether they are provisional.

    The one computation of the due dates — at acceptance, when a paused clock resumes, when
    an extension is granted and when a year's holiday notice is loaded — from the acceptance
    date, the item version's limits, ``paused_working_days`` and an approved extension. The
    dates are provisional if a count touched a year whose notice is not loaded (counted on
    the statutory holidays alone), or a pause did; each date has its mark. Raises BeyondCalendar (a ValidationError)
    for a year the calendar cannot count.
    """
    version = case.item_version
    due = _clock_date(case, version.committed_limit, version.committed_unit, calendar)
    statutory = _clock_date(case, version.statutory_limit, version.statutory_unit, calendar)
    assert case.accepted_on is not None
    # Every pause lies between the acceptance and today:
    paused_until = _today() if case.paused_working_days else case.accepted_on
    paused_provisionally = calendar.is_provisional_between(case.accepted_on, paused_until)
    case.due_on, case.statutory_due_on = due.date, statutory.date
    case.due_is_provisional = due.is_provisional or paused_provisionally
    case.statutory_due_is_provisional = statutory.is_provisional or paused_provisionally


def _steps(case: Case) -> list[ProcessStep]:
    # Read once per loaded version: one action asking "where is the case" and "what comes next" reads them once.
    return case.item_version.ordered_steps


def _next_step_order(case: Case, after: int | None) -> int | None:
    for step in _steps(case):
        if after is None or step.order > after:
            return step.order
    return None


# Who may do what, now ---------------------------------------------------------------------------
# One rule per desk action. The action calls it (under its row lock) to refuse; the desk page
# and the API's case view call it to offer only what the server will take. Never a second copy.

# The roles that may give a department's countersign opinion:
COUNTERSIGN_ROLES = (Role.CLERK, Role.REVIEWER, Role.APPROVER)
_STEP_KINDS = {
    CaseAction.COMPLETE_STEP: frozenset({StepKind.REVIEW, StepKind.SITE_INSPECTION}),
    CaseAction.COUNTERSIGN: frozenset({StepKind.COUNTERSIGN}),
    CaseAction.DECIDE: frozenset({StepKind.DECISION}),
    CaseAction.FORWARD: frozenset({StepKind.DECISION}),
}
# Actions of the handling unit (not of a step), the roles they need there and the statuses they start from:
_UNIT_ACTIONS: dict[CaseAction, tuple[tuple[str, ...], frozenset[str]]] = {
    CaseAction.ACCEPT: ((Role.CLERK,), frozenset({CaseStatus.SUBMITTED})),
    CaseAction.NOT_ACCEPT: ((Role.CLERK,), frozenset({CaseStatus.SUBMITTED})),
    CaseAction.CORRECTION: ((Role.CLERK,), frozenset({CaseStatus.SUBMITTED, CaseStatus.IN_PROGRESS})),
    CaseAction.CLOSE: ((Role.CLERK,), frozenset({CaseStatus.APPROVED, CaseStatus.DENIED})),
    CaseAction.SPECIAL_START: ((Role.REVIEWER, Role.APPROVER), frozenset({CaseStatus.IN_PROGRESS})),
    CaseAction.SPECIAL_END: ((Role.REVIEWER, Role.APPROVER), frozenset({CaseStatus.SPECIAL_PROCEDURE})),
    CaseAction.EXTENSION_REQUEST: (
        (Role.CLERK, Role.REVIEWER),
        frozenset({CaseStatus.IN_PROGRESS, CaseStatus.COUNTERSIGNING}),
    ),
    CaseAction.EXTENSION_APPROVE: ((Role.APPROVER,), frozenset({CaseStatus.IN_PROGRESS, CaseStatus.COUNTERSIGNING})),
    CaseAction.EXTENSION_REFUSE: ((Role.APPROVER,), frozenset({CaseStatus.IN_PROGRESS, CaseStatus.COUNTERSIGNING})),
}


def current_step(case: Case) -> ProcessStep | None:
    return next((s for s in _steps(case) if s.order == case.step_order), None)


def _holds(actor: Any, roles: tuple[str, ...], department_id: int) -> bool:
    """Does ``actor`` hold one of ``roles`` in the department or a unit above it (the bureau covers its units)?"""
    if not getattr(actor, "is_active", False):
        return False
    return any(department_id in departments_covered(actor, [role]) for role in roles)


def _no_role() -> PermissionDenied:
    return PermissionDenied(_("您在承办部门没有执行这个操作所需的岗位角色。"))


def _not_now(case: Case) -> InvalidTransition:
    return InvalidTransition(
        _("办件当前为“%(status)s”，不能进行这个操作。") % {"status": case.get_status_display()},
        code="invalid_transition",
    )


def _last_actor(case: Case, kind: str) -> int | None:
    return case.events.filter(kind=kind).order_by("-pk").values_list("actor_id", flat=True).first()


def _refuse_input(problems: dict[str, str]) -> None:
    """Refuse the input with every problem at once, each at its field (named as the action's argument)."""
    if problems:
        raise ValidationError(problems)


def _refusal(
    actor: Any, case: Case, action: CaseAction, step: ProcessStep | None, countersign: Countersign | None
) -> PermissionDenied | ValidationError | None:
    """Why ``actor`` may not take ``action`` on ``case`` now, or None if they may (see check_case_action)."""
    if action in _STEP_KINDS:
        if case.status != CaseStatus.IN_PROGRESS:
            return InvalidTransition(_("办件不在办理中。"), code="invalid_transition")
        if step is None or step.kind not in _STEP_KINDS[action]:
            return InvalidTransition(
                _("办件当前环节是“%(step)s”，不能跳过它执行这个操作。") % {"step": step.name if step else "—"},
                code="wrong_step",
            )
        # An item a higher authority decides is forwarded up at the decision step, never decided here:
        decided_above = case.item_version.decided_above
        if action == CaseAction.DECIDE and decided_above:
            return InvalidTransition(_("该事项由上级机关决定：请在初审后报上级审批。"), code="decided_above")
        if action == CaseAction.FORWARD and not decided_above:
            return InvalidTransition(_("该事项由本局决定，不需要报上级审批。"), code="decided_here")
        # The step's role in the step's department (or the handling unit), or a unit above it:
        return None if _holds(actor, (step.role,), step.department_id or case.department_id) else _no_role()
    if action == CaseAction.COUNTERSIGN_ANSWER:
        return _countersign_refusal(actor, case, countersign)
    roles, statuses = _UNIT_ACTIONS[action]
    if not _holds(actor, roles, case.department_id):
        return _no_role()
    if action == CaseAction.CLOSE and case.status == CaseStatus.APPROVED and step and step.kind == StepKind.FEE:
        return InvalidTransition(_("尚未缴费：费用缴清（缴费环节完成）后才能办结。"), code="fee_unpaid")
    if action == CaseAction.ACCEPT and case.status != CaseStatus.SUBMITTED:
        return InvalidTransition(_("只有待受理的办件可以受理。"), code="invalid_transition")
    if action == CaseAction.EXTENSION_REQUEST and (case.status not in statuses or case.extension_days):
        return InvalidTransition(_("这个办件不能再申请延期。"), code="invalid_transition")
    if action in {CaseAction.EXTENSION_APPROVE, CaseAction.EXTENSION_REFUSE}:
        if not case.extension_days or case.extension_approved or case.status not in statuses:
            return InvalidTransition(_("没有待批准的延期申请。"), code="invalid_transition")
        # Four eyes: whoever asked for more time does not also grant it (or turn it down):
        if _last_actor(case, "extension_requested") == actor.pk:
            return PermissionDenied(_("延期申请须由申请人以外的审批人员审批。"))
    if case.status not in statuses:
        return _not_now(case)
    return None


def _countersign_refusal(
    actor: Any, case: Case, countersign: Countersign | None
) -> PermissionDenied | ValidationError | None:
    if countersign is None or countersign.case_id != case.pk:
        return ValidationError(_("找不到这个会签请求。"))
    if case.status != CaseStatus.COUNTERSIGNING or countersign.answered_at is not None:
        return InvalidTransition(_("这个会签已经答复，或办件不在会签中。"), code="invalid_transition")
    # The opinion is the asked department's own: its people answer, not the bureau above it:
    if (
        not getattr(actor, "is_active", False)
        or not Membership.objects.filter(
            user_id=actor.pk, department_id=countersign.department_id, role__in=COUNTERSIGN_ROLES
        ).exists()
    ):
        return PermissionDenied(_("只有被请求会签部门的工作人员可以答复。"))
    if _last_actor(case, "countersign_requested") == actor.pk:
        return PermissionDenied(_("发起会签的人员不能代替被会签部门答复。"))
    # One person, one opinion: someone in two of the asked departments does not answer for both:
    if case.countersigns.filter(answered_by_id=actor.pk).exists():
        return PermissionDenied(_("您已就本办件提交过会签意见，不能再代表另一个部门答复。"))
    return None


def check_case_action(
    actor: Any, case: Case, action: CaseAction, *, countersign: Countersign | None = None
) -> ProcessStep | None:
    """Refuse unless ``actor`` may take ``action`` on ``case`` now; return the case's current step.

    The one rule of the desk: the status the action starts from, the kind of the current
    step, the role the step (or the action) needs in its department or a unit above it, and
    the four-eyes rules (an extension is granted, a countersign answered, by someone other
    than who asked). A countersign is answered by the people of the asked department itself,
    one department per person. The input (an opinion, a choice) is the action's to check.
    Raises InvalidTransition (the case is not there now) or PermissionDenied (not this person).
    """
    step = current_step(case)
    refusal = _refusal(actor, case, action, step, countersign)
    if refusal is not None:
        raise refusal
    return step


@dataclass(frozen=True)
class AvailableActions:
    """What one member of staff may do to one case now: what the desk offers them."""

    actions: frozenset[CaseAction]
    countersigns: tuple[Countersign, ...]  # the asked departments' countersigns they may answer
    step: ProcessStep | None

    def __bool__(self) -> bool:
        return bool(self.actions)


def available_actions_for(user: Any, case: Case) -> AvailableActions:
    """Every action ``user`` may take on ``case`` now, by ``check_case_action``'s rule (the desk's forms)."""
    step = current_step(case)
    pending = case.countersigns.filter(answered_at__isnull=True).select_related("department")
    countersigns = tuple(
        countersign
        for countersign in (pending if case.status == CaseStatus.COUNTERSIGNING else [])
        if _refusal(user, case, CaseAction.COUNTERSIGN_ANSWER, step, countersign) is None
    )
    possible = frozenset(
        action
        for action in CaseAction
        if action != CaseAction.COUNTERSIGN_ANSWER and _refusal(user, case, action, step, None) is None
    )
    return AvailableActions(possible | ({CaseAction.COUNTERSIGN_ANSWER} if countersigns else set()), countersigns, step)


@transaction.atomic
def accept_case(case: Case, *, actor: User, note: str = "") -> Case:
    """Accept a submitted case (受理) and start its clocks; the acceptance day is not counted.

    A due date in a year whose holiday notice is not loaded is counted on the statutory
    holidays and marked provisional (``due_is_provisional``); a year beyond the rules' range
    is refused (BeyondCalendar, a ValidationError the clerk is shown) and nothing changes.
    """
    case = _lock(case)
    check_case_action(actor, case, CaseAction.ACCEPT)
    case.accepted_on = _today()
    _set_due_dates(case, get_calendar())
    assert case.due_on is not None and case.statutory_due_on is not None
    accept = next((s for s in _steps(case) if s.kind == StepKind.ACCEPT), None)
    case.step_order = _next_step_order(case, accept.order if accept else None)
    move(
        case,
        CaseStatus.IN_PROGRESS,
        actor=actor,
        kind="accepted",
        opinion=note,
        data={
            "due_on": case.due_on.isoformat(),
            "statutory_due_on": case.statutory_due_on.isoformat(),
            "due_is_provisional": case.due_is_provisional,
            "statutory_due_is_provisional": case.statutory_due_is_provisional,
        },
    )
    case_id = case.pk
    transaction.on_commit(lambda: tasks.keep_acceptance_notice.enqueue(case_id))
    return case


@transaction.atomic
def keep_acceptance_notice(case_id: int) -> bool:
    """Make, sign and keep an accepted case's acceptance notice, once; False if there is nothing to do.

    The task queued after acceptance runs this; the notice's page and archiving call it too
    when that task has not run yet. Locks the case row, so two callers keep one notice; the
    file is removed again if the transaction rolls back.
    """
    case = Case.objects.select_for_update().filter(pk=case_id).first()
    if case is None or case.accepted_on is None or case.acceptance_notice:
        return False
    from govhall.cases.documents import render_acceptance_notice

    name = save_until_committed(
        f"cases/{case.public_id}/acceptance-notice-{uuid.uuid4().hex}.pdf",
        ContentFile(render_acceptance_notice(case)),
        storage=case.acceptance_notice.storage,
    )
    case.acceptance_notice.name = name
    case.save(update_fields=["acceptance_notice"])
    record("cases.acceptance_notice_kept", None, case, {"file": name})
    return True


@transaction.atomic
def request_correction(case: Case, *, actor: User, items: list[str]) -> Case:
    """Ask the applicant for every missing or wrong material at once; an accepted case's clock pauses."""
    case = _lock(case)
    check_case_action(actor, case, CaseAction.CORRECTION)
    items = [i.strip() for i in items if i.strip()]
    if not items:
        raise ValidationError({"items": _("请逐项列出需要补正的材料或内容。")})
    if case.accepted_on and case.status == CaseStatus.IN_PROGRESS:
        case.paused_on = _today()
    move(case, CaseStatus.CORRECTION_REQUESTED, actor=actor, kind="correction_requested", data={"corrections": items})
    return case


def _resume_clock(case: Case) -> dict[str, Any]:
    """Extend the due dates by exactly the working days the case was paused; return the pause for its event.

    The pause's dates go into the event, so that a holiday notice loaded later recounts it
    (``_paused_working_days``).
    """
    if case.paused_on is None:
        return {"paused_working_days": 0}
    calendar = get_calendar()
    today = _today()
    paused = calendar.working_days_between(case.paused_on, today)
    pause = {
        "paused_working_days": paused,
        "paused_from": case.paused_on.isoformat(),
        "paused_until": today.isoformat(),
    }
    case.paused_working_days += paused
    case.paused_on = None
    if case.accepted_on:
        _set_due_dates(case, calendar)
    return pause


@discard_files_on_rollback
@transaction.atomic
def answer_correction(
    case: Case,
    *,
    applicant: User,
    note: str,
    form_data: dict[str, Any] | None = None,
    files: dict[int, UploadedFile] | None = None,
) -> Case:
    """The applicant answers a correction request (with replacement materials); back to the clerk."""
    case = _lock(case)
    if case.applicant_id != applicant.pk:
        raise PermissionDenied(_("这不是您的办件。"))
    if case.status != CaseStatus.CORRECTION_REQUESTED:
        raise InvalidTransition(_("这个办件没有待补正的内容。"), code="invalid_transition")
    if not note.strip():
        raise ValidationError(_("请说明补正的内容。"))
    if form_data is not None:
        problems = validate_answers(case.item_version.form_schema or {"type": "object"}, form_data)
        if problems:
            raise ValidationError([m for messages in problems.values() for m in messages])
        case.form_data = form_data
    if files:
        _store_materials(case, files, check_materials(case.item_version, files, all_required=False))
    pause = _resume_clock(case)
    to = CaseStatus.IN_PROGRESS if case.accepted_on else CaseStatus.SUBMITTED
    move(case, to, actor=applicant, kind="correction_answered", opinion=note, data=pause)
    return case


@transaction.atomic
def not_accept_case(case: Case, *, actor: User, reason: str, legal_basis: str) -> Case:
    """Refuse to accept (不予受理), with the reason and its legal basis."""
    case = _lock(case)
    check_case_action(actor, case, CaseAction.NOT_ACCEPT)
    problems = {}
    if not reason.strip():
        problems["reason"] = _("不予受理必须写明理由。")
    if not legal_basis.strip():
        problems["legal_basis"] = _("请写明法律依据。")
    _refuse_input(problems)
    move(case, CaseStatus.NOT_ACCEPTED, actor=actor, kind="not_accepted", opinion=reason, data={"basis": legal_basis})
    return case


# Handling ------------------------------------------------------------------------------------


@transaction.atomic
def complete_step(case: Case, *, actor: User, opinion: str) -> Case:
    """Finish the current review or site-inspection step with an opinion; go to the next step."""
    case = _lock(case)
    step = check_case_action(actor, case, CaseAction.COMPLETE_STEP)
    assert step is not None  # the rule refuses a case without a current step
    if not opinion.strip():
        raise ValidationError({"opinion": _("请填写本环节的办理意见。")})
    case.step_order = _next_step_order(case, step.order)
    move(case, CaseStatus.IN_PROGRESS, actor=actor, kind="step_completed", opinion=opinion, data={"step": step.name})
    return case


def check_fee_step(actor: Any, case: Case) -> ProcessStep:
    """Refuse unless ``case`` is at a 缴费 step and ``actor`` holds the step's role there; return the step.

    The payments app's rule for assessing the fee (its form on the desk's case page). A 缴费
    step may come before the decision (the case in progress) or after approval (a licence's fee).
    """
    step = current_step(case)
    if case.status not in {CaseStatus.IN_PROGRESS, CaseStatus.APPROVED} or step is None or step.kind != StepKind.FEE:
        raise InvalidTransition(_("办件当前不在缴费环节。"), code="wrong_step")
    if not _holds(actor, (step.role,), step.department_id or case.department_id):
        raise _no_role()
    return step


def is_at_fee_step(case: Case) -> bool:
    """Is the case's current step a 缴费 step (waiting for its fee)?"""
    step = current_step(case)
    return step is not None and step.kind == StepKind.FEE


def record_event(
    case: Case, kind: str, *, actor: Any, opinion: str = "", data: dict[str, Any] | None = None
) -> CaseEvent:
    """An event on the case's timeline that does not change its status (a fee ordered, paid, refunded …).

    For the apps that take part in the flow (DESIGN §3a); the caller holds the case's row lock.
    """
    event = CaseEvent.objects.create(
        case=case,
        kind=kind,
        from_status=case.status,
        to_status="",  # no change of status: the timeline shows none
        step_order=case.step_order,
        actor=actor if isinstance(actor, User) else None,
        actor_label=actor.get_username() if isinstance(actor, User) else str(actor or "system"),
        opinion=opinion,
        data=data or {},
    )
    record(f"cases.{kind}", actor if isinstance(actor, User) else None, case, data or {})
    return event


def complete_fee_step(case: Case, *, actor: Any, opinion: str, data: dict[str, Any] | None = None) -> Case:
    """Complete the case's current 缴费 step (the fee paid, waived, or not waited for); go to the next step.

    Called by the payments app inside its transaction, with the case's row locked. Raises
    InvalidTransition if the case is not at a 缴费 step.
    """
    step = current_step(case)
    if step is None or step.kind != StepKind.FEE:
        raise InvalidTransition(_("办件当前不在缴费环节。"), code="wrong_step")
    case.step_order = _next_step_order(case, step.order)
    move(
        case, case.status, actor=actor, kind="step_completed", opinion=opinion, data={"step": step.name, **(data or {})}
    )
    return case


@transaction.atomic
def start_countersign(case: Case, *, actor: User, departments: list[Department], note: str = "") -> Case:
    """Ask other departments to countersign in parallel; the case waits for every answer."""
    case = _lock(case)
    check_case_action(actor, case, CaseAction.COUNTERSIGN)
    departments = [d for d in departments if d.pk != case.department_id]
    if not departments:
        raise ValidationError({"departments": _("请选择至少一个其他部门会签。")})
    Countersign.objects.bulk_create([Countersign(case=case, department=d) for d in departments])
    move(
        case,
        CaseStatus.COUNTERSIGNING,
        actor=actor,
        kind="countersign_requested",
        opinion=note,
        data={"departments": [d.code for d in departments]},
    )
    return case


@transaction.atomic
def answer_countersign(countersign: Countersign, *, actor: User, agrees: bool | None, opinion: str) -> Case:
    """One department's countersign opinion; the last answer moves the case on.

    ``agrees`` must be chosen (None is refused: there is no default answer), and the opinion
    written; a disagreement must say why. Every problem is reported at once, at its field.
    """
    case = _lock(countersign.case)
    countersign = Countersign.objects.select_for_update().get(pk=countersign.pk)
    check_case_action(actor, case, CaseAction.COUNTERSIGN_ANSWER, countersign=countersign)
    problems = {}
    if agrees is None:
        problems["agrees"] = _("请选择同意或不同意。")
    if not opinion.strip():
        problems["opinion"] = _("不同意的，请写明理由。") if agrees is False else _("请填写会签意见。")
    _refuse_input(problems)
    countersign.agrees = agrees
    countersign.opinion = opinion
    countersign.answered_by = actor
    countersign.answered_at = timezone.now()
    countersign.save()
    waiting = case.countersigns.filter(answered_at__isnull=True).exists()
    data = {"department": countersign.department.code, "agrees": agrees}
    if waiting:
        move(case, CaseStatus.COUNTERSIGNING, actor=actor, kind="countersign_answered", opinion=opinion, data=data)
    else:
        case.step_order = _next_step_order(case, case.step_order)
        move(case, CaseStatus.IN_PROGRESS, actor=actor, kind="countersign_answered", opinion=opinion, data=data)
    return case


@transaction.atomic
def start_special_procedure(case: Case, *, actor: User, procedure: str, note: str) -> Case:
    """Start a hearing, expert review or test (特别程序): the clock pauses."""
    case = _lock(case)
    check_case_action(actor, case, CaseAction.SPECIAL_START)
    if not procedure.strip():
        raise ValidationError({"procedure": _("请写明特别程序的种类。")})
    case.paused_on = _today()
    move(
        case,
        CaseStatus.SPECIAL_PROCEDURE,
        actor=actor,
        kind="special_procedure_started",
        opinion=note,
        data={"procedure": procedure},
    )
    return case


@transaction.atomic
def end_special_procedure(case: Case, *, actor: User, note: str) -> Case:
    case = _lock(case)
    check_case_action(actor, case, CaseAction.SPECIAL_END)
    pause = _resume_clock(case)
    move(case, CaseStatus.IN_PROGRESS, actor=actor, kind="special_procedure_ended", opinion=note, data=pause)
    return case


@transaction.atomic
def decide_case(case: Case, *, actor: User, decision: str, reason: str, legal_basis: str) -> Case:
    """Approve or deny at the decision step (the step's role), with reasons and legal basis.

    The decision must be chosen (there is no default), and the reason and the legal basis
    written (a denial says why: 行政许可法 art. 38). Every problem is reported at once, at its field.
    """
    case = _lock(case)
    step = check_case_action(actor, case, CaseAction.DECIDE)
    assert step is not None  # the rule refuses a case without a current step
    problems = {}
    if decision not in Decision.values:
        problems["decision"] = _("请选择准予或不予。")
    if not reason.strip():
        problems["reason"] = _("不予许可的，必须说明理由。") if decision == Decision.DENY else _("请写明决定的理由。")
    if not legal_basis.strip():
        problems["legal_basis"] = _("请写明法律依据。")
    _refuse_input(problems)
    case.decision = decision
    case.decision_reason = reason
    case.decision_basis = legal_basis
    case.step_order = _next_step_order(case, step.order)
    to = CaseStatus.APPROVED if decision == Decision.APPROVE else CaseStatus.DENIED
    data = {"decision": decision, "basis": legal_basis}
    if decision == Decision.APPROVE:
        licence = _issue_result_licence(case, actor)
        if licence is not None:
            data["licence"] = licence.identifier
    move(case, to, actor=actor, kind="decided", opinion=reason, data=data)
    return case


@transaction.atomic
def forward_case(case: Case, *, actor: User, opinion: str) -> Case:
    """Forward a case whose decision belongs to a higher authority, with the bureau's preliminary opinion.

    At the decision step, by the step's role. The case waits for the decision (status 已报上级审批):
    it leaves the bureau's inbox and its clock stops until the decision comes back
    (``record_higher_decision``). The exchange sends it up (message 32). Raises ValidationError
    without an opinion.
    """
    case = _lock(case)
    check_case_action(actor, case, CaseAction.FORWARD)
    _refuse_input({"opinion": _("请写明本局的初审意见。")} if not opinion.strip() else {})
    case.paused_on = _today()
    move(case, CaseStatus.FORWARDED, actor=actor, kind="forwarded", opinion=opinion.strip())
    return case


@transaction.atomic
def record_higher_decision(
    case: Case, *, decision: str, reason: str, legal_basis: str, decided_by: str, source: str, message_id: str = ""
) -> Case:
    """The higher authority's decision on a forwarded case: record it and close the case (办结).

    ``source`` is who brought it (``platform:<code>``); the decision is the higher authority's
    (``decided_by``), so no licence is issued here (the authority that decides issues it). The
    clock's pause ends. Raises InvalidTransition if the case is not waiting for a decision, and
    ValidationError for a decision that is neither 准予 nor 不予 or has no reason or basis.
    """
    case = _lock(case)
    if case.status != CaseStatus.FORWARDED:
        raise _not_now(case)
    problems = {}
    if decision not in Decision.values:
        problems["decision"] = _("上级机关的决定须为准予或不予。")
    if not reason.strip() or not legal_basis.strip():
        problems["reason"] = _("上级机关的决定须写明理由和法律依据。")
    _refuse_input(problems)
    pause = _resume_clock(case)
    case.decision, case.decision_reason, case.decision_basis = decision, reason.strip(), legal_basis.strip()
    to = CaseStatus.APPROVED if decision == Decision.APPROVE else CaseStatus.DENIED
    data = {"decision": decision, "basis": case.decision_basis, "decided_by": decided_by[:100], "above": True,
            "message_id": message_id[:120], **pause}  # fmt: skip
    move(case, to, actor=source, kind="decided", opinion=case.decision_reason, data=data)
    case.closed_at = timezone.now()
    case.step_order = None
    move(case, CaseStatus.CLOSED, actor=source, kind="closed", opinion=_("上级机关已作出决定，办件办结。"))
    return case


def _issue_result_licence(case: Case, actor: User) -> Licence | None:
    """Approval issues the item's result licence in the decision's transaction (a formal step of approval)."""
    code = case.item_version.result_licence_type_code
    licence_type = LicenceType.objects.filter(code=code, issued_here=True).first() if code else None
    if licence_type is None:
        return None
    fields = licence_type.face_schema.get("properties", {})
    face = {k: v for k, v in case.form_data.items() if k in fields}
    renewed = _licence_renewed_by(case, licence_type)
    if renewed is not None:
        return renew_licence(
            renewed,
            actor=actor,
            reason=_("换证申请 %(reference)s 准予许可") % {"reference": case.reference},
            face=face,
            case_public_id=case.public_id,
            case_reference=case.reference or "",
        )
    return issue_licence(
        licence_type,
        person=None if case.entity_id else case.person,
        entity=case.entity,
        face=face,
        actor=actor,
        case_public_id=case.public_id,
        case_reference=case.reference or "",
        department=case.department,
    )


def _licence_renewed_by(case: Case, licence_type: LicenceType) -> Licence | None:
    """The licence a renewal application renews, if it still can be (else approval issues a new one)."""
    if case.renews_licence is None:
        return None
    holder = (
        case.entity.credit_code
        if case.entity_id and case.entity
        else (case.person.id_number_hash if case.person else "")
    )
    return Licence.objects.filter(
        public_id=case.renews_licence,
        licence_type=licence_type,
        holder_key=holder,
        status__in=RENEWABLE_STATUSES,
    ).first()


@transaction.atomic
def close_case(case: Case, *, actor: User, note: str = "") -> Case:
    """Close a decided case (办结)."""
    case = _lock(case)
    check_case_action(actor, case, CaseAction.CLOSE)
    case.closed_at = timezone.now()
    case.step_order = None
    move(case, CaseStatus.CLOSED, actor=actor, kind="closed", opinion=note)
    return case


@transaction.atomic
def withdraw_case(case: Case, *, applicant: User, reason: str) -> Case:
    """The applicant withdraws an undecided case."""
    case = _lock(case)
    if case.applicant_id != applicant.pk:
        raise PermissionDenied(_("这不是您的办件。"))
    if case.status not in OPEN_STATUSES - {CaseStatus.COUNTERSIGNING, CaseStatus.SPECIAL_PROCEDURE}:
        raise InvalidTransition(_("办件当前状态不能撤回。"), code="invalid_transition")
    move(case, CaseStatus.WITHDRAWN, actor=applicant, kind="withdrawn", opinion=reason)
    return case


@transaction.atomic
def request_extension(case: Case, *, actor: User, days: int, reason: str) -> Case:
    """Ask the approver for more working days (行政许可法 art. 42: +10 at most by default); once per case."""
    case = _lock(case)
    check_case_action(actor, case, CaseAction.EXTENSION_REQUEST)
    problems = {}
    if not 1 <= days <= settings.EXTENSION_MAX_DAYS:
        problems["days"] = _("延期须为1至%(max)d个工作日。") % {"max": settings.EXTENSION_MAX_DAYS}
    if not reason.strip():
        problems["reason"] = _("请写明延期理由。")
    _refuse_input(problems)
    case.extension_days = days
    move(case, case.status, actor=actor, kind="extension_requested", opinion=reason, data={"days": days})
    return case


@transaction.atomic
def approve_extension(case: Case, *, actor: User, note: str = "") -> Case:
    """The approver grants the requested extension: the due dates move by that many working days."""
    case = _lock(case)
    check_case_action(actor, case, CaseAction.EXTENSION_APPROVE)
    case.extension_approved = True
    _set_due_dates(case, get_calendar())
    case.warning = Warning.NONE
    move(
        case,
        case.status,
        actor=actor,
        kind="extension_approved",
        opinion=note,
        data={"days": case.extension_days, "due_on": case.due_on.isoformat() if case.due_on else ""},
    )
    return case


@transaction.atomic
def refuse_extension(case: Case, *, actor: User, reason: str) -> Case:
    """The approver turns the requested extension down; the due dates stay, and a new request may follow."""
    case = _lock(case)
    check_case_action(actor, case, CaseAction.EXTENSION_REFUSE)
    if not reason.strip():
        raise ValidationError({"reason": _("请写明不予延期的理由。")})
    days = case.extension_days
    case.extension_days = 0
    move(case, case.status, actor=actor, kind="extension_refused", opinion=reason, data={"days": days})
    return case


# Time limits ---------------------------------------------------------------------------------


DIGEST_LIMIT = 50


def _notify_responsible(case_ids: list[int]) -> None:
    """Tell each clerk of a handling unit, and each supervisor over it, of the cases that crossed a line.

    One message per person, listing their cases (a sweep can turn hundreds at once), built
    with a fixed number of queries whatever the number of cases.
    """
    if not case_ids:
        return
    cases = list(
        Case.objects.filter(pk__in=case_ids)
        .select_related("item_version")
        .only("reference", "warning", "due_on", "department_id", "item_version__name")
        .order_by("due_on", "pk")
    )
    parents = dict(Department.objects.values_list("pk", "parent_id"))
    clerks: dict[int, set[int]] = {}
    supervisors: dict[int, set[int]] = {}
    for user_id, department_id, role in Membership.objects.filter(
        role__in=[Role.CLERK, Role.SUPERVISOR], user__is_active=True
    ).values_list("user_id", "department_id", "role"):
        (clerks if role == Role.CLERK else supervisors).setdefault(department_id, set()).add(user_id)
    chains: dict[int, list[int]] = {}
    per_user: dict[int, list[Case]] = {}
    supervising: set[int] = set()
    for case in cases:
        chain = chains.get(case.department_id)
        if chain is None:
            chain = []
            current: int | None = case.department_id
            while current is not None and current not in chain:
                chain.append(current)
                current = parents.get(current)
            chains[case.department_id] = chain
        # The unit's own clerks, and the supervisors in it or in a unit above it:
        over = {user for department in chain for user in supervisors.get(department, ())}
        supervising |= over
        for user_id in clerks.get(case.department_id, set()) | over:
            per_user.setdefault(user_id, []).append(case)
    users = User.objects.in_bulk(list(per_user))
    messages = []
    for user_id, their_cases in per_user.items():
        user = users[user_id]
        red = sum(1 for case in their_cases if case.warning == Warning.RED)
        with translation.override(user.language or settings.LANGUAGE_CODE):
            subject = _("%(count)d 件办件需要关注：%(red)d 件已超期，%(yellow)d 件即将到期") % {
                "count": len(their_cases),
                "red": red,
                "yellow": len(their_cases) - red,
            }
            lines = [
                f"{case.reference} · {case.item_version.name} · {case.get_warning_display()} · "
                + (_("承诺办结日期 %(due)s") % {"due": case.due_on.isoformat() if case.due_on else "—"})
                for case in their_cases[:DIGEST_LIMIT]
            ]
            if len(their_cases) > DIGEST_LIMIT:
                lines.append(_("……另有 %(more)d 件，见待办件清单。") % {"more": len(their_cases) - DIGEST_LIMIT})
        link = "/desk/cases/late/" if user_id in supervising else "/desk/cases/"
        messages.append((user, subject, "\n".join(lines), link))
    notify_many(messages)


@transaction.atomic
def sweep_time_limits(today: datetime.date | None = None) -> dict[str, int]:
    """Mark every open case yellow or red as it crosses the lines; set-based, one calendar load.

    Red when the committed (or the statutory) due date has passed; yellow with at most
    ``CASE_WARN_YELLOW_DAYS`` working days (1) or ``CASE_WARN_YELLOW_PERCENT`` of the committed
    limit (20 %) left, whichever is more. Paused cases keep their colour.
    """
    today = today or _today()
    calendar = get_calendar()
    running = Case.objects.filter(
        status__in=[CaseStatus.IN_PROGRESS, CaseStatus.COUNTERSIGNING, CaseStatus.SUBMITTED], due_on__isnull=False
    )
    overdue = running.filter(Q(due_on__lt=today) | Q(statutory_due_on__lt=today))
    turned_red = list(overdue.exclude(warning=Warning.RED).values_list("pk", flat=True))
    red = Case.objects.filter(pk__in=turned_red).update(warning=Warning.RED)
    turned_yellow: list[int] = []
    # The 20 % line depends on each case's limit; there are few distinct limits, one update each:
    limits = running.filter(due_on__gte=today).values_list("item_version__committed_limit", flat=True).distinct()
    for limit in limits:
        days_left = max(settings.CASE_WARN_YELLOW_DAYS, limit * settings.CASE_WARN_YELLOW_PERCENT // 100)
        line = calendar.add_working_days(today, days_left)
        turned_yellow += list(
            running.filter(due_on__gte=today, due_on__lte=line, item_version__committed_limit=limit)
            .exclude(warning=Warning.YELLOW)
            .values_list("pk", flat=True)
        )
    yellow = Case.objects.filter(pk__in=turned_yellow).update(warning=Warning.YELLOW)
    _notify_responsible(turned_red + turned_yellow)
    if red or yellow:
        record("cases.time_limits_swept", "system", None, {"red": red, "yellow": yellow, "day": today.isoformat()})
    return {"red": red, "yellow": yellow}


# Holiday notices ------------------------------------------------------------------------------
# The holidays app keeps the calendar and imports nothing from cases; loading a year's notice
# must also recount the due dates that depend on it in the same transaction, so the entry
# points (the holidays admin and its load_holidays command) call these actions.

_RESUMING_EVENTS = ("correction_answered", "special_procedure_ended")


def _paused_working_days(case: Case, calendar: WorkingCalendar) -> int:
    """The working days the case's clock was paused, recounted on ``calendar`` (from the pauses its events record).

    A pause recorded before its dates were kept in the event counts as it was counted then.
    """
    total = 0
    for data in case.events.filter(kind__in=_RESUMING_EVENTS).order_by("pk").values_list("data", flat=True):
        if "paused_from" in data and "paused_until" in data:
            total += calendar.working_days_between(
                datetime.date.fromisoformat(data["paused_from"]), datetime.date.fromisoformat(data["paused_until"])
            )
        else:
            total += int(data.get("paused_working_days", 0))
    return total


def _tell_applicant_of_new_due_dates(case: Case, event: CaseEvent, year: int) -> None:
    # In the applicant's language, whoever loaded the notice:
    with translation.override(case.applicant.language or settings.LANGUAGE_CODE):
        subject = _("您的“%(item)s”申请的办结日期已按国务院公布的%(year)d年放假安排调整，承诺于%(due)s前办结。") % {
            "item": case.item_version.name,
            "year": year,
            "due": day(case.due_on),
        }
        old_due, old_statutory = (_date_or_none(event.data.get(k)) for k in ("old_due_on", "old_statutory_due_on"))
        lines = [_("办件编号：%(reference)s") % {"reference": case.reference or "—"}]
        if old_due != case.due_on:
            lines.append(_("承诺办结日期：%(due)s（原为%(old)s）。") % {"due": day(case.due_on), "old": day(old_due)})
        if old_statutory != case.statutory_due_on:
            lines.append(
                _("法定办结日期：%(due)s（原为%(old)s）。")
                % {"due": day(case.statutory_due_on), "old": day(old_statutory)}
            )
        lines.append(_("目前不需要您做什么。"))
        body = "\n".join(lines)
    notify(case.applicant, subject, body=body, link=f"/my/cases/{case.public_id}/")


def _date_or_none(value: Any) -> datetime.date | None:
    return datetime.date.fromisoformat(value) if value else None


@transaction.atomic
def recount_due_dates(years: set[int], *, actor: Any) -> dict[str, int]:
    """Recount the due dates of the open cases whose clock touches ``years`` (their holiday notices just changed).

    Each such case is locked and recounted by ``_set_due_dates`` on the calendar as it now
    is, its pauses recounted too. A case whose dates moved gets a ``due_dates_recounted``
    event with the old and new dates, its audit record, and the applicant is told (after
    commit); a case whose dates stayed only loses its provisional mark, silently. Returns
    how many cases moved and how many stayed. Raises BeyondCalendar, rolling everything back,
    if a case can no longer be counted.
    """
    if not years:
        return {"moved": 0, "confirmed": 0}
    first, last = datetime.date(min(years), 1, 1), datetime.date(max(years), 12, 31)
    calendar = get_calendar()
    cases = (
        Case.objects.select_for_update(of=("self",))
        .select_related("item_version", "applicant")
        .filter(status__in=OPEN_STATUSES, accepted_on__isnull=False, accepted_on__lte=last)
        .filter(
            Q(due_is_provisional=True)
            | Q(statutory_due_is_provisional=True)
            | Q(due_on__gte=first)
            | Q(statutory_due_on__gte=first)
            | Q(paused_working_days__gt=0)
        )
        .order_by("pk")
    )
    moved = confirmed = 0
    for case in cases:
        old = (case.due_on, case.statutory_due_on, case.due_is_provisional, case.statutory_due_is_provisional)
        case.paused_working_days = _paused_working_days(case, calendar)
        _set_due_dates(case, calendar)
        marks = ["due_is_provisional", "statutory_due_is_provisional", "paused_working_days"]
        if (case.due_on, case.statutory_due_on) == old[:2]:
            if (case.due_is_provisional, case.statutory_due_is_provisional) != old[2:]:
                confirmed += 1
            case.save(update_fields=marks)
            continue
        moved += 1
        case.warning = Warning.NONE  # the next sweep colours it again on its new dates
        case.save(update_fields=["due_on", "statutory_due_on", "warning", *marks])
        data = {
            "years": sorted(years),
            "old_due_on": old[0].isoformat() if old[0] else "",
            "old_statutory_due_on": old[1].isoformat() if old[1] else "",
            "due_on": case.due_on.isoformat() if case.due_on else "",
            "statutory_due_on": case.statutory_due_on.isoformat() if case.statutory_due_on else "",
            "due_is_provisional": case.due_is_provisional,
            "statutory_due_is_provisional": case.statutory_due_is_provisional,
        }
        event = CaseEvent.objects.create(
            case=case,
            kind=EventKind.DUE_DATES_RECOUNTED,
            from_status=case.status,
            to_status=case.status,
            step_order=case.step_order,
            actor=actor if isinstance(actor, User) else None,
            actor_label=actor.get_username() if isinstance(actor, User) else str(actor or "system"),
            data=data,
        )
        record("cases.due_dates_recounted", actor, case, data)
        _tell_applicant_of_new_due_dates(case, event, max(years))
    record("cases.due_dates_recounted_for_years", actor, None, {"years": sorted(years), "moved": moved})
    return {"moved": moved, "confirmed": confirmed}


@transaction.atomic
def load_holiday_notice(
    year: int, *, source: str, days: list[tuple[datetime.date, str, str]], actor: Any = None
) -> dict[str, int]:
    """Load a year's State Council notice into the holiday table and recount the due dates that depend on it.

    One transaction: the table (``holidays.actions.load_year``, which validates the days and
    raises ValidationError) and every open case's recount (``recount_due_dates``). Returns
    the number of days loaded and of cases moved and confirmed.
    """
    loaded = load_year(year, source=source, days=days, actor=actor)
    return {"days": loaded, **recount_due_dates({year}, actor=actor)}


@transaction.atomic
def release_materials_to_archive(case: Case, copies: dict[int, str]) -> int:
    """The archive holds these materials now: point each at its copy, delete the live file after commit.

    ``copies``: material row id -> the copy's name in ``lib.storage.archive_storage`` (already
    checked against the material's hash by the archive). Called by archives once a case's
    package is accepted and the bureau's rule says the live files may go.
    """
    released = 0
    for material in case.materials.filter(pk__in=list(copies)).exclude(file=""):
        live, storage = str(material.file.name), material.file.storage
        material.archived_copy.name = copies[material.pk]
        material.file.name = ""
        material.save(update_fields=["archived_copy", "file"])
        transaction.on_commit(functools.partial(storage.delete, live))
        released += 1
    record("cases.materials_archived", None, case, {"files": released})
    return released
