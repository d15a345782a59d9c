"""Reads of cases, and the gates that load a case for a clerk or an applicant (404 if not theirs)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from govhall.cases.constants import OPEN_STATUSES, Warning
from govhall.cases.models import Case, Countersign
from govhall.identity.constants import BUSINESS_ROLES
from govhall.identity.models import User
from govhall.identity.queries import departments_covered


def _staff_departments(user: User) -> list[int]:
    return departments_covered(user, BUSINESS_ROLES)


def inbox_for(user: User, *, search: str = "", status: str = "") -> QuerySet[Case]:
    """Open cases of the departments where the user holds a business role, nearest deadline first.

    Set-based: one query with the departments as a sub-select, served by the
    (department, status, due_on) index. Cases a department was asked to countersign are
    included for that department.
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
    return cases.distinct().select_related("item_version", "department").order_by("due_on", "submitted_at")


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
    case = Case.objects.filter(public_id=public_id, applicant=user).select_related("item_version").first()
    if case is None:
        raise Http404
    return case


def list_cases_of_applicant(user: User) -> QuerySet[Case]:
    return Case.objects.filter(applicant=user).select_related("item_version").order_by("-created_at")


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
