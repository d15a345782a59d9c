"""Sensors API: the public picture (stations, latest values, active warnings) for anyone; the open
alarms of a staff member's stations, and acknowledging one."""

from __future__ import annotations

from dataclasses import asdict

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, permissions
from rest_framework.request import Request
from rest_framework.response import Response

from django.core.exceptions import PermissionDenied

from govhall.identity.models import User
from govhall.identity.permissions import IsVerifiedStaff
from govhall.lib.api import ErrorSerializer, PlatformAPIView
from govhall.sensors import actions, queries
from govhall.sensors.api.serializers import AlarmSerializer, PublicPictureSerializer

TAGS = ["sensors"]


class PublicPictureView(PlatformAPIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(
        summary="Rain, water levels and active warnings (public)",
        description="Every active station with its newest values, and the active flood and drought warnings. No personal data.",
        responses=PublicPictureSerializer,
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        stations, warnings = queries.public_picture()
        body = {
            "stations": [
                {**asdict(s), "values": [{"element": n, "value": v, "unit": u} for n, v, u in s.values]}
                for s in stations
            ],
            "warnings": warnings,
        }
        return Response(PublicPictureSerializer(body).data)


class OpenAlarmsView(PlatformAPIView):
    permission_classes = [IsVerifiedStaff]

    @extend_schema(summary="Open alarms of my units' stations", responses=AlarmSerializer(many=True), tags=TAGS)
    def get(self, request: Request) -> Response:
        return Response(AlarmSerializer(queries.open_alarms(queries.stations_for(request.user)), many=True).data)


class AcknowledgeAlarmView(PlatformAPIView):
    permission_classes = [IsVerifiedStaff]

    @extend_schema(
        summary="Acknowledge (签收) an active alarm",
        request=None,
        responses={
            200: AlarmSerializer,
            404: OpenApiResponse(ErrorSerializer, description="no such alarm in my units"),
            409: OpenApiResponse(ErrorSerializer, description="the alarm is not active"),
        },
        tags=TAGS,
    )
    def post(self, request: Request, public_id: str) -> Response:
        alarm = queries.access_alarm_for(request.user, public_id)
        assert isinstance(request.user, User)
        try:
            alarm = actions.acknowledge_alarm(alarm, actor=request.user)
        except PermissionDenied as exc:
            raise exceptions.PermissionDenied(str(exc)) from exc
        return Response(AlarmSerializer(alarm).data)
