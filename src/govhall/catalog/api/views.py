"""Catalog API: public read of published guides; staff import, submit and publish.

Errors have the platform's body (``lib.api``): ``{"errors": …}``; a refused import or
publication adds ``problems``, each with its row and field or its rule.
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import permissions, status
from rest_framework.request import Request
from rest_framework.response import Response

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils.translation import gettext as _

from govhall.catalog import actions, exchange, queries
from govhall.catalog.api.serializers import (
    GuideFilterSerializer,
    GuideSummarySerializer,
    ImportRefusalSerializer,
    ImportReportSerializer,
    IndicatorSerializer,
    PublicationRefusalSerializer,
    PublishSerializer,
)
from govhall.identity.permissions import IsVerifiedStaff
from govhall.lib.api import PlatformAPIView


class GuideListView(PlatformAPIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(
        parameters=[GuideFilterSerializer], responses=GuideSummarySerializer(many=True), summary="Published guides"
    )
    def get(self, request: Request) -> Response:
        filters = GuideFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        data = filters.validated_data
        query = data["q"].strip()
        guides = (
            queries.search_guides(query)
            if query
            else queries.list_guides(
                department=data["department"],
                audience=data.get("audience", ""),
                theme=data["theme"],
                item_type=data["type"],
            )
        )
        return Response(GuideSummarySerializer(guides, many=True).data)


class GuideDetailView(PlatformAPIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(responses=OpenApiTypes.OBJECT, summary="One guide in the national exchange field names")
    def get(self, request: Request, public_id: str) -> Response:
        version = queries.get_guide(public_id)
        body = exchange.export_version(version)
        body["ONLINE_LEVEL"] = version.online_level
        return Response(body)


class IndicatorView(PlatformAPIView):
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


class ImportView(PlatformAPIView):
    permission_classes = [IsVerifiedStaff]

    @extend_schema(
        request=OpenApiTypes.OBJECT,
        responses={
            200: ImportReportSerializer,
            400: OpenApiResponse(ImportRefusalSerializer, description="nothing imported: every problem found"),
        },
        summary="Import an exchange document as drafts (all or nothing)",
    )
    def post(self, request: Request) -> Response:
        if not queries.can_edit_catalog(request.user):
            raise PermissionDenied(_("需要事项内容编辑岗位。"))
        try:
            report = exchange.import_exchange(request.data, actor=request.user)
        except exchange.ImportFailed as failed:
            problems = [p.__dict__ for p in failed.problems]
            body = {"errors": [f"{p['row']} {p['field']}: {p['message']}" for p in problems], "problems": problems}
            return Response(ImportRefusalSerializer(body).data, status=status.HTTP_400_BAD_REQUEST)
        return Response(ImportReportSerializer(report.__dict__).data)


VERSION_ACTIONS = ["submit", "publish"]


class VersionActionView(PlatformAPIView):
    permission_classes = [IsVerifiedStaff]

    @extend_schema(
        parameters=[OpenApiParameter("action", str, OpenApiParameter.PATH, enum=VERSION_ACTIONS)],
        request=PublishSerializer,
        responses={
            200: GuideSummarySerializer,
            409: OpenApiResponse(
                PublicationRefusalSerializer,
                description="the version is not in a status for this, or the consistency rules refuse it",
            ),
        },
        summary="submit or publish",
    )
    def post(self, request: Request, public_id: str, action: str) -> Response:
        version = queries.access_version_for_staff(request.user, public_id)
        if action not in VERSION_ACTIONS:
            raise Http404
        serializer = PublishSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            if action == "submit":
                version = actions.submit_version(version, actor=request.user)
            else:
                version = actions.publish_version(
                    version, actor=request.user, effective_from=serializer.validated_data.get("effective_from")
                )
        except actions.PublicationRefused as refused:
            problems = [{"rule": p.rule, "message": p.message} for p in refused.problems]
            body = {"errors": [p["message"] for p in problems], "problems": problems}
            return Response(PublicationRefusalSerializer(body).data, status=status.HTTP_409_CONFLICT)
        except ValidationError as exc:
            body = {"errors": exc.messages, "problems": []}
            return Response(PublicationRefusalSerializer(body).data, status=status.HTTP_409_CONFLICT)
        return Response(GuideSummarySerializer(version).data)
