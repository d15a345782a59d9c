"""Complaints API: anyone files a complaint and follows it with its query code; staff list their units'.

Errors have the platform's one shape, ``{"errors": …}`` (lib.api). Filing is anonymous and
throttled per address (the same count as the portal form); following is throttled too, so a
query code cannot be guessed by trying.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, generics, permissions, status
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle

from django.utils.translation import gettext as _

from govhall.audit.actions import client_ip
from govhall.catalog.models import ServiceItem
from govhall.complaints import actions, queries
from govhall.complaints.api.serializers import (
    FollowedComplaintSerializer,
    FollowSerializer,
    OrderSerializer,
    ReplySerializer,
    StaffComplaintSerializer,
    SubmitComplaintSerializer,
    SubmittedSerializer,
)
from govhall.complaints.constants import ANONYMOUS_COMPLAINTS_PER_HOUR, ComplaintChannel
from govhall.complaints.models import Complaint
from govhall.identity.constants import UserKind
from govhall.identity.models import Department, User
from govhall.identity.permissions import IsVerifiedStaff
from govhall.lib.api import ErrorSerializer, PlatformAPIView, StrictPageNumberPagination
from govhall.lib.ratelimit import over_limit

FOLLOW_LIMIT_PER_MINUTE = 10
TAGS = ["complaints"]


def _applicant(request: Request) -> User | None:
    user = request.user
    return user if isinstance(user, User) and user.is_authenticated and user.kind == UserKind.APPLICANT else None


class ComplaintThrottle(BaseThrottle):
    """Anonymous complaints per address, counted with the portal form's counter."""

    def allow_request(self, request: Any, view: Any) -> bool:
        if request.method != "POST" or _applicant(request) is not None:
            return True
        return not over_limit(f"complaint-rate:{client_ip(request._request)}", ANONYMOUS_COMPLAINTS_PER_HOUR, 3600)

    def wait(self) -> float:
        return 3600.0


class FollowThrottle(BaseThrottle):
    def allow_request(self, request: Any, view: Any) -> bool:
        return not over_limit(f"complaint-follow-api:{client_ip(request._request)}", FOLLOW_LIMIT_PER_MINUTE)

    def wait(self) -> float:
        return 60.0


class SubmitComplaintView(PlatformAPIView):
    permission_classes = [permissions.AllowAny]
    throttle_classes = [ComplaintThrottle]
    parser_classes = [JSONParser]

    @extend_schema(
        summary="File a complaint (投诉举报)",
        description=(
            "Anyone may file, anonymously or named (a logged-in applicant's complaint is linked to the account). "
            "The answer gives the tracking number and the query code, once: keep them to follow the complaint. "
            "Anonymous complaints are limited per address (429)."
        ),
        request=SubmitComplaintSerializer,
        responses={
            201: SubmittedSerializer,
            400: OpenApiResponse(ErrorSerializer, description="bad input; nothing changed"),
            404: OpenApiResponse(ErrorSerializer, description="no such unit or item"),
        },
        tags=TAGS,
    )
    def post(self, request: Request) -> Response:
        serializer = SubmitComplaintSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        applicant = _applicant(request)
        department = None
        if data["about_department"]:
            department = Department.objects.filter(code=data["about_department"], is_active=True).first()
            if department is None:
                raise exceptions.NotFound(_("没有这个单位。"))
        item = ServiceItem.objects.filter(public_id=data["item"]).first() if data["item"] else None
        if data["item"] and item is None:
            raise exceptions.NotFound(_("没有这个事项。"))
        complaint, code = actions.submit_complaint(
            kind=data["kind"],
            title=data["title"],
            content=data["content"],
            channel=ComplaintChannel.WORKSPACE if applicant else ComplaintChannel.PORTAL,
            complainant=applicant,
            # As on the portal: named needs a name or an account, else it is anonymous:
            is_anonymous=data["is_anonymous"] or (applicant is None and not data["name"].strip()),
            name=data["name"],
            phone=data["phone"],
            email=data["email"],
            about_department=department,
            about_staff_text=data["about_staff_text"],
            item=item,
            # Counted by the throttle already:
            address=None,
        )
        body = {"tracking_number": complaint.tracking_number, "query_code": code, "status": complaint.status}
        return Response(SubmittedSerializer(body).data, status=status.HTTP_201_CREATED)


