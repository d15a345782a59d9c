"""The API's one error body, and a schema that says every answer an operation can give.

Every error under ``/api/`` is JSON. Views built on :class:`PlatformAPIView` answer
``{"errors": [messages]}``, or ``{"errors": {field: [messages]}}`` for input with fields
(a nested field is named by its path, ``items.0``); the request-size gate, an unknown
address, a malformed UUID in the path and a server error answer the same body (the
``handler404``/``handler500`` of ``conf/urls.py`` call :func:`api_not_found` and
:func:`api_server_error`). A view still on DRF's default handler answers DRF's
``{"detail": message}`` or ``{field: [messages]}``, and the schema says so.

:class:`PlatformAutoSchema` adds to every operation the errors it can answer and nobody
wrote down: 400 (input), 401/403 (authentication and permission), 404 (a path parameter or a
page), 413 and 415 (a request body), 429 (throttled), each with its body.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse, extend_schema_field
from rest_framework import exceptions, permissions, serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView, exception_handler

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults

from govhall.lib.errors import Conflict

Errors = list[str] | dict[str, list[str]]

ERRORS_SCHEMA = {
    "oneOf": [
        {"type": "array", "items": {"type": "string"}},
        {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}},
    ]
}


@extend_schema_field(ERRORS_SCHEMA)
class ErrorsField(serializers.JSONField):
    pass


class ErrorSerializer(serializers.Serializer[dict[str, Errors]]):
    """The platform's error body."""

    errors = ErrorsField(
        help_text="The messages in the user's language: a list, or for input with fields a list per field name."
    )


# What DRF's own handler answers (the sharing API uses it): a detail, or messages per field:
DRF_ERROR_SCHEMA = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "additionalProperties": {"type": "array", "items": {"type": "string"}},
}


def _messages(detail: Any) -> list[str]:
    if isinstance(detail, dict):
        return [message for value in detail.values() for message in _messages(value)]
    if isinstance(detail, list | tuple):
        return [message for value in detail for message in _messages(value)]
    return [str(detail)]


def flatten_errors(detail: Any) -> Errors:
    """DRF's error detail as the platform's ``errors``: a list, or a list per (dotted) field name."""
    if not isinstance(detail, dict):
        return _messages(detail)
    fields: dict[str, list[str]] = {}

    def walk(name: str, value: Any) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(f"{name}.{key}", inner)
        elif isinstance(value, list | tuple) and any(isinstance(inner, dict | list | tuple) for inner in value):
            for index, inner in enumerate(value):
                walk(f"{name}.{index}", inner)
        else:
            fields.setdefault(name, []).extend(_messages(value))

    for key, value in detail.items():
        walk(str(key), value)
    return fields


def platform_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler with the platform's body; Django's ValidationError is a 400 with its messages.

    Returns None (a server error) for anything else, as DRF does.
    """
    if isinstance(exc, Conflict):  # a status that does not allow it: not bad input
        return Response({"errors": exc.messages}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, ValidationError):
        errors: Errors = exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        return Response({"errors": errors}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, PermissionDenied) and str(exc):
        # Django's PermissionDenied carries the action's own reason; DRF would put its generic one:
        return Response({"errors": [str(exc)]}, status=status.HTTP_403_FORBIDDEN)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    response = exception_handler(exc, context)
    if response is not None:
        detail = exc.detail if isinstance(exc, exceptions.ValidationError) else _messages(response.data)
        response.data = {"errors": flatten_errors(detail)}
    return response


class PlatformAPIView(APIView):
    """An API view whose errors have the platform's body."""

    def get_exception_handler(self) -> Any:
        return platform_exception_handler


def api_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """``handler404``: under /api/ a JSON 404 (an unknown address, a malformed UUID), else the site's page."""
    if request.path.startswith("/api/"):
        return JsonResponse({"errors": [str(exceptions.NotFound.default_detail)]}, status=404)
    return defaults.page_not_found(request, exception)


def api_server_error(request: HttpRequest) -> HttpResponse:
    """``handler500``: under /api/ a JSON 500, else the site's page."""
    if request.path.startswith("/api/"):
        return JsonResponse({"errors": [_("服务器内部错误，请稍后再试。")]}, status=500)
    return defaults.server_error(request)


class StrictPageNumberPagination(PageNumberPagination):
    """Pages of 20 (``page_size`` 1–100); a page size out of range is refused, not quietly replaced."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100

    def get_page_size(self, request: Request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        try:
            size = int(raw)
        except ValueError:
            size = 0
        if not 1 <= size <= self.max_page_size:
            raise exceptions.ValidationError(
                {
                    self.page_size_query_param: [
                        _("每页条数应为 1 到 %(max)d 之间的整数。") % {"max": self.max_page_size}
                    ]
                }
            )
        return size

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_query_param:
                parameter["schema"]["minimum"] = 1
            elif parameter["name"] == self.page_size_query_param:
                parameter["schema"].update(minimum=1, maximum=self.max_page_size)
        return parameters


def _is_platform(view: Any) -> bool:
    return isinstance(view, PlatformAPIView)


class PlatformAutoSchema(AutoSchema):
    """drf-spectacular's schema, with the errors every operation can answer documented."""

    def _error_response(self, code: int, description: str, *, platform: bool) -> dict[str, Any]:
        body: Any = ErrorSerializer if platform else DRF_ERROR_SCHEMA
        return dict(self._get_response_for_code(OpenApiResponse(body, description=description), str(code)))

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses: dict[str, Any] = super()._get_response_bodies(direction)
        view = self.view
        platform = _is_platform(view)
        has_body = self.method in ("POST", "PUT", "PATCH")
        located = {parameter["in"] for parameter in self._get_parameters()}
        public = all(p is permissions.AllowAny for p in view.permission_classes)
        challenges = any(
            authentication().authenticate_header(view.request) for authentication in view.authentication_classes
        )
        paginated = getattr(view, "pagination_class", None) is not None
        expected = {
            400: (has_body or "query" in located, "bad input; nothing changed"),
            401: (not public and challenges, "no valid credentials (the WWW-Authenticate header says which)"),
            403: (
                not public or (has_body and bool(view.authentication_classes)),
                "not logged in, not allowed, or a write without the session's CSRF token",
            ),
            404: ("path" in located or paginated, "no such object, or not one the caller may see"),
            415: (has_body, "a request body of a content type the operation does not read"),
            429: (bool(view.throttle_classes), "too many requests; the Retry-After header says when to retry"),
        }
        for code, (applies, description) in expected.items():
            if not applies:
                continue
            key = str(code)
            if key not in responses:
                responses[key] = self._error_response(code, description, platform=platform)
            elif "content" not in responses[key]:
                responses[key]["content"] = self._error_response(code, description, platform=platform)["content"]
        if has_body:
            # The request-size gate answers before any view, always with the platform's body:
            responses.setdefault("413", self._error_response(413, "the request is too large", platform=True))
        return dict(sorted(responses.items()))
