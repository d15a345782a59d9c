"""The cases API: applicants file and follow their cases, staff handle them, errors say what went wrong."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from govhall.cases import actions
from govhall.cases.constants import CaseStatus
from govhall.cases.models import Case, CaseEvent
from govhall.catalog.models import ItemVersion
from govhall.identity.actions import register_applicant
from govhall.identity.models import Department, LegalEntity, User

from .conftest import material_files, pdf_bytes

pytestmark = pytest.mark.django_db
FORM = {"location": "东孚镇鼎美村3林班", "volume": 12.5}


def _applicant(user: User, language: str = "zh-hans") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def _staff(user: User, language: str = "zh-hans") -> Client:
    """A staff session that has passed the second factor, as the desk login leaves it."""
    client = _applicant(user, language)
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def _files(version: ItemVersion) -> dict[str, Any]:
    return {
        f"material_{m.pk}": SimpleUploadedFile(f"{m.name}.pdf", pdf_bytes(), content_type="application/pdf")
        for m in version.materials.all()
    }


def _post_application(client: Client, version: ItemVersion, key: str = "k1", **fields: Any) -> Any:
    body = {"item_version": str(version.public_id), "form_data": json.dumps(FORM), "submit_key": key}
    return client.post("/api/v1/cases/", {**body, **_files(version), **fields})


def _case(version: ItemVersion, applicant: User, key: str = "k1") -> Case:
    return actions.submit_case(
        version, applicant=applicant, form_data=FORM, submit_key=key, files=material_files(version)
    )


def _act(client: Client, case: Case, action: str, **data: Any) -> Any:
    return client.post(f"/api/v1/desk/cases/{case.public_id}/actions/{action}/", data, content_type="application/json")


@pytest.fixture
def wang(db: None) -> User:
    """Another applicant, a stranger to Alice's cases."""
    return register_applicant(
        name="王五", id_number="350205199001010010", phone="13900000001", password="Test#Pass2026"
    )


# Applicant -----------------------------------------------------------------------------------


def test_a_retried_submission_returns_the_same_case_and_files_nothing_more(felling: ItemVersion, alice: User) -> None:
    client = _applicant(alice)
    first = _post_application(client, felling, key="retry-1")
    assert first.status_code == 201
    body = first.json()
    assert body["reference"].startswith(felling.item.implementation_code)
    assert body["status"] == "submitted" and body["status_label"] == "待受理"
    assert [e["kind"] for e in body["events"]] == ["submitted"]
    assert {m["material_name"] for m in body["materials"]} == {"林木采伐申请表", "林权证"}
    assert {m["signature_status"] for m in body["materials"]} == {"none"}  # unsigned scans

    retry = _post_application(client, felling, key="retry-1")
    assert retry.status_code == 200
    assert retry.json()["reference"] == body["reference"]
    assert retry.json()["public_id"] == body["public_id"]
    assert Case.objects.count() == 1

    listing = client.get("/api/v1/cases/").json()
    assert listing["count"] == 1 and listing["results"][0]["reference"] == body["reference"]


def test_an_item_can_be_named_by_its_implementation_code(felling: ItemVersion, alice: User) -> None:
    client = _applicant(alice)
    response = client.post(
        "/api/v1/cases/",
        {
            "implementation_code": felling.item.implementation_code,
            "form_data": json.dumps(FORM),
            "submit_key": "by-code",
            **_files(felling),
        },
    )
    assert response.status_code == 201
    assert response.json()["item"]["version"] == str(felling.public_id)


def test_a_missing_required_material_is_named_and_nothing_is_filed(felling: ItemVersion, alice: User) -> None:
    client = _applicant(alice)
    files = _files(felling)
    del files[f"material_{felling.materials.get(name='林权证').pk}"]
    response = client.post(
        "/api/v1/cases/",
        {"item_version": str(felling.public_id), "form_data": json.dumps(FORM), "submit_key": "k", **files},
    )
    assert response.status_code == 400
    # Under the material's own field name, as every problem of the submission is:
    missing = felling.materials.get(name="林权证")
    assert response.json() == {"errors": {f"material_{missing.pk}": ["缺少必要材料：林权证。"]}}
    assert not Case.objects.exists()


def test_form_answers_are_checked_field_by_field(felling: ItemVersion, alice: User) -> None:
    response = _post_application(_applicant(alice), felling, form_data=json.dumps({"volume": -1}))
    assert response.status_code == 400
    assert {"location", "volume"} <= set(response.json()["errors"])
    assert not Case.objects.exists()


