"""A fee is assessed at the 缴费 step, paid through the finance platform, refunded and reconciled; nothing twice."""

from __future__ import annotations

import datetime
import io
import json
import time
from decimal import Decimal
from typing import Any

import pytest

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from govhall.audit.models import AuditRecord
from govhall.cases import actions as case_actions
from govhall.cases.models import Case, CaseEvent
from govhall.identity.models import User
from govhall.lib.errors import Conflict
from govhall.lib.signing import SignatureStatus, check_pdf_signatures
from govhall.payments import actions
from govhall.payments.constants import DifferenceKind, OrderStatus, RefundState, RefundStatus
from govhall.payments.finance import receipt_is_genuine, sign
from govhall.payments.models import PaymentOrder, Refund

from .conftest import SECRET, Finance

pytestmark = pytest.mark.django_db


def _issue(
    case: Case, bob: User, amount: str = "12000.00", note: str = "临时使用乔木林地1200平方米×10元", *, send: bool = True
) -> PaymentOrder:
    fee = case.item_version.fees.get()
    order = actions.issue_order(case, actor=bob, assessments=[actions.Assessment(fee=fee, amount=amount, note=note)])
    assert order is not None
    if send:  # what the task queued after commit does (a test's transaction never commits)
        actions.send_order(order.pk)
        order.refresh_from_db()
    return order


def _wait_for(condition: Any, seconds: float = 8.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError("waited in vain")


def _signed_callback(body: dict[str, Any], *, nonce: str = "nonce-0001", secret: str = SECRET,
                     path: str = "/payments/callback/") -> tuple[dict[str, str], bytes]:  # fmt: skip
    raw = json.dumps(body).encode()
    timestamp = str(int(time.time()))
    signature = sign(secret.encode(), "POST", path, timestamp, nonce, raw)
    return {"X-Finance-Timestamp": timestamp, "X-Finance-Nonce": nonce, "X-Finance-Signature": signature}, raw


# Assessing and issuing ---------------------------------------------------------------------------------


def test_the_fee_step_issues_an_order_with_a_checked_code_a_signed_notice_and_an_event(
    at_fee_step: Case, bob: User, settings: Any
) -> None:
    settings.FINANCE_URL = ""  # the platform is not configured: the order waits in the outbox
    order = _issue(at_fee_step, bob)

    assert len(order.payment_code) == 20 and actions.is_payment_code(order.payment_code)
    assert order.payment_code.startswith("350205" + str(timezone.localdate().year))
    assert order.total == Decimal("12000.00") and order.status == OrderStatus.CREATED
    assert order.due_on == timezone.localdate() + datetime.timedelta(days=settings.PAYMENT_DUE_DAYS)
    line = order.lines.get()
    assert (line.name, line.basis, line.income_code) == ("森林植被恢复费", "财税〔2015〕122号", "1030414")
    with order.notice.open("rb") as notice:
        assert check_pdf_signatures(io.BytesIO(notice.read())).status == SignatureStatus.VALID
    assert CaseEvent.objects.filter(case=at_fee_step, kind="fee_ordered").count() == 1
    assert AuditRecord.objects.filter(event="cases.fee_ordered").count() == 1
    # The case waits at its fee step; closing is refused until the fee is paid:
    at_fee_step.refresh_from_db()
    assert case_actions.is_at_fee_step(at_fee_step)
    with pytest.raises(ValidationError, match="尚未缴费"):
        case_actions.close_case(at_fee_step, actor=bob)


@pytest.mark.parametrize(
    ("amount", "note", "message"),
    [
        ("12000.005", "面积×标准", "两位小数"),
        ("-5", "面积×标准", "两位小数"),
        ("一万二", "面积×标准", "两位小数"),
        ("1e3", "面积×标准", "两位小数"),
        ("12000.00", "  ", "核定依据"),
    ],
)
def test_a_bad_assessment_is_refused_at_its_field_and_issues_nothing(
    at_fee_step: Case, bob: User, amount: str, note: str, message: str
) -> None:
    fee = at_fee_step.item_version.fees.get()
    with pytest.raises(ValidationError, match=message):
        actions.issue_order(at_fee_step, actor=bob, assessments=[actions.Assessment(fee=fee, amount=amount, note=note)])
    assert not PaymentOrder.objects.exists()
    assert not CaseEvent.objects.filter(kind="fee_ordered").exists()


def test_a_second_click_issues_nothing_and_a_clerk_of_another_unit_may_not_issue(
    at_fee_step: Case, bob: User, carol: User, settings: Any
) -> None:
    settings.FINANCE_URL = ""
    fee = at_fee_step.item_version.fees.get()
    with pytest.raises(PermissionDenied):
        actions.issue_order(at_fee_step, actor=carol, assessments=[actions.Assessment(fee, "1.00", "x")])
    _issue(at_fee_step, bob)
    with pytest.raises(Conflict, match="不能重复开具"):
        _issue(at_fee_step, bob)
    assert PaymentOrder.objects.count() == 1


def test_a_fee_waived_on_its_basis_completes_the_step_without_an_order(at_fee_step: Case, bob: User) -> None:
    fee = at_fee_step.item_version.fees.get()
    assert (
        actions.issue_order(
            at_fee_step, actor=bob, assessments=[actions.Assessment(fee, "0", "农村居民自建住宅，免征")]
        )
        is None
    )
    at_fee_step.refresh_from_db()
    assert not case_actions.is_at_fee_step(at_fee_step)
    assert not PaymentOrder.objects.exists()
    case_actions.close_case(at_fee_step, actor=bob)  # nothing is owed: the case closes


# Paying through the platform -------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_paid_on_the_platform_with_the_callback_twice_the_case_moves_on_once(
    at_fee_step: Case, bob: User, finance: Finance, live_server: Any, settings: Any
) -> None:
    settings.PUBLIC_URL = live_server.url
    finance.control("callbacks?mode=twice")
    order = _issue(at_fee_step, bob)
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING and order.pay_url.startswith(finance.url + "/pay/")

    paid, _message = finance.sandbox.pay(order.payment_code)
    assert paid
    # Both callbacks answered (the second after the first, as a platform that did not hear the
    # answer sends it again), and the case moved on:
    _wait_for(
        lambda: (
            len([c for c in finance.sandbox.callbacks if c["status"] == 200]) == 2
            and not case_actions.is_at_fee_step(Case.objects.get(pk=at_fee_step.pk))
        ),
        seconds=30,
    )

    order.refresh_from_db()
    assert order.status == OrderStatus.PAID and order.paid_amount == Decimal("12000.00")
    assert order.receipt_number and receipt_is_genuine(order.receipt)
    assert CaseEvent.objects.filter(case=at_fee_step, kind="fee_paid").count() == 1
    at_fee_step.refresh_from_db()
    assert not case_actions.is_at_fee_step(at_fee_step)
    case_actions.close_case(at_fee_step, actor=bob)


