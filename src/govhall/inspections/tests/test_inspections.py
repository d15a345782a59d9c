"""Post-licence supervision: reproducible 双随机 draws with 回避, results on the licence, due inspections, guidance."""

from __future__ import annotations

import datetime

import pytest

from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone

from conftest import PASSWORD
from govhall.identity import actions as identity_actions
from govhall.identity.constants import Role
from govhall.identity.models import Department, User
from govhall.inspections import actions, queries
from govhall.inspections.constants import InspectionStatus, PlanKind
from govhall.inspections.models import Inspection, InspectionPlan, Inspector
from govhall.lib.errors import Conflict
from govhall.licences.models import Licence, LicenceEvent, LicenceType
from govhall.licences.tests.conftest import forest_right_of, forest_right_type  # noqa: F401 - fixtures
from govhall.proactive.models import Notification

pytestmark = pytest.mark.django_db


@pytest.fixture
def inspectors(departments: dict[str, Department]) -> list[User]:
    people = []
    for username, name in [("ins1", "检查员甲"), ("ins2", "检查员乙"), ("ins3", "检查员丙")]:
        user = identity_actions.create_staff(username=username, full_name=name, password=PASSWORD)
        identity_actions.grant_role(user, departments["forestry"], Role.REVIEWER)
        Inspector.objects.create(user=user, department=departments["forestry"])
        people.append(user)
    return people


@pytest.fixture
def licences(alice: User, forest_right_type: LicenceType) -> list[Licence]:  # noqa: F811
    held = [forest_right_of(alice.person, forest_right_type)]  # type: ignore[arg-type]
    for n in range(9):
        held.append(
            forest_right_of(
                alice.person,  # type: ignore[arg-type]
                forest_right_type,
                serial=f"20190002{n:02d}",
                holder_key=f"holder-{n}",
                holder_name=f"林农{n}",
            )
        )
    return held


@pytest.fixture
def plan(departments: dict[str, Department], forest_right_type: LicenceType) -> InspectionPlan:  # noqa: F811
    return InspectionPlan.objects.create(
        name="林权证持证人经营情况抽查",
        licence_type=forest_right_type,
        department=departments["forestry"],
        kind=PlanKind.RANDOM,
        sample_percent=30,
        legal_basis="《森林法》第六十六条",
    )


def _drawn(draw) -> dict[str, set[str]]:  # type: ignore[no-untyped-def]
    return {
        i.licence.identifier: {u.username for u in i.inspectors.all()}
        for i in draw.inspections.select_related("licence").prefetch_related("inspectors")
    }


def test_a_draw_takes_its_share_with_two_inspectors_each_and_rechecks_from_its_seed(
    plan: InspectionPlan, licences: list[Licence], inspectors: list[User], dan: User
) -> None:
    draw = actions.draw_inspections(plan, actor=dan, period="2026Q4", purpose="年度抽查")
    drawn = _drawn(draw)
    assert len(drawn) == 3  # 30 % of 10
    assert all(len(names) == 2 and names <= {"ins1", "ins2", "ins3"} for names in drawn.values())
    assert queries.recheck_draw(draw).matches
    # Each drawn inspector is told, with a link to the task:
    assert Notification.objects.filter(recipient__username__in=["ins1", "ins2", "ins3"]).count() == 6


def test_an_inspector_is_never_drawn_for_a_holder_he_must_avoid(
    plan: InspectionPlan, licences: list[Licence], inspectors: list[User], dan: User, erin: User
) -> None:
    actions.declare_conflict(
        Inspector.objects.get(user=inspectors[0], department__code="forestry"),
        holder_code="350205198503120020",  # Alice's ID number: her licence is the first
        holder_label="陈爱丽",
        relation="亲属",
        actor=erin,
    )
    plan.sample_percent = 100
    plan.save()
    draw = actions.draw_inspections(plan, actor=dan, period="2026Q4", purpose="全面检查")
    assert drawn_for_alice(draw, licences[0]) == {"ins2", "ins3"}
    assert queries.recheck_draw(draw).matches


def drawn_for_alice(draw, licence: Licence) -> set[str]:  # type: ignore[no-untyped-def]
    return _drawn(draw)[licence.identifier]


def test_drawing_again_needs_the_first_draw_voided_with_a_reason_and_both_stay(
    plan: InspectionPlan, licences: list[Licence], inspectors: list[User], dan: User
) -> None:
    first = actions.draw_inspections(plan, actor=dan, period="2026Q4", purpose="年度抽查")
    with pytest.raises(Conflict, match="须先作废原记录"):
        actions.draw_inspections(plan, actor=dan, period="2026Q4", purpose="再抽一次")
    with pytest.raises(ValidationError):
        actions.void_draw(first, actor=dan, reason=" ")
    actions.void_draw(first, actor=dan, reason="名录库有误，补充后重抽")
    second = actions.draw_inspections(plan, actor=dan, period="2026Q4", purpose="年度抽查（重抽）")
    assert second.seed != first.seed
    assert set(queries.list_public_draws()) == {first, second}
    assert not first.inspections.exclude(status=InspectionStatus.VOIDED).exists()


def test_a_changed_record_no_longer_rechecks(
    plan: InspectionPlan, licences: list[Licence], inspectors: list[User], dan: User
) -> None:
    draw = actions.draw_inspections(plan, actor=dan, period="2026Q4", purpose="年度抽查")
    inspection = draw.inspections.first()
    assigned = {u.username for u in inspection.inspectors.all()}  # type: ignore[union-attr]
    other = next(u for u in inspectors if u.username not in assigned)
    inspection.inspectors.set([other, *list(inspection.inspectors.all())[:1]])  # type: ignore[union-attr]
    assert not queries.recheck_draw(draw).matches


