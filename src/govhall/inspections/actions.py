"""Every write of post-licence supervision: plans' draws, voiding, results, due inspections, guidance."""

from __future__ import annotations

import datetime
import secrets
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from govhall.audit.actions import record
from govhall.holidays.queries import get_calendar
from govhall.identity.models import User
from govhall.inspections import draws, queries
from govhall.inspections.constants import (
    INSPECTORS_PER_INSPECTION,
    InspectionResult,
    InspectionStatus,
    PlanKind,
)
from govhall.inspections.models import (
    ConflictOfInterest,
    Draw,
    GuidanceNotice,
    Inspection,
    InspectionPlan,
    Inspector,
)
from govhall.lib.errors import Conflict
from govhall.licences.actions import holder_accounts, record_inspection
from govhall.licences.models import Licence
from govhall.licences.queries import ended_licences_of_type, valid_licences_of_type
from govhall.proactive.actions import notify_many


class DrawExists(Conflict):
    """A current draw for the plan and period is on record; a new one needs it voided first."""


def _roster(plan: InspectionPlan) -> list[dict[str, Any]]:
    inspectors = (
        Inspector.objects.filter(department=plan.department, is_active=True, user__is_active=True)
        .select_related("user")
        .order_by("user__username")
    )
    conflicts: dict[int, list[str]] = {}
    for conflict in ConflictOfInterest.objects.filter(inspector__in=inspectors):
        conflicts.setdefault(conflict.inspector_id, []).append(conflict.holder_key)
    return [{"username": i.user.username, "conflicts": sorted(conflicts.get(i.pk, []))} for i in inspectors]


def _population(licences: Any) -> list[dict[str, str]]:
    return [
        {"identifier": identifier, "holder_key": key}
        for identifier, key in licences.order_by("identifier").values_list("identifier", "holder_key")
    ]


def _due_on(plan: InspectionPlan, start: datetime.date) -> datetime.date:
    return get_calendar().add_working_days(start, plan.days_to_inspect)


@transaction.atomic
def draw_inspections(
    plan: InspectionPlan,
    *,
    actor: User | None,
    period: str,
    purpose: str,
    population: list[dict[str, str]] | None = None,
    percent: int | None = None,
    inspection_period: str | None = None,
    due_on: datetime.date | None = None,
) -> Draw:
    """Record a seed and the inputs, draw, and create the inspections with their inspectors.

    Random plans draw their share of the type's valid licences; a due draw (``population``
    given, 100 %) assigns inspectors to licences that came due. Refuses a second current draw
    of the plan and period (DrawExists): a different result needs the current draw voided with
    a reason, on record.
    """
    if actor is not None and not queries.may_plan_for(actor, plan):
        raise PermissionDenied(_("只有本单位的审批或监督人员可以组织抽查。"))
    if not plan.is_active:
        raise ValidationError(_("该检查计划已停用，不能抽查。"))
    period, purpose = period.strip(), purpose.strip()
    if not period or not purpose:
        raise ValidationError(_("请填写抽查期次和抽查事由。"))
    if population is None:
        if plan.kind != PlanKind.RANDOM:
            raise ValidationError(_("该计划按到期检查，由系统每日生成，不需要人工抽查。"))
        population = _population(valid_licences_of_type(plan.licence_type))
        percent = plan.sample_percent
    roster = _roster(plan)
    if not population:
        raise ValidationError(_("该证照类型目前没有可抽查的有效证照。"))
    if len(roster) < INSPECTORS_PER_INSPECTION:
        raise ValidationError(_("本单位检查人员名录库在册人数不足两人，不能抽取检查人员。请先补充名录库。"))
    seed = secrets.token_hex(32)
    try:
        with transaction.atomic():
            draw = Draw.objects.create(
                plan=plan,
                period=period[:20],
                purpose=purpose[:300],
                seed=seed,
                percent=percent or 100,
                population=population,
                roster=roster,
                population_digest=draws.digest(population),
                roster_digest=draws.digest(roster),
                drawn_by=actor,
            )
    except IntegrityError:
        raise DrawExists(
            _("%(plan)s %(period)s 已有抽查记录。如确需重新抽取，须先作废原记录并说明理由。")
            % {"plan": plan.name, "period": period}
        ) from None
    result = draws.draw(
        seed,
        [draws.Candidate(c["identifier"], c["holder_key"]) for c in population],
        [draws.RosterEntry(r["username"], frozenset(r["conflicts"])) for r in roster],
        percent=draw.percent,
        inspectors=INSPECTORS_PER_INSPECTION,
    )
    licences = Licence.objects.in_bulk([d.identifier for d in result], field_name="identifier")
    users = User.objects.in_bulk([u for d in result for u in d.inspectors], field_name="username")
    due = due_on or _due_on(plan, timezone.localdate())
    for drawn in result:
        full = len(drawn.inspectors) == INSPECTORS_PER_INSPECTION
        inspection = Inspection.objects.create(
            plan=plan,
            draw=draw,
            licence=licences[drawn.identifier],
            period=inspection_period or draw.period,
            due_on=due,
            status=InspectionStatus.PLANNED if full else InspectionStatus.UNASSIGNED,
        )
        inspection.inspectors.set([users[u] for u in drawn.inspectors] if full else [])
    record(
        "inspections.drawn",
        actor,
        draw,
        {"plan": plan.name, "period": draw.period, "population": len(population), "drawn": len(result)},
    )
    _tell_inspectors(draw)
    return draw


