"""The "one code" view (一码管理): everything held about one subject, assembled by its keyed identifier.

A subject is a natural person (resident ID number, found through identity's keyed hash)
or a legal entity (unified social credit code). Records are joined to the subject by key,
never by a name match. What a viewer sees is limited by a ``Scope``: the departments whose
records they may see and the kinds of record (cases, licences, materials). Every query is
set-based — a handful of indexed queries per dossier, whatever the number of records.

New capabilities (payments, appointments, ratings, complaints) add a section here: a
function that takes the subject and scope and returns its rows, listed in ``SECTIONS``, and
the values a dossier lists of them, in ``LISTED``.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Count, F, Q, QuerySet, Window
from django.utils import timezone
from django.utils.translation import gettext as _

from govhall.cases.constants import CaseStatus
from govhall.cases.constants import status_label as case_status_label
from govhall.cases.models import Case, CaseMaterial
from govhall.catalog.queries import licence_types_used_by
from govhall.complaints.queries import DOSSIER_LISTED as COMPLAINTS_LISTED
from govhall.complaints.queries import dossier_complaints
from govhall.delivery.queries import DOSSIER_LISTED as DELIVERIES_LISTED
from govhall.delivery.queries import dossier_deliveries
from govhall.dossier.constants import ALL_KINDS, DOSSIER_ROLES, SUPERVISED_KINDS, RecordKind
from govhall.identity.constants import Role
from govhall.identity.models import LegalEntity, NaturalPerson, User
from govhall.identity.queries import (
    ID_NUMBER,
    departments_covered,
    find_entity_by_credit_code,
    is_credit_code_on_record,
    list_entities_for,
)
from govhall.lib.crypto import lookup_hash
from govhall.lib.identifiers import mask_name, parse_credit_code, parse_resident_id
from govhall.licences.constants import LicenceStatus
from govhall.licences.constants import status_label as licence_status_label
from govhall.licences.models import Licence
from govhall.payments.queries import DOSSIER_LISTED as PAYMENTS_LISTED
from govhall.payments.queries import dossier_payments
from govhall.ratings.queries import DOSSIER_LISTED as RATINGS_LISTED
from govhall.ratings.queries import dossier_ratings

PERSON = "person"
ENTITY = "entity"
# A dossier page lists the latest PAGE records of each kind, with the totals; "show all" lists
# up to ALL_LIMIT of one kind; the export takes everything:
PAGE = 20
ALL_LIMIT = 1000
EVERYTHING = 10**9


@dataclass(frozen=True)
class SubjectCode:
    """A typed identifier, checked: which kind of subject it names and its normalised form."""

    kind: str
    code: str

    @property
    def masked(self) -> str:
        return self.code[:6] + "********" + self.code[-4:] if self.kind == PERSON else self.code


@dataclass(frozen=True)
class Subject:
    """A person or an entity the platform knows, with the key its records are joined on."""

    kind: str
    key: str  # licences' holder key: the ID number's keyed hash, or the credit code
    name: str
    code_shown: str  # masked ID number, or the credit code
    person: NaturalPerson | None = None
    entity: LegalEntity | None = None

    @property
    def public_id(self) -> str:
        """The person's or entity's public id; empty for a holder known only from licences."""
        holder = self.person or self.entity
        return str(holder.public_id) if holder is not None else ""

    def audit_target(self) -> tuple[str, str, str]:
        # The masked code, never the full identifier:
        return ("subject", self.public_id, self.code_shown)

    @property
    def masked_name(self) -> str:
        return mask_name(self.name) if self.kind == PERSON else self.name


@dataclass(frozen=True)
class Scope:
    """What a viewer may see: departments (None: all of them — the subject's own view) and kinds."""

    departments: frozenset[int] | None
    kinds: frozenset[str] = ALL_KINDS

    def allows(self, kind: str) -> bool:
        return kind in self.kinds


@dataclass
class Dossier:
    """The listed records of each kind, newest first, as values (``LISTED``), with the totals."""

    subject: Subject
    scope: Scope
    cases: list[dict[str, Any]] = field(default_factory=list)
    licences: list[dict[str, Any]] = field(default_factory=list)
    materials: list[dict[str, Any]] = field(default_factory=list)
    ratings: list[dict[str, Any]] = field(default_factory=list)
    complaints: list[dict[str, Any]] = field(default_factory=list)
    payments: list[dict[str, Any]] = field(default_factory=list)
    deliveries: list[dict[str, Any]] = field(default_factory=list)
    totals: dict[str, int] = field(default_factory=dict)
    # Materials the subject did not have to submit again (a licence the platform held was used):
    reused_count: int = 0

    @property
    def record_count(self) -> int:
        """Every record held in scope, listed or not."""
        return sum(self.totals.values())

    @property
    def truncated(self) -> set[str]:
        """The kinds with more records than are listed."""
        return {kind for kind, total in self.totals.items() if total > len(getattr(self, kind))}


def parse_subject_code(text: str) -> SubjectCode:
    """Check a typed ID number or credit code; raise ValidationError saying what is wrong.

    Both are 18 characters. A string of digits (with a final X) is read as an ID number, unless
    it fails as one and passes as a credit code (credit codes may be all digits).
    """
    value = (text or "").strip().upper()
    if not value:
        raise ValidationError(_("请输入公民身份号码或统一社会信用代码。"), code="required")
    looks_like_id = value[:-1].isdigit() and (value[-1].isdigit() or value[-1] == "X")
    try:
        return SubjectCode(PERSON, parse_resident_id(value).number)
    except ValidationError as id_error:
        try:
            return SubjectCode(ENTITY, parse_credit_code(value, on_record=is_subject_code_on_record).code)
        except ValidationError as code_error:
            raise (id_error if looks_like_id else code_error) from None


def is_subject_code_on_record(code: str) -> bool:
    """Whether the platform holds ``code``: a registered company or a department, or a licence holder."""
    return is_credit_code_on_record(code) or Licence.objects.filter(holder_key=code).exists()


def find_subject(code: SubjectCode) -> Subject | None:
    """The subject a checked code names, or None if the platform holds nothing under it.

    A person the platform knows only from licences (say, imported from paper, before they
    ever registered) is still found: licences carry the same keyed hash.
    """
    if code.kind == PERSON:
        key = lookup_hash(code.code, purpose=ID_NUMBER)
        person = NaturalPerson.objects.filter(id_number_hash=key).first()
        if person is not None:
            return Subject(PERSON, key, person.name, person.id_number_masked, person=person)
        licence = Licence.objects.filter(holder_key=key).order_by("-issued_on").first()
        if licence is None:
            return None
        return Subject(PERSON, key, licence.holder_name, licence.holder_masked)
    entity = find_entity_by_credit_code(code.code)
    if entity is not None:
        return Subject(ENTITY, entity.credit_code, entity.name, entity.credit_code, entity=entity)
    licence = Licence.objects.filter(holder_key=code.code).order_by("-issued_on").first()
    if licence is None:
        return None
    return Subject(ENTITY, code.code, licence.holder_name, code.code)


def subject_of_person(person: NaturalPerson) -> Subject:
    return Subject(PERSON, person.id_number_hash, person.name, person.id_number_masked, person=person)


def subject_of_entity(entity: LegalEntity) -> Subject:
    return Subject(ENTITY, entity.credit_code, entity.name, entity.credit_code, entity=entity)


def scope_for_staff(user: User) -> Scope:
    """A staff member sees the records of the departments where they hold a case-handling role, and below.

    Ratings and complaints only where they hold the supervisor's role (``SUPERVISED_KINDS``).
    """
    departments = frozenset(departments_covered(user, DOSSIER_ROLES))
    supervises = bool(departments_covered(user, [Role.SUPERVISOR]))
    return Scope(departments, ALL_KINDS if supervises else ALL_KINDS - SUPERVISED_KINDS)


def subjects_of_applicant(user: User) -> list[Subject]:
    """The applicant's own subject, then the companies they are authorised to act for."""
    subjects = [subject_of_person(user.person)] if user.person else []
    return subjects + [subject_of_entity(entity) for entity in list_entities_for(user)]


def _filed_cases(subject: Subject, scope: Scope, through: str = "") -> Q | None:
    """The condition on the subject's filed cases in scope; None if the subject can have none.

    ``through`` is the path to the case from the model queried ("case__" for materials), so
    that a list of materials joins its cases once instead of through a subquery.
    """
    if subject.entity is not None:
        condition = Q(**{f"{through}entity": subject.entity})
    elif subject.person is not None:
        # A person's own applications; those filed for a company belong to the company's dossier:
        condition = Q(**{f"{through}person": subject.person, f"{through}entity__isnull": True})
    else:
        return None
    condition &= ~Q(**{f"{through}status": CaseStatus.DRAFT})
    if scope.departments is not None:
        condition &= Q(**{f"{through}department_id__in": scope.departments})
    return condition


def _cases(subject: Subject, scope: Scope) -> QuerySet[Case]:
    condition = _filed_cases(subject, scope)
    return Case.objects.filter(condition) if condition is not None else Case.objects.none()


def _licences(subject: Subject, scope: Scope) -> QuerySet[Licence]:
    licences = Licence.objects.filter(holder_key=subject.key)
    if scope.departments is None:
        return licences
    # A department sees the licences its own cases issued, and those of the types its published
    # items issue or accept as materials (the ones it needs to do its work), nothing else:
    own_cases = _cases(subject, scope).values("public_id")
    return licences.filter(
        Q(licence_type__code__in=licence_types_used_by(scope.departments)) | Q(case_public_id__in=own_cases)
    )


def list_cases(subject: Subject, scope: Scope) -> QuerySet[Case]:
    """The subject's cases in scope, newest first, with what a list shows."""
    return (
        _cases(subject, scope)
        .select_related("item_version", "department")
        .only(
            "public_id",
            "reference",
            "status",
            "submitted_at",
            "accepted_on",
            "due_on",
            "due_is_provisional",
            "warning",
            "decision",
            "closed_at",
            "item_version__name",
            "item_version__public_id",
            "department__name",
        )
        .order_by("-submitted_at", "-pk")
    )


def list_licences(subject: Subject, scope: Scope) -> QuerySet[Licence]:
    return _licences(subject, scope).select_related("licence_type").order_by("-issued_on", "-pk")


def list_materials(subject: Subject, scope: Scope) -> QuerySet[CaseMaterial]:
    condition = _filed_cases(subject, scope, through="case__")
    if condition is None:
        return CaseMaterial.objects.none()
    return (
        CaseMaterial.objects.filter(condition, is_current=True)
        .select_related("material", "case", "licence__licence_type")
        .only(
            "public_id",
            "original_name",
            "file",
            "uploaded_at",
            "material__name",
            "case__reference",
            "licence__identifier",
            "licence__licence_type__name",
        )
        .order_by("-uploaded_at", "-pk")
    )


SECTIONS: dict[str, Callable[[Subject, Scope], QuerySet[Any]]] = {
    RecordKind.CASES: list_cases,
    RecordKind.LICENCES: list_licences,
    RecordKind.MATERIALS: list_materials,
    RecordKind.RATINGS: dossier_ratings,
    RecordKind.COMPLAINTS: dossier_complaints,
    RecordKind.PAYMENTS: dossier_payments,
    RecordKind.DELIVERIES: dossier_deliveries,
}

# What a dossier lists of each kind (its pages and its export), read as values (the name in
# the row: the field it is read from): the model instances a list does not need cost more
# than the queries (bench: "dossier").
LISTED: dict[str, dict[str, str]] = {
    RecordKind.CASES: {
        "public_id": "public_id",
        "reference": "reference",
        "item_name": "item_version__name",
        "department_name": "department__name",
        "status": "status",
        "submitted_at": "submitted_at",
        "accepted_on": "accepted_on",
        "due_on": "due_on",
        "due_is_provisional": "due_is_provisional",
        "warning": "warning",
        "decision": "decision",
        "closed_at": "closed_at",
    },
    RecordKind.LICENCES: {
        "public_id": "public_id",
        "identifier": "identifier",
        "type_code": "licence_type__code",
        "type": "licence_type__name",
        "number": "number",
        "issuer": "issuer_name",
        "issued_on": "issued_on",
        "valid_from": "valid_from",
        "valid_until": "valid_until",
        "status": "status",
    },
    RecordKind.MATERIALS: {
        "material_name": "material__name",
        "case_reference": "case__reference",
        "file": "file",
        "original_name": "original_name",
        "reused_licence": "licence__identifier",
        "reused_type": "licence__licence_type__name",
        "provided_at": "uploaded_at",
    },
    RecordKind.RATINGS: RATINGS_LISTED,
    RecordKind.COMPLAINTS: COMPLAINTS_LISTED,
    RecordKind.PAYMENTS: PAYMENTS_LISTED,
    RecordKind.DELIVERIES: DELIVERIES_LISTED,
}
# Counted over all of a kind's rows in scope, in the same query as its page (a window):
_TOTAL = "total_in_scope"
_REUSED = "reused_in_scope"


def listed(kind: str, subject: Subject, scope: Scope, take: int, **counts: Any) -> list[dict[str, Any]]:
    """The latest ``take`` records of ``kind`` in scope, as values of ``LISTED[kind]`` (plus ``counts``)."""
    names = [name for name, source in LISTED[kind].items() if name == source]
    renamed = {name: F(source) for name, source in LISTED[kind].items() if name != source}
    return list(SECTIONS[kind](subject, scope).values(*names, **renamed, **counts)[:take])


def assemble_dossier(
    subject: Subject, scope: Scope, *, limit: int = EVERYTHING, full: frozenset[str] = frozenset()
) -> Dossier:
    """What is held about ``subject`` that ``scope`` allows: the totals, and the latest ``limit`` of each kind.

    One indexed query per kind of record, whatever the subject holds: its page, with the
    kind's total (and, for materials, how many reused a licence) counted over every row in
    scope by a window. ``full`` names kinds listed up to ALL_LIMIT instead.
    """
    dossier = Dossier(subject=subject, scope=scope)
    for kind in SECTIONS:
        if not scope.allows(kind):
            continue
        counts: dict[str, Any] = {_TOTAL: Window(Count("*"))}
        if kind == RecordKind.MATERIALS:
            counts[_REUSED] = Window(Count("pk", filter=Q(licence__isnull=False)))
        take = max(limit, ALL_LIMIT) if kind in full else limit
        rows = listed(kind, subject, scope, take, **counts)
        dossier.totals[kind] = rows[0][_TOTAL] if rows else 0
        if kind == RecordKind.MATERIALS:
            dossier.reused_count = rows[0][_REUSED] if rows else 0
        for row in rows:
            del row[_TOTAL]
            row.pop(_REUSED, None)
        setattr(dossier, kind, rows)
    return dossier


def holds_valid_licence(subject: Subject, licence_type_code: str, scope: Scope) -> bool:
    """Does the subject hold a valid licence of this type today (within ``scope``)? Nothing else is told."""
    today = timezone.localdate()
    return (
        _licences(subject, scope)
        .filter(licence_type__code=licence_type_code, status=LicenceStatus.VALID)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=today))
        .exists()
    )


