from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from govhall.identity.adminsite import RoleRestrictedAdmin
from govhall.identity.constants import Role
from govhall.ratings.actions import save_bad_rating_reason
from govhall.ratings.models import BadRatingReason


@admin.register(BadRatingReason)
class BadRatingReasonAdmin(RoleRestrictedAdmin):
    """The reasons a rater chooses from for a bad rating; a reason in use is switched off, never deleted."""

    admin_roles = frozenset({Role.SYSTEM_ADMIN})
    list_display = ["text", "text_en", "code", "sort_order", "is_active"]
    list_editable = ["sort_order", "is_active"]
    ordering = ["sort_order", "code"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: BadRatingReason, form: Any, change: bool) -> None:
        save_bad_rating_reason(obj, actor=request.user)
