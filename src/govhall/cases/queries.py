"""Reads of cases, and the gates that load a case for a clerk or an applicant (404 if not theirs)."""

from __future__ import annotations

import datetime
import functools
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import BooleanField, F, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.http import Http404, HttpRequest

# What the applicant is told of is listed beside move(), which notifies them (it belongs in
# constants.py; actions.py is being edited elsewhere at the time of writing):
from govhall.cases.actions import APPLICANT_EVENTS
from govhall.cases.constants import (
    OPEN_STATUSES,
    SESSION_INTAKE_ENTITY,
    SESSION_INTAKE_PERSON,
    CaseStatus,
    Decision,
    Warning,
)
from govhall.cases.models import Case, CaseEvent, CaseMaterial, Countersign
from govhall.catalog.models import ItemVersion
from govhall.catalog.queries import (
    LIVE_STATES,
    get_guide,
    listed_versions,
    live_catalog_key,
    live_versions,
    versions_named,
)
from govhall.identity.constants import RECORD_ROLES, Role
from govhall.identity.models import Department, LegalEntity, NaturalPerson, User
from govhall.identity.queries import departments_covered, find_person_by_id_number, is_credit_code_on_record
from govhall.lib.identifiers import parse_credit_code


def _staff_departments(user: User) -> list[int]:
    # Case-handling roles only: a content editor edits the catalog and has no reason to read cases:
    return departments_covered(user, RECORD_ROLES)


def inbox_for(user: User, *, search: str = "", status: str = "", item: str = "") -> QuerySet[Case]:
    """Open cases of the departments where the user holds a business role, nearest deadline first.

    Set-based: one query; the cases a department was asked to countersign (and has not yet
    answered) come in through a sub-select on the countersign table, not a join, so that
    no DISTINCT is needed and the (department, status, due_on) index serves the rest.
    ``item`` narrows to one item by its implementation code.

    ``search`` finds a case by its number, by the applicant's ID number or credit code, or
    by a fragment of the applicant's or the item's name; a search without a ``status``
    looks at every case but drafts, closed ones included (a clerk looking a case up does
    not know its status). See ``_search_filter`` for the indexes that serve it.
    """
    departments = _staff_departments(user)
    asked = Countersign.objects.filter(department_id__in=departments, answered_at__isnull=True).values("case_id")
    cases = Case.objects.filter(Q(department_id__in=departments) | Q(pk__in=asked))
    if status:
        cases = cases.filter(status=status)
    elif search:
        cases = cases.exclude(status=CaseStatus.DRAFT)
    else:
        cases = cases.filter(status__in=OPEN_STATUSES)
    if search:
        cases = cases.filter(_search_filter(search))
    if item:
        cases = cases.filter(item_version__item__implementation_code=item)
    # Cases not yet accepted have no due date and come after the dated ones, on SQLite as on
    # PostgreSQL (which sorts nulls last anyway; the open-queue index has that order). The
    # primary key breaks ties, so that the pages of the API never repeat or skip a case.
    # A page shows its cases' item versions: ``listed`` / ``with_listed_versions`` attach them.
    return cases.defer("form_data", "decision_reason", "decision_basis").order_by(
        F("due_on").asc(nulls_last=True), "submitted_at", "pk"
    )


# What a page's list of cases shows of each (the inbox): read as plain values, not cases:
LISTED_FIELDS = (
    "public_id",
    "reference",
    "item_version_id",
    "applicant_name",
    "status",
    "due_on",
    "due_is_provisional",
    "warning",
)


def listed(cases: QuerySet[Case], start: int, stop: int) -> list[dict[str, Any]]:
    """Cases ``start:stop`` of ``cases`` as dicts of ``LISTED_FIELDS``, each with its "item_version".

    Building 26 cases as model instances cost more than their query (~1 ms); a list shows
    only these columns. The versions come as in ``with_listed_versions``.
    """
    rows = list(cases.values(*LISTED_FIELDS)[start:stop])
    versions = listed_versions(row["item_version_id"] for row in rows)
    for row in rows:
        row["item_version"] = versions[row["item_version_id"]]
    return rows