def export_dossier(dossier: Dossier) -> dict[str, Any]:
    """A machine-readable copy of a dossier (the subject's right of access, PIPL art. 45)."""
    return {
        "subject": {"kind": dossier.subject.kind, "name": dossier.subject.name, "code": dossier.subject.code_shown},
        "cases": [
            {
                "reference": case["reference"],
                "item": case["item_name"],
                "department": case["department_name"],
                "status": case["status"],
                "status_label": case_status_label(case["status"]),
                "submitted_at": _iso(case["submitted_at"]),
                "accepted_on": _iso(case["accepted_on"]),
                "due_on": _iso(case["due_on"]),
                "due_is_provisional": case["due_is_provisional"],
                "decision": case["decision"] or None,
                "closed_at": _iso(case["closed_at"]),
            }
            for case in dossier.cases
        ],
        "licences": [licence_summary(licence) for licence in dossier.licences],
        "materials": [
            {
                "case": material["case_reference"],
                "material": material["material_name"],
                "file_name": material["original_name"] if material["file"] else None,
                "reused_licence": material["reused_licence"],
                "provided_at": _iso(material["provided_at"]),
            }
            for material in dossier.materials
        ],
        "ratings": [
            {
                "case": rating["case_reference"],
                "item": rating["item_name"],
                "department": rating["department_name"],
                "channel": rating["channel"],
                "level": rating["level"],
                "is_follow_up": rating["is_follow_up"],
                "is_default": rating["is_default"],
                "rated_at": _iso(rating["rated_at"]),
            }
            for rating in dossier.ratings
        ],
        "complaints": [
            {
                "tracking_number": complaint["tracking_number"],
                "kind": complaint["kind"],
                "title": complaint["title"],
                "department": complaint["department_name"],
                "status": complaint["status"],
                "submitted_at": _iso(complaint["submitted_at"]),
                "answered_at": _iso(complaint["answered_at"]),
            }
            for complaint in dossier.complaints
        ],
        "payments": [
            {
                "payment_code": payment["payment_code"],
                "case": payment["case_reference"],
                "item": payment["item_name"],
                "amount": f"{payment['total']:.2f}",
                "status": payment["status"],
                "receipt_number": payment["receipt_number"] or None,
                "paid_at": _iso(payment["paid_at"]),
                "refunded": f"{payment['refunded']:.2f}",
            }
            for payment in dossier.payments
        ],
        "deliveries": [
            {
                "case": delivery["case_reference"],
                "item": delivery["item_name"],
                "method": delivery["method"],
                "status": delivery["status"],
                "region": delivery["region_name"] or None,
                "ready_at": _iso(delivery["ready_at"]),
                "served_at": _iso(delivery["served_at"]),
                "served_how": delivery["served_how"] or None,
            }
            for delivery in dossier.deliveries
        ],
    }


def _iso(value: datetime.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def licence_summary(licence: dict[str, Any]) -> dict[str, Any]:
    """What the dossier's export and the sharing API say of a listed licence (no face data, no document)."""
    return {
        "identifier": licence["identifier"],
        "type_code": licence["type_code"],
        "type": licence["type"],
        "number": licence["number"],
        "issuer": licence["issuer"],
        "issued_on": _iso(licence["issued_on"]),
        "valid_from": _iso(licence["valid_from"]),
        "valid_until": _iso(licence["valid_until"]),
        "status": licence["status"],
        "status_label": licence_status_label(licence["status"]),
    }
