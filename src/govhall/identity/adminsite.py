"""Who may use the Django admin, and for what: by administrator role, never by a flag alone."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest

from govhall.identity.constants import ADMIN_ROLES, UserKind
from govhall.identity.queries import has_role, is_second_factor_verified


def admin_site_has_permission(request: HttpRequest) -> bool:
    """The admin is open to a verified staff member holding an administrator role."""
    user = request.user
    if not (user.is_authenticated and user.is_active and user.kind == UserKind.STAFF):
        return False
    if not settings.STAFF_2FA_SKIP and not is_second_factor_verified(user):
        return False
    return any(has_role(user, role) for role in ADMIN_ROLES)


class RoleRestrictedAdmin(admin.ModelAdmin):
    """A ModelAdmin open only to the holders of ``admin_roles`` (one role never implies another)."""

    admin_roles: frozenset[str] = frozenset()

    def _allowed(self, request: HttpRequest) -> bool:
        return any(has_role(request.user, role) for role in self.admin_roles)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._allowed(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self._allowed(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request)
