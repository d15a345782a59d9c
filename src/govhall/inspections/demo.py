"""Demo post-licence supervision: three plans, two rosters, and one draw with its result (safe to run again)."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction

from govhall.identity.models import Department, User
from govhall.inspections import actions
from govhall.inspections.constants import PlanKind
from govhall.inspections.models import Draw, InspectionPlan, Inspector
from govhall.licences.models import LicenceType

ROSTERS = {"forestry": ["bob", "frank", "kate"], "water": ["carol", "frank"]}


@transaction.atomic
def load_inspections_demo() -> int:
    """Return how many draws were made (0 when the demo is already there)."""
    units = {d.code: d for d in Department.objects.filter(code__in=["forestry", "water"])}
    if len(units) < 2:
        return 0
    for unit, usernames in ROSTERS.items():
        for user in User.objects.filter(username__in=usernames):
            Inspector.objects.get_or_create(user=user, department=units[unit])
    bureau = settings.BUREAU_CREDIT_CODE
    plans = [
        ("林权证持证人森林经营情况双随机抽查", "NATIONAL003", "forestry", PlanKind.RANDOM, {"sample_percent": 20}),
        ("林木采伐迹地更新造林检查", bureau + "001", "forestry", PlanKind.AFTER_END, {"days_after_end": 365}),
        ("取水许可年度监督检查", bureau + "002", "water", PlanKind.YEARLY, {}),
    ]
    made = {}
    for name, code, unit, kind, extra in plans:
        if code == "NATIONAL003":
            licence_type = LicenceType.objects.filter(name__startswith="林权证").first()
        else:
            licence_type = LicenceType.objects.filter(code=code).first()
        if licence_type is None:
            continue
        made[kind], _created = InspectionPlan.objects.get_or_create(
            name=name,
            defaults={
                "licence_type": licence_type,
                "department": units[unit],
                "kind": kind,
                "legal_basis": "《森林法》第六十六条"
                if unit == "forestry"
                else "《取水许可和水资源费征收管理条例》第四十五条",
                **extra,
            },
        )
    random_plan = made.get(PlanKind.RANDOM)
    dan = User.objects.filter(username="dan").first()
    if random_plan is None or dan is None or Draw.objects.filter(plan=random_plan).exists():
        return 0
    draw = actions.draw_inspections(random_plan, actor=dan, period="2026年第四季度", purpose="年度双随机抽查（演示）")
    inspection = draw.inspections.prefetch_related("inspectors").first()
    inspector = inspection.inspectors.first() if inspection is not None else None
    if inspection is not None and inspector is not None:
        actions.record_result(
            inspection,
            actor=inspector,
            result="qualified",
            findings="林地权属清楚，森林经营正常，未发现违法采伐。",
        )
    return 1
