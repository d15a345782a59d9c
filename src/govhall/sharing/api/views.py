"""The data-sharing API for other departments' systems (OAuth2 client credentials).

A client gets a token at ``/o/token/`` with its client id and secret and the scopes it was
granted (``sharing.models.ClientAccess``), then asks about one subject per call. The subject's
identifier travels in the POST body, never in the address (addresses end up in logs). What
a client sees is limited to its departments and scopes; a subject the platform does not know
and one with nothing in the client's scope give the same answer. Every call — refused,
throttled or answered — is audited with the client, the endpoint, the outcome and the count.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from oauth2_provider.contrib.rest_framework import OAuth2Authentication, TokenHasScope
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from govhall.audit.actions import record
from govhall.audit.models import AuditOutcome
from govhall.dossier import queries as dossier
from govhall.dossier.constants import RecordKind
from govhall.sharing.constants import ClientScope
from govhall.sharing.models import ClientAccess
from govhall.sharing.queries import scope_for_client

UNAUTHENTICATED_RATE_PER_MINUTE = 30


class ClientThrottle(SimpleRateThrottle):
    """Each client at its own rate (ClientAccess.rate_per_minute); calls without a token by address."""

    def __init__(self) -> None:  # the rate is per client, read in allow_request
        pass

    def allow_request(self, request: Request, view: Any) -> bool:
        access = _access(request)
        self.rate = f"{access.rate_per_minute if access else UNAUTHENTICATED_RATE_PER_MINUTE}/min"
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_cache_key(self, request: Request, view: Any) -> str:
        access = _access(request)
        ident = f"client:{access.application.client_id}" if access else f"ip:{self.get_ident(request)}"
        return f"sharing-rate:{ident}"


def _access(request: Request) -> ClientAccess | None:
    token = request.auth
    application = getattr(token, "application", None)
    access = getattr(application, "access", None) if application is not None else None
    return access if access is not None and access.is_active else None


class SubjectSerializer(serializers.Serializer[dict[str, str]]):
    subject = serializers.CharField(max_length=30, help_text="公民身份号码或统一社会信用代码")


class LicenceCheckSerializer(SubjectSerializer):
    licence_type = serializers.CharField(max_length=21, help_text="证照类型代码（GB/T 36904）")


class LicenceSummarySerializer(serializers.Serializer[dict[str, Any]]):
    identifier = serializers.CharField()
    type_code = serializers.CharField()
    type = serializers.CharField()
    number = serializers.CharField()
    issuer = serializers.CharField()
    issued_on = serializers.DateField()
    valid_from = serializers.DateField()
    valid_until = serializers.DateField(allow_null=True)
    status = serializers.CharField()
    status_label = serializers.CharField()


class LicencesAnswerSerializer(serializers.Serializer[dict[str, Any]]):
    licences = LicenceSummarySerializer(many=True)


class CaseStatusSerializer(serializers.Serializer[dict[str, Any]]):
    reference = serializers.CharField()
    item = serializers.CharField()
    status = serializers.CharField()
    status_label = serializers.CharField()
    accepted_on = serializers.DateField(allow_null=True)
    due_on = serializers.DateField(allow_null=True)
    decision = serializers.CharField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)


class CasesAnswerSerializer(serializers.Serializer[dict[str, Any]]):
    cases = CaseStatusSerializer(many=True)


class LicenceCheckAnswerSerializer(serializers.Serializer[dict[str, bool]]):
    holds_valid_licence = serializers.BooleanField()


class HasGrantedScope(TokenHasScope):
    """The token carries the endpoint's scope; otherwise the refusal says which scope is missing."""

    def has_permission(self, request: Request, view: Any) -> bool:
        allowed = bool(super().has_permission(request, view))
        if not allowed:
            self.message = _("该客户端未获授权使用这个接口（需要授权范围：%(scopes)s）。") % {
                "scopes": "、".join(getattr(view, "required_scopes", []))
            }
        return allowed


