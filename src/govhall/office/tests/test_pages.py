"""The office desk pages: each unit sees its own; not yours is 404; errors are said on the page."""

from __future__ import annotations

from typing import Any

import pytest

from govhall.identity.models import Department, User
from govhall.office import actions
from govhall.office.constants import DocumentStatus, RouteStatus
from govhall.office.models import Document, Task
from govhall.office.tests.conftest import AUTHORITY

pytestmark = pytest.mark.django_db


def test_a_clerk_drafts_a_notice_on_the_desk(desk: Any, bob: User, departments: dict[str, Department]) -> None:
    response = desk(bob).post(
        "/desk/office/documents/new/",
        {
            "department": departments["forestry"].pk,
            "title": "关于做好秋季森林防火工作的通知",
            "issuing_authority": AUTHORITY,
            "series": "厦海农林水",
            "classification": "none",
            "urgency": "normal",
            "body": "现将有关事项通知如下。",
        },
        follow=True,
    )
    assert "拟稿已保存。下一步：选择主办和会签单位，送会签。" in response.content.decode()
    assert Document.objects.get().status == DocumentStatus.DRAFT


def test_a_secret_draft_is_refused_on_the_page_with_the_reason(
    desk: Any, bob: User, departments: dict[str, Department]
) -> None:
    response = desk(bob).post(
        "/desk/office/documents/new/",
        {
            "department": departments["forestry"].pk,
            "title": "涉密",
            "issuing_authority": AUTHORITY,
            "series": "厦海农林水",
            "classification": "confidential",
            "urgency": "normal",
        },
    )
    assert response.status_code == 400
    assert "涉密公文（秘密、机密、绝密）请在涉密网络和涉密设备上办理" in response.content.decode()
    assert not Document.objects.exists()


def test_another_unit_does_not_see_a_draft_before_it_is_routed(desk: Any, draft: Document, carol: User) -> None:
    assert desk(carol).get(f"/desk/office/documents/{draft.public_id}/").status_code == 404
    response = desk(carol).post(f"/desk/office/documents/{draft.public_id}/sign/", {"opinion": "同意"})
    assert response.status_code == 404
    assert draft.events.count() == 1


def test_a_signer_outside_the_route_is_told_why(on_day: Any, desk: Any, routed: Document, bob: User) -> None:
    # The route is water and agriculture; Bob, a forestry clerk, sees the draft (his unit drafted it) but may not sign:
    client = desk(bob)
    response = client.post(f"/desk/office/documents/{routed.public_id}/sign/", {"opinion": "同意"}, follow=True)
    assert "您所在的单位不在这份公文的会签范围内" in response.content.decode()
    assert set(routed.route.values_list("status", flat=True)) == {RouteStatus.PENDING}


def test_the_unit_desk_lists_documents_to_sign_and_tasks_due(
    on_day: Any, desk: Any, routed: Document, carol: User, grace: User, departments: dict[str, Department]
) -> None:
    actions.create_task(actor=grace, title="核查水库安全", source="leader", units=[departments["water"]], days=3)
    page = desk(carol).get("/desk/office/").content.decode()
    assert routed.title in page and "核查水库安全" in page


def test_only_the_office_sees_the_weekly_list(desk: Any, bob: User, dan: User) -> None:
    assert desk(bob).get("/desk/office/weekly/").status_code == 404
    assert desk(dan).get("/desk/office/weekly/").status_code == 200


def test_a_unit_reports_progress_on_the_task_page(
    on_day: Any, desk: Any, bob: User, grace: User, departments: dict[str, Department]
) -> None:
    task = actions.create_task(
        actor=grace, title="清理林区隐患", source="meeting", units=[departments["forestry"]], days=3
    )
    assignment = task.assignments.get()
    response = desk(bob).post(
        f"/desk/office/tasks/{task.public_id}/units/{assignment.public_id}/report/",
        {"text": "已完成一半", "percent": "50"},
        follow=True,
    )
    assert "进展已报送。" in response.content.decode()
    assert assignment.reports.get().percent == 50


def test_another_unit_cannot_open_a_task_it_is_not_on(
    on_day: Any, desk: Any, carol: User, grace: User, departments: dict[str, Department]
) -> None:
    task = actions.create_task(
        actor=grace, title="清理林区隐患", source="meeting", units=[departments["forestry"]], days=3
    )
    assert desk(carol).get(f"/desk/office/tasks/{task.public_id}/").status_code == 404
    assignment = task.assignments.get()
    response = desk(carol).post(
        f"/desk/office/tasks/{task.public_id}/units/{assignment.public_id}/report/", {"text": "x", "percent": "50"}
    )
    assert response.status_code == 404
    assert not assignment.reports.exists()
    assert Task.objects.count() == 1


def test_the_issued_pdf_downloads_for_the_units_concerned(
    on_day: Any, desk: Any, routed: Document, bob: User, carol: User, kate: User, grace: User, alice: User
) -> None:
    actions.sign_document(routed, actor=carol, opinion="同意")
    actions.sign_document(routed, actor=kate, opinion="同意")
    actions.sign_off(routed, actor=grace)
    actions.issue_document(routed, actor=bob)
    response = desk(carol).get(f"/desk/office/documents/{routed.public_id}/pdf/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_an_incoming_document_is_registered_assigned_and_read_on_the_desk(
    on_day: Any,
    desk: Any,
    bob: User,
    dan: User,
    kate: User,
    departments: dict[str, Department],
    agriculture: Department,
) -> None:
    client = desk(bob)
    response = client.post(
        "/desk/office/documents/incoming/",
        {
            "department": departments["forestry"].pk,
            "title": "关于开展松材线虫病疫情普查的通知",
            "issuing_authority": "厦门市林业局",
            "number": "厦林〔2026〕33号",
            "classification": "none",
            "urgency": "urgent",
        },
        follow=True,
    )
    assert "来文已登记。下一步：交办给主办单位和协办单位。" in response.content.decode()
    document = Document.objects.get()
    url = f"/desk/office/documents/{document.public_id}/"
    client.post(url + "assign/", {"lead": departments["forestry"].pk, "co_units": [agriculture.pk], "days": "5"})
    assert document.route.count() == 2
    response = client.post(url + "circulate/", {"readers": "dan, nobody"}, follow=True)
    assert "没有这些工作人员：nobody" in response.content.decode()
    client.post(url + "circulate/", {"readers": "dan"})
    reader = desk(dan)
    assert "已阅" in reader.get(url).content.decode()
    reader.post(url + "read/")
    assert document.circulation.get().read_at is not None
    page = desk(kate).get("/desk/office/").content.decode()
    assert "关于开展松材线虫病疫情普查的通知" in page


def test_a_leader_assigns_a_task_from_a_document_on_the_desk(
    on_day: Any, desk: Any, grace: User, bob: User, departments: dict[str, Department]
) -> None:
    fields = {
        "title": "落实森林防火通知要求",
        "source": "document",
        "units": [departments["forestry"].pk],
        "days": "5",
        "milestones": "2026-09-16 完成自查",
    }
    response = desk(grace).post("/desk/office/tasks/new/", {**fields, "document_number": "厦海农林水〔2026〕99号"})
    assert "没有找到这个发文字号的公文，请核对。" in response.content.decode()
    assert not Task.objects.exists()
    response = desk(grace).post("/desk/office/tasks/new/", fields, follow=True)
    assert "任务已交办，承办单位会收到通知。" in response.content.decode()
    task = Task.objects.get()
    assert task.milestones.get().title == "完成自查"
    assert desk(bob).get("/desk/office/tasks/new/").status_code == 404