def test_a_forged_a_replayed_an_unknown_and_a_wrong_amount_callback_change_nothing(
    at_fee_step: Case, bob: User, finance: Finance
) -> None:
    order = _issue(at_fee_step, bob)
    finance.control("callbacks?mode=never")
    finance.sandbox.pay(order.payment_code)
    state = finance.sandbox.orders[order.payment_code]
    genuine = {"event": "order.paid", "payment_code": order.payment_code, "transaction_id": state["transaction_id"],
               "amount": state["amount"], "paid_at": state["paid_at"], "channel": "online", "receipt": state["receipt"]}  # fmt: skip

    headers, body = _signed_callback(genuine, secret="not-the-secret")
    assert actions.receive_callback("/payments/callback/", headers, body).status == 401
    tampered = {**genuine, "amount": "1.00"}
    headers, body = _signed_callback(genuine, nonce="nonce-aaaa")
    assert actions.receive_callback("/payments/callback/", headers, json.dumps(tampered).encode()).status == 401
    headers, body = _signed_callback({**genuine, "payment_code": "35020520269999999990"}, nonce="nonce-bbbb")
    assert actions.receive_callback("/payments/callback/", headers, body).status == 404
    forged_receipt = {**genuine, "receipt": {**genuine["receipt"], "amount": "1.00"}}
    headers, body = _signed_callback(forged_receipt, nonce="nonce-cccc")
    assert actions.receive_callback("/payments/callback/", headers, body).status == 400
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING

    headers, body = _signed_callback(genuine, nonce="nonce-dddd")
    assert actions.receive_callback("/payments/callback/", headers, body).status == 200
    assert actions.receive_callback("/payments/callback/", headers, body).status == 409  # the same nonce again
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert CaseEvent.objects.filter(kind="fee_paid").count() == 1