def test_a_submission_without_a_key_or_with_broken_form_data_is_refused(felling: ItemVersion, alice: User) -> None:
    client = _applicant(alice)
    response = client.post("/api/v1/cases/", {"item_version": str(felling.public_id), "form_data": "{not json"})
    assert response.status_code == 400
    assert {"submit_key", "form_data"} == set(response.json()["errors"])
    assert not Case.objects.exists()


def test_an_unknown_item_is_refused_in_the_user_s_language(felling: ItemVersion, alice: User) -> None:
    body = {"implementation_code": "nothing", "form_data": json.dumps(FORM), "submit_key": "k"}
    assert _applicant(alice).post("/api/v1/cases/", body).json() == {
        "errors": ["该事项当前未发布或已暂停办理，不能提交申请。"]
    }
    assert _applicant(alice, "en").post("/api/v1/cases/", body).json() == {
        "errors": ["This item is not published or is suspended; applications cannot be submitted."]
    }


def test_acting_for_a_company_needs_an_authorisation(
    felling: ItemVersion, alice: User, alice_company: LegalEntity, wang: User
) -> None:
    response = _post_application(_applicant(alice), felling, entity_credit_code=alice_company.credit_code)
    assert response.status_code == 201
    assert response.json()["entity"]["name"] == "绿源林业专业合作社"
    assert response.json()["applicant_name"] == "绿源林业专业合作社"
    refused = _post_application(_applicant(wang), felling, key="w", entity_credit_code=alice_company.credit_code)
    assert refused.status_code == 403
    assert refused.json() == {"errors": ["您没有代表该单位办理的授权。"]}
    assert Case.objects.count() == 1


def test_an_applicant_cannot_see_or_touch_another_applicant_s_case(
    felling: ItemVersion, alice: User, wang: User
) -> None:
    case = _case(felling, alice)
    client = _applicant(wang)
    assert client.get(f"/api/v1/cases/{case.public_id}/").status_code == 404
    assert client.get("/api/v1/cases/").json()["count"] == 0
    withdraw = client.post(f"/api/v1/cases/{case.public_id}/withdraw/", {"reason": "不要了"})
    assert withdraw.status_code == 404
    # Exactly as for a case that does not exist:
    missing = client.get("/api/v1/cases/00000000-0000-0000-0000-000000000000/")
    assert withdraw.json() == missing.json() and missing.status_code == 404
    case.refresh_from_db()
    assert case.status == CaseStatus.SUBMITTED and case.events.count() == 1


def test_the_applicant_withdraws_once(felling: ItemVersion, alice: User) -> None:
    case = _case(felling, alice)
    client = _applicant(alice)
    response = client.post(f"/api/v1/cases/{case.public_id}/withdraw/", {"reason": "不再采伐"})
    assert response.status_code == 200 and response.json()["status"] == "withdrawn"
    again = client.post(f"/api/v1/cases/{case.public_id}/withdraw/", {"reason": "不再采伐"})
    assert again.status_code == 409
    assert again.json() == {"errors": ["办件当前状态不能撤回。"]}


def test_a_correction_is_asked_and_answered_through_the_api(felling: ItemVersion, alice: User, bob: User) -> None:
    case = _case(felling, alice)
    asked = _act(_staff(bob), case, "correction", items=["林权证复印件不清晰", "缺少采伐地点示意图"])
    assert asked.status_code == 200 and asked.json()["status"] == "correction_requested"

    client = _applicant(alice)
    seen = client.get(f"/api/v1/cases/{case.public_id}/").json()
    assert seen["open_correction"]["items"] == ["林权证复印件不清晰", "缺少采伐地点示意图"]

    empty = client.post(f"/api/v1/cases/{case.public_id}/corrections/", {"note": " "})
    assert empty.status_code == 400 and empty.json() == {"errors": ["请说明补正的内容。"]}

    licence = felling.materials.get(name="林权证")
    answer = client.post(
        f"/api/v1/cases/{case.public_id}/corrections/",
        {"note": "已补交清晰的林权证", f"material_{licence.pk}": SimpleUploadedFile("clear.pdf", pdf_bytes())},
    )
    assert answer.status_code == 200
    body = answer.json()
    assert body["status"] == "submitted" and body["open_correction"] is None
    assert "clear.pdf" in {m["original_name"] for m in body["materials"]}


