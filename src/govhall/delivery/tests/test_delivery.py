"""Delivery of results: EMS with a refusal and a second sending, the window with a pick-up code, the download."""

from __future__ import annotations

import datetime
import io
import json
import re
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from govhall.audit.models import AuditRecord
from govhall.cases.models import Case, CaseEvent
from govhall.delivery import actions
from govhall.delivery.constants import DeliveryStatus, Method, ShipmentStatus
from govhall.delivery.ems import is_waybill_number, s10_check_digit
from govhall.delivery.models import Delivery, Shipment, TrackingEvent
from govhall.identity.models import User
from govhall.lib.signed_http import sign
from govhall.lib.signing import SignatureStatus, check_pdf_signatures
from govhall.proactive.models import Notification

from .conftest import HOME, SECRET, Ems, close_and_prepare

pytestmark = pytest.mark.django_db


def _wait_for(condition: Any, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.05)


def _signed_push(
    payload: dict[str, Any], *, secret: str = SECRET, nonce: str = "nonce-0001"
) -> tuple[dict[str, str], bytes]:
    body = json.dumps(payload, ensure_ascii=False).encode()
    timestamp = str(int(time.time()))
    signature = sign(secret.encode(), "POST", "/delivery/ems/push/", timestamp, nonce, body)
    return {"X-EMS-Timestamp": timestamp, "X-EMS-Nonce": nonce, "X-EMS-Signature": signature}, body


def _told(user: User, words: str) -> bool:
    return Notification.objects.filter(recipient=user, subject__contains=words).exists()


# The choice --------------------------------------------------------------------------------------------


def test_an_address_without_a_county_and_other_bad_fields_are_refused_together_and_nothing_is_kept(
    decided: Case, alice: User
) -> None:
    bad = actions.Address(recipient="", phone="12345", region_code="350200", address="鼎美", postcode="3610")
    with pytest.raises(ValidationError) as refused:
        actions.choose(decided, applicant=alice, method=Method.EMS, address=bad)
    assert set(refused.value.message_dict) == {"recipient", "phone", "region_code", "address", "postcode"}
    assert "区县" in refused.value.message_dict["region_code"][0]
    assert not Delivery.objects.exists()
    with pytest.raises(ValidationError):
        actions.choose(decided, applicant=alice, method="pigeon")


def test_someone_elses_case_is_refused(decided: Case, carol: User) -> None:
    with pytest.raises(PermissionDenied):
        actions.choose(decided, applicant=carol, method=Method.WINDOW)


def test_the_choice_is_kept_with_the_phone_encrypted_and_cannot_change_once_the_result_went_out(
    decided: Case, alice: User, bob: User, ems: Ems
) -> None:
    delivery = actions.choose(decided, applicant=alice, method=Method.EMS, address=HOME)
    delivery.refresh_from_db()
    assert delivery.region_name == "福建省厦门市海沧区" and delivery.phone_masked == "138****0001"
    assert "13800000001" not in delivery.phone_encrypted
    assert CaseEvent.objects.filter(case=decided, kind="delivery_chosen").count() == 1
    actions.choose(decided, applicant=alice, method=Method.WINDOW)  # changed before the result is ready
    actions.choose(decided, applicant=alice, method=Method.EMS, address=HOME)

    close_and_prepare(decided, bob)
    with pytest.raises(actions.DeliveryRefused):
        actions.choose(decided, applicant=alice, method=Method.WINDOW)
    assert Delivery.objects.get().method == Method.EMS


# EMS ----------------------------------------------------------------------------------------------------


