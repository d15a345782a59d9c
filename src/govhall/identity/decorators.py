"""Gates for whole surfaces: the applicant workspace and the staff desk."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse

from govhall.identity.constants import UserKind
from govhall.identity.queries import is_second_factor_verified

View = Callable[..., HttpResponseBase]


def applicant_required(view: View) -> View:
    """Only a logged-in applicant; anyone else is sent to the applicant login."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        user = request.user
        if not user.is_authenticated or user.kind != UserKind.APPLICANT:
            return redirect_to_login(request.get_full_path(), reverse("identity:login"))
        return view(request, *args, **kwargs)

    return wrapper


def staff_required(view: View) -> View:
    """Only a staff member who has passed the second factor (unless the dev skip is on)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        user = request.user
        if not user.is_authenticated or user.kind != UserKind.STAFF:
            return redirect_to_login(request.get_full_path(), reverse("identity:desk_login"))
        if not settings.STAFF_2FA_SKIP and not is_second_factor_verified(user):
            return redirect(f"{reverse('identity:desk_verify')}?next={request.get_full_path()}")
        return view(request, *args, **kwargs)

    return wrapper