def _tell_inspectors(draw: Draw) -> None:
    letters = []
    for inspection in draw.inspections.filter(status=InspectionStatus.PLANNED).prefetch_related("inspectors"):
        for user in inspection.inspectors.all():
            subject = _("证后检查任务：%(plan)s") % {"plan": draw.plan.name}
            body = _("您被随机抽取检查证照 %(number)s，请在 %(due)s 前完成检查并录入结果。") % {
                "number": inspection.licence.number,
                "due": inspection.due_on.isoformat(),
            }
            letters.append((user, subject, body, reverse("inspections:inspection", args=[inspection.public_id])))
    notify_many(letters)


@transaction.atomic
def void_draw(draw: Draw, *, actor: User, reason: str) -> Draw:
    """Void a draw, with a reason, before any result is recorded; it stays on record and public."""
    draw = Draw.objects.select_for_update().select_related("plan").get(pk=draw.pk)
    if not queries.may_plan_for(actor, draw.plan):
        raise PermissionDenied(_("只有本单位的审批或监督人员可以作废抽查记录。"))
    if draw.voided_at is not None:
        raise Conflict(_("该抽查记录已经作废。"))
    if not reason.strip():
        raise ValidationError({"reason": _("请说明作废理由，理由将随抽查记录一并公开。")})
    if draw.inspections.filter(status=InspectionStatus.DONE).exists():
        raise Conflict(_("已有检查结果的抽查记录不能作废。"))
    draw.voided_at, draw.voided_by, draw.void_reason = timezone.now(), actor, reason.strip()[:300]
    draw.save(update_fields=["voided_at", "voided_by", "void_reason"])
    draw.inspections.update(status=InspectionStatus.VOIDED)
    record("inspections.voided", actor, draw, {"reason": draw.void_reason})
    return draw


@transaction.atomic
def record_result(inspection: Inspection, *, actor: User, result: str, findings: str) -> Inspection:
    """One of the drawn inspectors records the result; it goes on the licence's history."""
    inspection = Inspection.objects.select_for_update().select_related("licence", "plan").get(pk=inspection.pk)
    if not queries.is_inspector_of(actor, inspection):
        raise PermissionDenied(_("只有被抽取的检查人员可以录入检查结果。"))
    if inspection.status != InspectionStatus.PLANNED:
        raise Conflict(_("该检查任务已录入结果或已作废，不能再次录入。"))
    if result not in InspectionResult.values:
        raise ValidationError({"result": _("请选择检查结果：合格、责令整改或立案查处。")})
    if not findings.strip():
        raise ValidationError({"findings": _("请填写检查情况。")})
    inspection.status, inspection.result = InspectionStatus.DONE, result
    inspection.findings, inspection.done_at, inspection.recorded_by = findings.strip(), timezone.now(), actor
    inspection.save(update_fields=["status", "result", "findings", "done_at", "recorded_by"])
    record_inspection(
        inspection.licence,
        actor=actor,
        result_label=str(InspectionResult(result).label),
        findings=inspection.findings,
    )
    record("inspections.result", actor, inspection, {"result": result})
    return inspection


