"""一件事 is delivered once: one choice for its cases, held until the last ends, then one parcel or one pick-up."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from govhall.cases import actions as case_actions
from govhall.cases.models import Case, CaseEvent
from govhall.cases.tests.conftest import material_files
from govhall.catalog.models import ItemVersion
from govhall.catalog.tests.factories import create_draft, publish
from govhall.delivery import actions, queries
from govhall.delivery.constants import DeliveryStatus, Method
from govhall.delivery.models import Delivery, Shipment
from govhall.identity.models import Department, User
from govhall.proactive.models import Bundle, BundleCase, BundleFiling, Notification

from .conftest import FORM, HOME, Ems, close_and_prepare

pytestmark = pytest.mark.django_db


def _decide(version: ItemVersion, alice: User, bob: User, frank: User, grace: User, key: str) -> Case:
    case = case_actions.submit_case(
        version, applicant=alice, form_data=FORM, submit_key=key, files=material_files(version)
    )
    case = case_actions.accept_case(case, actor=bob)
    case = case_actions.complete_step(case, actor=frank, opinion="属实。")
    return case_actions.decide_case(
        case, actor=grace, decision="approve", reason="符合条件。", legal_basis="《森林法》"
    )


def _file_together(alice: User, *cases: Case) -> None:
    filing = BundleFiling.objects.create(
        bundle=Bundle.objects.create(code="forest", name="林地一件事"), applicant=alice, submit_key="k"
    )
    for case in cases:
        BundleCase.objects.create(filing=filing, case=case)


@pytest.fixture
def pair(posted: ItemVersion, alice: User, bob: User, frank: User, grace: User) -> tuple[Case, Case]:
    first = _decide(posted, alice, bob, frank, grace, "b1")
    second = _decide(posted, alice, bob, frank, grace, "b2")
    _file_together(alice, first, second)
    return first, second


def test_one_choice_and_one_parcel_for_the_bundle_sent_when_its_last_case_ends(
    pair: tuple[Case, Case], alice: User, bob: User, ems: Ems
) -> None:
    first, second = pair
    actions.choose(first, applicant=alice, method=Method.EMS, address=HOME)
    # One choice for the bundle: the other case's result goes the same way, to the same address:
    assert {(d.method, d.region_code, d.address) for d in Delivery.objects.all()} == {
        (Method.EMS, "350205", "东孚街道鼎美村128号")
    }
    assert CaseEvent.objects.filter(kind="delivery_chosen", case__in=pair).count() == 2

    close_and_prepare(first, bob)
    held = Delivery.objects.get(case=first)
    assert held.status == DeliveryStatus.WAITING and held.ready_at and not Shipment.objects.exists()
    client = Client()
    client.force_login(alice)
    page = client.get(f"/my/cases/{first.public_id}/").content.decode()
    assert "本件结果已备好，将在一件事“林地一件事”的其他事项办结后一并送达" in page

    close_and_prepare(second, bob)
    shipment = Shipment.objects.get()  # one parcel for both results
    assert shipment.delivery.case == first and [d.case for d in shipment.also.all()] == [second]
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.TO_SEND}
    assert actions.send_due_shipments() == {"sent": 1} and len(ems.sandbox.waybills) == 1
    shipment.refresh_from_db()
    assert CaseEvent.objects.filter(kind="waybill_created", case__in=pair).count() == 2
    sent = Notification.objects.filter(recipient=alice, subject__contains="交EMS寄出").get()
    assert "2 个办理结果同一邮件寄出" in sent.body
    other_page = client.get(f"/my/cases/{second.public_id}/").content.decode()
    assert shipment.waybill_no and shipment.waybill_no in other_page

    ems.control("push?mode=never")
    for step in ("picked_up", "out_for_delivery", "signed"):
        ems.control(f"advance/{shipment.waybill_no}?to={step}")
    actions.poll_tracking()
    served = list(Delivery.objects.order_by("case_id"))
    assert [d.status for d in served] == [DeliveryStatus.DELIVERED] * 2
    assert served[0].served_at == served[1].served_at
    assert CaseEvent.objects.filter(kind="served", case__in=pair).count() == 2


def test_the_bundle_waits_at_the_window_with_one_message_and_is_handed_over_at_once(
    pair: tuple[Case, Case], alice: User, bob: User
) -> None:
    first, second = pair
    actions.choose(second, applicant=alice, method=Method.WINDOW)
    close_and_prepare(first, bob)
    close_and_prepare(second, bob)
    waiting = list(Delivery.objects.order_by("case_id"))
    assert [d.status for d in waiting] == [DeliveryStatus.AWAITING_COLLECTION] * 2
    told = Notification.objects.filter(recipient=alice, subject__contains="可以领取").get()  # one message
    assert told.subject == "一件事的办理结果可以领取了：林地一件事"
    assert all(d.pickup_code in told.body for d in waiting)

    me = actions.Collector(name="陈爱丽", id_number="350205198503120020")
    handed = actions.hand_over(waiting[1].pickup_code, me, actor=bob)  # either code collects both
    assert [d.case for d in queries.handed_over_with(handed)] == [second, first]
    assert {d.status for d in Delivery.objects.all()} == {DeliveryStatus.DELIVERED}
    collected = Notification.objects.filter(recipient=alice, subject__contains="已领取").get()
    assert first.reference in collected.body and second.reference in collected.body
    with pytest.raises(ValidationError):
        actions.hand_over(waiting[0].pickup_code, me, actor=bob)  # already collected with the other


def test_a_way_one_item_does_not_allow_is_refused_for_the_bundle_and_changes_nothing(
    posted: ItemVersion, helen: User, grace: User, departments: dict[str, Department],
    alice: User, bob: User, frank: User,
) -> None:  # fmt: skip
    steps = [dict(step, department=departments["forestry"]) for step in _steps()]
    no_post = publish(
        create_draft(helen, departments["forestry"], code_suffix="00003000",
                     overrides={"name": "林木采伐许可证变更", "express_delivery": False, "in_hall": True}, steps=steps),
        helen, grace,
    )  # fmt: skip
    first = _decide(posted, alice, bob, frank, grace, "n1")
    second = _decide(no_post, alice, bob, frank, grace, "n2")
    _file_together(alice, first, second)
    with pytest.raises(ValidationError) as refused:
        actions.choose(first, applicant=alice, method=Method.EMS, address=HOME)
    assert "“林木采伐许可证变更”不支持这种送达方式" in refused.value.message_dict["method"][0]
    assert not Delivery.objects.filter(method=Method.EMS).exists()


def test_a_withdrawn_case_of_the_bundle_releases_the_others(
    posted: ItemVersion, alice: User, bob: User, frank: User, grace: User
) -> None:
    decided = _decide(posted, alice, bob, frank, grace, "w1")
    pending = case_actions.submit_case(
        posted, applicant=alice, form_data=FORM, submit_key="w2", files=material_files(posted)
    )
    _file_together(alice, decided, pending)
    actions.choose(decided, applicant=alice, method=Method.ELECTRONIC)
    close_and_prepare(decided, bob)
    assert Delivery.objects.get(case=decided).status == DeliveryStatus.WAITING
    case_actions.withdraw_case(pending, applicant=alice, reason="不再需要。")
    actions.consume_case_events()
    assert Delivery.objects.get(case=decided).status == DeliveryStatus.AVAILABLE


def _steps() -> list[dict[str, Any]]:
    return [
        {"order": n, "name": name, "kind": kind, "role": role, "time_limit": days}
        for n, (name, kind, role, days) in enumerate(
            [("受理", "accept", "clerk", 0), ("审查", "review", "reviewer", 2), ("决定", "decision", "approver", 1),
             ("办结", "close", "clerk", 0), ("送达", "deliver", "clerk", 1)],
            start=1,
        )
    ]  # fmt: skip


def test_a_parcel_ems_refuses_goes_back_to_the_applicant_whole_and_is_chosen_again_as_one(
    pair: tuple[Case, Case], alice: User, bob: User, ems: Ems
) -> None:
    first, second = pair
    actions.choose(first, applicant=alice, method=Method.EMS, address=HOME)
    close_and_prepare(first, bob)
    close_and_prepare(second, bob)
    ems.sandbox.waybills.clear()
    ems.control("fail-next?count=1&status=422")
    assert actions.send_due_shipments() == {"refused": 1}
    assert {d.status for d in Delivery.objects.all()} == {DeliveryStatus.RETURNED}  # both, not the lead only
    assert Notification.objects.filter(recipient=alice, subject__contains="未能送达").count() == 1
    assert {d.case for d in queries.pile(bob, "trouble")} == {first, second}

    actions.choose(second, applicant=alice, method=Method.WINDOW)  # chosen again, on the other case
    assert [d.status for d in Delivery.objects.order_by("case_id")] == [DeliveryStatus.AWAITING_COLLECTION] * 2
    assert Notification.objects.filter(recipient=alice, subject__contains="一件事的办理结果可以领取了").count() == 1


def test_a_held_result_is_reminded_from_when_it_waits_at_the_window_once_for_the_bundle(
    pair: tuple[Case, Case], alice: User, bob: User
) -> None:
    first, second = pair
    actions.choose(first, applicant=alice, method=Method.WINDOW)
    close_and_prepare(first, bob)
    Delivery.objects.filter(case=first).update(ready_at=timezone.now() - datetime.timedelta(days=21))
    close_and_prepare(second, bob)
    assert actions.remind_uncollected() == 0  # ready three weeks ago, but at the window only since now
    Delivery.objects.update(awaiting_since=timezone.now() - datetime.timedelta(days=6))
    actions.remind_uncollected()
    assert Notification.objects.filter(recipient=alice, subject__startswith="请领取办理结果").count() == 1
    assert not Delivery.objects.filter(reminded_at__isnull=True).exists()
