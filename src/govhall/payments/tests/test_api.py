"""The fees API does what the pages do: the desk assesses and records, the applicant gets the way to pay."""

from __future__ import annotations

from typing import Any

import pytest

from govhall.cases.models import Case
from govhall.identity.models import User
from govhall.payments import actions
from govhall.payments.constants import OrderStatus
from govhall.payments.models import PaymentOrder

from .conftest import Finance

pytestmark = pytest.mark.django_db


def test_the_desk_issues_through_the_api_and_the_applicant_is_sent_to_the_platforms_page(
    at_fee_step: Case, bob: User, alice: User, finance: Finance, desk: Any, client: Any
) -> None:
    clerk = desk(bob)
    url = f"/api/v1/desk/cases/{at_fee_step.public_id}/fees/"
    fee = at_fee_step.item_version.fees.get()
    bad = clerk.post(
        url, {"assessments": [{"fee": fee.pk, "amount": "1e3", "note": "x"}]}, content_type="application/json"
    )
    assert bad.status_code == 400 and f"amount_{fee.pk}" in bad.json()["errors"]
    answer = clerk.post(url, {"assessments": [{"fee": fee.pk, "amount": "12000.00", "note": "1200㎡×10元"}]},
                        content_type="application/json")  # fmt: skip
    assert answer.status_code == 201, answer.content
    order = answer.json()["order"]
    assert (answer.json()["waived"], order["total"], order["lines"][0]["basis"]) == (
        False,
        "12000.00",
        "财税〔2015〕122号",
    )
    again = clerk.post(url, {"assessments": [{"fee": fee.pk, "amount": "12000.00", "note": "x"}]},
                       content_type="application/json")  # fmt: skip
    assert again.status_code == 409

    client.force_login(alice)
    [mine] = client.get(f"/api/v1/cases/{at_fee_step.public_id}/fees/").json()
    assert mine["payment_code"] == order["payment_code"] and "needs_review" not in mine
    link = client.post(f"/api/v1/fees/{mine['public_id']}/pay/")
    assert link.status_code == 200 and link.json()["pay_url"].startswith(finance.url + "/pay/")

    # Paid at the window: the clerk records it by the platform's receipt number:
    finance.control("callbacks?mode=never")
    finance.control(f"pay/{order['payment_code']}?channel=window")
    number = finance.sandbox.orders[order["payment_code"]]["receipt"]["number"]
    recorded = clerk.post(f"/api/v1/desk/fees/{order['public_id']}/window/", {"receipt_number": number},
                          content_type="application/json")  # fmt: skip
    assert recorded.status_code == 200 and recorded.json()["status"] == "paid"
    assert PaymentOrder.objects.get().status == OrderStatus.PAID
    assert client.post(f"/api/v1/fees/{mine['public_id']}/pay/").status_code == 409  # nothing left to pay


def test_the_platform_down_is_a_503_and_changes_nothing(
    at_fee_step: Case, bob: User, finance: Finance, desk: Any
) -> None:
    clerk = desk(bob)
    fee = at_fee_step.item_version.fees.get()
    answer = clerk.post(f"/api/v1/desk/cases/{at_fee_step.public_id}/fees/",
                        {"assessments": [{"fee": fee.pk, "amount": "100.00", "note": "10㎡×10元"}]},
                        content_type="application/json")  # fmt: skip
    order = answer.json()["order"]
    assert actions.send_order(PaymentOrder.objects.get().pk) == "sent"  # as the task after commit
    finance.control("fail-next?count=1&status=503")
    refused = clerk.post(f"/api/v1/desk/fees/{order['public_id']}/refresh/", {}, content_type="application/json")
    assert refused.status_code == 503 and refused.json()["errors"]
    assert PaymentOrder.objects.get().status == OrderStatus.PENDING