def plan_due_inspections(today: datetime.date | None = None) -> int:
    """Make the inspections that came due today (after-end and yearly plans); safe to run twice."""
    today = today or timezone.localdate()
    made = 0
    for plan in InspectionPlan.objects.filter(is_active=True).exclude(kind=PlanKind.RANDOM):
        made += _plan_due(plan, today)
    return made


@transaction.atomic
def _plan_due(plan: InspectionPlan, today: datetime.date) -> int:
    if plan.kind == PlanKind.AFTER_END:
        period, licences = "after-end", ended_licences_of_type(plan.licence_type, on_or_before=today)
    else:
        period, licences = str(today.year), valid_licences_of_type(plan.licence_type)
    done = Inspection.objects.filter(plan=plan, period=period).exclude(status=InspectionStatus.VOIDED)
    waiting = licences.exclude(pk__in=done.values("licence_id"))
    population = _population(waiting)
    if not population:
        return 0
    due_on = None
    if plan.kind == PlanKind.YEARLY:
        due_on = datetime.date(today.year, 12, 31)
    try:
        draw = draw_inspections(
            plan,
            actor=None,
            period=f"{today.isoformat()}",
            purpose=str(_("到期检查（系统生成）")),
            population=population,
            percent=100,
            inspection_period=period,
            due_on=due_on,
        )
    except DrawExists:
        return 0  # already made today
    except ValidationError:
        return 0  # too few inspectors on the roster: the desk lists the plan as unable to run
    return draw.inspections.count()


@transaction.atomic
def send_guidance(*, actor: User, licence_type: Any, subject: str, body: str) -> GuidanceNotice:
    """A guidance notice (政务指导) to every holder account of the type's valid licences."""
    plans = InspectionPlan.objects.filter(licence_type=licence_type)
    if not any(queries.may_plan_for(actor, plan) for plan in plans):
        raise PermissionDenied(_("只有负责该类证照证后监管的单位可以发送政务指导。"))
    if not subject.strip() or not body.strip():
        raise ValidationError(_("请填写通知标题和内容。"))
    recipients: dict[int, User] = {}
    for licence in valid_licences_of_type(licence_type):
        for user in holder_accounts(licence):
            recipients[user.pk] = user
    link = reverse("licences:my_licences")
    notify_many([(user, subject.strip(), body.strip(), link) for user in recipients.values()])
    notice = GuidanceNotice.objects.create(
        licence_type=licence_type,
        subject=subject.strip()[:200],
        body=body.strip(),
        sent_by=actor,
        recipients=len(recipients),
    )
    record("inspections.guidance_sent", actor, notice, {"recipients": len(recipients)})
    return notice


@transaction.atomic
def declare_conflict(
    inspector: Inspector, *, holder_code: str, holder_label: str, relation: str, actor: Any
) -> ConflictOfInterest:
    """Put a holder on an inspector's 回避 list, by ID number or credit code (kept as the licences' holder key)."""
    from govhall.dossier.queries import PERSON, parse_subject_code
    from govhall.identity.queries import ID_NUMBER
    from govhall.lib.crypto import lookup_hash

    code = parse_subject_code(holder_code)
    key = lookup_hash(code.code, purpose=ID_NUMBER) if code.kind == PERSON else code.code
    if not relation.strip():
        raise ValidationError({"relation": _("请说明回避原因，例如“亲属任法定代表人”。")})
    conflict, _created = ConflictOfInterest.objects.update_or_create(
        inspector=inspector,
        holder_key=key,
        defaults={"holder_label": holder_label.strip()[:200], "relation": relation.strip()[:200]},
    )
    record("inspections.conflict_declared", actor, conflict, {"inspector": inspector.user.username})
    return conflict
