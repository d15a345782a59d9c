"""中介服务: the intermediary services an item needs and the institutions that provide them, as structured facts,
from the editor's form to the guide (item → service → institutions) and the API."""

from __future__ import annotations

import datetime
import subprocess
from typing import Any

import pytest

from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from govhall.catalog.models import ServiceItem
from govhall.catalog.queries import live_versions
from govhall.identity.models import Department, User
from govhall.publicinfo import actions
from govhall.publicinfo.constants import EntryKind, EntryStatus
from govhall.publicinfo.models import Entry
from govhall.publicinfo.tests.conftest import policy_data

pytestmark = pytest.mark.django_db
SURVEYORS = "93350205MA2Y4GL0XK"


def _publish(entry: Entry, helen: User, grace: User) -> Entry:
    actions.record_secrecy_review(entry, actor=helen, passed=True, note="不涉密")
    return actions.approve(entry, actor=grace)


def _institution(helen: User, office: Department, **details: Any) -> Entry:
    today = timezone.localdate()
    return actions.create_draft(
        actor=helen,
        department=office,
        data=policy_data(kind=EntryKind.INTERMEDIARY, title="厦门绿测林业调查规划有限公司", doc_number="",
                         written_on=None, body="林业调查规划设计。"),
        details={
            "credit_code": SURVEYORS, "contact": "林工", "phone": "0592-6000000", "address": "海沧区新阳街道",
            "service_area": "林木采伐作业设计、使用林地可行性报告", "credit_grade": "A",
            "credit_grade_on": "2026-06-30",
            "qualifications": [
                {"name": "林业调查规划设计资质（乙级）", "number": "林调乙-0088", "issuer": "福建省林业局",
                 "valid_until": (today + datetime.timedelta(days=400)).isoformat()},
                {"name": "工程咨询单位资信（丙级）", "number": "", "issuer": "",
                 "valid_until": (today - datetime.timedelta(days=3)).isoformat()},
            ],
            **details,
        },
    )  # fmt: skip


def test_every_problem_of_the_structured_facts_is_said_at_once_and_nothing_is_saved(
    helen: User, office: Department
) -> None:
    with pytest.raises(ValidationError) as refused:
        _institution(helen, office, credit_code="93350205MA2Y4GL0XY", phone="电话", credit_grade="AAA",
                     credit_grade_on="2026-13-01", qualifications=[{"name": "", "valid_until": "明年"}])  # fmt: skip
    problems = refused.value.message_dict
    assert "校验位不正确" in problems["details.credit_code"][0]
    assert set(problems) >= {"details.phone", "details.credit_grade", "details.credit_grade_on",
                             "details.qualifications.0.name", "details.qualifications.0.valid_until"}  # fmt: skip
    with pytest.raises(ValidationError) as refused:
        actions.create_draft(
            actor=helen, department=office,
            data=policy_data(kind=EntryKind.INTERMEDIARY_SERVICE, title="林木采伐作业设计", doc_number=""),
            details={"legal_basis": "", "time_limit_days": "三十", "institutions": ["not-a-uuid"]},
        )  # fmt: skip
    assert set(refused.value.message_dict) == {
        "details.legal_basis", "details.time_limit_days", "details.institutions"
    }  # fmt: skip
    assert not Entry.objects.exists()


