"""The data-sharing API for other departments' systems (OAuth2 client credentials).

A client gets a token at ``/o/token/`` with its client id and secret and the scopes it was
granted (``sharing.models.ClientAccess``), then asks about one subject per call. The subject's
identifier travels in the POST body, never in the address (addresses end up in logs). What
a client sees is limited to its departments and scopes; a subject the platform does not know
and one with nothing in the client's scope give the same answer. Every answered call, and every
refusal of a client's call, is audited with the client, the endpoint, the outcome and the count.

The token is read from the ``Authorization: Bearer`` header only: one in the address (which
ends up in logs and browser histories) or in a form body is refused with 401, and the
database keeps only the tokens' SHA-256 (``OAUTH2_PROVIDER`` in the settings).

Calls without a valid token are counted per address, as the public licence checks are
(``lib.ratelimit``): past ``UNAUTHENTICATED_RATE_PER_MINUTE`` a minute they get 429. A flood
of them, or of a client's calls past its rate, is audited in aggregate, not a chain record a
call: the first refusal of the minute, the call from which it is throttled, and the calls
that bring the minute's count to ten, a hundred, a thousand… times the limit, each with the
count so far (at most 2 + log₁₀(calls ÷ limit) records a minute per address or client).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from oauth2_provider.contrib.rest_framework import OAuth2Authentication, TokenHasScope
from oauth2_provider.views import TokenView
from rest_framework import exceptions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _

from govhall.audit.actions import client_ip, record
from govhall.audit.models import AuditOutcome
from govhall.dossier import queries as dossier
from govhall.dossier.constants import RecordKind
from govhall.lib.ratelimit import count_hit, over_limit
from govhall.sharing.constants import ClientScope
from govhall.sharing.models import ClientAccess
from govhall.sharing.queries import scope_for_client

UNAUTHENTICATED_RATE_PER_MINUTE = 30
WINDOW_SECONDS = 60


class ClientThrottle(BaseThrottle):
    """Each client at its own rate a minute (ClientAccess.rate_per_minute), counted where every server sees it.

    Calls without a valid token never get here: ``SharingView.perform_authentication`` counts
    them by address first.
    """

    def allow_request(self, request: Request, view: Any) -> bool:
        access = _access(request)
        if access is None:
            return True
        view.window_count = count_hit(f"sharing-rate:client:{access.application.client_id}", WINDOW_SECONDS)
        view.window_limit = access.rate_per_minute
        return bool(view.window_count <= access.rate_per_minute)

    def wait(self) -> float:
        return float(WINDOW_SECONDS)  # at most the rest of the window


class BearerHeaderAuthentication(OAuth2Authentication):
    """django-oauth-toolkit's token check, for a token in the ``Authorization: Bearer`` header only.

    oauthlib would also take ``access_token`` from the address or a form body; that is refused
    here with 401 (and by ``COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT`` for the address), so
    a token never has to be written where logs keep it. A Bearer token that is not valid (unknown,
    expired, of a retired client) is a 401 that says so.
    """

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        if "access_token" in request.query_params or "access_token" in request.POST:
            raise exceptions.AuthenticationFailed(
                _("访问令牌只能放在 Authorization 请求头中（Bearer），不能放在网址或表单里。")
            )
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header.lower().startswith("bearer "):
            return None
        found = super().authenticate(request)
        if found is None:
            raise exceptions.AuthenticationFailed(_("访问令牌无效或已过期，请重新获取。"))
        return found


class ThrottledTokenView(TokenView):
    """``/o/token/``, counted per address like calls without a token: each wrong secret costs a password hash.

    A client needs a token an hour; past ``UNAUTHENTICATED_RATE_PER_MINUTE`` requests a minute
    from one address the answer is OAuth2's ``slow_down`` with 429, before any secret is checked.
    """

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if over_limit(f"sharing-token:{client_ip(request)}", UNAUTHENTICATED_RATE_PER_MINUTE, WINDOW_SECONDS):
            response = JsonResponse(
                {"error": "slow_down", "error_description": _("请求过于频繁，请一分钟后再试。")}, status=429
            )
            response["Retry-After"] = str(WINDOW_SECONDS)
            return response
        return super().post(request, *args, **kwargs)


def _worth_a_record(count: int, limit: int) -> bool:
    """Whether the ``count``-th refused call of a window gets its own audit record (see the module's docstring)."""
    if count <= 1 or count == limit + 1:
        return True
    if limit < 1 or count % limit:
        return False
    ratio = count // limit
    while ratio % 10 == 0:
        ratio //= 10
    return ratio == 1 and count > limit


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

    authentication_classes = [BearerHeaderAuthentication]
    permission_classes = [HasGrantedScope]
    throttle_classes = [ClientThrottle]
    required_scopes: list[str] = []
    serializer_class: type[serializers.Serializer[Any]] = SubjectSerializer
    endpoint = ""
    # Set when the call is counted: the calls in this window so far, and the limit:
    window_count = 0
    window_limit = 0

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        self.audit: dict[str, Any] = {"endpoint": self.endpoint}
        self.audit_target: tuple[str, str, str] | None = None
        super().initial(request, *args, **kwargs)

    def perform_authentication(self, request: Request) -> None:
        """Authenticate; a call without a valid token is counted by address, and past the limit throttled.

        Before the permission check, which would refuse it with 401 before any throttle ran.
        """
        try:
            super().perform_authentication(request)
        except exceptions.AuthenticationFailed:
            self._count_by_address(request)
            raise
        if _access(request) is None:
            self._count_by_address(request)

    def _count_by_address(self, request: Request) -> None:
        self.window_count = count_hit(f"sharing-refused:{client_ip(request._request)}", WINDOW_SECONDS)
        self.window_limit = UNAUTHENTICATED_RATE_PER_MINUTE
        if self.window_count > UNAUTHENTICATED_RATE_PER_MINUTE:
            raise exceptions.Throttled(wait=WINDOW_SECONDS)

    def permission_denied(self, request: Request, message: str | None = None, code: str | None = None) -> None:
        if request.authenticators and not request.successful_authenticator:
            raise exceptions.NotAuthenticated(_("请在 Authorization 请求头中提供访问令牌（Bearer）。"))
        super().permission_denied(request, message=message, code=code)

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
        if access is None or response.status_code == 429:
            # Refused without a valid token, or throttled: counted, audited in aggregate:
            if not _worth_a_record(self.window_count, self.window_limit):
                return response
            audit.update(calls_this_minute=self.window_count, limit=self.window_limit)
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
