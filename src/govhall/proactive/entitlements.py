"""免申即享: benefits given without an application to the subjects the platform's data shows eligible.

Staff of the paying unit search for eligible subjects — holders of a valid licence of a type,
subjects whose case of an item was closed with approval, narrowed by the subject's kind, its
entity kind and its region (``Entitlement``); the search proposes, it grants nothing. A person
then confirms the proposals in a batch with a stated purpose — audited like a dossier look-up —
and each subject's accounts are told; the person can decline. Nothing is granted without a
grant row saying who, when, why, and on what evidence. (Separate from ``proactive.actions``:
licences imports that module to send its notices, and this one reads licences.)

A subject is keyed as the licences key their holders: a person by the ID number's keyed hash,
a company by its credit code. A case's subject is its company if it was filed for one, else
its applicant person.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from govhall.audit.actions import record
from govhall.cases.models import Case
from govhall.cases.queries import approved_cases_of_item
from govhall.identity.constants import ENTITY_KIND_BY_CODE, EntityKind, Role
from govhall.identity.models import User
from govhall.identity.queries import (
    departments_covered,
    entity_kinds_by_credit_code,
    has_role_for,
    list_entities_for,
)
from govhall.lib.errors import Conflict, uuid_or_404
from govhall.lib.identifiers import mask_name
from govhall.licences.actions import holder_accounts_of, public_holder_name
from govhall.licences.constants import HolderCodeType
from govhall.licences.models import Licence
from govhall.licences.queries import holder_keys, valid_licences_of_type
from govhall.proactive.actions import notify_many
from govhall.proactive.models import Entitlement, EntitlementGrant, GrantStatus, SubjectKind

GRANTING_ROLES = (Role.APPROVER, Role.SUPERVISOR)


def may_grant(user: Any, entitlement: Entitlement) -> bool:
    return any(has_role_for(user, role, entitlement.department) for role in GRANTING_ROLES)


def list_entitlements_for(user: Any) -> QuerySet[Entitlement]:
    """The entitlements of the units the person grants for (nothing for anyone else)."""
    return Entitlement.objects.filter(department_id__in=departments_covered(user, GRANTING_ROLES)).select_related(
        "licence_type", "department", "case_item"
    )


def access_entitlement_for(user: Any, public_id: Any) -> Entitlement:
    entitlement = list_entitlements_for(user).filter(public_id=uuid_or_404(public_id)).first()
    if entitlement is None:
        raise Http404
    return entitlement


def grants_of(user: User) -> QuerySet[EntitlementGrant]:
    """The grants made to the person and to the companies they act for (proposals are not shown)."""
    keys = holder_keys(user) + [entity.credit_code for entity in list_entities_for(user)]
    return (
        EntitlementGrant.objects.filter(subject_key__in=keys)
        .exclude(status=GrantStatus.PROPOSED)
        .select_related("entitlement")
        .order_by("-granted_at")
    )


@dataclass
class _Subject:
    """One subject as a source found it, with what the attribute criteria are checked against."""

    key: str
    name: str  # as the public may see it (a person's masked)
    is_entity: bool
    region: str  # GB/T 2260 code of the ID number or the credit code's registration authority; "" if unknown
    entity_kind: str = ""  # EntityKind, for an entity
    licence: Licence | None = None
    case: Case | None = None


def _licence_subjects(entitlement: Entitlement) -> dict[str, _Subject]:
    """Holder key → the holder, with their earliest licence of the type that counts."""
    if entitlement.licence_type is None:
        return {}
    licences = valid_licences_of_type(entitlement.licence_type).order_by("issued_on", "pk")
    if entitlement.issued_since:
        licences = licences.filter(issued_on__gte=entitlement.issued_since)
    licences = licences.only("holder_key", "holder_name", "holder_code_type", "holder_masked", "number", "issued_on")
    found: dict[str, _Subject] = {}
    for licence in licences.iterator(chunk_size=2000):
        if licence.holder_key in found:
            continue
        code_type, shown = licence.holder_code_type, licence.holder_masked
        # A resident ID number is masked as 350205********0010, its region kept; another
        # personal certificate's first characters are no region at all:
        if code_type == HolderCodeType.RESIDENT_ID:
            region = shown[:6]
        elif code_type == HolderCodeType.CREDIT_CODE:
            region = shown[2:8]
        else:
            region = ""
        found[licence.holder_key] = _Subject(
            key=licence.holder_key,
            name=public_holder_name(licence),
            is_entity=code_type in (HolderCodeType.CREDIT_CODE, HolderCodeType.OTHER_ENTITY),
            region=region if region.isdigit() else "",
            licence=licence,
        )
    return found


def _case_subjects(entitlement: Entitlement) -> dict[str, _Subject]:
    """Subject key → the subject, with their latest case of the item closed with approval."""
    if entitlement.case_item_id is None:
        return {}
    since = None
    if entitlement.case_closed_since:
        start = datetime.datetime.combine(entitlement.case_closed_since, datetime.time.min)
        since = timezone.make_aware(start)
    found: dict[str, _Subject] = {}
    for case in approved_cases_of_item(entitlement.case_item_id, closed_since=since).iterator(chunk_size=2000):
        if case.entity is not None:
            entity = case.entity
            subject = _Subject(entity.credit_code, entity.name, True, entity.credit_code[2:8], entity.kind, case=case)
        elif case.person is not None:
            person = case.person
            region = person.id_number_masked[:6]
            subject = _Subject(person.id_number_hash, mask_name(person.name), False, region, case=case)
        else:
            continue
        if not subject.region.isdigit():
            subject.region = ""
        found.setdefault(subject.key, subject)
    return found


def _is_eligible(entitlement: Entitlement, subject: _Subject) -> bool:
    """Do the subject's attributes meet the entitlement's (the sources have already been met)?"""
    if entitlement.subject_kind == SubjectKind.PERSON and subject.is_entity:
        return False
    if entitlement.subject_kind == SubjectKind.ENTITY and not subject.is_entity:
        return False
    if entitlement.entity_kinds and (not subject.is_entity or subject.entity_kind not in entitlement.entity_kinds):
        return False
    return not entitlement.region_prefix or subject.region.startswith(entitlement.region_prefix)


def _evidence(entitlement: Entitlement, subject: _Subject, case: Case | None) -> str:
    """What made the subject eligible, in words the person and the staff both read."""
    facts = []
    licence = subject.licence
    if licence is not None and entitlement.licence_type is not None:
        facts.append(
            _("持有有效的%(type)s %(number)s（%(day)s 颁发）")
            % {"type": entitlement.licence_type.name, "number": licence.number, "day": licence.issued_on.isoformat()}
        )
    if case is not None and case.closed_at is not None:
        facts.append(
            _("办件 %(reference)s %(item)s 已于 %(day)s 办结（准予）")
            % {
                "reference": case.reference or "",
                "item": case.item_version.name,
                "day": timezone.localdate(case.closed_at).isoformat(),
            }
        )
    if entitlement.entity_kinds:
        kind = dict(EntityKind.choices).get(subject.entity_kind, subject.entity_kind)
        facts.append(_("单位类型：%(kind)s") % {"kind": kind})
    if entitlement.region_prefix:
        facts.append(_("地区代码：%(code)s") % {"code": subject.region})
    return "；".join(facts)


def criteria_of(entitlement: Entitlement) -> dict[str, Any]:
    """The entitlement's criteria as the audit keeps them (codes, not names, and the words staff read)."""
    return {
        "licence_type": entitlement.licence_type.code if entitlement.licence_type else None,
        "issued_since": entitlement.issued_since.isoformat() if entitlement.issued_since else None,
        "case_item": entitlement.case_item.implementation_code if entitlement.case_item else None,
        "case_closed_since": entitlement.case_closed_since.isoformat() if entitlement.case_closed_since else None,
        "subject_kind": entitlement.subject_kind,
        "entity_kinds": list(entitlement.entity_kinds),
        "region_prefix": entitlement.region_prefix,
        "in_words": entitlement.criteria_in_words(),
    }


