"""A complaint runs submitted → accepted → assigned → investigating → answered → closed on its time limit."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from govhall.audit.models import AuditRecord
from govhall.complaints import actions, queries
from govhall.complaints.constants import ComplaintChannel, ComplaintKind, ComplaintStatus, Warning
from govhall.complaints.models import Complaint, ComplaintEvent, ComplaintTimeLimit
from govhall.identity.models import Department, User
from govhall.lib.crypto import decrypt_text
from govhall.proactive.models import Notification

pytestmark = pytest.mark.django_db
D = datetime.date.fromisoformat


def _file(departments: dict[str, Department], **kw: Any) -> tuple[Complaint, str]:
    values: dict[str, Any] = {
        "kind": ComplaintKind.SLOWNESS,
        "title": "采伐证迟迟不批",
        "content": "申请已经一个月没有消息。",
        "about_department": departments["forestry"],
    } | kw
    return actions.submit_complaint(**values)


def test_an_anonymous_complaint_gets_a_tracking_number_and_a_query_code_kept_hashed(
    departments: dict[str, Department], today: Any
) -> None:
    complaint, code = _file(departments, phone="138 0000 0002")
    assert complaint.tracking_number.startswith("TS20260924")
    assert len(code) == 8
    assert code not in complaint.query_code_hash
    assert queries.find_complaint_by_query_code(complaint.tracking_number, code.lower()) == complaint
    assert queries.find_complaint_by_query_code(complaint.tracking_number, "WRONG123") is None
    # The phone number is personal data: encrypted, masked, found by a keyed hash:
    assert complaint.phone_masked == "138****0002"
    assert "13800000002" not in complaint.phone_encrypted
    assert decrypt_text(complaint.phone_encrypted) == "13800000002"
    assert complaint.department == departments["forestry"]
    assert complaint.status == ComplaintStatus.SUBMITTED


def test_the_time_limit_comes_from_the_table_on_working_days(
    departments: dict[str, Department], bob: User, today: Any
) -> None:
    complaint, _code = _file(departments)
    today("2026-09-24")
    actions.accept_complaint(complaint, actor=bob)
    complaint.refresh_from_db()
    assert complaint.due_on == D("2026-10-15")  # 10 working days over the National Day week (10-10 is worked)
    consultation, _code = _file(departments, kind=ComplaintKind.CONSULTATION)
    actions.accept_complaint(consultation, actor=bob)
    consultation.refresh_from_db()
    assert consultation.due_on == D("2026-09-29")
    urgent, _code = _file(departments, is_urgent=True)
    actions.accept_complaint(urgent, actor=bob)
    urgent.refresh_from_db()
    assert urgent.due_on == D("2026-09-24")
    ComplaintTimeLimit.objects.filter(key="slowness").update(working_days=5)
    other, _code = _file(departments)
    actions.accept_complaint(other, actor=bob)
    other.refresh_from_db()
    assert other.due_on == D("2026-10-09")


def test_a_complaint_runs_its_whole_course_and_every_step_is_audited(
    departments: dict[str, Department], bob: User, liam: User, alice: User, today: Any
) -> None:
    complaint, _code = _file(departments, complainant=alice, is_anonymous=False)
    actions.accept_complaint(complaint, actor=bob)
    actions.assign_complaint(complaint, actor=bob, department=departments["forestry"], assignee=liam)
    actions.start_investigation(complaint, actor=liam)
    actions.answer_complaint(complaint, actor=liam, answer="已督促审批，许可证已于今日发放。")
    actions.rate_answer(complaint, satisfaction=4)
    actions.close_complaint(complaint, actor=bob)
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.CLOSED
    assert complaint.satisfaction == 4
    kinds = list(ComplaintEvent.objects.filter(complaint=complaint).values_list("kind", flat=True))
    assert kinds == ["submitted", "accepted", "assigned", "investigating", "answered", "rated", "closed"]
    assert AuditRecord.objects.filter(event__startswith="complaints.", target_id=str(complaint.pk)).count() == 7
    # The named complainant is told of the answer through the notification path:
    assert Notification.objects.filter(recipient=alice, subject__contains="已答复").exists()


def test_a_complainant_without_an_account_is_told_at_the_phone_number_they_gave(
    departments: dict[str, Department], bob: User, liam: User, today: Any
) -> None:
    complaint, _code = _file(departments, phone="13900000009")
    actions.accept_complaint(complaint, actor=bob)
    actions.assign_complaint(complaint, actor=bob, department=departments["forestry"], assignee=liam)
    actions.start_investigation(complaint, actor=liam)
    actions.answer_complaint(complaint, actor=liam, answer="已督促审批。")
    [told] = Notification.objects.filter(recipient__isnull=True, subject__contains="已答复")
    assert complaint.tracking_number in told.subject
    assert decrypt_text(told.contact_phone_encrypted) == "13900000009"
    assert told.link == "/complaints/follow/"


def test_a_rejection_needs_a_reason_and_the_complainant_reads_it(departments: dict[str, Department], bob: User) -> None:
    complaint, _code = _file(departments)
    with pytest.raises(ValidationError) as refused:
        actions.reject_complaint(complaint, actor=bob, reason=" ")
    assert refused.value.message_dict == {"reason": ["请写明不予受理的理由。"]}
    actions.reject_complaint(complaint, actor=bob, reason="不属于本局职责，请向区市场监管局反映。")
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.REJECTED
    with pytest.raises(ValidationError) as again:
        actions.accept_complaint(complaint, actor=bob)
    assert again.value.messages == ["投诉当前为“不予受理”，不能进行这个操作。"]


def test_a_complaint_about_a_person_is_never_assigned_to_that_person(
    departments: dict[str, Department], bob: User, liam: User
) -> None:
    complaint, _code = _file(departments, about_staff=liam)
    actions.accept_complaint(complaint, actor=bob)
    with pytest.raises(ValidationError) as refused:
        actions.assign_complaint(complaint, actor=bob, department=departments["forestry"], assignee=liam)
    assert refused.value.message_dict == {"assignee": ["这件投诉针对的就是该工作人员，不能交由其本人办理。"]}
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.ACCEPTED and complaint.assignee is None
    # Nor may they see it:
    assert not queries.list_complaints_for(liam).filter(pk=complaint.pk).exists()


def test_another_unit_cannot_act_on_a_complaint_and_nothing_changes(
    departments: dict[str, Department], carol: User
) -> None:
    complaint, _code = _file(departments)
    with pytest.raises(PermissionDenied) as refused:
        actions.accept_complaint(complaint, actor=carol)
    assert str(refused.value) == "您在该单位没有执行这个操作所需的岗位角色。"
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.SUBMITTED and complaint.due_on is None
    assert ComplaintEvent.objects.filter(complaint=complaint).count() == 1


def test_a_12345_work_order_entered_twice_is_refused_and_nothing_changes(
    departments: dict[str, Department], bob: User
) -> None:
    entered = {"channel": ComplaintChannel.HOTLINE_12345, "hotline_number": "12345-2026-000812", "entered_by": bob}
    _file(departments, **entered)
    with pytest.raises(ValidationError) as refused:
        _file(departments, **entered)
    assert refused.value.message_dict == {"hotline_number": ["12345工单 12345-2026-000812 已经录入过，不能重复录入。"]}
    assert Complaint.objects.count() == 1


def test_a_staff_channel_needs_a_staff_member(departments: dict[str, Department], alice: User) -> None:
    with pytest.raises(ValidationError) as refused:
        _file(departments, channel=ComplaintChannel.HALL, entered_by=alice)
    assert refused.value.message_dict == {"channel": ["只有工作人员可以录入大厅、监督电话和12345热线的投诉。"]}


def test_anonymous_complaints_are_limited_per_address(departments: dict[str, Department]) -> None:
    for _n in range(5):
        _file(departments, address="203.0.113.9")
    with pytest.raises(actions.RateLimited) as refused:
        _file(departments, address="203.0.113.9")
    assert refused.value.messages == ["您提交投诉过于频繁，请一小时后再试，或拨打监督电话。"]
    assert Complaint.objects.count() == 5
    _file(departments, address="203.0.113.10")  # another address is not held back


def test_the_complainant_reopens_within_ten_days_and_not_after(
    departments: dict[str, Department], bob: User, today: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    complaint, _code = _file(departments)
    actions.accept_complaint(complaint, actor=bob)
    actions.assign_complaint(complaint, actor=bob, department=departments["forestry"])
    actions.start_investigation(complaint, actor=bob)
    actions.answer_complaint(complaint, actor=bob, answer="已处理。")
    actions.reopen_complaint(complaint, reason="许可证仍未收到")
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.INVESTIGATING and complaint.reopen_count == 1
    actions.answer_complaint(complaint, actor=bob, answer="已寄出，单号 EMS123。")
    later = timezone.now() + datetime.timedelta(days=11)
    monkeypatch.setattr(timezone, "now", lambda: later)
    with pytest.raises(ValidationError) as refused:
        actions.reopen_complaint(complaint, reason="还是没收到")
    assert refused.value.messages == ["答复已超过10天，不能再申请重新办理；如有新的情况，请重新提交投诉。"]
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.ANSWERED


def test_an_extension_needs_a_supervisor_before_the_deadline(
    departments: dict[str, Department], bob: User, dan: User, today: Any
) -> None:
    complaint, _code = _file(departments, kind=ComplaintKind.CONSULTATION)
    actions.accept_complaint(complaint, actor=bob)
    actions.request_complaint_extension(complaint, actor=bob, days=3, reason="需要现场核实")
    with pytest.raises(PermissionDenied) as refused:
        actions.approve_complaint_extension(complaint, actor=bob)
    assert str(refused.value) == "延期须由监督人员批准。"
    today("2026-09-30")  # the deadline (09-29) has passed
    with pytest.raises(ValidationError) as late:
        actions.approve_complaint_extension(complaint, actor=dan)
    assert late.value.messages == ["办理期限已过，不能再批准延期。"]
    today("2026-09-28")
    actions.approve_complaint_extension(complaint, actor=dan)
    complaint.refresh_from_db()
    assert complaint.extension_approved and complaint.due_on == D("2026-10-09")
    assert complaint.warning == Warning.NONE


def test_script_in_a_complaint_is_stored_as_typed(departments: dict[str, Department]) -> None:
    complaint, _code = _file(departments, content='<script>alert("x")</script>')
    complaint.refresh_from_db()
    assert complaint.content == '<script>alert("x")</script>'


def test_a_named_complainant_is_told_in_her_own_language(
    departments: dict[str, Department], bob: User, alice: User, today: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.utils import translation

    alice.language = "en"
    alice.save(update_fields=["language"])
    complaint, _code = _file(departments, complainant=alice, is_anonymous=False)
    languages = []
    sent = actions.notify

    def noting_language(*args: Any, **kwargs: Any) -> Any:
        languages.append(translation.get_language())
        return sent(*args, **kwargs)

    monkeypatch.setattr(actions, "notify", noting_language)
    actions.accept_complaint(complaint, actor=bob)  # Bob works in Chinese
    assert languages == ["en"]
    told = Notification.objects.get(recipient=alice)
    assert told.link == f"/complaints/follow/{complaint.public_id}/"
