"""Hall API: halls and their free slots, bookings (the provincial app or a WeChat page books for its
user), a ticket's place in the queue, and a board's data. The same actions as the pages.

Errors have the platform's one shape, ``{"errors": …}``: 400 bad input, 403 not allowed, 404 a
hall, booking or ticket that does not exist or is not the caller's (alike), 409 when it does not
allow it now (the slot full, a second booking that day, a hold that ran out), 429 too many.
"""

from __future__ import annotations

import datetime

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, permissions
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response

from django.conf import settings
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from govhall.audit.actions import client_ip
from govhall.catalog.models import ServiceItem
from govhall.halls import actions, queries
from govhall.halls.api.serializers import (
    BoardSerializer,
    BookingSerializer,
    HallSerializer,
    HoldSerializer,
    SlotsSerializer,
    TicketStateSerializer,
)
from govhall.halls.constants import BookingChannel, TicketStatus
from govhall.halls.models import Hall, Ticket
from govhall.identity.models import User
from govhall.identity.permissions import IsApplicant
from govhall.lib.api import ErrorSerializer, PlatformAPIView
from govhall.lib.errors import Conflict
from govhall.lib.ratelimit import over_limit

ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="bad input; nothing changed"),
    403: OpenApiResponse(ErrorSerializer, description="not logged in as an applicant"),
    404: OpenApiResponse(ErrorSerializer, description="no such hall, item or booking, or not the caller's"),
    409: OpenApiResponse(ErrorSerializer, description="not possible now (slot full, already booked that day, …)"),
    429: OpenApiResponse(ErrorSerializer, description="too many booking attempts; try again later"),
}


def _user(request: Request) -> User:
    assert isinstance(request.user, User)
    return request.user


def _hall(code: str) -> Hall:
    hall = Hall.objects.filter(code=code, is_active=True).first()
    if hall is None:
        raise Http404
    return hall