def test_only_planners_draw_and_only_drawn_inspectors_record(
    plan: InspectionPlan, licences: list[Licence], inspectors: list[User], dan: User, bob: User
) -> None:
    with pytest.raises(PermissionDenied):
        actions.draw_inspections(plan, actor=bob, period="2026Q4", purpose="年度抽查")
    draw = actions.draw_inspections(plan, actor=dan, period="2026Q4", purpose="年度抽查")
    inspection = draw.inspections.prefetch_related("inspectors").first()
    assert inspection is not None
    outsider = next(u for u in inspectors if u not in inspection.inspectors.all())
    with pytest.raises(PermissionDenied):
        actions.record_result(inspection, actor=outsider, result="qualified", findings="现场核查。")
    inspector = inspection.inspectors.first()
    done = actions.record_result(inspection, actor=inspector, result="rectify", findings="采伐迹地未按期更新造林。")
    assert done.status == InspectionStatus.DONE
    event = LicenceEvent.objects.get(licence=inspection.licence, operation="inspected")
    assert "责令整改" in event.reason
    with pytest.raises(Conflict):
        actions.record_result(inspection, actor=inspector, result="qualified", findings="再录一次")
    with pytest.raises(Conflict):
        actions.void_draw(draw, actor=dan, reason="想换一批")


def test_due_inspections_are_made_once(
    departments: dict[str, Department],
    forest_right_type: LicenceType,  # noqa: F811
    licences: list[Licence],
    inspectors: list[User],
) -> None:
    InspectionPlan.objects.create(
        name="采伐迹地更新造林检查",
        licence_type=forest_right_type,
        department=departments["forestry"],
        kind=PlanKind.AFTER_END,
        days_after_end=365,
    )
    today = timezone.localdate()
    Licence.objects.filter(pk=licences[1].pk).update(valid_until=today - datetime.timedelta(days=1))
    assert actions.plan_due_inspections(today) == 1
    assert actions.plan_due_inspections(today) == 0
    assert actions.plan_due_inspections(today + datetime.timedelta(days=1)) == 0
    made = Inspection.objects.get()
    assert made.licence == licences[1] and made.inspectors.count() == 2


def test_guidance_reaches_the_holders(
    plan: InspectionPlan, licences: list[Licence], inspectors: list[User], dan: User, alice: User
) -> None:
    notice = actions.send_guidance(
        actor=dan, licence_type=plan.licence_type, subject="森林防火期注意事项", body="进入防火期，严禁野外用火。"
    )
    assert notice.recipients == 1  # only Alice has an account among the holders
    assert Notification.objects.filter(recipient=alice, subject="森林防火期注意事项").exists()


def test_the_public_sees_the_draw_its_seed_and_results_with_persons_masked(
    plan: InspectionPlan, licences: list[Licence], inspectors: list[User], dan: User, client: Client
) -> None:
    plan.sample_percent = 100
    plan.save()
    draw = actions.draw_inspections(plan, actor=dan, period="2026Q4", purpose="全面检查")
    inspection = draw.inspections.get(licence=licences[0])
    actions.record_result(inspection, actor=inspection.inspectors.first(), result="qualified", findings="经营正常。")
    page = client.get(f"/inspections/{draw.public_id}/").content.decode()
    assert draw.seed in page and "结果与记录一致" in page
    assert "陈*丽" in page or "陈**" in page or "*爱丽" in page
    assert "陈爱丽" not in page and "350205" not in page
    assert "合格" in page
    assert client.get("/inspections/").status_code == 200


def test_the_desk_draws_and_a_second_click_changes_nothing(
    plan: InspectionPlan, licences: list[Licence], inspectors: list[User], dan: User, client: Client, settings
) -> None:
    settings.STAFF_2FA_SKIP = True
    client.force_login(dan)
    form = {f"{plan.public_id}-period": "2026Q4", f"{plan.public_id}-purpose": "年度抽查"}
    first = client.post(f"/desk/inspections/plans/{plan.public_id}/draw/", form, follow=True)
    assert "已抽取 3 户" in first.content.decode()
    again = client.post(f"/desk/inspections/plans/{plan.public_id}/draw/", form, follow=True)
    assert "须先作废原记录" in again.content.decode()
    assert plan.draws.count() == 1 and Inspection.objects.count() == 3


def test_the_draw_passes_over_an_inspector_it_would_otherwise_pick_when_he_must_avoid_the_holder() -> None:
    from govhall.inspections.draws import Candidate, RosterEntry, draw

    population = [Candidate("L1", "K1"), Candidate("L2", "K2")]
    roster = [RosterEntry(name, frozenset()) for name in ("a", "b", "c")]
    seed = next(
        s
        for s in (f"{n:064x}" for n in range(100))
        if "a" in draw(s, population, roster, percent=100, inspectors=2)[0].inspectors
    )
    first = draw(seed, population, roster, percent=100, inspectors=2)[0]
    avoiding = [RosterEntry("a", frozenset({first.identifier.replace("L", "K")})), *roster[1:]]
    again = draw(seed, population, avoiding, percent=100, inspectors=2)
    assert set(again[0].inspectors) == {"b", "c"}
    assert again[0].identifier == first.identifier  # the licences drawn do not move
    # Too few free inspectors: the licence is drawn, and left for a person to staff:
    alone = [RosterEntry(n, frozenset({"K1", "K2"})) for n in ("a", "b")] + [roster[2]]
    assert all(len(d.inspectors) == 1 for d in draw(seed, population, alone, percent=100, inspectors=2))
