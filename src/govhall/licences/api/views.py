"""Public licence verification API (no login; rate limited; every check audited)."""

from __future__ import annotations

import uuid
from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle

from govhall.audit.actions import client_ip
from govhall.lib.api import PlatformAPIView
from govhall.lib.ratelimit import over_limit
from govhall.licences.views import VERIFY_LIMIT_PER_MINUTE, verify_copy_request, verify_request


class VerifyThrottle(BaseThrottle):
    """60 checks a minute per address through the API, counted as the page counts its own."""

    def allow_request(self, request: Any, view: Any) -> bool:
        return not over_limit(f"verify-api-rate:{client_ip(request._request)}", VERIFY_LIMIT_PER_MINUTE)

    def wait(self) -> float:
        return 60.0  # at most the rest of the minute's window


class VerificationSerializer(serializers.Serializer[dict[str, object]]):
    genuine = serializers.BooleanField(help_text="本平台签发或收录的真实证照")
    usable = serializers.BooleanField(help_text="真实、状态有效且在有效期内")
    message = serializers.CharField()
    identifier = serializers.CharField(required=False)
    licence_type = serializers.CharField(required=False)
    number = serializers.CharField(required=False)
    holder = serializers.CharField(required=False, help_text="持证主体（个人姓名和证件号码已脱敏）")
    issuer = serializers.CharField(required=False)
    issued_on = serializers.DateField(required=False)
    valid_from = serializers.DateField(required=False)
    valid_until = serializers.DateField(required=False, allow_null=True)
    status = serializers.CharField(required=False, help_text="01 有效 · 02 暂停 · 03 撤销 · 04 注销 · 05 过期 …")
    status_label = serializers.CharField(required=False)


class CopyVerificationSerializer(serializers.Serializer[dict[str, object]]):
    genuine = serializers.BooleanField(help_text="本平台制作的真实加注件")
    usable = serializers.BooleanField(help_text="真实、未过期，且所依据的证照当前有效")
    message = serializers.CharField()
    copy_id = serializers.UUIDField(required=False)
    purpose = serializers.CharField(required=False, help_text="加注件写明的用途")
    maker = serializers.CharField(required=False, help_text="制作人（已脱敏）")
    made_at = serializers.DateTimeField(required=False)
    expires_on = serializers.DateField(required=False)
    expired = serializers.BooleanField(required=False)
    licence = VerificationSerializer(required=False, help_text="所依据证照的当前核验结果")


class PayloadSerializer(serializers.Serializer[dict[str, str]]):
    payload = serializers.CharField(
        max_length=4000, help_text="证照二维码中的签名数据（COSE_Sign1，base64url；早期证照为 JWS compact）"
    )


class IdentifierSerializer(serializers.Serializer[dict[str, str]]):
    id = serializers.CharField(max_length=200, help_text="证照标识（GB/T 36904）")


class VerifyView(PlatformAPIView):
    permission_classes = [AllowAny]
    authentication_classes: list[type] = []
    throttle_classes = [VerifyThrottle]

    @extend_schema(
        summary="按证照标识核验电子证照",
        parameters=[IdentifierSerializer],
        responses=VerificationSerializer,
    )
    def get(self, request: Request) -> Response:
        query = IdentifierSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        return Response(verify_request(request._request, query.validated_data["id"], "").public())

    @extend_schema(summary="核验证照二维码内容", request=PayloadSerializer, responses=VerificationSerializer)
    def post(self, request: Request) -> Response:
        data = PayloadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(verify_request(request._request, "", data.validated_data["payload"]).public())


class VerifyCopyView(PlatformAPIView):
    permission_classes = [AllowAny]
    authentication_classes: list[type] = []
    throttle_classes = [VerifyThrottle]

    @extend_schema(summary="核验电子证照加注件", responses=CopyVerificationSerializer)
    def get(self, request: Request, public_id: uuid.UUID) -> Response:
        return Response(verify_copy_request(request._request, public_id).public())