def test_by_ems_refused_once_sent_again_and_signed_for(
    decided: Case, alice: User, bob: User, ems: Ems, live_server: Any, settings: Any, tmp_path: Path
) -> None:
    settings.PUBLIC_URL = live_server.url
    actions.choose(decided, applicant=alice, method=Method.EMS, address=HOME)
    close_and_prepare(decided, bob)
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.TO_SEND and delivery.ready_at
    # The decision letter is made and signed by the bureau:
    with delivery.decision_document.open("rb") as pdf:
        assert check_pdf_signatures(io.BytesIO(pdf.read())).status == SignatureStatus.VALID

    assert actions.send_due_shipments() == {"sent": 1}
    first = Shipment.objects.get()
    assert first.status == ShipmentStatus.BOOKED and is_waybill_number(first.waybill_no or "")
    assert first.order_id == f"{decided.reference}-1"
    assert _told(alice, "交EMS寄出")
    # The label: one page of 100 × 150 mm, with the waybill number and the masked phone only:
    label = tmp_path / "label.pdf"
    with first.label.open("rb") as file:
        label.write_bytes(file.read())
    info = subprocess.run(["pdfinfo", str(label)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"Page size:\s+283.465 x 425.197 pts", info) and re.search(r"Pages:\s+1\n", info)
    text = subprocess.run(["pdftotext", str(label), "-"], capture_output=True, text=True, check=True).stdout
    assert first.waybill_no[:2] in text and "138****0001" in text and "13800000001" not in text

    # The courier: picked up, on its way, refused at the door; the pushes arrive (one twice):
    ems.control("push?mode=twice")
    for n, step in enumerate(("picked_up", "in_transit"), start=1):
        ems.control(f"advance/{first.waybill_no}?to={step}")
        # Every push answered (each sent twice), not only the events seen, before the next step: the
        # tests' live server shares one SQLite connection, so a row can be read before its request has
        # finished, and two pushes at once would use that connection from two threads:
        _wait_for(lambda n=n: len([p for p in ems.sandbox.pushes if p["status"] == 200]) == 2 * n)
    assert TrackingEvent.objects.filter(shipment=first).count() == 2
    assert Delivery.objects.get().status == DeliveryStatus.IN_TRANSIT
    ems.control("push?mode=normal")
    ems.control(f"advance/{first.waybill_no}?to=refused")
    _wait_for(lambda: len([p for p in ems.sandbox.pushes if p["status"] == 200]) == 5)  # twice, twice, once
    assert Delivery.objects.get().status == DeliveryStatus.RETURNED
    assert TrackingEvent.objects.filter(shipment=first).count() == 3
    assert _told(alice, "未能送达")
    assert CaseEvent.objects.filter(case=decided, kind="delivery_failed").count() == 1

    # The applicant corrects the address: sent again at once, as a new waybill:
    moved = actions.Address(recipient="陈爱丽", phone="13800000001", region_code="350203", address="思明区湖滨南路88号")
    actions.choose(decided, applicant=alice, method=Method.EMS, address=moved)
    assert actions.send_due_shipments() == {"sent": 1}
    second = Shipment.objects.get(attempt=2)
    assert second.order_id == f"{decided.reference}-2" and second.waybill_no != first.waybill_no
    assert second.address.startswith("福建省厦门市思明区")
    # This time the push is lost: the tracking query finds the signature:
    ems.control("push?mode=never")
    for step in ("picked_up", "out_for_delivery", "signed"):
        ems.control(f"advance/{second.waybill_no}?to={step}")
    assert actions.poll_tracking() == {"asked": 1, "events": 3}
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.DELIVERED and delivery.served_how == Method.EMS
    assert delivery.served_at == TrackingEvent.objects.get(shipment=second, kind="signed").happened_at
    assert CaseEvent.objects.filter(case=decided, kind="served").count() == 1
    assert len(ems.sandbox.waybills) == 2


def test_ems_down_the_waybill_waits_and_a_timed_out_request_never_makes_a_second_waybill(
    decided: Case, alice: User, bob: User, ems: Ems
) -> None:
    actions.choose(decided, applicant=alice, method=Method.EMS, address=HOME)
    close_and_prepare(decided, bob)
    ems.control("fail-next?count=1&status=503")
    assert actions.send_due_shipments() == {"later": 1}
    assert actions.send_due_shipments() == {}  # it backs off
    shipment = Shipment.objects.get()
    assert shipment.status == ShipmentStatus.CREATED and shipment.send_attempts == 1

    # EMS makes the waybill but answers too late; the retry gets the same waybill back:
    ems.control("hang-next?count=1&seconds=3")
    Shipment.objects.update(next_send_at=timezone.now())
    assert actions.send_due_shipments() == {"later": 1}
    _wait_for(lambda: len(ems.sandbox.waybills) == 1)
    Shipment.objects.update(next_send_at=timezone.now())
    assert actions.send_due_shipments() == {"sent": 1}
    assert len(ems.sandbox.waybills) == 1
    assert Shipment.objects.get().waybill_no == next(iter(ems.sandbox.waybills))


def test_a_forged_a_replayed_an_unknown_and_a_late_push_change_nothing(
    decided: Case, alice: User, bob: User, ems: Ems
) -> None:
    actions.choose(decided, applicant=alice, method=Method.EMS, address=HOME)
    close_and_prepare(decided, bob)
    actions.send_due_shipments()
    shipment = Shipment.objects.get()
    now = timezone.localtime().replace(microsecond=0)
    signed = {"event_id": "E-9", "code": "704", "description": "已妥投", "place": "", "at": now.isoformat()}
    payload = {"waybill_no": shipment.waybill_no, "events": [signed]}

    headers, body = _signed_push(payload, secret="not-the-secret")
    assert actions.receive_push("/delivery/ems/push/", headers, body).status == 401
    headers, body = _signed_push({**payload, "waybill_no": "EA999999995CN"}, nonce="nonce-unknown")
    assert actions.receive_push("/delivery/ems/push/", headers, body).status == 404
    headers, body = _signed_push({**payload, "events": [{**signed, "code": "999"}]}, nonce="nonce-badcode")
    assert actions.receive_push("/delivery/ems/push/", headers, body).status == 400
    assert Delivery.objects.get().status == DeliveryStatus.TO_SEND

    headers, body = _signed_push(payload, nonce="nonce-good")
    assert actions.receive_push("/delivery/ems/push/", headers, body).status == 200
    assert actions.receive_push("/delivery/ems/push/", headers, body).status == 409  # replayed
    late = {"event_id": "E-8", "code": "305", "description": "运输中", "place": "",
            "at": (now - datetime.timedelta(hours=3)).isoformat()}  # fmt: skip
    headers, body = _signed_push({**payload, "events": [late]}, nonce="nonce-late")
    assert actions.receive_push("/delivery/ems/push/", headers, body).status == 200
    assert Shipment.objects.get().status == ShipmentStatus.SIGNED  # never moved back
    assert Delivery.objects.get().status == DeliveryStatus.DELIVERED
    assert CaseEvent.objects.filter(case=decided, kind="served").count() == 1


def test_the_push_endpoint_answers_ems_over_http(decided: Case, client: Any, ems: Ems) -> None:
    headers, body = _signed_push({"waybill_no": "EA100000017CN", "events": []}, secret="forged")
    response = client.post("/delivery/ems/push/", body, content_type="application/json",
                           **{f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()})  # fmt: skip
    assert response.status_code == 401 and response.json()["received"] is False


# The window ---------------------------------------------------------------------------------------------


def test_collected_at_the_window_with_the_pick_up_code_and_the_applicants_id(
    decided: Case, alice: User, bob: User, carol: User
) -> None:
    actions.choose(decided, applicant=alice, method=Method.WINDOW)
    close_and_prepare(decided, bob)
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.AWAITING_COLLECTION and len(delivery.pickup_code) == 8
    assert Notification.objects.filter(recipient=alice, body__contains=delivery.pickup_code).exists()
    me = actions.Collector(name="陈爱丽", id_number="350205198503120020")

    wrong = str((int(delivery.pickup_code) + 1) % 10**8).zfill(8)
    with pytest.raises(ValidationError) as refused:
        actions.hand_over(wrong, me, actor=bob)
    assert "取件码不正确" in refused.value.messages[0]
    assert AuditRecord.objects.filter(event="delivery.pickup_code_refused").count() == 1
    with pytest.raises(ValidationError):  # another unit's clerk does not find it
        actions.hand_over(delivery.pickup_code, me, actor=carol)
    stranger = actions.Collector(name="王五", id_number="11010519491231002X")
    with pytest.raises(ValidationError) as refused:
        actions.hand_over(delivery.pickup_code, stranger, actor=bob)
    assert "委托代领" in refused.value.message_dict["id_number"][0]
    with pytest.raises(ValidationError) as refused:
        actions.hand_over(
            delivery.pickup_code, actions.Collector("王五", "11010519491231002X", is_proxy=True), actor=bob
        )
    assert "authorisation_checked" in refused.value.message_dict
    assert Delivery.objects.get().status == DeliveryStatus.AWAITING_COLLECTION

    actions.hand_over(delivery.pickup_code, me, actor=bob)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED and delivery.served_how == Method.WINDOW
    assert delivery.collector_id_masked.startswith("3502") and "1985" not in delivery.collector_id_masked
    assert _told(alice, "已领取")
    with pytest.raises(ValidationError):  # the code is used
        actions.hand_over(delivery.pickup_code, me, actor=bob)


def test_a_proxy_with_the_authorisation_collects_and_an_uncollected_result_is_reminded_once(
    decided: Case, alice: User, bob: User, settings: Any
) -> None:
    actions.choose(decided, applicant=alice, method=Method.WINDOW)
    close_and_prepare(decided, bob)
    settings.DELIVERY_PICKUP_REMINDER_DAYS = 5
    assert actions.remind_uncollected() == 0
    Delivery.objects.update(awaiting_since=timezone.now() - datetime.timedelta(days=6))
    assert actions.remind_uncollected() == 1
    assert actions.remind_uncollected() == 0
    assert _told(alice, "请领取办理结果")
    code = Delivery.objects.get().pickup_code
    proxy = actions.Collector("王五", "11010519491231002X", is_proxy=True, authorisation_checked=True)
    delivery = actions.hand_over(code, proxy, actor=bob)
    assert delivery.collector_is_proxy and delivery.status == DeliveryStatus.DELIVERED


def test_the_delivery_is_in_the_applicants_dossier_by_its_region_never_its_street(
    decided: Case, alice: User, bob: User, ems: Ems, client: Any
) -> None:
    actions.choose(decided, applicant=alice, method=Method.EMS, address=HOME)
    close_and_prepare(decided, bob)
    client.force_login(alice)
    dossier = client.get("/my/dossier/").content.decode()
    assert "结果送达（1）" in dossier and "邮政EMS寄递（福建省厦门市海沧区）" in dossier and "待寄出" in dossier
    assert "鼎美村128号" not in dossier and "13800000001" not in dossier


# Electronic ------------------------------------------------------------------------------------------------


def test_the_first_download_is_the_time_of_service(decided: Case, alice: User, bob: User, client: Any) -> None:
    actions.choose(decided, applicant=alice, method=Method.ELECTRONIC)
    close_and_prepare(decided, bob)
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.AVAILABLE
    client.force_login(alice)
    page = client.get(f"/my/cases/{decided.public_id}/").content.decode()
    assert "下载决定书" in page and "第一次下载的时间即为送达时间" in page
    response = client.get(f"/my/deliveries/{delivery.public_id}/decision.pdf")
    assert response.status_code == 200 and b"".join(response.streaming_content)[:5] == b"%PDF-"
    delivery.refresh_from_db()
    served = delivery.served_at
    assert delivery.status == DeliveryStatus.DELIVERED and served and delivery.served_how == Method.ELECTRONIC
    client.get(f"/my/deliveries/{delivery.public_id}/decision.pdf")
    delivery.refresh_from_db()
    assert delivery.served_at == served
    assert CaseEvent.objects.filter(case=decided, kind="served").count() == 1


def test_a_case_closed_long_before_the_feed_reached_it_is_left_alone(decided: Case, bob: User) -> None:
    from govhall.cases import actions as case_actions

    case_actions.close_case(decided, actor=bob)
    CaseEvent.objects.filter(case=decided, kind="closed").update(
        created_at=timezone.now() - datetime.timedelta(days=40)
    )
    actions.consume_case_events()
    assert not Delivery.objects.exists()


def test_the_desk_lists_what_waits_and_hands_over_from_its_page(
    decided: Case, alice: User, bob: User, desk: Any
) -> None:
    actions.choose(decided, applicant=alice, method=Method.WINDOW)
    close_and_prepare(decided, bob)
    code = Delivery.objects.get().pickup_code
    client = desk(bob)
    page = client.get("/desk/delivery/").content.decode()
    assert decided.reference in page and "待领取" in page and code not in page
    answer = client.post("/desk/delivery/handover/", {"pickup_code": code, "name": "陈爱丽",
                                                        "id_number": "350205198503120020"}, follow=True)  # fmt: skip
    assert "送达时间已记录" in answer.content.decode()
    assert Delivery.objects.get().status == DeliveryStatus.DELIVERED
    assert decided.reference in client.get(f"/desk/cases/{decided.public_id}/").content.decode()


def test_waybill_numbers_are_checked_the_s10_way() -> None:
    assert is_waybill_number("EA100000017CN")
    assert not is_waybill_number("EA100000018CN")
    assert not is_waybill_number("ea100000017CN")
    assert s10_check_digit("47312482") == "9"  # UPU S10's own example: RR 47312482 9 GB


def test_the_indicators_count_results_served_and_those_by_post(
    decided: Case, alice: User, bob: User, settings: Any
) -> None:
    from govhall.stats.measures import COUNTERS, MEASURES, facet_labels

    actions.choose(decided, applicant=alice, method=Method.WINDOW)
    close_and_prepare(decided, bob)
    today = timezone.localdate()
    assert COUNTERS["served"].rows(today, today).count() == 0  # type: ignore[misc]
    actions.hand_over(Delivery.objects.get().pickup_code, actions.Collector("陈爱丽", "350205198503120020"), actor=bob)
    assert MEASURES["delivered_by_post"].is_available
    assert list(COUNTERS["served"].rows(today, today).values_list("stat_facet", flat=True)) == ["window"]  # type: ignore[misc]
    assert COUNTERS["served_by_post"].rows(today, today).count() == 0  # type: ignore[misc]
    assert facet_labels("events")["window"] == "窗口"


# A courier pick-up of paper materials -------------------------------------------------------------------------


def test_paper_materials_are_collected_by_ems_at_the_applicants_address(
    decided: Case, alice: User, bob: User, ems: Ems, live_server: Any, settings: Any, client: Any
) -> None:
    from govhall.cases import actions as case_actions
    from govhall.cases.tests.conftest import material_files

    settings.PUBLIC_URL = live_server.url
    version = decided.item_version
    case = case_actions.submit_case(version, applicant=alice, form_data={"location": "鼎美村", "volume": 3},
                                    submit_key="pickup-1", files=material_files(version))  # fmt: skip
    day = actions.pickup_days()[0]
    with pytest.raises(ValidationError) as refused:
        actions.book_pickup(case, applicant=alice, address=HOME, on="2020-01-01")
    assert "工作日" in refused.value.message_dict["pickup_on"][0]
    with pytest.raises(ValidationError) as refused:
        actions.book_pickup(case, applicant=alice, address=actions.Address(recipient="陈爱丽", phone="138",
                            region_code="350200", address="鼎美村"), on=str(day))  # fmt: skip
    assert {"phone", "region_code", "address"} <= set(refused.value.message_dict)
    assert not Shipment.objects.exists()

    client.force_login(alice)
    page = client.get(f"/my/cases/{case.public_id}/").content.decode()
    assert "预约EMS上门收取" in page and day.isoformat() in page
    answer = client.post(f"/my/delivery/cases/{case.public_id}/pickup/", {
        "pickup_on": day.isoformat(), "p_recipient": "陈爱丽", "p_phone": "13800000001", "p_region_code": "350205",
        "p_address": "东孚街道鼎美村128号"}, follow=True).content.decode()  # fmt: skip
    assert "已预约EMS于" in answer and 'name="pickup_on"' not in answer  # no second booking form
    with pytest.raises(actions.DeliveryRefused):  # one open pick-up at a time
        actions.book_pickup(case, applicant=alice, address=HOME, on=str(day))
    assert actions.send_due_shipments() == {"sent": 1}
    pickup = Shipment.objects.get()
    assert pickup.kind == "materials" and pickup.order_id == f"{case.reference}-M1" and pickup.pickup_on == day
    parcel = ems.sandbox.waybills[str(pickup.waybill_no)]
    assert parcel["service"] == "pickup" and parcel["sender"]["region_code"] == "350205"
    assert parcel["receiver"]["name"] == settings.DELIVERY_SENDER["name"]
    assert _told(alice, "EMS将上门收取材料")

    answered = len([p for p in ems.sandbox.pushes if p["status"] == 200])
    for n, step in enumerate(("picked_up", "signed"), start=1):
        ems.control(f"advance/{pickup.waybill_no}?to={step}")
        # Each push answered before the next step and before this thread reads (the live server shares
        # one SQLite connection with the test):
        _wait_for(lambda n=n: len([p for p in ems.sandbox.pushes if p["status"] == 200]) == answered + n)
    assert CaseEvent.objects.filter(case=case, kind="materials_received").exists()
    assert _told(alice, "纸质材料已送达")
    assert Delivery.objects.get(case=case).status == DeliveryStatus.WAITING  # the result's delivery is untouched


def test_no_pick_up_for_a_decided_case_or_someone_elses(decided: Case, alice: User, carol: User) -> None:
    day = str(actions.pickup_days()[0])
    with pytest.raises(actions.DeliveryRefused):
        actions.book_pickup(decided, applicant=alice, address=HOME, on=day)
    with pytest.raises(PermissionDenied):
        actions.book_pickup(decided, applicant=carol, address=HOME, on=day)
