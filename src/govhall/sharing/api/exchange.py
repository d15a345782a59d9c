"""The exchange's inbound address: the provincial hall sends applications filed there for this bureau's items.

``POST /api/v1/exchange/inbound/`` takes a signed batch (docs/exchange.md, same envelope and
signature as the outbound direction) of message type 10 with ``PROV_PROJID``. Each application
is kept before anything else is done, then made into a local case (or put on the review list
with the reason); a resend finds the one kept and never makes a second case. The answer is
signed with the platform's key, one acknowledgement per message.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.views import APIView

from django.core.exceptions import ValidationError
from django.http import HttpResponse, JsonResponse

from govhall.audit.actions import client_ip, record
from govhall.audit.models import AuditOutcome
from govhall.lib.crypto import decrypt_text
from govhall.sharing import actions, signing
from govhall.sharing.constants import Adapter, InboundStatus, MessageType
from govhall.sharing.models import Platform

MAX_BODY_BYTES = 50 * 1024 * 1024


class InboundMessageSerializer(serializers.Serializer[dict[str, Any]]):
    MSG_ID = serializers.CharField(help_text="报文标识，发送方唯一")
    MSG_TYPE = serializers.CharField(help_text="报文类型，10 办件信息")
    FLAG = serializers.CharField(help_text="I 新增")
    DATA = serializers.JSONField(
        help_text="PROV_PROJID, TASK_CODE, APPLYER_TYPE, APPLYER_NAME, APPLYER_PAGE_CODE, APPLYER_MOBILE, "
        "FORM_DATA, MATERIALS[{MATERIAL_NAME, FILE_NAME, CONTENT_TYPE, FILE_CONTENT (Base64)}]"
    )


class InboundBatchSerializer(serializers.Serializer[dict[str, Any]]):
    PROTOCOL_VERSION = serializers.CharField()
    SENDER_CODE = serializers.CharField()
    MESSAGES = InboundMessageSerializer(many=True)


class AckSerializer(serializers.Serializer[dict[str, Any]]):
    MSG_ID = serializers.CharField()
    RESULT = serializers.ChoiceField(choices=["accepted", "duplicate", "rejected"])
    ACK_ID = serializers.CharField(help_text="本地办件编号，或待核查申请的标识")
    REASON = serializers.CharField(help_text="待人工核查或拒收的原因")


class AckListSerializer(serializers.Serializer[dict[str, Any]]):
    RECEIVER_CODE = serializers.CharField()
    REQUEST_DIGEST = serializers.CharField(help_text="SHA-256 (hex) of the request body this answers")
    ACKS = AckSerializer(many=True)


def _refuse(status: int, error: str) -> JsonResponse:
    return JsonResponse({"error": error}, status=status, json_dumps_params={"ensure_ascii": False})


@extend_schema(
    tags=["exchange"],
    request=InboundBatchSerializer,
    responses={
        200: AckListSerializer,
        400: OpenApiResponse(description="Not an exchange batch"),
        401: OpenApiResponse(description="Unknown sender or bad signature (X-Exchange-Sender, -Timestamp, -Signature)"),
    },
    summary="Applications filed on the provincial hall for this bureau's items (signed by the province)",
)
class InboundView(APIView):
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]

    def post(self, request: Request) -> HttpResponse:
        body = request.body
        if len(body) > MAX_BODY_BYTES:
            return _refuse(413, "body too large")
        code = request.headers.get(signing.SENDER_HEADER, "").strip()
        platform = Platform.objects.filter(code=code, is_active=True, adapter=Adapter.PROVINCE).first()
        problem = (
            signing.verify(
                decrypt_text(platform.secret_encrypted),
                body,
                request.headers.get(signing.TIMESTAMP_HEADER, ""),
                request.headers.get(signing.SIGNATURE_HEADER, ""),
            )
            if platform
            else "unknown sender"
        )
        if platform is None or problem:
            record(
                "sharing.inbound_refused",
                f"platform:{code[:20] or '-'}",
                None,
                {"reason": problem, "ip": client_ip(request._request)},
                outcome=AuditOutcome.DENIED,
            )
            return _refuse(401, problem)
        try:
            batch = json.loads(body)
            messages = batch["MESSAGES"]
            if not isinstance(messages, list) or not all(isinstance(m, dict) for m in messages):
                raise TypeError("MESSAGES is not a list of objects")
        except (ValueError, KeyError, TypeError) as exc:
            return _refuse(400, f"not an exchange batch: {exc}")
        acks = [self._one(platform, message) for message in messages]
        answer = json.dumps(
            {"RECEIVER_CODE": actions.region_code(), "REQUEST_DIGEST": hashlib.sha256(body).hexdigest(), "ACKS": acks},
            ensure_ascii=False,
        ).encode("utf-8")
        response = HttpResponse(answer, content_type="application/json; charset=utf-8")
        for name, value in signing.sign(decrypt_text(platform.secret_encrypted), answer).items():
            response[name] = value
        return response

    def _one(self, platform: Platform, message: dict[str, Any]) -> dict[str, str]:
        msg_id = str(message.get("MSG_ID") or "")
        if message.get("MSG_TYPE") == MessageType.RESULT:
            # A higher authority's decision on a case forwarded to it:
            try:
                case, again = actions.receive_higher_decision(platform, message)
            except ValidationError as exc:
                return {"MSG_ID": msg_id, "RESULT": "rejected", "ACK_ID": "", "REASON": "；".join(exc.messages)}
            return {"MSG_ID": msg_id, "RESULT": "duplicate" if again else "accepted", "ACK_ID": case.reference or ""}
        if message.get("MSG_TYPE") != MessageType.CASE:
            return {
                "MSG_ID": msg_id,
                "RESULT": "rejected",
                "ACK_ID": "",
                "REASON": "only MSG_TYPE 10 and 30 are taken here",
            }
        try:
            inbound, is_new = actions.receive_application(platform, message)
        except ValidationError as exc:
            return {"MSG_ID": msg_id, "RESULT": "rejected", "ACK_ID": "", "REASON": "；".join(exc.messages)}
        # A new application, one whose handling was cut short, or a resend of one on the review
        # list (the province resends it with its files once the applicant fixed it) is tried now:
        if inbound.status in (InboundStatus.RECEIVED, InboundStatus.REVIEW):
            inbound = actions.make_case_from_inbound(inbound, message["DATA"], actor=f"platform:{platform.code}")
        return {
            "MSG_ID": msg_id,
            "RESULT": "accepted" if is_new else "duplicate",
            "ACK_ID": inbound.case_reference or str(inbound.public_id),
            "REASON": inbound.reason if inbound.status != InboundStatus.MADE_CASE else "",
        }
