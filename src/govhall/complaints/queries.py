"""Reads of complaints and supervision orders, and the access gates that load them for a user.

A gate raises 404 for "not yours" exactly as for "does not exist". Staff see the complaints
and orders of the units where they hold a business role, and of every unit below (a
supervisor at the bureau sees them all); a complaint about a staff member is hidden from
that person unless they supervise.
"""

from __future__ import annotations

import hmac
import uuid
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from govhall.complaints.constants import (
    OPEN_COMPLAINT_STATUSES,
    OPEN_ORDER_STATUSES,
    ObjectKind,
    OrderStatus,
)
from govhall.complaints.models import Complaint, SupervisionOrder
from govhall.identity.constants import Role
from govhall.identity.queries import departments_covered
from govhall.lib.crypto import lookup_hash
from govhall.lib.errors import uuid_or_404

STAFF_ROLES = (Role.CLERK, Role.REVIEWER, Role.APPROVER, Role.SUPERVISOR)
QUERY_CODE = "complaint_query_code"


def is_supervisor(user: Any) -> bool:
    return bool(departments_covered(user, [Role.SUPERVISOR]))


def list_complaints_for(user: Any) -> QuerySet[Complaint]:
    """The complaints a staff member may see: their units' (and below), and those assigned to them."""
    units = departments_covered(user, STAFF_ROLES)
    supervised = departments_covered(user, [Role.SUPERVISOR])
    if not getattr(user, "is_authenticated", False):
        return Complaint.objects.none()
    condition = Q(department_id__in=units) | Q(assignee_id=user.pk)
    # Never shown to the person complained about, unless they supervise the unit:
    hidden = Q(about_staff_id=user.pk) & ~Q(department_id__in=supervised)
    return Complaint.objects.filter(condition).exclude(hidden).select_related("department")


def access_complaint_for(user: Any, public_id: Any) -> Complaint:
    """Load a complaint the user may see, or 404."""
    complaint = (
        list_complaints_for(user)
        .select_related("about_department", "about_staff", "item", "case", "assignee", "complainant")
        .filter(public_id=uuid_or_404(public_id))
        .first()
    )
    if complaint is None:
        raise Http404
    return complaint


def list_orders_for(user: Any) -> QuerySet[SupervisionOrder]:
    """The supervision orders a staff member may see: of their units and below (a supervisor's: all under them)."""
    units = departments_covered(user, STAFF_ROLES)
    return SupervisionOrder.objects.filter(department_id__in=units).select_related("department")


def access_order_for(user: Any, public_id: Any) -> SupervisionOrder:
    """Load a supervision order the user may see, or 404."""
    order = (
        list_orders_for(user).select_related("case", "raised_by", "replied_by").filter(public_id=uuid_or_404(public_id))
    )
    found = order.first()
    if found is None:
        raise Http404
    return found


def find_complaint_by_query_code(tracking_number: str, code: str) -> Complaint | None:
    """The complaint with this tracking number if the query code fits; None otherwise (the same for both)."""
    tracking_number = tracking_number.strip().upper()
    complaint = Complaint.objects.filter(tracking_number=tracking_number).select_related("department").first()
    expected = lookup_hash(f"{tracking_number}:{code.strip().upper()}", purpose=QUERY_CODE)
    if complaint is None:
        # The same work whether or not the number exists, so timing tells nothing:
        hmac.compare_digest(expected, expected)
        return None
    return complaint if hmac.compare_digest(complaint.query_code_hash, expected) else None


def open_order_for(object_kind: str, object_id: uuid.UUID) -> SupervisionOrder | None:
    """The open (or replied, not yet closed) order on one object, if any."""
    return SupervisionOrder.objects.filter(
        object_kind=object_kind, object_id=object_id, status__in=sorted(OPEN_ORDER_STATUSES)
    ).first()


def orders_for_object(object_kind: str, object_id: uuid.UUID) -> QuerySet[SupervisionOrder]:
    """Every order ever raised on one object, newest first (for the object's own page)."""
    return SupervisionOrder.objects.filter(object_kind=object_kind, object_id=object_id).order_by("-raised_at")


def order_marks(complaint_ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    """The level of each complaint's open order (for a list's yellow/red marks), in one query."""
    return dict(
        SupervisionOrder.objects.filter(
            object_kind=ObjectKind.COMPLAINT, object_id__in=complaint_ids, status__in=sorted(OPEN_ORDER_STATUSES)
        ).values_list("object_id", "level")
    )


def count_open(user: Any) -> dict[str, int]:
    """How many open complaints and open orders the user's units have (for the desk home)."""
    return {
        "complaints": list_complaints_for(user).filter(status__in=sorted(OPEN_COMPLAINT_STATUSES)).count(),
        "orders": list_orders_for(user).filter(status=OrderStatus.OPEN).count(),
    }


# The dossier's section (the lead adds it to dossier.queries.SECTIONS and LISTED) -----------


def dossier_complaints(subject: Any, scope: Any) -> QuerySet[Complaint]:
    """The complaints of one dossier subject within a scope, newest first.

    A person's: those they filed under their name (never an anonymous one); an entity's: those
    about its cases. ``scope.departments`` (None: all) limits them to the handling units.
    """
    if getattr(subject, "entity", None) is not None:
        condition = Q(case__entity=subject.entity)
    elif getattr(subject, "person", None) is not None:
        condition = Q(complainant__person=subject.person, is_anonymous=False)
    else:
        return Complaint.objects.none()
    if scope.departments is not None:
        condition &= Q(department_id__in=scope.departments)
    return Complaint.objects.filter(condition).order_by("-submitted_at", "-pk")


# The values a dossier lists of a complaint (for dossier.queries.LISTED["complaints"]):
DOSSIER_LISTED: dict[str, str] = {
    "public_id": "public_id",
    "tracking_number": "tracking_number",
    "kind": "kind",
    "title": "title",
    "department_name": "department__name",
    "status": "status",
    "submitted_at": "submitted_at",
    "due_on": "due_on",
    "answered_at": "answered_at",
    "satisfaction": "satisfaction",
}


def has_open_complaint_about_case(case_id: int) -> bool:
    """Whether a complaint about the case is still being handled (archives then hold its package)."""
    return Complaint.objects.filter(case_id=case_id, status__in=sorted(OPEN_COMPLAINT_STATUSES)).exists()