def test_an_item_shows_its_intermediary_service_and_the_institutions_with_a_lapsed_qualification_said(
    helen: User,
    grace: User,
    office: Department,
    felling: ServiceItem,
    django_capture_on_commit_callbacks: Any,
    tmp_path: Any,
) -> None:
    institution = _publish(_institution(helen, office), helen, grace)
    # An unpublished institution cannot be chosen:
    draft_institution = _institution(helen, office, credit_code="91350200MA2XY5NK37")
    with pytest.raises(ValidationError, match="只能选择已发布的中介机构"):
        actions.create_draft(
            actor=helen, department=office,
            data=policy_data(kind=EntryKind.INTERMEDIARY_SERVICE, title="林木采伐作业设计", doc_number=""),
            details={"legal_basis": "x", "institutions": [str(draft_institution.lineage)]},
        )  # fmt: skip
    service = actions.create_draft(
        actor=helen, department=office,
        data=policy_data(kind=EntryKind.INTERMEDIARY_SERVICE, title="林木采伐作业设计", doc_number="",
                         body="采伐作业设计由具备资质的机构编制。"),
        items=[felling],
        details={"legal_basis": "《森林采伐更新管理办法》第十二条", "required": True, "time_limit_days": "10",
                 "fee_basis": "市场调节价", "institutions": [str(institution.lineage)]},
    )  # fmt: skip
    service = _publish(service, helen, grace)
    assert service.details["time_limit_days"] == 10 and service.details["required"] is True

    guide = live_versions().get(item=felling)
    page = Client().get(f"/items/{guide.public_id}/").content.decode()
    assert "中介服务" in page and "林木采伐作业设计" in page and "必须提供" in page
    assert "《森林采伐更新管理办法》第十二条" in page and "服务时限 10 个工作日" in page
    assert "厦门绿测林业调查规划有限公司" in page and "信用等级 A" in page
    assert "有资质已过期，选择前请向机构核实" in page
    # The printed guide says the same, with the item's review rules in full:
    rule = actions.create_draft(actor=helen, department=office, items=[felling], data=policy_data(
        kind=EntryKind.REVIEW_RULE, title="林木采伐许可审查细则", doc_number="", written_on=None,
        body="审查伐区调查设计是否与现场一致。"))  # fmt: skip
    _publish(rule, helen, grace)
    pdf = tmp_path / "guide.pdf"
    pdf.write_bytes(Client().get(f"/items/{guide.public_id}/guide.pdf").content)
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    text = text.replace("\n", "")  # lines wrap anywhere in Chinese
    assert "审查细则" in text and "审查伐区调查设计是否与现场一致" in text
    assert "林木采伐作业设计（必须提供）" in text and "厦门绿测林业调查规划有限公司" in text
    own = Client().get(f"/info/e/{institution.public_id}/").content.decode()
    assert SURVEYORS in own and "A级（信用优秀）" in own and "已过期" in own and "林调乙-0088" in own

    # A corrected institution stays linked to the service (by its lineage), with its new facts:
    correction = actions.start_correction(institution, actor=helen)
    assert correction.details == institution.details  # copied with the text
    actions.update_draft(correction, actor=helen, data=policy_data(
        kind=EntryKind.INTERMEDIARY, title="厦门绿测林业调查规划有限公司", doc_number="", written_on=None,
        body="林业调查规划设计。", change_note="资质换证"), details={**institution.details, "qualifications": [
            {"name": "工程咨询单位资信（丙级）", "valid_until": "2030-12-31"}]})  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):  # the guide pages are told at once
        _publish(correction, helen, grace)
    page = Client().get(f"/items/{guide.public_id}/").content.decode()
    assert "厦门绿测林业调查规划有限公司" in page and "有资质已过期" not in page

    api = Client().get(f"/api/v1/info/entries/{service.public_id}/").json()
    assert api["kind"] == "intermediary_service" and api["details"]["institutions"] == [str(institution.lineage)]
    assert Client().get(f"/api/v1/info/entries/{correction.public_id}/").json()["details"]["credit_code"] == SURVEYORS


def test_the_editor_fills_the_structured_facts_on_the_desk_form(helen: User, office: Department, desk: Any) -> None:
    client = desk(helen)
    form = {"kind": EntryKind.INTERMEDIARY, "title": "厦门水利勘测设计院有限公司", "issuer": "海沧区农林水利局",
            "validity": "valid", "i-credit_code": SURVEYORS, "i-phone": "0592-6111111", "i-service_area": "水土保持方案编制",
            "i-credit_grade": "B", "i-credit_grade_on": "2026-05-01",
            "q-TOTAL_FORMS": "3", "q-INITIAL_FORMS": "0", "q-MIN_NUM_FORMS": "0", "q-MAX_NUM_FORMS": "20",
            "q-0-name": "水土保持方案编制资质", "q-0-valid_until": "不知道"}  # fmt: skip
    refused = client.post("/desk/info/new/", form)
    assert refused.status_code == 400 and "日期格式不正确" in refused.content.decode()
    assert not Entry.objects.exists()
    made = client.post("/desk/info/new/", {**form, "q-0-valid_until": "2028-01-31"})
    entry = Entry.objects.get()
    assert made["Location"] == f"/desk/info/{entry.public_id}/" and entry.status == EntryStatus.DRAFT
    assert entry.details["credit_grade"] == "B" and entry.details["qualifications"] == [
        {"name": "水土保持方案编制资质", "number": "", "issuer": "", "valid_until": "2028-01-31"}
    ]
    page = client.get(f"/desk/info/{entry.public_id}/").content.decode()
    assert 'value="水土保持方案编制资质"' in page  # the draft's form shows what was kept