class SharingView(APIView):
    """A call about one subject: authenticated by OAuth2 token, scoped, throttled, audited."""

    authentication_classes = [OAuth2Authentication]
    permission_classes = [HasGrantedScope]
    throttle_classes = [ClientThrottle]
    required_scopes: list[str] = []
    serializer_class: type[serializers.Serializer[Any]] = SubjectSerializer
    endpoint = ""

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        self.audit: dict[str, Any] = {"endpoint": self.endpoint}
        self.audit_target: tuple[str, str, str] | None = None
        super().initial(request, *args, **kwargs)

    def subject_and_scope(self, request: Request) -> tuple[dict[str, str], dossier.Subject | None, dossier.Scope]:
        """Parse the body; find the subject (None if unknown); the client's scope."""
        body = self.serializer_class(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            code = dossier.parse_subject_code(body.validated_data["subject"])
        except ValidationError as error:
            raise serializers.ValidationError({"subject": error.messages}) from None
        self.audit.update(kind=code.kind, code=code.masked)
        subject = dossier.find_subject(code)
        if subject is not None:
            self.audit_target = subject.audit_target()
        access = _access(request)
        assert access is not None  # TokenHasScope let the call through
        return body.validated_data, subject, scope_for_client(access, request.auth.scope.split())

    def finalize_response(self, request: Request, response: Response, *args: Any, **kwargs: Any) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)
        access = _access(request)
        audit = getattr(self, "audit", {"endpoint": self.endpoint})
        audit["status"] = response.status_code
        record(
            "sharing.queried",
            f"client:{access.application.client_id}" if access else "client:-",
            getattr(self, "audit_target", None),
            audit,
            outcome=AuditOutcome.SUCCESS if response.status_code < 400 else AuditOutcome.DENIED,
            request=request._request,
        )
        return response


@extend_schema(
    tags=["sharing"],
    request=SubjectSerializer,
    responses={200: LicencesAnswerSerializer, 400: OpenApiResponse(description="Malformed identifier")},
    summary="A subject's licences (scope: licences)",
)
class SubjectLicencesView(SharingView):
    required_scopes = [ClientScope.LICENCES]
    endpoint = "licences"

    def post(self, request: Request) -> Response:
        _data, subject, scope = self.subject_and_scope(request)
        licences = dossier.listed(RecordKind.LICENCES, subject, scope, 500) if subject else []
        self.audit["count"] = len(licences)
        return Response({"licences": [dossier.licence_summary(licence) for licence in licences]})


@extend_schema(
    tags=["sharing"],
    request=SubjectSerializer,
    responses={200: CasesAnswerSerializer, 400: OpenApiResponse(description="Malformed identifier")},
    summary="The status of a subject's cases (scope: cases)",
)
class SubjectCasesView(SharingView):
    required_scopes = [ClientScope.CASES]
    endpoint = "cases"

    def post(self, request: Request) -> Response:
        _data, subject, scope = self.subject_and_scope(request)
        cases = list(dossier.list_cases(subject, scope)[:500]) if subject else []
        self.audit["count"] = len(cases)
        return Response(
            {
                "cases": [
                    {
                        "reference": case.reference,
                        "item": case.item_version.name,
                        "status": case.status,
                        "status_label": str(case.get_status_display()),
                        "accepted_on": case.accepted_on,
                        "due_on": case.due_on,
                        "decision": case.decision or None,
                        "closed_at": case.closed_at,
                    }
                    for case in cases
                ]
            }
        )


@extend_schema(
    tags=["sharing"],
    request=LicenceCheckSerializer,
    responses={200: LicenceCheckAnswerSerializer, 400: OpenApiResponse(description="Malformed identifier")},
    summary="Does the subject hold a valid licence of this type? Yes or no, nothing else (scope: licence_check)",
)
class LicenceCheckView(SharingView):
    required_scopes = [ClientScope.LICENCE_CHECK]
    serializer_class = LicenceCheckSerializer
    endpoint = "licence_check"

    def post(self, request: Request) -> Response:
        data, subject, _scope = self.subject_and_scope(request)
        access = _access(request)
        assert access is not None
        # The yes/no answer looks at the client's departments but needs no other scope:
        scope = dossier.Scope(scope_for_client(access, []).departments)
        holds = subject is not None and dossier.holds_valid_licence(subject, data["licence_type"].strip(), scope)
        self.audit.update(licence_type=data["licence_type"].strip()[:21], answer=holds)
        return Response({"holds_valid_licence": holds})
