"""Reads of documents and tasks, and the access gates that load one for a user or 404.

Who sees what: a unit's staff (any business role in the unit or a unit above it) see the
documents their unit drafted or registered, those routed to it, those circulated to them,
and the tasks assigned to it. "The office" sees everything (see ``is_office``).
"""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from govhall.identity.constants import Role
from govhall.identity.models import Department, Membership
from govhall.identity.queries import departments_covered
from govhall.office.constants import (
    OFFICE_DEPARTMENT_CODE,
    AssignmentStatus,
    DocumentStatus,
    RouteStatus,
    TaskStatus,
)
from govhall.office.models import Assignment, Document, ProgressReport, RouteStep, Task

STAFF_ROLES = (Role.CLERK, Role.REVIEWER, Role.APPROVER, Role.SUPERVISOR)


def parse_uuid(value: Any) -> uuid.UUID:
    """``value`` as a UUID, or 404 (a malformed address is not found)."""
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except (TypeError, ValueError) as exc:
        raise Http404 from exc


def is_office(user: Any) -> bool:
    """Is ``user`` "the office" (办公室), who sees every unit's documents and tasks?

    The office is whoever holds a business role (clerk, reviewer, approver, supervisor) in
    the bureau itself (the top of the department tree: its leaders and supervisors already
    cover every unit below) or in the department whose code is ``OFFICE_DEPARTMENT_CODE``
    (the 办公室, a unit among the others in the tree, whose staff run document handling and
    the 定期通报 for the whole bureau). Content editors and administrators are not.
    """
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return Membership.objects.filter(
        Q(department__parent__isnull=True) | Q(department__code=OFFICE_DEPARTMENT_CODE),
        user=user,
        role__in=STAFF_ROLES,
    ).exists()


def covered_units(user: Any) -> list[int]:
    """The units whose documents and tasks ``user`` sees: where they hold a business role, and those below."""
    return departments_covered(user, STAFF_ROLES)


def own_units(user: Any) -> list[int]:
    """The units ``user`` may sign for: where they hold a business role themselves (not a unit above)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    return list(
        Membership.objects.filter(user=user, role__in=STAFF_ROLES).values_list("department_id", flat=True).distinct()
    )


def list_documents_for(user: Any) -> QuerySet[Document]:
    """The documents ``user`` may see (one query; the office sees all)."""
    documents = Document.objects.select_related("department")
    if is_office(user):
        return documents
    units = covered_units(user)
    return documents.filter(
        Q(department_id__in=units) | Q(route__department_id__in=units) | Q(circulation__reader_id=user.pk)
    ).distinct()


def access_document_for(user: Any, public_id: Any) -> Document:
    """Load one document for ``user``, or 404 (not theirs looks the same as not there)."""
    document = list_documents_for(user).filter(public_id=parse_uuid(public_id)).first()
    if document is None:
        raise Http404
    return document


def list_tasks_for(user: Any) -> QuerySet[Task]:
    """The tasks ``user`` may see: those assigned to their units, those they assigned; the office sees all."""
    tasks = Task.objects.all()
    if is_office(user):
        return tasks
    units = covered_units(user)
    return tasks.filter(Q(assignments__department_id__in=units) | Q(created_by_id=user.pk)).distinct()


def access_task_for(user: Any, public_id: Any) -> Task:
    """Load one task for ``user``, or 404."""
    task = list_tasks_for(user).filter(public_id=parse_uuid(public_id)).first()
    if task is None:
        raise Http404
    return task


def steps_to_sign_for(user: Any) -> QuerySet[RouteStep]:
    """The route steps waiting for one of the user's own units (the office: every waiting step)."""
    steps = RouteStep.objects.filter(
        status=RouteStatus.PENDING, document__status__in=[DocumentStatus.ROUTING, DocumentStatus.ASSIGNED]
    ).select_related("document", "department")
    if not is_office(user):
        steps = steps.filter(department_id__in=own_units(user))
    return steps.order_by("due_on", "pk")


def assignments_due_for(user: Any) -> QuerySet[Assignment]:
    """The unfinished unit assignments of the user's units (the office: all), soonest first."""
    assignments = (
        Assignment.objects.exclude(status=AssignmentStatus.DONE)
        .filter(task__status=TaskStatus.OPEN)
        .select_related("task", "department")
    )
    if not is_office(user):
        assignments = assignments.filter(department_id__in=covered_units(user))
    return assignments.order_by("task__due_on", "pk")


@dataclass(frozen=True)
class UnitWeek:
    """One line of the weekly progress list (定期通报): a unit and how its tasks stand."""

    department: Department
    open: int
    done: int
    overdue: int
    reports_this_week: int
    latest_percent: int | None


def weekly_progress(today: datetime.date | None = None) -> list[UnitWeek]:
    """Each unit with tasks: open, done, overdue, progress reports in the last 7 days, latest percentage reported."""
    today = today or timezone.localdate()
    week_ago = timezone.now() - datetime.timedelta(days=7)
    lines: dict[int, dict[str, Any]] = {}
    for assignment in Assignment.objects.select_related("task", "department").order_by("department__sort_order"):
        line = lines.setdefault(
            assignment.department_id,
            {"department": assignment.department, "open": 0, "done": 0, "overdue": 0, "reports": 0, "latest": None},
        )
        if assignment.status == AssignmentStatus.DONE:
            line["done"] += 1
        else:
            line["open"] += 1
            if assignment.task.due_on < today:
                line["overdue"] += 1
    reports = ProgressReport.objects.filter(reported_at__gte=week_ago).select_related("assignment")
    for report in reports.order_by("reported_at", "pk"):
        department_id = report.assignment.department_id
        if department_id in lines:
            lines[department_id]["reports"] += 1
            lines[department_id]["latest"] = report.percent
    return [
        UnitWeek(line["department"], line["open"], line["done"], line["overdue"], line["reports"], line["latest"])
        for line in lines.values()
    ]