PUBLIC_EVENTS = {
    "submitted",
    "accepted",
    "rejected",
    "assigned",
    "answered",
    "closed",
    "reopened",
    "extension_approved",
}


def followed_body(complaint: Complaint) -> dict[str, Any]:
    events = complaint.events.filter(kind__in=PUBLIC_EVENTS)
    return {
        "tracking_number": complaint.tracking_number,
        "kind": complaint.kind,
        "title": complaint.title,
        "status": complaint.status,
        "status_label": complaint.get_status_display(),
        "department": complaint.department.name,
        "due_on": complaint.due_on,
        "reject_reason": complaint.reject_reason,
        "answer": complaint.answer,
        "answered_at": complaint.answered_at,
        "satisfaction": complaint.satisfaction,
        "events": [{"kind": e.kind, "label": e.get_kind_display(), "at": e.created_at} for e in events],
    }


class FollowComplaintView(PlatformAPIView):
    permission_classes = [permissions.AllowAny]
    throttle_classes = [FollowThrottle]
    parser_classes = [JSONParser]

    @extend_schema(
        summary="Follow a complaint with its tracking number and query code",
        description="A wrong number and a wrong code answer the same 404.",
        request=FollowSerializer,
        responses={
            200: FollowedComplaintSerializer,
            404: OpenApiResponse(ErrorSerializer, description="no complaint with this number and code"),
        },
        tags=TAGS,
    )
    def post(self, request: Request) -> Response:
        serializer = FollowSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        complaint = queries.find_complaint_by_query_code(
            serializer.validated_data["tracking_number"], serializer.validated_data["query_code"]
        )
        if complaint is None:
            return Response({"errors": [_("投诉编号或查询码不正确，请核对后重新输入。")]}, status=404)
        return Response(FollowedComplaintSerializer(followed_body(complaint)).data)


class StaffComplaintListView(PlatformAPIView, generics.ListAPIView):
    permission_classes = [IsVerifiedStaff]
    serializer_class = StaffComplaintSerializer
    pagination_class = StrictPageNumberPagination

    def get_queryset(self) -> Any:
        return queries.list_complaints_for(self.request.user).order_by("-submitted_at", "-pk")

    @extend_schema(
        summary="Complaints of my units",
        description="The complaints of the units where the staff member holds a role, and below; newest first.",
        tags=TAGS,
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class StaffComplaintDetailView(PlatformAPIView):
    permission_classes = [IsVerifiedStaff]

    @extend_schema(summary="One complaint of my units", responses=StaffComplaintSerializer, tags=TAGS)
    def get(self, request: Request, public_id: str) -> Response:
        return Response(StaffComplaintSerializer(queries.access_complaint_for(request.user, public_id)).data)


class OrderListView(PlatformAPIView, generics.ListAPIView):
    permission_classes = [IsVerifiedStaff]
    serializer_class = OrderSerializer
    pagination_class = StrictPageNumberPagination

    def get_queryset(self) -> Any:
        return queries.list_orders_for(self.request.user).select_related("case").order_by("-raised_at", "-pk")

    @extend_schema(
        summary="Supervision orders (督办)",
        description="A supervisor sees every order of the units under them; a unit's staff see their unit's.",
        tags=["supervision"],
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class OrderReplyView(PlatformAPIView):
    permission_classes = [IsVerifiedStaff]
    parser_classes = [JSONParser]

    @extend_schema(
        summary="Reply to a supervision order",
        description=(
            "The unit's reply (any business role in the unit or above it); evidence files are uploaded on the "
            "desk page. A reply to a closed or already-replied order answers 409; another unit's order 404."
        ),
        request=ReplySerializer,
        responses={
            200: OrderSerializer,
            409: OpenApiResponse(ErrorSerializer, description="the order's status does not allow a reply now"),
        },
        tags=["supervision"],
    )
    def post(self, request: Request, public_id: str) -> Response:
        order = queries.access_order_for(request.user, public_id)
        serializer = ReplySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = request.user
        assert isinstance(user, User)
        order = actions.reply_to_order(order, actor=user, reply=serializer.validated_data["reply"])
        return Response(OrderSerializer(order).data)


class OrderDetailView(PlatformAPIView):
    permission_classes = [IsVerifiedStaff]

    @extend_schema(summary="One supervision order", responses=OrderSerializer, tags=["supervision"])
    def get(self, request: Request, public_id: str) -> Response:
        order = queries.access_order_for(request.user, public_id)
        return Response(OrderSerializer(order).data)