def test_the_callback_endpoint_answers_the_platform_over_http(
    at_fee_step: Case, bob: User, finance: Finance, client: Any
) -> None:
    order = _issue(at_fee_step, bob)
    headers, body = _signed_callback({"payment_code": order.payment_code}, secret="forged")
    response = client.post("/payments/callback/", body, content_type="application/json",
                           **{f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()})  # fmt: skip
    assert response.status_code == 401 and response.json()["received"] is False


def test_another_amount_reported_for_an_order_flags_it_and_does_not_book_it(at_fee_step: Case, bob: User) -> None:
    order = _issue(at_fee_step, bob)
    receipt = {"number": "R1", "amount": "100.00"}
    receipt["signature"] = _receipt_signature(receipt)
    payment = actions.Payment(order.payment_code, "T1", Decimal("100.00"), timezone.now(), "online", receipt)
    assert actions.record_payment(order, payment, source="callback") == "review"
    order.refresh_from_db()
    assert order.status != OrderStatus.PAID and "不一致" in order.needs_review


def _receipt_signature(receipt: dict[str, Any]) -> str:
    from govhall.payments.sandbox_finance import receipt_signature

    return receipt_signature(SECRET.encode(), receipt)


# Faults of the platform ---------------------------------------------------------------------------------


def test_the_platform_down_keeps_the_order_in_the_outbox_and_a_retry_after_a_timeout_makes_one_order(
    at_fee_step: Case, bob: User, finance: Finance
) -> None:
    finance.control("fail-next?count=1&status=503")
    order = _issue(at_fee_step, bob)
    assert order.status == OrderStatus.CREATED and order.next_send_at and order.next_send_at > timezone.now()
    assert finance.sandbox.orders == {}

    # It answers, but too late for our timeout: the order exists there, and we do not know it yet:
    finance.control("hang-next?count=1&seconds=3")
    assert actions.send_order(order.pk) == "later"
    _wait_for(lambda: list(finance.sandbox.orders) == [order.payment_code])
    # The retry with the same Idempotency-Key gets the first answer; still one order:
    assert actions.send_order(order.pk) == "sent"
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING and order.send_attempts == 3
    assert len(finance.sandbox.orders) == 1


def test_a_lost_callback_is_found_by_the_fifteen_minute_check(at_fee_step: Case, bob: User, finance: Finance) -> None:
    finance.control("callbacks?mode=never")
    order = _issue(at_fee_step, bob)
    finance.sandbox.pay(order.payment_code)
    assert actions.poll_pending()["asked"] == 0  # too young to ask
    counts = actions.poll_pending(now=timezone.now() + datetime.timedelta(minutes=20))
    assert counts == {"asked": 1, "paid": 1, "review": 0, "refund_due": 0}
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    # An order pending a day goes to manual review:
    PaymentOrder.objects.filter(pk=order.pk).update(status=OrderStatus.PENDING, needs_review="")
    assert actions.poll_pending(now=timezone.now() + datetime.timedelta(hours=25))["review"] == 1


def test_paying_an_expired_order_is_refused_by_the_platform(at_fee_step: Case, bob: User, finance: Finance) -> None:
    order = _issue(at_fee_step, bob)
    finance.sandbox.orders[order.payment_code]["due_date"] = "2020-01-01"
    paid, message = finance.sandbox.pay(order.payment_code)
    assert not paid and "过缴款期限" in message
    PaymentOrder.objects.filter(pk=order.pk).update(due_on=datetime.date(2020, 1, 1))
    assert actions.poll_pending()["asked"] == 1  # past its deadline: asked, and found expired
    order.refresh_from_db()
    assert order.status == OrderStatus.EXPIRED
    assert CaseEvent.objects.filter(kind="fee_order_ended").count() == 1
    # The clerk may assess and issue again:
    _issue(at_fee_step, bob)
    assert PaymentOrder.objects.count() == 2


# At the window ------------------------------------------------------------------------------------------


def test_a_window_payment_is_recorded_only_with_the_receipt_number_the_platform_has(
    at_fee_step: Case, bob: User, carol: User, finance: Finance
) -> None:
    order = _issue(at_fee_step, bob)
    with pytest.raises(ValidationError, match="没有这张缴款单"):
        actions.record_window_payment(order, actor=bob, receipt_number="350226000001")
    finance.control("callbacks?mode=never")
    finance.control(f"pay/{order.payment_code}?channel=window")
    number = finance.sandbox.orders[order.payment_code]["receipt"]["number"]
    with pytest.raises(ValidationError):
        actions.record_window_payment(order, actor=bob, receipt_number=number + "9")
    with pytest.raises(PermissionDenied):
        actions.record_window_payment(order, actor=carol, receipt_number=number)
    assert actions.record_window_payment(order, actor=bob, receipt_number=number) == "paid"
    order.refresh_from_db()
    assert (order.status, order.channel, order.recorded_by) == (OrderStatus.PAID, "window", bob)


