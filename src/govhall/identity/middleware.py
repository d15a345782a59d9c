"""Idle timeout (等级保护: end sessions nobody is using)."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from govhall.identity.actions import log_out
from govhall.identity.constants import SESSION_LAST_SEEN

# Saving the session on every request would write to the database each time; a minute of
# slack on the idle clock is harmless:
_TOUCH_EVERY_SECONDS = 60


class IdleTimeoutMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = int(time.time())
            last_seen = request.session.get(SESSION_LAST_SEEN, now)
            if now - last_seen > settings.IDLE_TIMEOUT_MINUTES * 60:
                log_out(request, reason="idle")
                messages.info(
                    request,
                    _("您已超过%(minutes)d分钟未操作，为保护您的信息已自动退出，请重新登录。")
                    % {"minutes": settings.IDLE_TIMEOUT_MINUTES},
                )
            elif now - last_seen >= _TOUCH_EVERY_SECONDS or SESSION_LAST_SEEN not in request.session:
                request.session[SESSION_LAST_SEEN] = now
        return self.get_response(request)
