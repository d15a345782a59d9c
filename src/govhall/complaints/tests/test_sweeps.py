"""The sweep raises orders for late cases and complaints, and escalates orders whose reply is late."""

from __future__ import annotations

from typing import Any

import pytest

from govhall.cases import actions as case_actions
from govhall.cases.constants import Warning as CaseWarning
from govhall.cases.models import Case
from govhall.cases.tests.conftest import material_files
from govhall.catalog.models import ItemVersion
from govhall.complaints import actions
from govhall.complaints.constants import ComplaintKind, Escalation, Level, ObjectKind, OrderStatus, Source, Warning
from govhall.complaints.models import SupervisionOrder
from govhall.identity.models import Department, User
from govhall.proactive.models import Notification

pytestmark = pytest.mark.django_db


def _late_case(felling: ItemVersion, alice: User, bob: User) -> Case:
    case = case_actions.submit_case(
        felling,
        applicant=alice,
        form_data={"location": "东孚镇鼎美村3林班", "volume": 12.5},
        submit_key="k1",
        files=material_files(felling),
    )
    case_actions.accept_case(case, actor=bob)
    Case.objects.filter(pk=case.pk).update(warning=CaseWarning.RED)
    return case


def test_a_red_case_gets_one_red_order_to_its_unit(
    felling: ItemVersion, alice: User, bob: User, departments: dict[str, Department], on_day: Any, today: Any
) -> None:
    case = _late_case(felling, alice, bob)
    assert actions.sweep_supervision()["case_orders"] == 1
    order = SupervisionOrder.objects.get()
    assert (order.object_kind, order.object_id, order.case) == (ObjectKind.CASE, case.public_id, case)
    assert (order.level, order.source, order.department) == (Level.RED, Source.LATE_CASE, departments["forestry"])
    assert actions.sweep_supervision()["case_orders"] == 0  # the open order is not raised twice
    assert SupervisionOrder.objects.count() == 1


def test_a_late_complaint_turns_red_and_gets_an_order(
    departments: dict[str, Department], bob: User, today: Any
) -> None:
    complaint, _code = actions.submit_complaint(
        kind=ComplaintKind.SLOWNESS, title="慢", content="慢作为", about_department=departments["forestry"]
    )
    today("2026-09-24")
    actions.accept_complaint(complaint, actor=bob)
    today("2026-10-14")
    counts = actions.sweep_supervision()
    assert counts["complaints_yellow"] == 1  # the day before its last day
    complaint.refresh_from_db()
    assert complaint.warning == Warning.YELLOW
    today("2026-10-15")
    counts = actions.sweep_supervision()
    assert counts["complaint_orders"] == 0  # due today is not late
    today("2026-10-16")
    counts = actions.sweep_supervision()
    assert counts == {
        "complaints_yellow": 0,
        "complaints_red": 1,
        "case_orders": 0,
        "complaint_orders": 1,
        "urged": 0,
        "reported": 0,
    }
    complaint.refresh_from_db()
    assert complaint.warning == Warning.RED
    order = SupervisionOrder.objects.get()
    assert (order.object_kind, order.source) == (ObjectKind.COMPLAINT, Source.LATE_COMPLAINT)


def test_an_overdue_order_is_urged_then_reported_and_the_head_and_supervisor_are_told(
    departments: dict[str, Department], bob: User, dan: User, tom: User, today: Any
) -> None:
    import uuid

    today("2026-11-02")
    order = actions.raise_supervision_order(
        object_kind=ObjectKind.TASK,
        object_id=uuid.uuid4(),
        department=departments["forestry"],
        level=Level.YELLOW,
        reason="防火检查未完成",
    )
    assert str(order.reply_due_on) == "2026-11-09"
    Notification.objects.all().delete()
    today("2026-11-10")
    assert actions.sweep_supervision()["urged"] == 1
    order.refresh_from_db()
    assert order.escalation == Escalation.URGED
    assert set(Notification.objects.values_list("recipient__username", flat=True)) == {"bob", "tom", "dan"}
    assert actions.sweep_supervision()["reported"] == 0  # a new reply period first
    today("2026-11-17")  # five working days after the 催办
    assert actions.sweep_supervision()["reported"] == 1
    order.refresh_from_db()
    assert order.escalation == Escalation.REPORTED and order.status == OrderStatus.OPEN
    assert actions.sweep_supervision() == {
        "complaints_yellow": 0,
        "complaints_red": 0,
        "case_orders": 0,
        "complaint_orders": 0,
        "urged": 0,
        "reported": 0,
    }