def _fill_entity_kinds(subjects: Iterable[_Subject]) -> None:
    """Give the entities a licence found their kind: as registered, else as their credit code says."""
    entities = [s for s in subjects if s.is_entity and not s.entity_kind]
    recorded: dict[str, str] = {}
    for start in range(0, len(entities), 10_000):  # bounded IN lists (SQLite caps a statement's variables)
        recorded.update(entity_kinds_by_credit_code([s.key for s in entities[start : start + 10_000]]))
    for subject in entities:
        subject.entity_kind = recorded.get(subject.key) or ENTITY_KIND_BY_CODE.get(subject.key[:2], EntityKind.OTHER)


@transaction.atomic
def find_eligible(entitlement: Entitlement, *, actor: User) -> int:
    """Propose every eligible subject not yet proposed, in one insert; audited with the criteria.

    A subject is eligible when every source set finds it (a valid licence of the type; a case of
    the item closed with approval) and its attributes meet the entitlement's. Each subject is
    proposed once, ever (``proactive_grant_once``), with the evidence. Locks the entitlement row.
    Returns how many were added. Raises PermissionDenied for anyone but an approver or supervisor of the paying unit, and
    ValidationError for an inactive entitlement.
    """
    if not may_grant(actor, entitlement):
        raise PermissionDenied(_("只有兑现单位的审批或监督人员可以查找符合条件的对象。"))
    if not entitlement.is_active:
        raise ValidationError(_("该政策已停用。"))
    # Two searches at once would both propose the same subjects and the second insert would fail
    # on proactive_grant_once; the row lock makes the second see the first's proposals:
    Entitlement.objects.select_for_update().filter(pk=entitlement.pk).first()
    by_licence = _licence_subjects(entitlement)
    by_case = _case_subjects(entitlement)
    if entitlement.licence_type_id is not None and entitlement.case_item_id is not None:
        subjects = [s for key, s in by_licence.items() if key in by_case]
    else:
        subjects = list(by_licence.values()) + list(by_case.values())
    if entitlement.entity_kinds:
        for subject in subjects:
            if subject.key in by_case:  # the case's company carries its recorded kind
                subject.entity_kind = by_case[subject.key].entity_kind
        _fill_entity_kinds(subjects)
    known = set(EntitlementGrant.objects.filter(entitlement=entitlement).values_list("subject_key", flat=True))
    proposals = []
    # Evidence and the audit's criteria are records, kept in the platform's language whatever the staff member's:
    with translation.override(settings.LANGUAGE_CODE):
        for subject in subjects:
            if subject.key in known or not _is_eligible(entitlement, subject):
                continue
            case = subject.case or (by_case[subject.key].case if subject.key in by_case else None)
            proposals.append(
                EntitlementGrant(
                    entitlement=entitlement,
                    subject_key=subject.key,
                    subject_name=subject.name,
                    licence=subject.licence,
                    case=case,
                    evidence=_evidence(entitlement, subject, case),
                )
            )
        criteria = criteria_of(entitlement)
    EntitlementGrant.objects.bulk_create(proposals, batch_size=1000)
    record("proactive.eligibility_searched", actor, entitlement, {"found": len(proposals), "criteria": criteria})
    return len(proposals)