def with_listed_versions(cases: Iterable[Case]) -> list[Case]:
    """``cases`` with their item versions attached as a list shows them (name, number, item code).

    A page of 25 cases names a dozen of the few hundred versions; they come from the
    process's copy (``catalog.queries.listed_versions``), not from a query or a join per page
    (building the related versions cost more than the page's query).
    """
    page = list(cases)
    versions = listed_versions(case.item_version_id for case in page)
    for case in page:
        case.item_version = versions[case.item_version_id]
    return page


def _search_filter(search: str) -> Q:
    """What a clerk's search term matches, each part served by an index on PostgreSQL.

    An ID number or a credit code is looked up first (through the keyed hash, as identity
    keeps it) and matches the cases of that person or entity (person_id / entity_id
    indexes). Otherwise the term matches a case number exactly (unique index), an item by
    a fragment of its name (the few hundred versions are looked up first), or a fragment of
    the applicant's name: on PostgreSQL through the GIN index of the name's two-character
    pieces (migration 0004; Chinese names are too short for trigrams), then checked with
    LIKE. SQLite, for one machine's data, simply scans.
    """
    term = search.strip()
    person = find_person_by_id_number(term) if len(term) in (15, 18) else None
    if person is not None:
        return Q(person_id=person.pk)
    if len(term) == 18:
        try:
            code = parse_credit_code(term, on_record=is_credit_code_on_record).code
        except ValidationError:
            code = ""
        entity_id = LegalEntity.objects.filter(credit_code=code).values_list("pk", flat=True).first() if code else None
        if entity_id is not None:
            return Q(entity_id=entity_id)
    if connection.vendor == "postgresql" and _CASE_NUMBER.fullmatch(term):
        # A case number (implementation code, date, serial) is no one's name and no item's:
        return Q(reference=term.upper())
    versions = versions_named(term)
    if connection.vendor != "postgresql":
        return Q(reference__icontains=term) | Q(applicant_name__icontains=term) | Q(item_version_id__in=versions)
    like = "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    pieces = _name_pieces(term)
    if len(term) == 2:
        # Its one piece is the term: containing it is containing the term, so no LIKE to
        # re-check. That also lets PostgreSQL estimate from the pieces' statistics how common
        # the term is ("厦门" begins 150,000 company names) and, for a common one, walk the
        # cases in deadline order instead of fetching every match (cases_filed_order):
        name = RawSQL(
            "cases_name_bigrams(cases_case.applicant_name) @> %s::text[]", [pieces], output_field=BooleanField()
        )
    elif pieces:
        name = RawSQL(
            "cases_name_bigrams(cases_case.applicant_name) @> %s::text[] AND upper(cases_case.applicant_name) LIKE upper(%s)",
            [pieces, like],
            output_field=BooleanField(),
        )
    else:  # one character: nothing for the index to narrow by
        name = RawSQL("upper(cases_case.applicant_name) LIKE upper(%s)", [like], output_field=BooleanField())
    return Q(reference=term.upper()) | Q(name) | Q(item_version_id__in=versions)


_CASE_NUMBER = re.compile(r"[0-9A-Za-z]{20,60}")


def _name_pieces(term: str, most: int = 4) -> list[str]:
    """The two-character pieces of ``term`` the name index is asked for, as cases_name_bigrams() makes them.

    At most ``most``, spread over the term: every case they select is re-checked with LIKE,
    and each piece more is one more posting list to read (common pieces are long).
    """
    upper = term.upper()
    pieces = list(dict.fromkeys(upper[i : i + 2] for i in range(len(upper) - 1)))
    if len(pieces) <= most:
        return pieces
    step = (len(pieces) - 1) / (most - 1)
    return [pieces[round(i * step)] for i in range(most)]