# Refunds --------------------------------------------------------------------------------------------------


def test_a_refund_needs_a_second_person_and_never_exceeds_what_was_paid(
    at_fee_step: Case, bob: User, grace: User, finance: Finance, django_capture_on_commit_callbacks: Any
) -> None:
    order = _issue(at_fee_step, bob)
    finance.control("callbacks?mode=never")
    finance.sandbox.pay(order.payment_code)
    actions.refresh_order(order)
    order.refresh_from_db()
    assert order.refund_state == RefundState.AVAILABLE

    with pytest.raises(ValidationError, match="不能超过可退金额"):
        actions.request_refund(order, actor=bob, amount="12000.01", reason="多缴")
    refund = actions.request_refund(order, actor=bob, amount="2000.00", reason="核定面积有误，多缴2000元")
    assert PaymentOrder.objects.get(pk=order.pk).refund_state == RefundState.PENDING
    with pytest.raises(PermissionDenied):
        actions.decide_refund(refund, actor=bob, approve=True)

    with django_capture_on_commit_callbacks(execute=True):
        actions.decide_refund(refund, actor=grace, approve=True, note="同意")
    refund.refresh_from_db()
    order.refresh_from_db()
    assert refund.status == RefundStatus.REFUNDED and order.refunded == Decimal("2000.00")
    assert finance.sandbox.orders[order.payment_code]["refunded"] == "2000.00"
    assert order.refundable == Decimal("10000.00")
    assert CaseEvent.objects.filter(kind="fee_refunded").count() == 1


def test_a_refund_approved_while_the_platform_is_down_goes_out_once_it_is_back(
    at_fee_step: Case, bob: User, grace: User, finance: Finance, django_capture_on_commit_callbacks: Any
) -> None:
    order = _issue(at_fee_step, bob)
    finance.control("callbacks?mode=never")
    finance.sandbox.pay(order.payment_code)
    actions.refresh_order(order)
    # As if the item charged before its decision and the applicant then withdrew (this item's fee
    # comes after approval, when withdrawing is no longer possible): the unit is told to refund:
    Case.objects.filter(pk=at_fee_step.pk).update(status="withdrawn")
    assert actions.poll_pending()["refund_due"] == 1
    assert "应予退还" in PaymentOrder.objects.get(pk=order.pk).needs_review
    assert actions.poll_pending()["refund_due"] == 0  # told once
    refund = actions.request_refund(
        PaymentOrder.objects.get(pk=order.pk), actor=bob, amount="12000.00", reason="撤回申请"
    )
    finance.control("fail-next?count=1")
    with django_capture_on_commit_callbacks(execute=True):
        actions.decide_refund(refund, actor=grace, approve=True)
    assert Refund.objects.get(pk=refund.pk).status == RefundStatus.SUBMITTED
    actions.poll_pending()
    assert Refund.objects.get(pk=refund.pk).status == RefundStatus.REFUNDED
    assert PaymentOrder.objects.get(pk=order.pk).refund_state == RefundState.FULL
    assert PaymentOrder.objects.get(pk=order.pk).needs_review == ""  # refunded in full: settled
    assert len(finance.sandbox.refunds) == 1


# Reconciliation -------------------------------------------------------------------------------------------


