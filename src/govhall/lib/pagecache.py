"""Whole public pages kept for visitors who are not logged in.

A guide or a catalog search looks the same to every anonymous visitor with the same language
and cookies until the catalog changes, yet building it (search, a page of guides, the frame)
costs far more than sending it. ``anonymous_page_cache(version)`` keeps the rendered page in
the ``pages`` cache (per process) under the full path, the language, the visitor's cookies
that can change a page (large text, …; not the session or CSRF ones) and ``version()``, which
must change whenever what the page shows changes (the catalog gives its live key).

The one per-visitor part of such a page is the CSRF token of its small forms (language, text
size): it is taken out before the page is kept and the visitor's own token is put in when
the page is sent, so every form still posts. Logged-in users, pages with a message to show,
anything but a 200, and responses that set cookies of their own are never kept.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Hashable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.messages import get_messages
from django.core.cache import caches
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.utils.translation import get_language

_TOKEN_FIELD = re.compile(rb'(name="csrfmiddlewaretoken" value=")[A-Za-z0-9]{64}(")')
_PLACEHOLDER = b"\x00csrf-token\x00"

View = Callable[..., HttpResponse]


def _private_cookies() -> set[str]:
    return {settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME, "messages"}


def _key(request: HttpRequest, version: Hashable, args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    private = _private_cookies()
    cookies = sorted((k, v) for k, v in request.COOKIES.items() if k not in private)
    parts = repr(
        (request.get_host(), request.get_full_path(), get_language(), cookies, version, args, sorted(kwargs.items()))
    )
    return "page:" + hashlib.sha256(parts.encode()).hexdigest()


def _cacheable_request(request: HttpRequest) -> bool:
    if request.method not in ("GET", "HEAD"):
        return False
    if getattr(request, "user", None) is not None and request.user.is_authenticated:
        return False
    return len(get_messages(request)) == 0


def anonymous_page_cache(version: Callable[[], Hashable]) -> Callable[[View], View]:
    """Keep the view's page for anonymous visitors under ``version()`` (see the module)."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not _cacheable_request(request):
                return view(request, *args, **kwargs)
            pages = caches["pages"]
            key = _key(request, version(), args, kwargs)
            kept = pages.get(key)
            if kept is not None:
                content, content_type = kept
                if _PLACEHOLDER in content:
                    content = content.replace(_PLACEHOLDER, get_token(request).encode())
                return HttpResponse(content, content_type=content_type)
            response = view(request, *args, **kwargs)
            if response.status_code == 200 and not response.streaming and not response.cookies:
                content = _TOKEN_FIELD.sub(rb"\g<1>" + _PLACEHOLDER + rb"\g<2>", response.content)
                pages.set(key, (content, response["Content-Type"]), settings.PAGE_CACHE_SECONDS)
            return response

        return wrapper

    return decorator