def list_items_for_inbox(user: User) -> list[tuple[str, str]]:
    """(implementation code, name) of the items the user's departments handle, for the inbox filter.

    Cases are filed only under published versions, so the published and superseded ones are
    what the filter needs; the name is that of the item's newest. Every inbox page shows the
    filter, so the list is kept per process for each set of departments and live catalog
    (which changes with every publication).
    """
    return list(_items_handled(tuple(_staff_departments(user)), live_catalog_key()))


@functools.lru_cache(maxsize=256)
def _items_handled(departments: tuple[int, ...], _catalog: tuple[Any, ...]) -> tuple[tuple[str, str], ...]:
    names: dict[str, str] = {}
    for code, name in (
        ItemVersion.objects.filter(handling_department_id__in=departments, state__in=LIVE_STATES)
        .order_by("item__implementation_code", "-number")
        .values_list("item__implementation_code", "name")
    ):
        names.setdefault(code, name)
    return tuple(sorted(names.items(), key=lambda pair: pair[1]))


def access_case_for_staff(user: Any, public_id: str) -> Case:
    """A case of one of the user's departments (or asked of it for countersign); 404 otherwise."""
    if not getattr(user, "is_authenticated", False):
        raise Http404
    departments = _staff_departments(user)
    case = (
        Case.objects.filter(public_id=public_id)
        .filter(Q(department_id__in=departments) | Q(countersigns__department_id__in=departments))
        .select_related("item_version", "department")
        .distinct()
        .first()
    )
    if case is None:
        raise Http404
    return case


def access_case_for_applicant(user: Any, public_id: str) -> Case:
    """A case the user applied for (drafts included); 404 otherwise."""
    case = Case.objects.filter(public_id=public_id, applicant=user).select_related("item_version").first()
    if case is None:
        raise Http404
    return case


def list_cases_of_applicant(user: User) -> QuerySet[Case]:
    return Case.objects.filter(applicant=user).select_related("item_version").order_by("-created_at", "-pk")


def late_cases() -> QuerySet[Case]:
    """For supervisors: open cases that are late or nearly late."""
    return (
        Case.objects.filter(status__in=OPEN_STATUSES, warning__in=[Warning.YELLOW, Warning.RED])
        .select_related("item_version", "department")
        .order_by("due_on")
    )


def get_case_by_submit_key(user: User, submit_key: str) -> Case | None:
    """The case this applicant already filed with ``submit_key``, if any (submit_case returns it on a retry)."""
    if not submit_key:
        return None
    return Case.objects.filter(applicant=user, submit_key=submit_key).select_related("item_version").first()


def get_version_to_apply(*, public_id: str = "", implementation_code: str = "") -> ItemVersion | None:
    """The published item version an application names: by its public id, or the live version of an item.

    None if nothing published answers; whether the version is still open for applications
    is for ``submit_case`` to decide.
    """
    if public_id:
        try:
            return get_guide(public_id)
        except Http404:
            return None
    if implementation_code:
        return live_versions().filter(item__implementation_code=implementation_code).first()
    return None


def get_entity_represented_by(user: User, credit_code: str) -> LegalEntity | None:
    """The legal entity with ``credit_code`` that the user is authorised to act for; None otherwise.

    "Not authorised" and "no such entity" look the same.
    """
    return (
        LegalEntity.objects.filter(
            credit_code=credit_code.strip().upper(), authorisations__user=user, authorisations__is_active=True
        )
        .distinct()
        .first()
    )


def list_events_for_applicant(case: Case) -> QuerySet[CaseEvent]:
    """The events the applicant is shown; the bureau's internal steps and opinions stay internal."""
    return case.events.filter(kind__in=APPLICANT_EVENTS).select_related("actor")


def list_events_for_staff(case: Case) -> QuerySet[CaseEvent]:
    return case.events.select_related("actor")


def list_current_materials(case: Case) -> QuerySet[CaseMaterial]:
    """The materials in force (a replaced upload is kept but no longer current)."""
    return case.materials.filter(is_current=True).select_related("material")


