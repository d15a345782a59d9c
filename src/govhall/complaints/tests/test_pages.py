"""The portal's complaint form and follow page, and the desk's complaint and supervision pages."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from govhall.cases.tests.conftest import pdf_bytes
from govhall.complaints import actions
from govhall.complaints.constants import ComplaintKind, ComplaintStatus, Level, ObjectKind, OrderStatus
from govhall.complaints.models import Complaint, ComplaintEvent, SupervisionOrder
from govhall.identity.models import Department, User

pytestmark = pytest.mark.django_db
SCRIPT = '<script>alert("x")</script>'


def _post_complaint(client: Client, departments: dict[str, Department], **extra: Any) -> Any:
    data = {
        "kind": ComplaintKind.SLOWNESS,
        "title": "采伐证迟迟不批",
        "content": "申请已经一个月没有消息。",
        "about_department": departments["forestry"].pk,
        "is_anonymous": "on",
        "phone": "13800000002",
    } | extra
    return client.post("/complaints/new/", data)


def _codes(page: str) -> tuple[str, str]:
    number = re.search(r'id="tracking-number">(\w+)<', page)
    code = re.search(r'id="query-code">(\w+)<', page)
    assert number and code
    return number.group(1), code.group(1)


def test_an_anonymous_complaint_is_filed_and_followed_with_its_query_code(
    departments: dict[str, Department], zh_client: Client
) -> None:
    assert zh_client.get("/complaints/new/").status_code == 200
    answer = _post_complaint(zh_client, departments)
    assert answer.status_code == 302
    page = zh_client.get(answer["Location"]).content.decode()
    assert "查询码只显示这一次" in page
    number, code = _codes(page)
    # A reload shows the number again, never the code, and files nothing:
    again = zh_client.get(answer["Location"]).content.decode()
    assert number in again and code not in again
    assert Complaint.objects.count() == 1
    other = Client()
    wrong = other.post("/complaints/follow/", {"tracking_number": number, "query_code": "WRONG234"})
    assert wrong.status_code == 400
    assert "投诉编号或查询码不正确，请核对后重新输入。" in wrong.content.decode()
    right = other.post("/complaints/follow/", {"tracking_number": number, "query_code": code})
    assert right.status_code == 302
    followed = other.get(right["Location"])
    assert "待受理" in followed.content.decode()
    # Someone else's browser that never gave the code sees nothing:
    assert Client().get(right["Location"]).status_code == 404


def test_bad_input_is_shown_at_its_field_and_nothing_is_stored(
    departments: dict[str, Department], zh_client: Client
) -> None:
    answer = _post_complaint(zh_client, departments, title="", phone="12345")
    assert answer.status_code == 400
    page = answer.content.decode()
    assert "联系电话格式不正确，请填写11位手机号码或带区号的固定电话。" in page
    assert "请填写标题。" in page
    assert not Complaint.objects.exists()


def test_the_form_is_held_back_after_five_anonymous_complaints_an_hour(
    departments: dict[str, Department], zh_client: Client
) -> None:
    for _n in range(5):
        assert _post_complaint(zh_client, departments).status_code == 302
    held = _post_complaint(zh_client, departments)
    assert held.status_code == 429
    assert "您提交投诉过于频繁，请一小时后再试，或拨打监督电话。" in held.content.decode()
    assert Complaint.objects.count() == 5


def test_script_in_a_complaint_is_shown_escaped_to_staff(
    departments: dict[str, Department], zh_client: Client, bob: User, desk: Any
) -> None:
    _post_complaint(zh_client, departments, content=SCRIPT, title=SCRIPT)
    complaint = Complaint.objects.get()
    assert complaint.content == SCRIPT
    page = desk(bob).get(f"/desk/complaints/{complaint.public_id}/").content.decode()
    assert SCRIPT not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    listing = desk(bob).get("/desk/complaints/").content.decode()
    assert SCRIPT not in listing


def test_a_clerk_of_another_unit_gets_404_and_changes_nothing(
    departments: dict[str, Department], carol: User, desk: Any
) -> None:
    complaint, _code = actions.submit_complaint(
        kind=ComplaintKind.INACTION, title="不作为", content="……", about_department=departments["forestry"]
    )
    client = desk(carol)
    assert client.get(f"/desk/complaints/{complaint.public_id}/").status_code == 404
    assert client.post(f"/desk/complaints/{complaint.public_id}/accept/", {"note": ""}).status_code == 404
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.SUBMITTED
    assert ComplaintEvent.objects.filter(complaint=complaint).count() == 1
    assert complaint.tracking_number not in client.get("/desk/complaints/").content.decode()


def test_the_desk_handles_a_complaint_to_its_answer_which_the_complainant_reads(
    departments: dict[str, Department], bob: User, desk: Any, zh_client: Client
) -> None:
    answer = zh_client.get(_post_complaint(zh_client, departments)["Location"])
    complaint = Complaint.objects.get()
    client = desk(bob)
    assert client.post(f"/desk/complaints/{complaint.public_id}/accept/", {"note": ""}).status_code == 302
    forestry = departments["forestry"].pk
    assert (
        client.post(
            f"/desk/complaints/{complaint.public_id}/assign/", {"department": forestry, "assignee": "bob"}
        ).status_code
        == 302
    )
    client.post(f"/desk/complaints/{complaint.public_id}/investigate/", {"note": ""})
    empty = client.post(f"/desk/complaints/{complaint.public_id}/answer/", {"answer": " "})
    assert empty.status_code == 400
    assert "请填写答复内容。" in empty.content.decode()
    client.post(f"/desk/complaints/{complaint.public_id}/answer/", {"answer": "许可证已于今日发放。"})
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.ANSWERED
    number, code = _codes(answer.content.decode())
    follow = zh_client.get(f"/complaints/follow/{complaint.public_id}/").content.decode()
    assert "许可证已于今日发放。" in follow
    rated = zh_client.post(f"/complaints/follow/{complaint.public_id}/", {"form": "rate", "satisfaction": "5"})
    assert rated.status_code == 302
    complaint.refresh_from_db()
    assert complaint.satisfaction == 5


def test_staff_enter_a_12345_work_order_once(departments: dict[str, Department], bob: User, desk: Any) -> None:
    client = desk(bob)
    data = {
        "channel": "hotline_12345",
        "hotline_number": "12345-0001",
        "kind": ComplaintKind.ATTITUDE,
        "title": "态度差",
        "content": "12345转来",
        "is_anonymous": "on",
    }
    assert client.post("/desk/complaints/new/", data).status_code == 302
    again = client.post("/desk/complaints/new/", data)
    assert again.status_code == 400
    assert "12345工单 12345-0001 已经录入过，不能重复录入。" in again.content.decode()
    assert Complaint.objects.count() == 1


def test_the_unit_replies_to_an_order_with_evidence_and_another_unit_sees_nothing(
    departments: dict[str, Department], bob: User, carol: User, dan: User, desk: Any
) -> None:
    order = actions.raise_supervision_order(
        object_kind=ObjectKind.TASK,
        object_id=uuid.uuid4(),
        department=departments["forestry"],
        level=Level.RED,
        reason="森林防火检查未按期完成",
    )
    assert order.number in desk(dan).get("/desk/supervision/").content.decode()
    assert order.number not in desk(carol).get("/desk/supervision/").content.decode()
    assert desk(carol).get(f"/desk/supervision/{order.public_id}/").status_code == 404
    refused = desk(carol).post(f"/desk/supervision/{order.public_id}/reply/", {"reply": "x"})
    assert refused.status_code == 404
    client = desk(bob)
    upload = SimpleUploadedFile("整改报告.pdf", pdf_bytes(), content_type="application/pdf")
    done = client.post(f"/desk/supervision/{order.public_id}/reply/", {"reply": "已完成检查", "evidence": [upload]})
    assert done.status_code == 302
    order.refresh_from_db()
    assert order.status == OrderStatus.REPLIED
    evidence = order.evidence.get()
    download = client.get(f"/desk/supervision/{order.public_id}/evidence/{evidence.public_id}/")
    assert download.status_code == 200 and download["Cache-Control"] == "private, no-store"
    assert desk(dan).post(f"/desk/supervision/{order.public_id}/close/", {"note": ""}).status_code == 302
    late = client.post(f"/desk/supervision/{order.public_id}/reply/", {"reply": "补充"})
    assert "该督办单已办结，不能再回复。" in client.get(late["Location"]).content.decode()


def test_a_supervisor_raises_an_order_on_a_complaint_by_hand(
    departments: dict[str, Department], dan: User, bob: User, desk: Any
) -> None:
    complaint, _code = actions.submit_complaint(
        kind=ComplaintKind.INACTION, title="不作为", content="……", about_department=departments["forestry"]
    )
    data = {"object_kind": "complaint", "reference": complaint.tracking_number, "level": "yellow", "reason": "请核查"}
    assert desk(bob).get("/desk/supervision/new/").status_code == 404
    assert desk(dan).post("/desk/supervision/new/", data).status_code == 302
    order = SupervisionOrder.objects.get()
    assert (order.object_id, order.raised_by, order.department) == (complaint.public_id, dan, departments["forestry"])
    listing = desk(bob).get("/desk/complaints/").content.decode()
    assert "黄牌督办" in listing


def test_a_handler_sees_the_full_phone_number_only_on_request_and_it_is_audited(
    departments: dict[str, Department], zh_client: Client, bob: User, carol: User, desk: Any
) -> None:
    from govhall.audit.models import AuditRecord

    _post_complaint(zh_client, departments)
    complaint = Complaint.objects.get()
    page = desk(bob).get(f"/desk/complaints/{complaint.public_id}/").content.decode()
    assert "138****0002" in page and "13800000002" not in page
    assert desk(carol).post(f"/desk/complaints/{complaint.public_id}/contact/").status_code == 404
    assert not AuditRecord.objects.filter(event="complaints.contact_viewed").exists()
    shown = desk(bob).post(f"/desk/complaints/{complaint.public_id}/contact/").content.decode()
    assert "13800000002" in shown
    assert AuditRecord.objects.filter(event="complaints.contact_viewed", actor_label="bob").count() == 1


def test_a_logged_in_applicant_files_a_named_complaint_and_follows_it_from_her_workspace(
    departments: dict[str, Department], alice: User
) -> None:
    from govhall.complaints.constants import ComplaintChannel

    client = Client()
    client.force_login(alice)
    answer = _post_complaint(client, departments, is_anonymous="")
    assert answer.status_code == 302
    complaint = Complaint.objects.get()
    assert (complaint.complainant, complaint.is_anonymous) == (alice, False)
    assert complaint.channel == ComplaintChannel.WORKSPACE
    fresh = Client()
    fresh.force_login(alice)
    assert fresh.get(f"/complaints/follow/{complaint.public_id}/").status_code == 200
    assert Client().get(f"/complaints/follow/{complaint.public_id}/").status_code == 404


def test_staff_name_the_person_complained_about_who_then_never_handles_it(
    departments: dict[str, Department], bob: User, desk: Any
) -> None:
    from govhall.identity import actions as identity_actions
    from govhall.identity.constants import Role

    liam = identity_actions.create_staff(username="liam", full_name="李明", password="Test#Pass2026")
    identity_actions.grant_role(liam, departments["forestry"], Role.CLERK)
    data = {
        "channel": "hall",
        "kind": ComplaintKind.ATTITUDE,
        "title": "窗口态度差",
        "content": "大厅现场投诉",
        "is_anonymous": "on",
        "about_staff_username": "nobody",
    }
    unknown = desk(bob).post("/desk/complaints/new/", data)
    assert unknown.status_code == 400 and "没有这个工作人员。" in unknown.content.decode()
    assert desk(bob).post("/desk/complaints/new/", data | {"about_staff_username": "liam"}).status_code == 302
    complaint = Complaint.objects.get()
    assert complaint.about_staff == liam
    assert desk(liam).get(f"/desk/complaints/{complaint.public_id}/").status_code == 404


def test_the_pages_render_in_english_too(
    departments: dict[str, Department], en_client: Client, bob: User, desk: Any
) -> None:
    assert en_client.get("/complaints/new/").status_code == 200
    assert en_client.get("/complaints/follow/").status_code == 200
    complaint, _code = actions.submit_complaint(
        kind=ComplaintKind.INACTION, title="不作为", content="……", about_department=departments["forestry"]
    )
    client = desk(bob)
    client.cookies["django_language"] = "en"
    assert client.get(f"/desk/complaints/{complaint.public_id}/").status_code == 200
    assert client.get("/desk/supervision/").status_code == 200


def test_an_administrator_cannot_enter_complaints(erin: User, desk: Any) -> None:
    assert desk(erin).get("/desk/complaints/new/").status_code == 404
    assert desk(erin).get("/desk/complaints/").status_code == 200  # an empty list, as the cases inbox
