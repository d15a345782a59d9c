"""The API of 政务公开: published entries (anyone), disclosure requests (submit and follow, throttled)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import permissions
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils.translation import gettext as _

from govhall.audit.actions import client_ip
from govhall.identity.permissions import IsVerifiedStaff
from govhall.lib.api import ErrorSerializer, PlatformAPIView
from govhall.lib.errors import Conflict
from govhall.lib.ratelimit import over_limit
from govhall.publicinfo import actions, queries
from govhall.publicinfo.api.serializers import (
    AnswerInSerializer,
    DeskRequestSerializer,
    EntryDetailSerializer,
    EntryFilterSerializer,
    EntrySummarySerializer,
    ExtendInSerializer,
    FollowInSerializer,
    RequestInSerializer,
    RequestReceiptSerializer,
    RequestStatusSerializer,
)
from govhall.publicinfo.models import DisclosureRequest

TAGS = ["publicinfo"]
API_LIST_LIMIT = 200


def requests_per_hour() -> int:
    return int(settings.PUBLICINFO_REQUESTS_PER_HOUR)


def follows_per_minute() -> int:
    return int(settings.PUBLICINFO_FOLLOWS_PER_MINUTE)


class RequestThrottle(BaseThrottle):
    def allow_request(self, request: Any, view: Any) -> bool:
        return not over_limit(f"publicinfo-request:{client_ip(request._request)}", requests_per_hour(), 3600)

    def wait(self) -> float:
        return 3600.0


class FollowThrottle(BaseThrottle):
    def allow_request(self, request: Any, view: Any) -> bool:
        return not over_limit(f"publicinfo-follow:{client_ip(request._request)}", follows_per_minute())

    def wait(self) -> float:
        return 60.0


class EntryListView(PlatformAPIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(
        parameters=[EntryFilterSerializer],
        responses=EntrySummarySerializer(many=True),
        summary="Published public information, newest first",
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        filters = EntryFilterSerializer(data=request.query_params.dict())  # "kind=" is refused, not ignored
        filters.is_valid(raise_exception=True)
        kind = filters.validated_data.get("kind")  # an unknown kind was refused above (400)
        entries = queries.published().order_by("-published_on", "-pk")
        if kind:
            entries = entries.filter(kind=kind)
        return Response(EntrySummarySerializer(entries[:API_LIST_LIMIT], many=True).data)


class EntryDetailView(PlatformAPIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(
        responses=EntryDetailSerializer, summary="One version of an entry (published or historical)", tags=TAGS
    )
    def get(self, request: Request, public_id: str) -> Response:
        return Response(EntryDetailSerializer(queries.get_public_entry(public_id)).data)


class SubmitRequestView(PlatformAPIView):
    permission_classes = [permissions.AllowAny]
    throttle_classes = [RequestThrottle]

    @extend_schema(
        request=RequestInSerializer,
        responses={
            201: RequestReceiptSerializer,
            400: OpenApiResponse(
                ErrorSerializer, description="a field is missing or wrong (said per field, in Chinese)"
            ),
        },
        summary="File a disclosure request (依申请公开); the query code is returned once",
        tags=TAGS,
    )
    def post(self, request: Request) -> Response:
        body = RequestInSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        filed, code = actions.submit_request(**body.validated_data, user=request.user)
        receipt = {"number": filed.number, "query_code": code, "due_on": filed.due_on}
        return Response(RequestReceiptSerializer(receipt).data, status=201, headers={"Cache-Control": "no-store"})


class FollowRequestView(PlatformAPIView):
    permission_classes = [permissions.AllowAny]
    throttle_classes = [FollowThrottle]

    @extend_schema(
        request=FollowInSerializer,
        responses={
            200: RequestStatusSerializer,
            404: OpenApiResponse(ErrorSerializer, description="no request with this number and query code"),
        },
        summary="Follow a disclosure request by its number and query code",
        tags=TAGS,
    )
    def post(self, request: Request) -> Response:
        body = FollowInSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        found = queries.find_request(body.validated_data["number"], body.validated_data["code"])
        if found is None:
            raise Http404
        return Response(RequestStatusSerializer(found).data, headers={"Cache-Control": "no-store"})


# The desk: disclosure requests to answer (those who handle them) ----------------------------------

DESK_TAGS = ["publicinfo (desk)"]
DESK_ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="bad input; nothing changed"),
    403: OpenApiResponse(ErrorSerializer, description="not logged in, or not one who handles disclosure requests"),
    404: OpenApiResponse(ErrorSerializer, description="no such request"),
    409: OpenApiResponse(ErrorSerializer, description="answered already, or a third party is being consulted"),
}


def _handler(request: Request) -> Any:
    if not queries.can_handle_requests(request.user):
        raise PermissionDenied(_("只有政务公开工作人员可以办理公开申请。"))
    return request.user


def _found(request: Request, public_id: Any) -> DisclosureRequest:
    """The request, for those who handle requests; "not found" for anyone else, as for one that does not exist."""
    found = DisclosureRequest.objects.filter(public_id=public_id).first()
    if found is None or not queries.can_handle_requests(request.user):
        raise Http404
    return found


def _state_conflict(error: ValidationError) -> None:
    """An answer to an answered request, or during a consultation, is a conflict with its state (409)."""
    if getattr(error, "code", None) in {"answered", "consulting", "extended"}:
        raise Conflict(error.messages[0], code=error.code) from error
    raise error


class DeskRequestListView(PlatformAPIView):
    permission_classes = [IsVerifiedStaff]

    @extend_schema(
        summary="Disclosure requests waiting for an answer",
        description="Every request not answered yet, the nearest deadline first (at most 200).",
        responses={200: DeskRequestSerializer(many=True), 403: DESK_ERRORS[403]},
        tags=DESK_TAGS,
    )
    def get(self, request: Request) -> Response:
        _handler(request)
        return Response(DeskRequestSerializer(queries.open_requests()[:API_LIST_LIMIT], many=True).data)


class DeskRequestAnswerView(PlatformAPIView):
    permission_classes = [IsVerifiedStaff]
    parser_classes = [JSONParser]

    @extend_schema(
        summary="Answer a disclosure request",
        description="One of the answers the regulation names; the answer letter is made from it. 补正 (correction) "
        "asks the requester to correct the request and stops the clock.",
        request=AnswerInSerializer,
        responses={200: DeskRequestSerializer, **DESK_ERRORS},
        tags=DESK_TAGS,
    )
    def post(self, request: Request, public_id: Any) -> Response:
        found = _found(request, public_id)
        user = request.user
        given = AnswerInSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        try:
            answered = actions.answer_request(found, actor=user, **given.validated_data)
        except ValidationError as error:
            _state_conflict(error)
        return Response(DeskRequestSerializer(answered).data)


class DeskRequestExtendView(PlatformAPIView):
    permission_classes = [IsVerifiedStaff]
    parser_classes = [JSONParser]

    @extend_schema(
        summary="Extend a disclosure request's deadline once",
        description="By 20 working days, once, with the reason (the requester is told).",
        request=ExtendInSerializer,
        responses={200: DeskRequestSerializer, **DESK_ERRORS},
        tags=DESK_TAGS,
    )
    def post(self, request: Request, public_id: Any) -> Response:
        found = _found(request, public_id)
        user = request.user
        given = ExtendInSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        try:
            extended = actions.extend_request(found, actor=user, reason=given.validated_data["reason"])
        except ValidationError as error:
            _state_conflict(error)
        return Response(DeskRequestSerializer(extended).data)
