"""依申请公开: the request, its number and query code, the 20 + 20 working-day clock, answers and the letter."""

from __future__ import annotations

import datetime
import io
from typing import Any
from unittest import mock

import pytest
from pypdf import PdfReader

from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from conftest import ALICE_ID
from govhall.identity.models import User
from govhall.publicinfo import actions, queries
from govhall.publicinfo.constants import AnswerKind, RequestStatus
from govhall.publicinfo.documents import answer_letter
from govhall.publicinfo.models import DisclosureRequest

pytestmark = pytest.mark.django_db


def _request(**changes: Any) -> dict[str, Any]:
    data = {
        "applicant_kind": "person",
        "name": "陈爱丽",
        "id_number": ALICE_ID,
        "contact_phone": "13800000001",
        "description": "2025年度林木采伐限额分配情况",
        "form_wanted": "electronic",
    }
    data.update(changes)
    return data


@pytest.fixture
def filed() -> tuple[DisclosureRequest, str]:
    with mock.patch("govhall.publicinfo.actions.timezone.localdate", return_value=datetime.date(2026, 3, 2)):
        return actions.submit_request(**_request())


def test_a_request_gets_a_number_a_code_and_a_20_working_day_deadline(filed: tuple[DisclosureRequest, str]) -> None:
    request, code = filed
    assert request.number == "GK2026000001" and len(code) == 8
    assert request.due_on == datetime.date(2026, 3, 30)
    assert queries.find_request(request.number, code) == request
    assert queries.find_request(request.number, "WRONG123") is None
    assert code not in request.query_code_hash
    # The ID number is kept encrypted and shown masked (DESIGN §5):
    assert ALICE_ID not in request.id_number_encrypted and request.id_number_shown == "350205********0020"


def test_a_wrong_id_number_is_refused_and_nothing_is_stored() -> None:
    with pytest.raises(ValidationError) as caught:
        actions.submit_request(**_request(id_number="350205198503120021"))
    assert "身份证号码" in caught.value.message_dict["id_number"][0]
    with pytest.raises(ValidationError) as caught:
        actions.submit_request(**_request(applicant_kind="organisation", id_number="91350205MA2Y4GL0XA"))
    assert "统一社会信用代码" in caught.value.message_dict["id_number"][0]
    assert not DisclosureRequest.objects.exists()


def test_script_in_the_description_is_refused() -> None:
    with pytest.raises(ValidationError, match="不要包含网页代码或脚本"):
        actions.submit_request(**_request(description="<img src=x onerror=alert(1)>"))
    assert not DisclosureRequest.objects.exists()


def test_the_deadline_is_extended_once_by_20_working_days(filed: tuple[DisclosureRequest, str], helen: User) -> None:
    request, _code = filed
    request = actions.extend_request(request, actor=helen, reason="需要征求第三方意见")
    assert request.due_on == datetime.date(2026, 4, 28) and request.status == RequestStatus.EXTENDED
    with pytest.raises(ValidationError, match="只能延长一次"):
        actions.extend_request(request, actor=helen, reason="再延")


def test_only_staff_with_the_role_handle_requests(filed: tuple[DisclosureRequest, str], bob: User) -> None:
    with pytest.raises(PermissionDenied):
        actions.answer_request(filed[0], actor=bob, kind=AnswerKind.DISCLOSED)


def test_a_refusal_needs_its_reason_and_the_letter_says_it(filed: tuple[DisclosureRequest, str], helen: User) -> None:
    request, _code = filed
    with pytest.raises(ValidationError, match="须写明理由和依据"):
        actions.answer_request(request, actor=helen, kind=AnswerKind.REFUSED)
    request.refresh_from_db()
    assert request.answer_kind == ""
    actions.answer_request(
        request, actor=helen, kind=AnswerKind.REFUSED, reason="属于国家秘密，依据条例第十四条不予公开"
    )
    request.refresh_from_db()
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(answer_letter(request))).pages)
    assert "政府信息公开申请答复书" in text and "不予公开" in text and "第十四条" in text
    assert ALICE_ID not in text
    with pytest.raises(ValidationError, match="已经答复"):
        actions.answer_request(request, actor=helen, kind=AnswerKind.DISCLOSED)


def test_a_citizen_files_follows_and_downloads_the_answer_letter(zh_client: Client, helen: User) -> None:
    page = zh_client.post("/info/request/", _request())
    text = page.content.decode()
    assert page.status_code == 200 and "申请已受理" in text
    request = DisclosureRequest.objects.get()
    code = text.split("查询码</dt><dd><strong>")[1].split("<")[0]
    follow = zh_client.post("/info/request/follow/", {"number": request.number, "code": code})
    assert "已受理，办理中" in follow.content.decode()
    assert "不正确" in zh_client.post("/info/request/follow/", {"number": request.number, "code": "X"}).content.decode()
    actions.answer_request(request, actor=helen, kind=AnswerKind.DISCLOSED, text="所需信息见附件。")
    letter = zh_client.post("/info/request/follow/", {"number": request.number, "code": code, "letter": "1"})
    assert letter["Content-Type"] == "application/pdf" and letter.content.startswith(b"%PDF")


def test_a_bad_request_form_shows_the_error_and_stores_nothing(zh_client: Client) -> None:
    page = zh_client.post("/info/request/", _request(id_number="123"))
    assert page.status_code == 400 and "身份证号码" in page.content.decode()
    assert not DisclosureRequest.objects.exists()


