from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from govhall.complaints.actions import save_time_limit
from govhall.complaints.models import ComplaintTimeLimit
from govhall.identity.adminsite import RoleRestrictedAdmin
from govhall.identity.constants import Role


@admin.register(ComplaintTimeLimit)
class ComplaintTimeLimitAdmin(RoleRestrictedAdmin):
    """The system administrator sets the working days each kind of complaint has (local practice)."""

    admin_roles = frozenset({Role.SYSTEM_ADMIN})
    list_display = ["key", "working_days", "note"]
    readonly_fields = ["key"]
    fields = ["key", "working_days", "note"]

    # One row per kind, made by the migration; rows are edited, never added or removed:
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: ComplaintTimeLimit, form: Any, change: bool) -> None:
        save_time_limit(obj, actor=request.user)
