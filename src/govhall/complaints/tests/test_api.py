"""The complaints API: file anonymously (throttled), follow with the query code, staff list their units'."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from django.test import Client

from govhall.complaints import actions
from govhall.complaints.constants import ComplaintKind, Level, ObjectKind
from govhall.complaints.models import Complaint
from govhall.identity.models import Department, User

pytestmark = pytest.mark.django_db


def _file(client: Client, **extra: Any) -> Any:
    body = {"kind": "slowness", "title": "采伐证迟迟不批", "content": "一个月没有消息", "about_department": "forestry"}
    return client.post("/api/v1/complaints/", body | extra, content_type="application/json")


def test_anyone_files_a_complaint_and_follows_it_with_the_query_code(
    departments: dict[str, Department], zh_client: Client
) -> None:
    filed = _file(zh_client)
    assert filed.status_code == 201
    body = filed.json()
    assert set(body) == {"tracking_number", "query_code", "status"}
    complaint = Complaint.objects.get()
    assert complaint.is_anonymous and complaint.department == departments["forestry"]
    follow = {"tracking_number": body["tracking_number"], "query_code": body["query_code"]}
    found = zh_client.post("/api/v1/complaints/follow/", follow, content_type="application/json")
    assert found.status_code == 200
    assert found.json()["status"] == "submitted" and found.json()["department"] == "林业科"
    wrong = zh_client.post(
        "/api/v1/complaints/follow/", follow | {"query_code": "WRONG234"}, content_type="application/json"
    )
    assert wrong.status_code == 404
    assert wrong.json() == {"errors": ["投诉编号或查询码不正确，请核对后重新输入。"]}


def test_bad_input_is_refused_with_every_message_and_nothing_is_stored(
    departments: dict[str, Department], zh_client: Client
) -> None:
    refused = _file(zh_client, title=" ", phone="12")
    assert refused.status_code == 400
    assert set(refused.json()["errors"]) == {"title", "phone"}
    unknown = _file(zh_client, about_department="nowhere")
    assert unknown.status_code == 404
    assert unknown.json() == {"errors": ["没有这个单位。"]}
    assert not Complaint.objects.exists()


def test_anonymous_filing_is_throttled_per_address(departments: dict[str, Department], zh_client: Client) -> None:
    for _n in range(5):
        assert _file(zh_client).status_code == 201
    held = _file(zh_client)
    assert held.status_code == 429
    assert held["Retry-After"] == "3600"
    assert Complaint.objects.count() == 5


def test_staff_list_only_their_units_complaints_and_orders(
    departments: dict[str, Department], bob: User, carol: User, dan: User, desk: Any
) -> None:
    complaint, _code = actions.submit_complaint(
        kind=ComplaintKind.INACTION, title="不作为", content="……", about_department=departments["forestry"]
    )
    order = actions.raise_supervision_order(
        object_kind=ObjectKind.COMPLAINT,
        object_id=complaint.public_id,
        department=departments["forestry"],
        level=Level.YELLOW,
        reason="请核查",
    )
    bobs = desk(bob).get("/api/v1/desk/complaints/").json()
    assert [row["tracking_number"] for row in bobs["results"]] == [complaint.tracking_number]
    assert desk(carol).get("/api/v1/desk/complaints/").json()["results"] == []
    assert desk(carol).get(f"/api/v1/desk/complaints/{complaint.public_id}/").status_code == 404
    assert [row["number"] for row in desk(dan).get("/api/v1/desk/supervision-orders/").json()["results"]] == [
        order.number
    ]
    assert desk(carol).get("/api/v1/desk/supervision-orders/").json()["results"] == []
    assert desk(carol).get(f"/api/v1/desk/supervision-orders/{order.public_id}/").status_code == 404
    assert desk(bob).get(f"/api/v1/desk/supervision-orders/{order.public_id}/").json()["level"] == "yellow"
    assert Client().get("/api/v1/desk/supervision-orders/").status_code == 403
    assert desk(bob).get(f"/api/v1/desk/supervision-orders/{uuid.uuid4()}/").status_code == 404


def test_the_unit_replies_to_an_order_through_the_api_and_a_closed_order_refuses(
    departments: dict[str, Department], bob: User, carol: User, dan: User, desk: Any
) -> None:
    order = actions.raise_supervision_order(
        object_kind=ObjectKind.TASK,
        object_id=uuid.uuid4(),
        department=departments["forestry"],
        level=Level.YELLOW,
        reason="请核查",
    )
    address = f"/api/v1/desk/supervision-orders/{order.public_id}/reply/"
    other = desk(carol).post(address, {"reply": "不是我们的"}, content_type="application/json")
    assert other.status_code == 404
    replied = desk(bob).post(address, {"reply": "已整改"}, content_type="application/json")
    assert replied.status_code == 200 and replied.json()["status"] == "replied"
    actions.close_order(order, actor=dan)
    late = desk(bob).post(address, {"reply": "补充"}, content_type="application/json")
    assert late.status_code == 409
    assert late.json() == {"errors": ["该督办单已办结，不能再回复。"]}
    order.refresh_from_db()
    assert order.reply == "已整改"
