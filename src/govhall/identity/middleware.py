"""Session limits and the staff password's age (等级保护: end sessions nobody is using, and old passwords)."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from govhall.identity.actions import log_out
from govhall.identity.constants import SESSION_LAST_SEEN, SESSION_STARTED_AT
from govhall.identity.queries import is_password_expired

# Saving the session on every request would write to the database each time; a minute of
# slack on the idle clock is harmless:
_TOUCH_EVERY_SECONDS = 60


class IdleTimeoutMiddleware:
    """End a session idle for IDLE_TIMEOUT_MINUTES, and any session SESSION_MAX_HOURS after its login.

    The cookie's own age cannot be the absolute limit: the session is saved again every minute
    of use (the idle clock), and each save would push its expiry further out.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = int(time.time())
            last_seen = request.session.get(SESSION_LAST_SEEN, now)
            # A login that did not go through identity.actions (OIDC) starts its clock here:
            started_at = request.session.setdefault(SESSION_STARTED_AT, now)
            if now - started_at > settings.SESSION_MAX_HOURS * 3600:
                log_out(request, reason="session_limit")
                messages.info(
                    request,
                    _("为保护您的信息，每次登录最长有效%(hours)d小时，您已自动退出，请重新登录。")
                    % {"hours": settings.SESSION_MAX_HOURS},
                )
            elif now - last_seen > settings.IDLE_TIMEOUT_MINUTES * 60:
                log_out(request, reason="idle")
                messages.info(
                    request,
                    _("您已超过%(minutes)d分钟未操作，为保护您的信息已自动退出，请重新登录。")
                    % {"minutes": settings.IDLE_TIMEOUT_MINUTES},
                )
            elif now - last_seen >= _TOUCH_EVERY_SECONDS or SESSION_LAST_SEEN not in request.session:
                request.session[SESSION_LAST_SEEN] = now
        return self.get_response(request)


class PasswordExpiryMiddleware:
    """A staff member whose password is older than STAFF_PASSWORD_MAX_DAYS sets a new one before anything else.

    Only the second factor, the password page itself, logging out and the language switch stay
    open; every other page, the desk, the admin and the API, leads to the password page.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated and is_password_expired(user):
            change = reverse("identity:desk_password")
            allowed = (change, reverse("identity:desk_verify"), reverse("identity:logout"), "/i18n/", "/static/")
            if request.path.startswith("/api/"):
                message = _("您的密码已超过%(days)d天未更换，请先在工作台设置新密码。") % {
                    "days": settings.STAFF_PASSWORD_MAX_DAYS
                }
                return JsonResponse({"errors": [message]}, status=403)
            if not request.path.startswith(allowed):
                return redirect(f"{change}?next={request.get_full_path()}")
        return self.get_response(request)