class HallsView(PlatformAPIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(
        summary="The service halls and their queues",
        description="Every open hall (district centre, street and community stations) with its opening hours "
        "on working days and the items each queue takes.",
        responses={200: HallSerializer(many=True)},
        tags=["halls"],
    )
    def get(self, request: Request) -> Response:
        halls = Hall.objects.filter(is_active=True).prefetch_related("queues__items")
        return Response(HallSerializer(halls, many=True).data)


class SlotsView(PlatformAPIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(
        summary="Free places of a hall for an item",
        description="The bookable working days with their free places, and the slots of one day (the first "
        "day with a free place unless ``day`` is given).",
        parameters=[
            OpenApiParameter(
                "item", str, required=True, pattern=r"^[0-9A-Z]{1,31}$", description="the item's implementation code"
            ),
            OpenApiParameter("day", datetime.date, required=False, description="YYYY-MM-DD"),
        ],  # fmt: skip
        responses={200: SlotsSerializer, 404: ERRORS[404]},
        tags=["halls"],
    )
    def get(self, request: Request, code: str) -> Response:
        hall = _hall(code)
        item = ServiceItem.objects.filter(implementation_code=request.query_params.get("item", "")).first()
        if item is None or not queries.booking_capacity(hall, item):
            raise exceptions.NotFound(_("该大厅不办理此事项。"))
        days = queries.bookable_days(hall)
        free = queries.free_places_by_day(hall, item, days)
        chosen = request.query_params.get("day", "")
        day = next((d for d in days if d.isoformat() == chosen), None) or next((d for d in days if free[d]), None)
        slots = queries.list_slots(hall, item, day) if day else []
        return Response(
            SlotsSerializer(
                {
                    "hall": hall.code,
                    "item": item.implementation_code,
                    "days": [{"day": d, "free": free[d]} for d in days],
                    "day": day,
                    "slots": [
                        {"starts_at": s.starts_at, "ends_at": s.ends_at, "capacity": s.capacity, "free": s.free}
                        for s in slots
                    ],
                }
            ).data
        )


class BoardView(PlatformAPIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(
        summary="What a hall's display board shows",
        description="The latest calls (ticket and window), the waiting count and estimated wait per queue, the "
        "hall's notice. No personal data.",
        responses={200: BoardSerializer, 404: ERRORS[404]},
        tags=["halls"],
    )
    def get(self, request: Request, code: str) -> Response:
        return Response(BoardSerializer(queries.board_state(_hall(code))).data)


class TicketView(PlatformAPIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(
        summary="Where a queue ticket is",
        description="Status, people ahead and the estimated wait of a ticket, by the id in its QR code.",
        responses={200: TicketStateSerializer, 404: ERRORS[404]},
        tags=["halls"],
    )
    def get(self, request: Request, public_id: str) -> Response:
        ticket = Ticket.objects.select_related("hall", "queue", "window").filter(public_id=public_id).first()
        if ticket is None:
            raise Http404
        ahead, minutes = queries.ticket_position(ticket)
        return Response(
            TicketStateSerializer(
                {
                    "public_id": ticket.public_id,
                    "number": ticket.number,
                    "hall": ticket.hall.code,
                    "queue": ticket.queue.name,
                    "status": ticket.status,
                    "status_label": ticket.get_status_display(),
                    "window": ticket.window.number if ticket.window else None,
                    "ahead": ahead,
                    "estimated_minutes": minutes,
                    "is_near": ticket.status == TicketStatus.WAITING and ahead < ticket.hall.near_turn_ahead,
                    "arrived_at": ticket.arrived_at,
                }
            ).data
        )


class BookingsView(PlatformAPIView):
    permission_classes = [IsApplicant]
    parser_classes = [JSONParser]

    @extend_schema(summary="My bookings", responses={200: BookingSerializer(many=True), 403: ERRORS[403]},
                   tags=["halls"])  # fmt: skip
    def get(self, request: Request) -> Response:
        return Response(BookingSerializer(queries.active_bookings_for(_user(request))[:100], many=True).data)

    @extend_schema(
        summary="Hold a slot",
        description="Holds a place for the caller (their own ID number) for the hall's hold time; confirm it "
        "with …/confirm/ before then. Rules: a working day in the booking window, a slot of that day at least "
        "the hall's lead time ahead, one booking per person, item and day, no block for repeated no-shows.",
        request=HoldSerializer,
        responses={201: BookingSerializer, **ERRORS},
        tags=["halls"],
    )
    def post(self, request: Request) -> Response:
        user = _user(request)
        if over_limit(f"halls:book:user:{user.pk}", settings.HALLS_BOOKINGS_PER_PERSON_PER_HOUR, 3600) or over_limit(
            f"halls:book:ip:{client_ip(request)}", settings.HALLS_BOOKINGS_PER_ADDRESS_PER_HOUR, 3600
        ):
            raise exceptions.Throttled(detail=_("一小时内预约操作太多次，请稍后再试。"))
        serializer = HoldSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        hall = _hall(data["hall"])
        item = ServiceItem.objects.filter(implementation_code=data["item"]).first()
        if item is None:
            raise Http404
        if user.person is None:
            raise Conflict(_("请先完成实名认证后再预约。"))
        booking = actions.hold_booking(
            hall, item, timezone.localtime(data["starts_at"]), person=user.person, account=user,
            channel=BookingChannel.API,
        )  # fmt: skip
        return Response(BookingSerializer(booking).data, status=201)


class BookingView(PlatformAPIView):
    permission_classes = [IsApplicant]
    parser_classes = [JSONParser]

    @extend_schema(summary="One of my bookings", responses={200: BookingSerializer, 403: ERRORS[403],
                   404: ERRORS[404]}, tags=["halls"])  # fmt: skip
    def get(self, request: Request, public_id: str) -> Response:
        return Response(BookingSerializer(queries.access_booking_for(_user(request), public_id)).data)


class BookingActionView(PlatformAPIView):
    permission_classes = [IsApplicant]
    parser_classes = [JSONParser]
    operation = ""

    @extend_schema(
        summary="Confirm or cancel my booking",
        description="confirm: a held booking becomes booked and gets its code (again: no change). cancel: before "
        "the slot; the place is free for others only after the hall's release time.",
        request=None,
        responses={200: BookingSerializer, 403: ERRORS[403], 404: ERRORS[404], 409: ERRORS[409]},
        tags=["halls"],
    )
    def post(self, request: Request, public_id: str) -> Response:
        user = _user(request)
        booking = queries.access_booking_for(user, public_id)
        if self.operation == "confirm":
            booking = actions.confirm_booking(booking, account=user)
        else:
            booking = actions.cancel_booking(booking, actor=user)
        return Response(BookingSerializer(booking).data)
