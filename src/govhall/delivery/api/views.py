"""Delivery API: the applicant's choice and where the result is; the desk's piles and the window hand-over.
The same actions as the pages (``delivery.actions``).

Errors have the platform's one shape, ``{"errors": …}``: 400 bad input, 403 not allowed, 404 a
case or delivery that does not exist or is not the caller's (alike), 409 when the delivery does
not allow it now (the result already sent or collected).
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from govhall.cases import queries as case_queries
from govhall.delivery import actions, queries
from govhall.delivery.api.serializers import (
    ChoiceSerializer,
    DeliverySerializer,
    HandOverSerializer,
    PickupSerializer,
    StaffDeliverySerializer,
)
from govhall.identity.models import User
from govhall.identity.permissions import IsApplicant, IsVerifiedStaff
from govhall.lib.api import ErrorSerializer, PlatformAPIView

ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="bad input; nothing changed"),
    403: OpenApiResponse(ErrorSerializer, description="not logged in, or the user may not do this"),
    404: OpenApiResponse(ErrorSerializer, description="no such case, or not one the caller may see"),
    409: OpenApiResponse(ErrorSerializer, description="the delivery does not allow it now; nothing changed"),
}


def _user(request: Request) -> User:
    assert isinstance(request.user, User)
    return request.user


class MyCaseDeliveryView(PlatformAPIView):
    permission_classes = [IsApplicant]
    parser_classes = [JSONParser]

    @extend_schema(
        summary="Where the result of my case is",
        description="How the result comes, where it is (the EMS tracking, the pick-up code) and when it was served. "
        "404 until a way was chosen or the result is ready.",
        responses={200: DeliverySerializer, 403: ERRORS[403], 404: ERRORS[404]},
        tags=["delivery"],
    )
    def get(self, request: Request, public_id: str) -> Response:
        case = case_queries.access_case_for_applicant(request.user, str(public_id))
        delivery = queries.delivery_of_case(case)
        if delivery is None:
            raise exceptions.NotFound(_("还没有选择送达方式，结果也尚未办结。"))
        return Response(DeliverySerializer(delivery).data)

    @extend_schema(
        summary="Choose how the result of my case comes",
        description="window, ems (with the address: recipient, phone, a county-level GB/T 2260 region code, the "
        "street address) or electronic, from what the item allows; until the result is ready, or again after a "
        "parcel came back (then it is sent again at once).",
        request=ChoiceSerializer,
        responses={200: DeliverySerializer, **ERRORS},
        tags=["delivery"],
    )
    def post(self, request: Request, public_id: str) -> Response:
        case = case_queries.access_case_for_applicant(request.user, str(public_id))
        serializer = ChoiceSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        method = data.pop("method")
        delivery = actions.choose(case, applicant=_user(request), method=method, address=actions.Address(**data))
        return Response(DeliverySerializer(queries.delivery_of_case(delivery.case)).data)


class MyCasePickupView(PlatformAPIView):
    permission_classes = [IsApplicant]
    parser_classes = [JSONParser]

    @extend_schema(
        summary="Book EMS to collect my case's paper materials",
        description="Where the item allows post and while the case is handled: a courier collects the paper "
        "materials at the address on a working day within the next 10 (the bureau pays the postage). One "
        "open pick-up at a time (409 otherwise). Answers the case's delivery, with the pick-up among its waybills.",
        request=PickupSerializer,
        responses={201: DeliverySerializer, **ERRORS},
        tags=["delivery"],
    )
    def post(self, request: Request, public_id: str) -> Response:
        case = case_queries.access_case_for_applicant(request.user, str(public_id))
        serializer = PickupSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        on = data.pop("pickup_on").isoformat()
        shipment = actions.book_pickup(case, applicant=_user(request), address=actions.Address(**data), on=on)
        return Response(DeliverySerializer(queries.delivery_of_case(shipment.delivery.case)).data, status=201)


class DeskDeliveriesView(PlatformAPIView):
    permission_classes = [IsVerifiedStaff]

    @extend_schema(
        summary="Results waiting for a person",
        description="One pile of the staff member's units: to_send (labels to print), to_collect, trouble "
        "(returned, refused, exceptions, EMS unreachable) or in_transit; oldest first, at most 300.",
        parameters=[OpenApiParameter("pile", str, enum=list(queries.PILES), default="to_send")],
        responses={200: StaffDeliverySerializer(many=True), 400: ERRORS[400], 403: ERRORS[403]},
        tags=["delivery (desk)"],
    )
    def get(self, request: Request) -> Response:
        name = request.query_params.get("pile", "to_send")
        if name not in queries.PILES:
            raise exceptions.ValidationError({"pile": [_("没有这个分类。")]})
        return Response(StaffDeliverySerializer(queries.pile(_user(request), name)[:300], many=True).data)


class HandOverView(PlatformAPIView):
    permission_classes = [IsVerifiedStaff]
    parser_classes = [JSONParser]

    @extend_schema(
        summary="Hand a result over at the window",
        description="Against its 8-digit pick-up code and the collector's ID number: the applicant in person, or "
        "a proxy with the applicant's authorisation checked. Records the time of service.",
        request=HandOverSerializer,
        responses={
            200: StaffDeliverySerializer,
            400: ERRORS[400],
            403: ERRORS[403],
            404: OpenApiResponse(
                ErrorSerializer,
                description="no result waits under this code in the caller's units (wrong, or collected already)",
            ),
        },  # fmt: skip
        tags=["delivery (desk)"],
    )
    def post(self, request: Request) -> Response:
        serializer = HandOverSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        code = data.pop("pickup_code")
        try:
            delivery = actions.hand_over(code, actions.Collector(**data), actor=_user(request))
        except ValidationError as exc:
            if "pickup_code" in getattr(exc, "message_dict", {}):  # no result waits under this code here
                raise exceptions.NotFound(exc.message_dict["pickup_code"][0]) from exc
            raise
        return Response(StaffDeliverySerializer(delivery).data)
