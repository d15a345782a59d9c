"""Catalog API: public read of published guides; staff import, submit and publish."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError
from django.http import Http404

from govhall.catalog import actions, exchange, queries
from govhall.catalog.api.serializers import (
    GuideSummarySerializer,
    ImportReportSerializer,
    IndicatorSerializer,
    ProblemSerializer,
    PublishSerializer,
)
from govhall.identity.queries import is_second_factor_verified, is_staff_desk_user


class IsVerifiedStaff(permissions.BasePermission):
    """A staff member whose session passed the second factor (or the development skip)."""

    message = "staff login with second factor required"

    def has_permission(self, request: Request, view: Any) -> bool:
        from django.conf import settings

        user = request.user
        return is_staff_desk_user(user) and (settings.STAFF_2FA_SKIP or is_second_factor_verified(user))


FILTERS = [
    OpenApiParameter("q", str, description="search words (Chinese, typo tolerant)"),
    OpenApiParameter("department", str, description="department code"),
    OpenApiParameter("audience", str, enum=["personal", "enterprise"]),
    OpenApiParameter("theme", str),
    OpenApiParameter("type", str, description="item type code (01 行政许可 …)"),
]


class GuideListView(APIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(parameters=FILTERS, responses=GuideSummarySerializer(many=True), summary="Published guides")
    def get(self, request: Request) -> Response:
        params = request.query_params
        query = params.get("q", "").strip()[:100]
        guides = (
            queries.search_guides(query)
            if query
            else queries.list_guides(
                department=params.get("department", ""),
                audience=params.get("audience", ""),
                theme=params.get("theme", ""),
                item_type=params.get("type", ""),
            )
        )
        return Response(GuideSummarySerializer(guides, many=True).data)


class GuideDetailView(APIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(responses=OpenApiTypes.OBJECT, summary="One guide in the national exchange field names")
    def get(self, request: Request, public_id: str) -> Response:
        version = queries.get_guide(public_id)
        body = exchange.export_version(version)
        body["ONLINE_LEVEL"] = version.online_level
        return Response(body)


class IndicatorView(APIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(responses=IndicatorSerializer(many=True), summary="Share of items at online level III+ and IV")
    def get(self, request: Request) -> Response:
        rows = [
            {
                "department": row.department or "total",
                "items": row.items,
                "level_iii_or_above": row.level_iii_or_above,
                "level_iv": row.level_iv,
                "share_iii": round(row.share_iii, 4),
                "share_iv": round(row.share_iv, 4),
            }
            for row in queries.online_level_indicators()
        ]
        return Response(IndicatorSerializer(rows, many=True).data)


class ImportView(APIView):
    permission_classes = [IsVerifiedStaff]

    @extend_schema(
        request=OpenApiTypes.OBJECT,
        responses={200: ImportReportSerializer, 400: ProblemSerializer(many=True)},
        summary="Import an exchange document as drafts (all or nothing)",
    )
    def post(self, request: Request) -> Response:
        if not queries.can_edit_catalog(request.user):
            return Response({"detail": "content editor role required"}, status=status.HTTP_403_FORBIDDEN)
        try:
            report = exchange.import_exchange(request.data, actor=request.user)
        except exchange.ImportFailed as failed:
            return Response(
                ProblemSerializer([p.__dict__ for p in failed.problems], many=True).data,
                status=status.HTTP_400_BAD_REQUEST,
            )
        return Response(ImportReportSerializer(report.__dict__).data)


class VersionActionView(APIView):
    permission_classes = [IsVerifiedStaff]

    @extend_schema(request=PublishSerializer, responses={200: GuideSummarySerializer}, summary="submit or publish")
    def post(self, request: Request, public_id: str, action: str) -> Response:
        try:
            version = queries.access_version_for_staff(request.user, public_id)
        except Http404:
            return Response({"detail": "not found"}, status=status.HTTP_404_NOT_FOUND)
        serializer = PublishSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            if action == "submit":
                version = actions.submit_version(version, actor=request.user)
            elif action == "publish":
                version = actions.publish_version(
                    version,
                    actor=request.user,
                    effective_from=serializer.validated_data.get("effective_from"),
                )
            else:
                return Response({"detail": "unknown action"}, status=status.HTTP_404_NOT_FOUND)
        except actions.PublicationRefused as refused:
            return Response(
                {
                    "detail": "publication refused",
                    "problems": [{"rule": p.rule, "message": p.message} for p in refused.problems],
                },
                status=status.HTTP_409_CONFLICT,
            )
        except DjangoPermissionDenied as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_403_FORBIDDEN)
        except ValidationError as exc:
            return Response({"detail": exc.messages}, status=status.HTTP_409_CONFLICT)
        return Response(GuideSummarySerializer(version).data)