@transaction.atomic
def grant(entitlement: Entitlement, grant_ids: list[Any], *, actor: User, purpose: str) -> int:
    """Confirm proposals in a batch with a stated purpose; each subject's accounts are told. Returns how many.

    Locks the chosen grant rows; the accounts of all subjects are read in two queries. Raises
    PermissionDenied, ValidationError (no purpose, nothing chosen) and Conflict (one already done).
    """
    if not may_grant(actor, entitlement):
        raise PermissionDenied(_("只有兑现单位的审批或监督人员可以确认兑现。"))
    if not purpose.strip():
        raise ValidationError({"purpose": _("请写明兑现事由（例如“2026年度生态公益林补偿”），它将记入审计日志。")})
    chosen = list(
        EntitlementGrant.objects.select_for_update().filter(
            entitlement=entitlement, public_id__in=[uuid_or_404(g) for g in grant_ids]
        )
    )
    if not chosen:
        raise ValidationError({"grants": _("请至少选择一个享受对象。")})
    if any(g.status != GrantStatus.PROPOSED for g in chosen):
        raise Conflict(_("所选对象中有已经兑现或已放弃的，请刷新页面后重新选择。"))
    now = timezone.now()
    # Every subject's accounts at once: the person's own, or those acting for the company:
    accounts = holder_accounts_of([item.subject_key for item in chosen])
    link = reverse("proactive:my_entitlements")
    letters = []
    for item in chosen:
        item.status, item.granted_by, item.granted_at, item.purpose = GrantStatus.GRANTED, actor, now, purpose.strip()
        for user in accounts.get(item.subject_key, []):
            with translation.override(user.language or settings.LANGUAGE_CODE):
                letters.append(
                    (
                        user,
                        _("您已享受：%(name)s") % {"name": entitlement.name},
                        _(
                            "根据平台已有的信息，您符合“%(name)s”的条件，无需申请即可享受：%(what)s 如不需要，可以在“我的免申即享”中放弃。"
                        )
                        % {"name": entitlement.name, "what": entitlement.description},
                        link,
                    )
                )
    EntitlementGrant.objects.bulk_update(chosen, ["status", "granted_by", "granted_at", "purpose"])
    notify_many(letters)
    record(
        "proactive.entitlements_granted",
        actor,
        entitlement,
        {"purpose": purpose.strip(), "count": len(chosen), "subjects": [g.subject_name for g in chosen][:50]},
    )
    return len(chosen)


@transaction.atomic
def decline(grant_id: Any, *, user: User, reason: str = "") -> EntitlementGrant:
    """The person gives up a benefit granted to them (or to a company they act for)."""
    item = grants_of(user).select_for_update().filter(public_id=uuid_or_404(grant_id)).first()
    if item is None:
        raise Http404
    if item.status != GrantStatus.GRANTED:
        raise Conflict(_("这项待遇已经放弃，无需再次操作。"))
    item.status, item.declined_at, item.decline_reason = GrantStatus.DECLINED, timezone.now(), reason.strip()[:300]
    item.save(update_fields=["status", "declined_at", "decline_reason"])
    record("proactive.entitlement_declined", user, item, {"entitlement": item.entitlement.name})
    return item
