"""Who may call an API operation: the DRF permissions every app's API uses."""

from __future__ import annotations

from typing import Any

from rest_framework import permissions
from rest_framework.request import Request

from django.conf import settings

from govhall.identity.constants import UserKind
from govhall.identity.queries import is_second_factor_verified, is_staff_desk_user


class IsApplicant(permissions.BasePermission):
    """A logged-in citizen or company account (the workspace's users)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return bool(getattr(user, "is_authenticated", False) and user.kind == UserKind.APPLICANT)


class IsVerifiedStaff(permissions.BasePermission):
    """A staff member whose session passed the second factor (or the development skip), as on the desk."""

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return is_staff_desk_user(user) and (settings.STAFF_2FA_SKIP or is_second_factor_verified(user))
