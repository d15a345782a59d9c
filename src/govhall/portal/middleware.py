"""Request gates before any view: the client's address behind our proxy; a body too large, refused before it is read."""

from __future__ import annotations

import contextlib
import ipaddress
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _


class RequestSizeLimitMiddleware:
    """A 2 GB upload is answered at once with 413 and a message in the user's language.

    Per-file limits are applied while the body streams in (lib.uploads.MaterialSizeLimitHandler);
    this is the bound on a whole request, checked before anything of it is read.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if declared > settings.REQUEST_MAX_BYTES:
            message = _(
                "提交的内容太大（%(size).0f MB），一次提交不能超过 %(max).0f MB。请分次上传，或压缩后再试。"
            ) % {
                "size": declared / 1048576,
                "max": settings.REQUEST_MAX_BYTES / 1048576,
            }
            # The body is not read; the connection is closed so the client stops sending it:
            if request.path.startswith("/api/"):
                response: HttpResponse = JsonResponse({"errors": [message]}, status=413)
            else:
                response = render(request, "413.html", {"message": message}, status=413)
            # Except under the development server (wsgiref): WSGI forbids an application a
            # hop-by-hop header and wsgiref enforces it (a 500 instead of the 413); there Django's
            # handler reads and drops the unread body after the answer is sent:
            if not request.META.get("SERVER_SOFTWARE", "").startswith("WSGIServer/"):
                response["Connection"] = "close"
            return response
        return self.get_response(request)


class TrustedProxyMiddleware:
    """The client's address from ``X-Forwarded-For``, when the request came through one of our proxies.

    Behind the reverse proxy gunicorn sees the proxy's address, so every citizen would share
    one rate-limit window and every audit entry would name the proxy. A header anybody can
    send is believed only from an address in ``GOVHALL_TRUSTED_PROXIES``, and only its
    right-most address that is not itself one of them (what our proxy saw; the ones left of
    it the client may have made up). A value that is not an address changes nothing.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.trusted = frozenset(settings.TRUSTED_PROXIES)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded and request.META.get("REMOTE_ADDR") in self.trusted:
            for hop in reversed(forwarded.split(",")):
                address = hop.strip()
                if address in self.trusted:
                    continue
                with contextlib.suppress(ValueError):  # not an address: keep the connecting one
                    request.META["REMOTE_ADDR"] = str(ipaddress.ip_address(address))
                break
        return self.get_response(request)
