"""Applications filed on the provincial hall come down signed and make exactly one local case."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from django.test import Client

from govhall.cases.models import Case
from govhall.cases.tests.conftest import pdf_bytes
from govhall.catalog.models import ItemVersion
from govhall.identity.models import User
from govhall.sharing import actions, signing
from govhall.sharing.constants import Adapter, InboundStatus
from govhall.sharing.models import InboundApplication, OutboxMessage, Platform

from .exchange_helpers import SECRET

pytestmark = pytest.mark.django_db
URL = "/api/v1/exchange/inbound/"
PERSON_ID = "350205199001010010"


@pytest.fixture
def province(db: None) -> Platform:
    return actions.save_platform(
        code="350000", name="福建省网上办事大厅", adapter=Adapter.PROVINCE, url="http://127.0.0.1:9", secret=SECRET
    )


def application(version: ItemVersion, number: str = "FJ350000202609240001", **data: Any) -> dict[str, Any]:
    return {
        "MSG_ID": f"FJ-{number}",
        "MSG_TYPE": "10",
        "FLAG": "I",
        "DATA": {
            "PROV_PROJID": number,
            "TASK_CODE": version.item.implementation_code,
            "APPLYER_TYPE": "1",
            "APPLYER_NAME": "李海生",
            "APPLYER_PAGE_CODE": PERSON_ID,
            "APPLYER_MOBILE": "13900000002",
            "FORM_DATA": {"location": "东孚镇鼎美村3林班", "volume": 12.5},
            "MATERIALS": [
                {
                    "MATERIAL_NAME": m.name,
                    "FILE_NAME": f"{m.name}.pdf",
                    "CONTENT_TYPE": "application/pdf",
                    "FILE_CONTENT": base64.b64encode(pdf_bytes()).decode(),
                }
                for m in version.materials.all()
            ],
            **data,
        },
    }


def post(client: Client, *messages: dict[str, Any], secret: str = SECRET) -> Any:
    body = json.dumps({"PROTOCOL_VERSION": "1.0", "SENDER_CODE": "350000", "MESSAGES": list(messages)}).encode()
    headers = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in signing.sign(secret, body).items()}
    return client.post(URL, body, content_type="application/json", HTTP_X_EXCHANGE_SENDER="350000", **headers)


def test_an_application_sent_twice_makes_one_case_and_its_events_go_back_up(
    province: Platform, felling: ItemVersion, on_day: Any
) -> None:
    client = Client()
    first = post(client, application(felling))
    assert first.status_code == 200
    # The answer is signed with the platform's key:
    assert signing.verify(SECRET, first.content, first["X-Exchange-Timestamp"], first["X-Exchange-Signature"]) == ""
    [ack] = first.json()["ACKS"]
    assert ack["RESULT"] == "accepted"
    case = Case.objects.get()
    assert ack["ACK_ID"] == case.reference
    assert case.applicant_name == "李海生" and case.materials.count() == felling.materials.count()
    again = post(client, application(felling))
    assert again.json()["ACKS"][0]["RESULT"] == "duplicate"
    assert Case.objects.count() == 1
    inbound = InboundApplication.objects.get()
    assert inbound.times_received == 2 and inbound.status == InboundStatus.MADE_CASE
    assert PERSON_ID not in json.dumps(inbound.payload)  # kept masked
    actions.consume_case_events()
    [up] = OutboxMessage.objects.filter(stream=f"case:{case.reference}")
    assert up.payload["PROV_PROJID"] == "FJ350000202609240001"


def test_an_unknown_item_or_a_wrong_id_number_waits_for_review_with_its_reason(
    province: Platform, felling: ItemVersion, dan: User, on_day: Any
) -> None:
    client = Client()
    post(client, application(felling, "FJ-1", TASK_CODE="11350205MB01000124350100009999"))
    post(client, application(felling, "FJ-2", APPLYER_PAGE_CODE="350205199001010011"))
    assert Case.objects.count() == 0
    unknown, wrong = InboundApplication.objects.order_by("provincial_number")
    assert unknown.status == wrong.status == InboundStatus.REVIEW
    assert "没有在办的事项" in unknown.reason
    assert "身份证号码有误" in wrong.reason
    actions.dismiss_inbound(wrong, actor=dan, reason="身份证号码与姓名不符，请申请人核对后重新申请。")
    [told] = OutboxMessage.objects.filter(stream="province:FJ-2")
    assert told.payload["RESULT_CODE"] == "3"


def test_an_unsigned_or_forged_batch_is_refused_and_changes_nothing(province: Platform, felling: ItemVersion) -> None:
    response = post(Client(), application(felling), secret="not-the-key")
    assert response.status_code == 401 and response.json()["error"] == "bad signature"
    assert not InboundApplication.objects.exists()


def test_what_is_kept_of_an_application_names_nobody_and_odd_shapes_are_refused(
    province: Platform, felling: ItemVersion, on_day: Any
) -> None:
    client = Client()
    # A type other than "2" is read as a person: the ID number and the phone are kept masked.
    post(client, application(felling, "FJ-3", APPLYER_TYPE="0", APPLYER_PAGE_CODE="350205199001010011"))
    kept = InboundApplication.objects.get(provincial_number="FJ-3").payload
    assert kept["APPLYER_PAGE_CODE"] == "350205********0011" and kept["APPLYER_MOBILE"] == "139****0002"
    # MATERIALS that is not a list is refused with the reason, never a server error:
    answer = post(client, application(felling, "FJ-4", MATERIALS=1))
    assert answer.status_code == 200
    [ack] = answer.json()["ACKS"]
    assert ack["RESULT"] == "rejected" and "MATERIALS" in ack["REASON"]
    assert not InboundApplication.objects.filter(provincial_number="FJ-4").exists()


def test_a_count_inside_a_published_total_is_empty_when_it_or_the_rest_is_small() -> None:
    from govhall.sharing.opendata import _part

    assert [_part(part, 10, 5) for part in (0, 3, 5, 8, 10)] == [0, None, 5, None, 10]


def test_an_application_on_the_review_list_is_retried_with_the_real_id_number_and_made_on_a_resend(
    province: Platform, felling: ItemVersion, dan: User, on_day: Any
) -> None:
    from govhall.catalog.constants import ItemStatus
    from govhall.catalog.models import ServiceItem

    client = Client()
    ServiceItem.objects.filter(pk=felling.item_id).update(status=ItemStatus.SUSPENDED)
    post(client, application(felling, "FJ-5"))
    inbound = InboundApplication.objects.get(provincial_number="FJ-5")
    assert inbound.status == InboundStatus.REVIEW and "没有在办的事项" in inbound.reason
    assert PERSON_ID not in json.dumps(inbound.payload) and PERSON_ID not in inbound.applicant_code_encrypted
    ServiceItem.objects.filter(pk=felling.item_id).update(status=ItemStatus.IN_USE)
    # The retry finds the person by the real ID number; only the files (not kept) are missing now:
    inbound = actions.retry_inbound(inbound, actor=dan)
    assert inbound.status == InboundStatus.REVIEW and "身份证号码有误" not in inbound.reason
    # The province resends the application with its files: the case is made.
    [ack] = post(client, application(felling, "FJ-5")).json()["ACKS"]
    inbound.refresh_from_db()
    assert inbound.status == InboundStatus.MADE_CASE and ack["ACK_ID"] == Case.objects.get().reference


def test_a_provincial_number_too_long_for_the_case_is_refused_not_cut(province: Platform, felling: ItemVersion) -> None:
    long_number = "FJ" + "1" * 60
    [ack] = post(Client(), application(felling, long_number)).json()["ACKS"]
    assert ack["RESULT"] == "rejected" and "最多 55 个字符" in ack["REASON"]
    assert not InboundApplication.objects.exists() and not Case.objects.exists()


def test_a_case_decided_above_is_forwarded_after_review_and_closed_by_the_decision_that_comes_back(
    province: Platform, felling: ItemVersion, alice: User, bob: User, frank: User, grace: User, carol: User, on_day: Any
) -> None:
    from govhall.cases import actions as cases
    from govhall.cases.constants import CaseStatus
    from govhall.cases.queries import inbox_for
    from govhall.licences.models import Licence
    from govhall.proactive.models import Notification

    from .test_outbox import submit

    ItemVersion.objects.filter(pk=felling.pk).update(decided_above=True)
    case = cases.accept_case(submit(felling, alice, "up"), actor=bob)
    case = cases.complete_step(case, actor=frank, opinion="材料齐全，符合采伐条件。")
    case = cases.start_countersign(case, actor=frank, departments=[carol.memberships.get().department])
    case = cases.answer_countersign(case.countersigns.get(), actor=carol, agrees=True, opinion="同意。")
    with pytest.raises(cases.InvalidTransition, match="由上级机关决定"):
        cases.decide_case(case, actor=grace, decision="approve", reason="符合", legal_basis="《森林法》")
    case = cases.forward_case(case, actor=grace, opinion="初审符合条件，报请市局审批。")
    assert case.status == CaseStatus.FORWARDED and case.paused_on is not None
    assert case not in inbox_for(bob)  # nothing for the bureau to do while the higher authority decides
    actions.consume_case_events()
    [up] = OutboxMessage.objects.filter(message_type="32")
    assert up.payload["PRELIMINARY_OPINION"] == "初审符合条件，报请市局审批。"
    assert up.payload["FORM_DATA"] == case.form_data and len(up.payload["MATERIALS"]) == case.materials.count()
    decision = {
        "MSG_ID": "FJ-DECISION-1",
        "MSG_TYPE": "30",
        "FLAG": "I",
        "DATA": {"PROJID": case.reference, "RESULT_CODE": "1", "RESULT_REASON": "经审查，符合采伐条件。",
                 "RESULT_BASIS": "《森林法》第五十六条", "DECIDE_DEPT_NAME": "厦门市资源规划局"},
    }  # fmt: skip
    [ack] = post(Client(), decision).json()["ACKS"]
    assert (ack["RESULT"], ack["ACK_ID"]) == ("accepted", case.reference)
    case.refresh_from_db()
    assert (case.status, case.decision, case.paused_on) == (CaseStatus.CLOSED, "approve", None)
    decided = case.events.get(kind="decided")
    assert decided.data["decided_by"] == "厦门市资源规划局" and decided.actor_label == "platform:350000"
    assert not Licence.objects.filter(case_public_id=case.public_id).exists()  # the deciding authority issues it
    assert Notification.objects.filter(recipient=alice, body__contains="经审查，符合采伐条件").exists()
    # A resend is a duplicate; a decision for a case that was not forwarded is refused with the reason:
    assert post(Client(), decision).json()["ACKS"][0]["RESULT"] == "duplicate"
    other = {**decision, "MSG_ID": "FJ-DECISION-2", "DATA": {**decision["DATA"], "PROJID": "NO-SUCH-CASE"}}
    [refused] = post(Client(), other).json()["ACKS"]
    assert refused["RESULT"] == "rejected" and "没有办件编号" in refused["REASON"]


def test_an_applicant_name_too_long_to_keep_is_refused_with_the_reason(
    province: Platform, felling: ItemVersion
) -> None:
    [ack] = post(Client(), application(felling, "FJ-LONG", APPLYER_NAME="李" * 101)).json()["ACKS"]
    assert ack["RESULT"] == "rejected" and "最多 100 个字符" in ack["REASON"]
    assert not InboundApplication.objects.exists()
