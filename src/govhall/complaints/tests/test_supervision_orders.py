"""A supervision order holds a unit to account: one open order per object, a reply deadline, a reply with evidence."""

from __future__ import annotations

import datetime
import uuid
from typing import Any

import pytest

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from govhall.audit.models import AuditRecord
from govhall.cases.tests.conftest import pdf_bytes
from govhall.complaints import actions
from govhall.complaints.constants import Escalation, Level, ObjectKind, OrderStatus, Source
from govhall.complaints.models import SupervisionEvent, SupervisionOrder
from govhall.identity.models import Department, User
from govhall.proactive.models import Notification

pytestmark = pytest.mark.django_db
D = datetime.date.fromisoformat


def _raise(
    departments: dict[str, Department], object_id: uuid.UUID, level: str = Level.YELLOW, **kw: Any
) -> SupervisionOrder:
    return actions.raise_supervision_order(
        object_kind=ObjectKind.TASK,
        object_id=object_id,
        department=departments["forestry"],
        level=level,
        reason="林木采伐许可积压",
        **kw,
    )


def test_an_order_gets_its_reply_deadline_on_the_working_day_calendar(
    departments: dict[str, Department], today: Any
) -> None:
    today("2026-09-24")  # five working days later is after the National Day holidays
    order = _raise(departments, uuid.uuid4())
    assert order.reply_due_on == D("2026-10-09")
    assert order.status == OrderStatus.OPEN
    assert AuditRecord.objects.filter(event="complaints.order_raised").count() == 1


def test_a_second_order_on_the_same_object_returns_the_open_one_raising_its_level(
    departments: dict[str, Department], today: Any
) -> None:
    object_id = uuid.uuid4()
    first = _raise(departments, object_id)
    again = _raise(departments, object_id)
    assert again.pk == first.pk
    red = _raise(departments, object_id, level=Level.RED)
    assert red.pk == first.pk
    assert red.level == Level.RED
    assert red.reply_due_on == D("2026-09-30")  # red: three working days (09-25 is a holiday)
    assert SupervisionOrder.objects.count() == 1
    # Back down to yellow changes nothing:
    assert _raise(departments, object_id).level == Level.RED


def test_a_closed_order_lets_a_new_one_be_raised(
    departments: dict[str, Department], dan: User, bob: User, today: Any
) -> None:
    object_id = uuid.uuid4()
    first = _raise(departments, object_id)
    actions.reply_to_order(first, actor=bob, reply="已清理积压")
    actions.close_order(first, actor=dan)
    second = _raise(departments, object_id)
    assert second.pk != first.pk


def test_the_unit_and_the_supervisors_over_it_are_told(
    departments: dict[str, Department], bob: User, carol: User, dan: User, tom: User, today: Any
) -> None:
    _raise(departments, uuid.uuid4())
    told = set(Notification.objects.values_list("recipient__username", flat=True))
    assert told == {"bob", "dan", "tom"}  # not Carol, of the water unit


def test_only_a_supervisor_raises_an_order_by_hand(departments: dict[str, Department], bob: User, dan: User) -> None:
    with pytest.raises(PermissionDenied) as refused:
        _raise(departments, uuid.uuid4(), raised_by=bob, source=Source.MANUAL)
    assert str(refused.value) == "只有负责该单位的监督人员可以发起督办。"
    assert not SupervisionOrder.objects.exists()
    assert _raise(departments, uuid.uuid4(), raised_by=dan).raised_by == dan


def test_bad_input_names_each_problem(departments: dict[str, Department]) -> None:
    with pytest.raises(ValidationError) as refused:
        actions.raise_supervision_order(
            object_kind="letter", object_id=uuid.uuid4(), department=departments["forestry"], level="green", reason=" "
        )
    assert refused.value.message_dict == {
        "object_kind": ["督办对象类型无效。"],
        "level": ["督办等级须为黄牌或红牌。"],
        "reason": ["请写明督办事由。"],
    }


def test_the_unit_replies_with_evidence(departments: dict[str, Department], bob: User, today: Any) -> None:
    order = _raise(departments, uuid.uuid4())
    upload = SimpleUploadedFile("整改报告.pdf", pdf_bytes(), content_type="application/pdf")
    actions.reply_to_order(order, actor=bob, reply="已完成整改", evidence=[upload])
    order.refresh_from_db()
    assert order.status == OrderStatus.REPLIED
    assert order.replied_by == bob
    evidence = order.evidence.get()
    assert evidence.original_name == "整改报告.pdf"
    assert evidence.file.read().startswith(b"%PDF")


def test_a_reply_with_a_file_that_is_not_a_document_changes_nothing(
    departments: dict[str, Department], bob: User
) -> None:
    order = _raise(departments, uuid.uuid4())
    upload = SimpleUploadedFile("report.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    with pytest.raises(ValidationError) as refused:
        actions.reply_to_order(order, actor=bob, reply="已完成整改", evidence=[upload])
    assert "不是 PDF、JPG 或 PNG 文件" in refused.value.message_dict["evidence"][0]
    order.refresh_from_db()
    assert order.status == OrderStatus.OPEN
    assert not order.evidence.exists()


def test_a_reply_after_the_order_closed_is_refused_and_changes_nothing(
    departments: dict[str, Department], bob: User, dan: User
) -> None:
    order = _raise(departments, uuid.uuid4())
    actions.reply_to_order(order, actor=bob, reply="已完成整改")
    actions.close_order(order, actor=dan)
    events = SupervisionEvent.objects.count()
    with pytest.raises(ValidationError) as refused:
        actions.reply_to_order(order, actor=bob, reply="补充说明")
    assert refused.value.messages == ["该督办单已办结，不能再回复。"]
    order.refresh_from_db()
    assert order.reply == "已完成整改"
    assert SupervisionEvent.objects.count() == events


def test_another_unit_cannot_reply_and_nothing_changes(departments: dict[str, Department], carol: User) -> None:
    order = _raise(departments, uuid.uuid4())
    with pytest.raises(PermissionDenied):
        actions.reply_to_order(order, actor=carol, reply="不是我们单位的")
    order.refresh_from_db()
    assert order.status == OrderStatus.OPEN and order.reply == ""


def test_a_supervisor_urges_then_reports(departments: dict[str, Department], dan: User, bob: User) -> None:
    order = _raise(departments, uuid.uuid4())
    actions.escalate_order(order, actor=dan)
    order.refresh_from_db()
    assert order.escalation == Escalation.URGED
    actions.escalate_order(order, actor=dan)
    order.refresh_from_db()
    assert order.escalation == Escalation.REPORTED
    with pytest.raises(ValidationError) as refused:
        actions.escalate_order(order, actor=dan)
    assert refused.value.messages == ["该督办单已通报。"]
    with pytest.raises(PermissionDenied):
        actions.escalate_order(order, actor=bob)


def test_a_returned_reply_opens_the_order_again(departments: dict[str, Department], dan: User, bob: User) -> None:
    order = _raise(departments, uuid.uuid4())
    actions.reply_to_order(order, actor=bob, reply="正在处理")
    actions.return_order(order, actor=dan, reason="未说明整改结果")
    order.refresh_from_db()
    assert order.status == OrderStatus.OPEN
