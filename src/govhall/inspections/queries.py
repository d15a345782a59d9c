"""Reads of post-licence supervision: who may draw and record, the desk's lists, the public results."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from govhall.identity.constants import Role
from govhall.identity.queries import departments_covered, has_role_for
from govhall.inspections import draws
from govhall.inspections.constants import INSPECTORS_PER_INSPECTION, InspectionStatus
from govhall.inspections.models import Draw, Inspection, InspectionPlan
from govhall.lib.errors import uuid_or_404

# Who plans and draws for a unit: its approvers and supervisors (the bureau's cover every unit):
PLANNING_ROLES = (Role.APPROVER, Role.SUPERVISOR)


def may_plan_for(user: Any, plan: InspectionPlan) -> bool:
    return any(has_role_for(user, role, plan.department) for role in PLANNING_ROLES)


def list_plans_for(user: Any) -> QuerySet[InspectionPlan]:
    """The plans of the units the person plans for (nothing for anyone else)."""
    return InspectionPlan.objects.filter(department_id__in=departments_covered(user, PLANNING_ROLES)).select_related(
        "licence_type", "department"
    )


def access_plan_for(user: Any, public_id: Any) -> InspectionPlan:
    plan = list_plans_for(user).filter(public_id=uuid_or_404(public_id)).first()
    if plan is None:
        raise Http404
    return plan


def access_draw_for(user: Any, public_id: Any) -> Draw:
    draw = (
        Draw.objects.select_related("plan", "plan__licence_type", "drawn_by", "voided_by")
        .filter(public_id=uuid_or_404(public_id), plan__in=list_plans_for(user))
        .first()
    )
    if draw is None:
        raise Http404
    return draw


def list_inspections_for(user: Any) -> QuerySet[Inspection]:
    """The inspections the person is drawn for, and those of the units they plan for."""
    return (
        Inspection.objects.filter(Q(inspectors=user) | Q(plan__in=list_plans_for(user)))
        .exclude(status=InspectionStatus.VOIDED)
        .select_related("plan", "licence", "licence__licence_type", "draw")
        .distinct()
        .order_by("status", "due_on", "pk")
    )


def access_inspection_for(user: Any, public_id: Any) -> Inspection:
    inspection = list_inspections_for(user).filter(public_id=uuid_or_404(public_id)).first()
    if inspection is None:
        raise Http404
    return inspection


def is_inspector_of(user: Any, inspection: Inspection) -> bool:
    return bool(getattr(user, "pk", None)) and inspection.inspectors.filter(pk=user.pk).exists()


@dataclass(frozen=True)
class Recheck:
    matches: bool
    population_ok: bool
    roster_ok: bool
    expected: list[draws.Drawn]
    recorded: list[draws.Drawn]


def recheck_draw(draw: Draw) -> Recheck:
    """Run the draw again from its recorded seed and inputs and compare with what was recorded."""
    population = [draws.Candidate(c["identifier"], c["holder_key"]) for c in draw.population]
    roster = [draws.RosterEntry(r["username"], frozenset(r["conflicts"])) for r in draw.roster]
    expected = draws.draw(draw.seed, population, roster, percent=draw.percent, inspectors=INSPECTORS_PER_INSPECTION)
    order = {drawn.identifier: n for n, drawn in enumerate(expected)}
    recorded = sorted(
        (
            draws.Drawn(
                inspection.licence.identifier,
                tuple(sorted(u.username for u in inspection.inspectors.all())),
            )
            for inspection in draw.inspections.select_related("licence").prefetch_related("inspectors")
        ),
        key=lambda d: order.get(d.identifier, len(order)),
    )
    comparable = [draws.Drawn(d.identifier, tuple(sorted(d.inspectors))) for d in expected]
    return Recheck(
        matches=comparable == recorded,
        population_ok=draws.digest(draw.population) == draw.population_digest,
        roster_ok=draws.digest(draw.roster) == draw.roster_digest,
        expected=expected,
        recorded=recorded,
    )


def list_public_draws() -> QuerySet[Draw]:
    """Every draw of a random plan, voided ones included (双随机一公开: the public sees each)."""
    return Draw.objects.select_related("plan", "plan__licence_type", "plan__department").order_by("-drawn_at")


def get_public_draw(public_id: Any) -> Draw:
    draw = list_public_draws().filter(public_id=uuid_or_404(public_id)).first()
    if draw is None:
        raise Http404
    return draw


def public_results(draw: Draw) -> QuerySet[Inspection]:
    return draw.inspections.select_related("licence").order_by("pk")