def test_the_applicant_does_not_see_the_bureau_s_internal_opinions(
    felling: ItemVersion, alice: User, bob: User, frank: User
) -> None:
    case = actions.accept_case(_case(felling, alice), actor=bob)
    actions.complete_step(case, actor=frank, opinion="内部意见：材料齐全")
    events = _applicant(alice).get(f"/api/v1/cases/{case.public_id}/").json()["events"]
    assert [e["kind"] for e in events] == ["submitted", "accepted"]
    staff_events = _staff(bob).get(f"/api/v1/desk/cases/{case.public_id}/").json()["events"]
    assert "内部意见：材料齐全" in [e["opinion"] for e in staff_events]


# Staff ---------------------------------------------------------------------------------------


def test_bob_accepts_through_the_api_and_alice_sees_the_due_date(
    felling: ItemVersion, alice: User, bob: User, on_day: Any
) -> None:
    on_day("2026-09-24")
    case = _case(felling, alice)
    bob_client = _staff(bob)
    inbox = bob_client.get("/api/v1/desk/cases/").json()
    assert [c["reference"] for c in inbox["results"]] == [case.reference]

    response = _act(bob_client, case, "accept", note="材料齐全")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "in_progress" and body["due_on"] == "2026-10-09"
    assert body["statutory_due_on"] == "2026-10-29"
    assert body["step"]["name"] == "审查"

    mine = _applicant(alice).get(f"/api/v1/cases/{case.public_id}/").json()
    assert mine["due_on"] == "2026-10-09" and mine["accepted_on"] == "2026-09-24"
    assert mine["events"][-1]["kind"] == "accepted" and mine["acceptance_notice_url"]


def test_acting_out_of_order_is_a_conflict_and_changes_nothing(felling: ItemVersion, alice: User, bob: User) -> None:
    case = _case(felling, alice)
    client = _staff(bob)
    assert _act(client, case, "accept").status_code == 200
    twice = _act(client, case, "accept")
    assert twice.status_code == 409
    assert twice.json() == {"errors": ["只有待受理的办件可以受理。"]}
    closing = _act(client, case, "close")
    assert closing.status_code == 409
    assert closing.json() == {"errors": ["办件当前为“办理中”，不能进行这个操作。"]}
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_PROGRESS
    assert CaseEvent.objects.filter(case=case).count() == 2


def test_errors_are_in_the_language_of_the_request(felling: ItemVersion, alice: User, bob: User) -> None:
    case = actions.accept_case(_case(felling, alice), actor=bob)
    response = _act(_staff(bob, "en"), case, "accept")
    assert response.status_code == 409
    assert response.json() == {"errors": ["Only cases awaiting acceptance can be accepted."]}


def test_a_role_the_step_does_not_have_is_forbidden(felling: ItemVersion, alice: User, frank: User) -> None:
    case = _case(felling, alice)
    response = _act(_staff(frank), case, "accept")
    assert response.status_code == 403
    assert response.json() == {"errors": ["您在承办部门没有执行这个操作所需的岗位角色。"]}
    case.refresh_from_db()
    assert case.status == CaseStatus.SUBMITTED


def test_carol_cannot_see_or_touch_bob_s_case(felling: ItemVersion, alice: User, carol: User) -> None:
    case = _case(felling, alice)
    client = _staff(carol)
    assert client.get("/api/v1/desk/cases/").json()["count"] == 0
    assert client.get(f"/api/v1/desk/cases/{case.public_id}/").status_code == 404
    assert _act(client, case, "accept").status_code == 404
    case.refresh_from_db()
    assert case.status == CaseStatus.SUBMITTED and case.events.count() == 1


def test_the_desk_needs_a_staff_session_with_the_second_factor(felling: ItemVersion, alice: User, bob: User) -> None:
    case = _case(felling, alice)
    unverified = _applicant(bob)  # logged in with the password only
    for client in (unverified, _applicant(alice), Client()):
        assert client.get("/api/v1/desk/cases/").status_code == 403
        assert _act(client, case, "accept").status_code == 403
    assert Client().get("/api/v1/cases/").status_code == 403
    assert _staff(bob).get("/api/v1/cases/").status_code == 403  # the workspace is for applicants
    case.refresh_from_db()
    assert case.status == CaseStatus.SUBMITTED