def test_a_correction_restarts_the_clock_from_the_corrected_day(
    filed: tuple[DisclosureRequest, str], helen: User
) -> None:
    request, _code = filed
    with pytest.raises(ValidationError, match="没有在等待补正"):
        actions.resume_after_correction(request, actor=helen)
    actions.answer_request(request, actor=helen, kind=AnswerKind.CORRECTION, reason="请写明所需信息的文号或时间范围")
    request.refresh_from_db()
    assert request.status == RequestStatus.CORRECTION
    assert "告知补正" in "".join(p.extract_text() for p in PdfReader(io.BytesIO(answer_letter(request))).pages)
    request = actions.resume_after_correction(request, actor=helen, corrected_on=datetime.date(2026, 3, 10))
    assert request.status == RequestStatus.RECEIVED and request.due_on == datetime.date(2026, 4, 8)
    assert request.answer_kind == ""


def test_the_clock_stops_while_a_third_party_is_consulted(
    filed: tuple[DisclosureRequest, str], helen: User, desk: Any
) -> None:
    request, _code = filed
    due = request.due_on  # 2026-03-30: 20 working days from 2 March
    with mock.patch("govhall.publicinfo.actions.timezone.localdate", return_value=datetime.date(2026, 3, 9)):
        request = actions.start_consultation(request, actor=helen, third_party="厦门绿源林业专业合作社")
    assert request.status == RequestStatus.CONSULTING
    with pytest.raises(ValidationError, match="请先登记意见已收到"):
        actions.answer_request(request, actor=helen, kind=AnswerKind.DISCLOSED)
    page = desk(helen).get(f"/desk/info/requests/{request.public_id}/").content.decode()
    assert "征求第三方意见中" in page and "厦门绿源林业专业合作社" in page and "登记第三方意见已收到" in page
    # The view came in a week later (5 working days, Monday 9 to Monday 16 March):
    with mock.patch("govhall.publicinfo.actions.timezone.localdate", return_value=datetime.date(2026, 3, 16)):
        request = actions.end_consultation(request, actor=helen)
    assert request.status == RequestStatus.RECEIVED and request.consulted_working_days == 5
    assert request.due_on == datetime.date(2026, 4, 7) and due == datetime.date(2026, 3, 30)
    with pytest.raises(ValidationError, match="没有在征求第三方意见"):
        actions.end_consultation(request, actor=helen)


def test_the_annual_report_counts_the_year_s_requests_and_rules(
    filed: tuple[DisclosureRequest, str], helen: User, desk: Any
) -> None:
    request, _code = filed
    with mock.patch("govhall.publicinfo.actions.timezone.localdate", return_value=datetime.date(2026, 3, 20)):
        actions.answer_request(request, actor=helen, kind=AnswerKind.DISCLOSED, text="见附件。")
    rows = {label: (person, organisation, total) for label, person, organisation, total in
            queries.annual_figures(2026).requests}  # fmt: skip
    assert rows["本年新收政府信息公开申请数量"] == (1, 0, 1)
    assert rows["予以公开"] == (1, 0, 1) and rows["不予公开"] == (0, 0, 0)
    assert rows["结转下年度继续办理"] == (0, 0, 0)
    earlier = {label: total for label, _p, _o, total in queries.annual_figures(2025).requests}
    assert set(earlier.values()) == {0}
    page = desk(helen).get("/desk/info/annual/?year=2026")
    assert page.status_code == 200 and "三、收到和处理政府信息公开申请情况" in page.content.decode()
    bad = desk(helen).get("/desk/info/annual/?year=1999")
    assert bad.status_code == 400 and "年份须是" in bad.content.decode()


def test_the_annual_report_counts_a_policy_published_this_year_as_made_and_in_force(
    published: Any, helen: User, grace: User
) -> None:
    year = published.published_on.year
    rules = {
        label: (made, repealed, in_force) for label, made, repealed, in_force in queries.annual_figures(year).rules
    }
    assert rules["规范性文件/政策文件"] == (1, 0, 1) and rules["规章"] == (0, 0, 0)


def test_the_desk_answers_and_extends_through_the_api_once_each(
    filed: tuple[DisclosureRequest, str], helen: User, bob: User, desk: Any
) -> None:
    request, _code = filed
    clerk = desk(bob)
    assert clerk.get("/api/v1/desk/info/requests/").status_code == 403  # not one who handles requests
    assert clerk.post(f"/api/v1/desk/info/requests/{request.public_id}/extend/", {"reason": "需要调取档案"},
                      content_type="application/json").status_code == 404  # fmt: skip
    editor = desk(helen)
    listed = editor.get("/api/v1/desk/info/requests/").json()
    assert [r["number"] for r in listed] == [request.number]
    assert listed[0]["id_number"] == "350205********0020"  # masked
    url = f"/api/v1/desk/info/requests/{request.public_id}/"
    extended = editor.post(url + "extend/", {"reason": "需要调取历年档案"}, content_type="application/json")
    assert extended.status_code == 200 and extended.json()["extended"] is True
    again = editor.post(url + "extend/", {"reason": "还要再延"}, content_type="application/json")
    assert again.status_code == 409 and "只能延长一次" in str(again.json()["errors"])
    refused = editor.post(url + "answer/", {"kind": "partly", "reason": "<b>x</b>"}, content_type="application/json")
    assert refused.status_code == 400
    answer = {
        "kind": "partly",
        "reason": "涉及个人隐私的部分不予公开（条例第十五条）。",
        "text": "附：分配表（已删去个人信息）",
    }
    answered = editor.post(url + "answer/", answer, content_type="application/json")
    assert answered.status_code == 200 and answered.json()["status"] == "answered"
    assert editor.post(url + "answer/", answer, content_type="application/json").status_code == 409
    request.refresh_from_db()
    assert request.answer_kind == "partly" and request.answered_by == helen
