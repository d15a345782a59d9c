"""Fees API: the applicant's orders and the way to pay them; the desk's assessing, window payments,
cancelling, refunds and their approval. The same actions as the pages (``payments.actions``).

Errors have the platform's one shape, ``{"errors": …}``: 400 bad input, 403 not allowed, 404 an
order or case that does not exist or is not the caller's (alike), 409 when the order or the case
does not allow it now, 502 when the finance platform refused the request, 503 when it could not
be reached (nothing changed; try again later).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response

from django.utils.translation import gettext as _

from govhall.cases import queries as case_queries
from govhall.identity.models import User
from govhall.identity.permissions import IsApplicant, IsVerifiedStaff
from govhall.lib.api import ErrorSerializer, PlatformAPIView
from govhall.payments import actions, finance, queries
from govhall.payments.api.serializers import (
    FeeOrderSerializer,
    IssuedSerializer,
    IssueSerializer,
    OrderActionSerializer,
    PayLinkSerializer,
    RefundDecisionSerializer,
    StaffFeeOrderSerializer,
)
from govhall.payments.constants import OrderStatus
from govhall.payments.models import Refund

ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="bad input; nothing changed"),
    403: OpenApiResponse(ErrorSerializer, description="not logged in, or the user may not do this"),
    404: OpenApiResponse(ErrorSerializer, description="no such case or order, or not one the caller may see"),
    409: OpenApiResponse(ErrorSerializer, description="the order or the case does not allow it now; nothing changed"),
    502: OpenApiResponse(ErrorSerializer, description="the finance platform refused the request; nothing changed"),
    503: OpenApiResponse(ErrorSerializer, description="the finance platform could not be reached; nothing changed"),
}


class PlatformUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE


class PlatformRefused(exceptions.APIException):
    status_code = status.HTTP_502_BAD_GATEWAY


def _errors_of(*codes: int) -> dict[int, OpenApiResponse]:
    return {code: ERRORS[code] for code in codes}


def _user(request: Request) -> User:
    assert isinstance(request.user, User)
    return request.user


def _platform(call: Any) -> Any:
    """Run ``call``; the finance platform's faults as the API's 503 and 502."""
    try:
        return call()
    except finance.TransportError as exc:
        raise PlatformUnavailable(_("财政非税收入平台暂时无法连接，没有做任何改动，请稍后再试。")) from exc
    except finance.Refused as exc:
        raise PlatformRefused(_("财政非税收入平台拒绝了这个请求：%(error)s") % {"error": exc.error[:150]}) from exc


class MyCaseFeesView(PlatformAPIView):
    permission_classes = [IsApplicant]

    @extend_schema(
        summary="The fee orders of my case",
        description="What the applicant has to pay for their case, and what was paid, with the receipts.",
        responses={200: FeeOrderSerializer(many=True), **_errors_of(403, 404)},
        tags=["fees"],
    )
    def get(self, request: Request, public_id: str) -> Response:
        case = case_queries.access_case_for_applicant(request.user, str(public_id))
        return Response(FeeOrderSerializer(queries.orders_of_case(case), many=True).data)


class PayView(PlatformAPIView):
    permission_classes = [IsApplicant]

    @extend_schema(
        summary="Pay a fee order",
        description=(
            "The finance platform's payment page for an unpaid order (sent to the platform first if it still "
            "waits in the outbox). Open it in a browser; it comes back to the order's page. The payment is "
            "recorded only when the platform confirms it."
        ),
        request=None,
        responses={200: PayLinkSerializer, **_errors_of(403, 404, 409, 503)},
        tags=["fees"],
    )
    def post(self, request: Request, public_id: str) -> Response:
        order = queries.order_for_applicant(request.user, str(public_id))
        if order.status == OrderStatus.CREATED:
            actions.send_order(order.pk)
            order.refresh_from_db()
        if order.status == OrderStatus.CREATED:
            raise PlatformUnavailable(_("财政非税收入平台暂时无法连接，请稍后再缴费；缴款期限内都可以缴纳。"))
        if order.status != OrderStatus.PENDING or not order.pay_url:
            raise actions.PaymentRefused(
                _("这张缴款单现在是“%(status)s”，不能缴费。") % {"status": order.get_status_display()},
                code="not_payable",
            )
        return Response({"pay_url": order.pay_url})


class DeskCaseFeesView(PlatformAPIView):
    permission_classes = [IsVerifiedStaff]
    parser_classes = [JSONParser]

    @extend_schema(
        summary="The fee orders of a case",
        description="Every order of a case of the staff member's units, with its refunds and why it waits for a person.",
        responses={200: StaffFeeOrderSerializer(many=True), **_errors_of(403, 404)},
        tags=["fees (desk)"],
    )
    def get(self, request: Request, public_id: str) -> Response:
        case = case_queries.access_case_for_staff(request.user, str(public_id))
        return Response(StaffFeeOrderSerializer(queries.orders_of_case(case), many=True).data)

    @extend_schema(
        summary="Assess the fees and issue the order",
        description=(
            "At the case's 缴费 step, by the step's role: every fee rule of the item assessed (an amount in "
            "yuan and how it was worked out; 0 waives a fee the item allows to reduce, with its basis). Issues "
            "one order and tells the payer; every fee waived completes the step without an order. A second "
            "order while one is unpaid or paid answers 409."
        ),
        request=IssueSerializer,
        responses={201: IssuedSerializer, **_errors_of(400, 403, 404, 409)},
        tags=["fees (desk)"],
    )
    def post(self, request: Request, public_id: str) -> Response:
        case = case_queries.access_case_for_staff(request.user, str(public_id))
        serializer = IssueSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        rules = {fee.pk: fee for fee in case.item_version.fees.all()}
        given = serializer.validated_data["assessments"]
        unknown = [item["fee"] for item in given if item["fee"] not in rules]
        if unknown:
            raise exceptions.ValidationError({"assessments": [_("收费项目不属于这个事项。")]})
        assessments = [actions.Assessment(rules[item["fee"]], item["amount"], item["note"]) for item in given]
        order = actions.issue_order(case, actor=_user(request), assessments=assessments)
        body = {"waived": order is None, "order": StaffFeeOrderSerializer(order).data if order else None}
        return Response(body, status=status.HTTP_201_CREATED)


def _order_action(name: str, summary: str, description: str, call: Any) -> type[PlatformAPIView]:
    class OrderActionView(PlatformAPIView):
        permission_classes = [IsVerifiedStaff]
        parser_classes = [JSONParser]

        @extend_schema(
            operation_id=f"desk_fee_{name}",
            summary=summary,
            description=description,
            request=OrderActionSerializer,
            responses={200: StaffFeeOrderSerializer, **_errors_of(400, 403, 404, 409, 502, 503)},
            tags=["fees (desk)"],
        )
        def post(self, request: Request, public_id: str) -> Response:
            order = queries.order_for_staff(request.user, str(public_id))
            serializer = OrderActionSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            _platform(lambda: call(order, _user(request), serializer.validated_data))
            order.refresh_from_db()
            return Response(StaffFeeOrderSerializer(order).data)

    OrderActionView.__name__ = OrderActionView.__qualname__ = f"DeskFee{name.title()}View"
    return OrderActionView


ORDER_ACTIONS: dict[str, type[PlatformAPIView]] = {
    "window": _order_action(
        "window",
        "Record a payment made at the window",
        "POS or cash at the window: recorded only if the finance platform has the payment under `receipt_number`.",
        lambda order, user, data: actions.record_window_payment(
            order, actor=user, receipt_number=data["receipt_number"]
        ),
    ),
    "cancel": _order_action(
        "cancel",
        "Cancel an unpaid order",
        "A wrong assessment: the order is cancelled at the platform and here (with `reason`); the step may issue anew.",
        lambda order, user, data: actions.cancel_order(order, actor=user, reason=data["reason"]),
    ),
    "refund": _order_action(
        "refund",
        "Ask for a refund",
        "Of a paid order, at most what is left (`amount`, `reason`); another approver of the unit approves it.",
        lambda order, user, data: actions.request_refund(
            order, actor=user, amount=data["amount"], reason=data["reason"]
        ),
    ),
    "refresh": _order_action(
        "refresh",
        "Ask the platform how the order stands",
        "Records what the platform says (paid, expired, cancelled); the 15-minute check does the same by itself.",
        lambda order, user, data: actions.refresh_order(order),
    ),
}


class RefundDecisionView(PlatformAPIView):
    permission_classes = [IsVerifiedStaff]
    parser_classes = [JSONParser]

    @extend_schema(
        summary="Approve or refuse a refund",
        description=(
            "By an approver of the case's unit other than who asked for it; an approved refund goes to the "
            "finance platform at once (or at the next check if it cannot be reached). Refusing needs a `note`."
        ),
        request=RefundDecisionSerializer,
        responses={200: StaffFeeOrderSerializer, **_errors_of(400, 403, 404, 409)},
        tags=["fees (desk)"],
    )
    def post(self, request: Request, public_id: str) -> Response:
        refund = Refund.objects.filter(public_id=public_id).select_related("order").first()
        if refund is None:
            raise exceptions.NotFound()
        order = queries.order_for_staff(request.user, str(refund.order.public_id))
        serializer = RefundDecisionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        actions.decide_refund(refund, actor=_user(request), approve=data["approve"], note=data["note"])
        order.refresh_from_db()
        return Response(StaffFeeOrderSerializer(order).data)