def get_open_correction(case: Case) -> CaseEvent | None:
    """The correction request the applicant still has to answer, with its items in ``data["corrections"]``."""
    if case.status != CaseStatus.CORRECTION_REQUESTED:
        return None
    return case.events.filter(kind="correction_requested").order_by("-pk").first()


def get_countersign(case: Case, department_code: str) -> Countersign | None:
    """The countersign of ``case`` asked of the department with ``department_code``."""
    return case.countersigns.filter(department__code=department_code).select_related("department").first()


def list_countersign_departments() -> QuerySet[Department]:
    """The units that may be asked to countersign (the bureau itself is not a unit)."""
    return Department.objects.filter(parent__isnull=False).order_by("sort_order", "code")


def renewals_under_way(licence_public_ids: list[Any]) -> set[Any]:
    """Of these licences, the ones a renewal application has been filed for and not yet finished."""
    return set(
        Case.objects.filter(renews_licence__in=licence_public_ids, status__in=OPEN_STATUSES).values_list(
            "renews_licence", flat=True
        )
    )


def intake_departments(user: Any) -> list[int]:
    """The departments whose items the user may file at the window for a person (as their clerk)."""
    return departments_covered(user, [Role.CLERK])


def get_person_for_intake(public_id: str) -> NaturalPerson:
    """The person identified at the counter, or 404."""
    try:
        person = NaturalPerson.objects.filter(public_id=uuid.UUID(str(public_id))).first()
    except ValueError:
        person = None
    if person is None:
        raise Http404
    return person


def get_entity_for_intake(public_id: str) -> LegalEntity | None:
    """The company the person at the counter acts for (their authorisation checked there), or None."""
    try:
        return LegalEntity.objects.filter(public_id=uuid.UUID(str(public_id))).first() if public_id else None
    except ValueError:
        return None


def intake_versions(departments: list[int]) -> list[ItemVersion]:
    """The live items handled in the hall by these departments, for the window's item list."""
    return list(
        live_versions()
        .filter(in_hall=True, handling_department_id__in=departments)
        .select_related("item")
        .order_by("name")
    )


def approved_cases_of_item(item_id: int, *, closed_since: datetime.datetime | None = None) -> QuerySet[Case]:
    """The cases of one catalog item closed with an approving decision (准予), newest first; for 免申即享.

    A denied case is closed with the decision 不予, and a withdrawn or not accepted one is never
    closed, so none of them is here. With the applicant person, the company and the version.
    """
    cases = Case.objects.filter(item_version__item_id=item_id, status=CaseStatus.CLOSED, decision=Decision.APPROVE)
    if closed_since is not None:
        cases = cases.filter(closed_at__gte=closed_since)
    return cases.select_related("person", "entity", "item_version").order_by("-closed_at", "-pk")


# Who is served at the window (一窗受理): the person, and the company they act for, identified at the
# counter and kept in the clerk's session; an intake page — one item's, or a bundle's — serves only them.


@dataclass(frozen=True)
class WindowSubject:
    person: Any  # identity NaturalPerson
    entity: Any  # identity LegalEntity, or None
    next_url: str  # the desk page to return to (the hall's counter), or ""


def window_subject(request: HttpRequest) -> WindowSubject | None:
    """The person (and company) the counter identified, if the page was opened for them; else None."""
    given = request.GET.get("person") or request.POST.get("person") or ""
    if not given or given != request.session.get(SESSION_INTAKE_PERSON):
        return None
    person = get_person_for_intake(given)
    entity = get_entity_for_intake(request.session.get(SESSION_INTAKE_ENTITY) or "")
    next_url = request.GET.get("next") or request.POST.get("next") or ""
    if not next_url.startswith("/desk/") or "//" in next_url:
        next_url = ""
    return WindowSubject(person, entity, next_url)


def identified_since(request: HttpRequest, subject: WindowSubject) -> bool:
    """Whether the counter identified another company (or none) since the posted form was opened."""
    opened_for = request.POST.get("entity", "")
    return request.method == "POST" and opened_for != (str(subject.entity.public_id) if subject.entity else "")
