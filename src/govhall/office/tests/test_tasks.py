"""Supervised tasks: assigned to units with a working-day deadline, progress with evidence, reminders, the overdue sweep."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from govhall.cases.tests.conftest import pdf_bytes
from govhall.complaints.constants import ObjectKind, OrderStatus, Source
from govhall.complaints.models import SupervisionOrder
from govhall.identity.models import Department, User
from govhall.office import actions
from govhall.office.constants import AssignmentStatus, TaskSource, TaskStatus
from govhall.office.models import Evidence, ProgressReport, Task
from govhall.office.queries import weekly_progress
from govhall.proactive.models import Notification

pytestmark = pytest.mark.django_db


@pytest.fixture
def task(on_day: Any, grace: User, bob: User, carol: User, departments: dict[str, Department]) -> Task:
    """From the 9-14 meeting: forestry and water, 5 working days (due 2026-09-21), one milestone."""
    return actions.create_task(
        actor=grace,
        title="排查辖区内防汛隐患点",
        source=TaskSource.MEETING,
        source_note="9月14日局务会",
        units=[departments["forestry"], departments["water"]],
        days=5,
        milestones=[("完成初查", datetime.date(2026, 9, 17))],
    )


def test_a_task_from_a_meeting_is_assigned_to_two_units_with_a_working_day_deadline(
    task: Task, bob: User, carol: User
) -> None:
    # Five working days from Monday 09-14 with the make-up Sunday 09-20: Sunday 09-20.
    assert task.due_on.isoformat() == "2026-09-20"
    assert sorted(task.assignments.values_list("department__code", flat=True)) == ["forestry", "water"]
    assert task.milestones.get().title == "完成初查"
    assert Notification.objects.filter(recipient=bob, subject__contains="排查辖区内防汛隐患点").exists()
    assert Notification.objects.filter(recipient=carol, subject__contains="排查辖区内防汛隐患点").exists()


def test_a_clerk_cannot_assign_tasks(on_day: Any, bob: User, departments: dict[str, Department]) -> None:
    with pytest.raises(PermissionDenied) as raised:
        actions.create_task(actor=bob, title="自行交办", source=TaskSource.LEADER, units=[departments["water"]], days=3)
    assert "办公室或局领导" in str(raised.value)
    assert not Task.objects.exists()


def test_a_milestone_after_the_deadline_is_refused(
    on_day: Any, grace: User, departments: dict[str, Department]
) -> None:
    with pytest.raises(ValidationError) as raised:
        actions.create_task(
            actor=grace,
            title="排查",
            source=TaskSource.LEADER,
            units=[departments["water"]],
            days=2,
            milestones=[("验收", datetime.date(2026, 12, 1))],
        )
    assert "晚于任务办结期限" in raised.value.message_dict["milestones"][0]
    assert not Task.objects.exists()


def test_a_unit_reports_progress_with_evidence_and_completes(task: Task, bob: User) -> None:
    assignment = task.assignments.get(department__code="forestry")
    actions.report_progress(
        assignment,
        actor=bob,
        text="已排查12处隐患点",
        percent=60,
        evidence=[SimpleUploadedFile("排查记录.pdf", pdf_bytes(), content_type="application/pdf")],
    )
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.REPORTING
    assert Evidence.objects.get().original_name == "排查记录.pdf"
    actions.report_progress(assignment, actor=bob, text="全部整改完毕", percent=100)
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.DONE
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN  # water has not finished


def test_another_unit_cannot_report_for_forestry(task: Task, carol: User) -> None:
    assignment = task.assignments.get(department__code="forestry")
    with pytest.raises(PermissionDenied):
        actions.report_progress(assignment, actor=carol, text="代报", percent=50)
    assert not ProgressReport.objects.exists()


def test_evidence_that_is_not_what_its_name_says_is_refused(task: Task, bob: User) -> None:
    assignment = task.assignments.get(department__code="forestry")
    with pytest.raises(ValidationError) as raised:
        actions.report_progress(
            assignment,
            actor=bob,
            text="见附件",
            percent=50,
            evidence=[SimpleUploadedFile("照片.jpg", b"%PDF-1.4 not a jpeg", content_type="image/jpeg")],
        )
    assert "照片.jpg" in raised.value.message_dict["evidence"][0]
    assert not ProgressReport.objects.exists()
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.ASSIGNED


def test_units_are_reminded_once_before_the_deadline(task: Task, bob: User) -> None:
    counts = actions.sweep_office(datetime.date(2026, 9, 18))
    assert counts == {"reminded": 2, "supervised": 0}
    assert Notification.objects.filter(recipient=bob, subject__startswith="督办任务即将到期").count() == 1
    assert actions.sweep_office(datetime.date(2026, 9, 18))["reminded"] == 0


def test_an_overdue_unit_is_supervised_with_the_shared_order_and_a_finished_one_is_not(
    task: Task, bob: User, carol: User
) -> None:
    forestry = task.assignments.get(department__code="forestry")
    water = task.assignments.get(department__code="water")
    actions.report_progress(forestry, actor=bob, text="全部完成", percent=100)
    counts = actions.sweep_office(datetime.date(2026, 9, 22))
    assert counts["supervised"] == 1
    order = SupervisionOrder.objects.get()
    assert (order.object_kind, order.object_id, order.source) == (ObjectKind.TASK, water.public_id, Source.LATE_TASK)
    assert order.department.code == "water" and order.status == OrderStatus.OPEN
    assert "已超过办结期限 2026-09-20" in order.reason
    # The next sweep finds the open order and raises no second one:
    assert actions.sweep_office(datetime.date(2026, 9, 23))["supervised"] == 0
    assert SupervisionOrder.objects.count() == 1


def test_the_command_runs_the_sweep_once(task: Task, capsys: Any, on_day: Any) -> None:
    on_day("2026-09-22")
    call_command("sweep_office")
    assert "supervised=2" in capsys.readouterr().out
    assert SupervisionOrder.objects.filter(object_kind=ObjectKind.TASK).count() == 2


def test_a_supervisor_supervises_a_unit_by_hand(task: Task, dan: User) -> None:
    water = task.assignments.get(department__code="water")
    order = actions.supervise_assignment(water, actor=dan, level="yellow", reason="进展缓慢")
    assert order.source == Source.MANUAL and order.object_id == water.public_id


def test_the_weekly_list_shows_each_unit(task: Task, bob: User) -> None:
    actions.report_progress(task.assignments.get(department__code="forestry"), actor=bob, text="过半", percent=50)
    lines = {line.department.code: line for line in weekly_progress(datetime.date(2026, 9, 22))}
    assert lines["forestry"].reports_this_week == 1 and lines["forestry"].latest_percent == 50
    assert lines["water"].overdue == 1 and lines["water"].reports_this_week == 0
