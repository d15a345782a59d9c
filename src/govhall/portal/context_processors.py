from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

LARGE_TEXT_COOKIE = "govhall_text"


def platform(request: HttpRequest) -> dict[str, Any]:
    return {
        "platform_name": settings.PLATFORM_NAME,
        "bureau_name": settings.BUREAU_NAME,
        "bureau_phone": settings.BUREAU_PHONE,
        "large_text": request.COOKIES.get(LARGE_TEXT_COOKIE) == "large",
        "staff_2fa_skipped": settings.STAFF_2FA_SKIP,
        "oidc_enabled": settings.OIDC_ENABLED,
    }
