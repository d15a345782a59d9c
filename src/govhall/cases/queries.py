"""Reads of cases, and the gates that load a case for a clerk or an applicant (404 if not theirs)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

# What the applicant is told of is listed beside move(), which notifies them (it belongs in
# constants.py; actions.py is being edited elsewhere at the time of writing):
from govhall.cases.actions import APPLICANT_EVENTS
from govhall.cases.constants import OPEN_STATUSES, CaseStatus, Warning
from govhall.cases.models import Case, CaseEvent, CaseMaterial, Countersign
from govhall.catalog.models import ItemVersion
from govhall.catalog.queries import get_guide, live_versions
from govhall.identity.constants import BUSINESS_ROLES
from govhall.identity.models import Department, LegalEntity, User
from govhall.identity.queries import departments_covered


def _staff_departments(user: User) -> list[int]:
    return departments_covered(user, BUSINESS_ROLES)


def inbox_for(user: User, *, search: str = "", status: str = "", item: str = "") -> QuerySet[Case]:
    """Open cases of the departments where the user holds a business role, nearest deadline first.

    Set-based: one query with the departments as a sub-select, served by the
    (department, status, due_on) index. Cases a department was asked to countersign are
    included for that department. ``item`` narrows to one item by its implementation code.
    """
    departments = _staff_departments(user)
    cases = Case.objects.filter(
        Q(department_id__in=departments)
        | Q(countersigns__department_id__in=departments, countersigns__answered_at__isnull=True)
    ).filter(status__in=[status] if status else OPEN_STATUSES)
    if search:
        cases = cases.filter(
            Q(reference__icontains=search)
            | Q(applicant_name__icontains=search)
            | Q(item_version__name__icontains=search)
        )
    if item:
        cases = cases.filter(item_version__item__implementation_code=item)
    # The primary key breaks ties, so that the pages of the API never repeat or skip a case:
    return cases.distinct().select_related("item_version", "department").order_by("due_on", "submitted_at", "pk")


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


def open_countersigns_for(user: User, case: Case) -> list[Countersign]:
    """The countersigns of ``case`` this user may answer (never the one who asked for them)."""
    requested_by = (
        case.events.filter(kind="countersign_requested").order_by("-pk").values_list("actor_id", flat=True).first()
    )
    if requested_by == user.pk:
        return []
    departments = _staff_departments(user)
    return list(case.countersigns.filter(department_id__in=departments, answered_at__isnull=True))


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