def test_the_inbox_filters_by_words_status_and_item(felling: ItemVersion, alice: User, bob: User, wang: User) -> None:
    first = actions.accept_case(_case(felling, alice, "a"), actor=bob)
    second = _case(felling, wang, "b")
    client = _staff(bob)

    def references(query: str) -> list[str]:
        return [c["reference"] for c in client.get(f"/api/v1/desk/cases/?{query}").json()["results"]]

    assert set(references("")) == {first.reference, second.reference}
    assert references("q=王五") == [second.reference]
    assert references("status=in_progress") == [first.reference]
    assert set(references(f"item={felling.item.implementation_code}")) == {first.reference, second.reference}
    assert references("item=other") == []
    bad = client.get("/api/v1/desk/cases/?status=nonsense")
    assert bad.status_code == 400 and set(bad.json()["errors"]) == {"status"}


def test_an_unknown_action_is_not_found(felling: ItemVersion, alice: User, bob: User) -> None:
    case = _case(felling, alice)
    response = _act(_staff(bob), case, "approve-everything")
    assert response.status_code == 404 and "errors" in response.json()


def test_the_whole_process_through_the_api(
    felling: ItemVersion,
    alice: User,
    bob: User,
    carol: User,
    frank: User,
    grace: User,
    departments: dict[str, Department],
) -> None:
    case = _case(felling, alice)
    bob_client, frank_client, carol_client, grace_client = (_staff(u) for u in (bob, frank, carol, grace))
    assert _act(bob_client, case, "accept").status_code == 200
    assert _act(frank_client, case, "complete-step", opinion="材料齐全，符合采伐限额。").status_code == 200
    assert _act(bob_client, case, "extension-request", days=3, reason="需要补充调查").status_code == 200
    assert _act(grace_client, case, "extension-approve").json()["extension_approved"] is True

    unknown = _act(frank_client, case, "countersign", departments=["nowhere"])
    assert unknown.status_code == 400 and set(unknown.json()["errors"]) == {"departments"}
    asked = _act(frank_client, case, "countersign", departments=["water"], note="请水利科会签")
    assert asked.status_code == 200 and asked.json()["status"] == "countersigning"

    seen_by_carol = carol_client.get(f"/api/v1/desk/cases/{case.public_id}/").json()
    assert seen_by_carol["my_countersigns"] == ["water"]
    not_asked = _act(carol_client, case, "countersign-answer", department="forestry", agrees=True, opinion="同意")
    assert not_asked.status_code == 400 and not_asked.json() == {"errors": ["找不到这个会签请求。"]}
    answered = _act(carol_client, case, "countersign-answer", department="water", agrees=True, opinion="不涉及河道")
    assert answered.status_code == 200 and answered.json()["status"] == "in_progress"

    decided = _act(
        grace_client, case, "decide", decision="approve", reason="符合采伐条件", legal_basis="《森林法》第五十六条"
    )
    assert decided.status_code == 200 and decided.json()["status"] == "approved"
    closed = _act(bob_client, case, "close", note="已送达")
    assert closed.status_code == 200 and closed.json()["status"] == "closed"

    mine = _applicant(alice).get(f"/api/v1/cases/{case.public_id}/").json()
    assert mine["decision"] == "approve" and mine["status_label"] == "已办结"
    assert [e["kind"] for e in mine["events"]] == ["submitted", "accepted", "extension_approved", "decided", "closed"]


def test_the_schema_documents_the_cases_api(db: None) -> None:
    schema = Client().get("/api/schema/?format=json").json()
    paths = schema["paths"]
    for path in (
        "/api/v1/cases/",
        "/api/v1/cases/{public_id}/",
        "/api/v1/cases/{public_id}/withdraw/",
        "/api/v1/cases/{public_id}/corrections/",
        "/api/v1/desk/cases/",
        "/api/v1/desk/cases/{public_id}/",
        "/api/v1/desk/cases/{public_id}/actions/accept/",
        "/api/v1/desk/cases/{public_id}/actions/decide/",
    ):
        assert path in paths
    submit = paths["/api/v1/cases/"]["post"]
    assert submit["summary"] == "Submit an application"
    assert "multipart/form-data" in submit["requestBody"]["content"]
    assert {"200", "201", "400", "403"} <= set(submit["responses"])
    decide = paths["/api/v1/desk/cases/{public_id}/actions/decide/"]["post"]
    assert decide["responses"]["409"]["content"]["application/json"]["schema"]["$ref"].endswith("/Error")