def test_the_daily_statement_lists_each_planted_difference_and_settles_a_lost_callback(
    at_fee_step: Case, bob: User, dan: User, finance: Finance, land_use: Any, alice: User, frank: User, grace: User
) -> None:
    finance.control("callbacks?mode=never")
    orders = [_issue(at_fee_step, bob)]
    for key in ("b", "c"):
        case = case_actions.submit_case(land_use, applicant=alice, form_data={"location": "x", "volume": 1},
                                        submit_key=key, files=_files(land_use))  # fmt: skip
        case = case_actions.accept_case(case, actor=bob)
        case = case_actions.complete_step(case, actor=frank, opinion="同意")
        case = case_actions.decide_case(case, actor=grace, decision="approve", reason="同意", legal_basis="森林法")
        orders.append(_issue(case, bob, amount="3000.00"))
    for order in orders:
        finance.sandbox.pay(order.payment_code)
    for order in orders[1:]:
        actions.refresh_order(order)  # two recorded here; the first one's callback was lost
    today = timezone.localdate()
    finance.control(f"statement?day={today}&extra=1&alter=1")

    run = actions.reconcile_day(today)

    assert PaymentOrder.objects.get(pk=orders[0].pk).status == OrderStatus.PAID  # settled by asking the platform
    kinds = sorted(run.found.values_list("kind", flat=True))
    assert kinds == sorted([DifferenceKind.UNKNOWN_HERE, DifferenceKind.AMOUNT])
    assert run.lines == 4 and run.differences == 2
    # A rerun finds the same, once; a settled difference stays settled:
    difference = run.found.get(kind=DifferenceKind.AMOUNT)
    with pytest.raises(PermissionDenied):
        actions.settle_difference(difference, actor=bob, note="已核实")
    actions.settle_difference(difference, actor=dan, note="财政部门确认对账单金额有误，已更正")
    rerun = actions.reconcile_day(today)
    assert rerun.found.count() == 2 and rerun.found.filter(settled_at__isnull=False).count() == 1


def _files(version: Any) -> Any:
    from govhall.cases.tests.conftest import material_files

    return material_files(version)


# The province hears of it ------------------------------------------------------------------------------


def test_the_notice_and_the_payment_go_to_the_province_as_messages_24_and_25(
    at_fee_step: Case, bob: User, finance: Finance
) -> None:
    from govhall.sharing.exchange import messages_for_event

    finance.control("callbacks?mode=never")
    order = _issue(at_fee_step, bob)
    finance.sandbox.pay(order.payment_code)
    actions.refresh_order(order)
    order.refresh_from_db()
    notice = CaseEvent.objects.get(case=at_fee_step, kind="fee_ordered")
    paid = CaseEvent.objects.get(case=at_fee_step, kind="fee_paid")
    [drafted] = messages_for_event(notice)
    assert (drafted.message_type, drafted.data["PAY_CODE"], drafted.data["PAY_AMOUNT"]) == (
        "24", order.payment_code, "12000.00")  # fmt: skip
    [drafted] = messages_for_event(paid)
    assert (drafted.message_type, drafted.data["RECEIPT_NO"]) == ("25", order.receipt_number)


def test_the_applicant_sees_the_order_and_the_receipt_on_her_pages_and_in_her_dossier(
    at_fee_step: Case, bob: User, alice: User, finance: Finance, client: Any
) -> None:
    finance.control("callbacks?mode=never")
    order = _issue(at_fee_step, bob)
    client.force_login(alice)
    page = client.get(f"/my/payments/{order.public_id}/").content.decode()
    assert "去缴费" in page and "12000.00" in page and "财税〔2015〕122号" in page
    assert client.get(f"/my/payments/{order.public_id}/notice.pdf").status_code == 200

    finance.sandbox.pay(order.payment_code)
    # Back from the platform's page: the outcome is asked of the platform, not taken from the address:
    page = client.get(f"/my/payments/{order.public_id}/?payment_code={order.payment_code}").content.decode()
    order.refresh_from_db()
    assert "缴费成功" in page and order.receipt_number in page
    dossier = client.get("/my/dossier/").content.decode()
    assert "缴费记录（1）" in dossier and f"票据号 {order.receipt_number}" in dossier
    # Another applicant is told the order does not exist:
    other = User.objects.create_user(username="bea-applicant", password="x")  # type: ignore[attr-defined]
    client.force_login(other)
    assert client.get(f"/my/payments/{order.public_id}/").status_code in {302, 404}


def test_the_indicators_count_fees_paid_online_and_at_the_window(
    at_fee_step: Case, bob: User, finance: Finance
) -> None:
    from govhall.stats.measures import COUNTERS, MEASURES

    order = _issue(at_fee_step, bob)
    finance.control("callbacks?mode=never")
    finance.control(f"pay/{order.payment_code}?channel=window")
    actions.refresh_order(order)
    today = timezone.localdate()
    assert MEASURES["paid_online"].is_available
    assert COUNTERS["fees_paid"].rows(today, today).count() == 1  # type: ignore[misc]
    assert COUNTERS["fees_paid_online"].rows(today, today).count() == 0  # type: ignore[misc]
    assert list(COUNTERS["fees_paid"].rows(today, today).values_list("stat_facet", flat=True)) == ["window"]  # type: ignore[misc]
