"""Ratings API: the applicant rates their closed case and lists their ratings; staff list their units' ratings.

Errors have the platform's one shape, ``{"errors": …}``: 400 bad input, 403 not allowed, 404
a case that does not exist or is not the caller's (alike), 409 when the case or the ratings
already given do not allow it (not closed yet, a second first rating). Authentication is the
session of the workspace or desk login; a write carries the session's CSRF token.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, permissions, status
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response

from govhall.identity.models import User
from govhall.identity.permissions import IsApplicant, IsVerifiedStaff
from govhall.lib.api import ErrorSerializer, PlatformAPIView, StrictPageNumberPagination
from govhall.ratings import actions, queries
from govhall.ratings.api.serializers import (
    RateCaseSerializer,
    RatingSerializer,
    ReasonSerializer,
    StaffFilterSerializer,
    StaffRatingSerializer,
)

ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="bad input; nothing changed"),
    403: OpenApiResponse(ErrorSerializer, description="not logged in, or the user may not do this"),
    404: OpenApiResponse(ErrorSerializer, description="no such case, or not one of the caller's"),
    409: OpenApiResponse(
        ErrorSerializer, description="the case is not closed yet, or this rating was already given; nothing changed"
    ),
}


def _errors_of(*codes: int) -> dict[int, OpenApiResponse]:
    return {code: ERRORS[code] for code in codes}


def _user(request: Request) -> User:
    assert isinstance(request.user, User)
    return request.user


class ReasonListView(PlatformAPIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(
        summary="Reasons for a bad rating",
        description="The reasons a rater chooses from for a 不满意 or 非常不满意 rating (the list is data).",
        responses={200: ReasonSerializer(many=True)},
        tags=["ratings"],
    )
    def get(self, request: Request) -> Response:
        return Response(ReasonSerializer(queries.list_reasons(), many=True).data)


class MyRatingListView(PlatformAPIView, generics.ListAPIView):
    permission_classes = [IsApplicant]
    serializer_class = RatingSerializer
    pagination_class = StrictPageNumberPagination

    def get_queryset(self) -> Any:
        return queries.list_ratings_of_applicant(self.request.user).select_related("rectification")

    @extend_schema(
        summary="My ratings",
        description="The ratings the applicant gave (and the default ratings of their cases), newest first.",
        responses={200: RatingSerializer(many=True), **_errors_of(403)},
        tags=["ratings"],
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class RateCaseView(PlatformAPIView):
    permission_classes = [IsApplicant]
    parser_classes = [JSONParser]

    @extend_schema(
        summary="Rate my closed case",
        description=(
            "一事一评: the applicant rates their own case once it is closed, with the level, the online "
            "indicators, the reasons of a bad rating and free text; `is_follow_up` gives the one follow-up "
            "(追加) rating after a first one. A bad rating opens a rectification (差评整改). A case not closed "
            "yet, or a second first (or follow-up) rating, answers 409 and changes nothing."
        ),
        request=RateCaseSerializer,
        responses={201: RatingSerializer, **_errors_of(400, 403, 404, 409)},
        tags=["ratings"],
    )
    def post(self, request: Request, public_id: str) -> Response:
        case = queries.access_case_for_rating(request.user, str(public_id))
        serializer = RateCaseSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        rating = actions.rate_case(
            case,
            rater=_user(request),
            level=data["level"],
            indicator_scores=data.get("indicator_scores") or {},
            reason_codes=data["reasons"],
            comment=data["comment"],
            is_follow_up=data["is_follow_up"],
        )
        return Response(RatingSerializer(rating).data, status=status.HTTP_201_CREATED)


class StaffRatingListView(PlatformAPIView, generics.ListAPIView):
    permission_classes = [IsVerifiedStaff]
    serializer_class = StaffRatingSerializer
    pagination_class = StrictPageNumberPagination

    def get_queryset(self) -> Any:
        filters = StaffFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        return (
            queries.list_ratings_for_staff(self.request.user, bad_only=filters.validated_data["bad"])
            .select_related("rectification")
            .prefetch_related("reasons")
        )

    def paginate_queryset(self, queryset: Any) -> Any:
        page = super().paginate_queryset(queryset)
        self.shown_in_full = queries.shown_in_full(self.request.user, list(page or []))
        return page

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "shown_in_full": getattr(self, "shown_in_full", set())}

    @extend_schema(
        summary="Ratings of my units",
        description=(
            "The ratings of the units where the staff member holds a business role, newest first. Who rated "
            "is never shown here (only the handler of a rectification sees it, on the desk)."
        ),
        parameters=[StaffFilterSerializer],
        responses={200: StaffRatingSerializer(many=True), **_errors_of(400, 403)},
        tags=["ratings (desk)"],
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)
