from typing import Any

from django.contrib import admin
from django.db import transaction
from django.http import HttpRequest

from govhall.audit.actions import record
from govhall.catalog.models import Dictionary
from govhall.identity.adminsite import RoleRestrictedAdmin
from govhall.identity.constants import Role


@admin.register(Dictionary)
class DictionaryAdmin(RoleRestrictedAdmin):
    """The national code lists (item types, service targets, …), which a province extends."""

    admin_roles = frozenset({Role.SYSTEM_ADMIN})
    list_display = ["kind", "code", "name", "name_en", "sort_order"]
    list_filter = ["kind"]
    search_fields = ["code", "name"]

    def save_model(self, request: HttpRequest, obj: Dictionary, form: Any, change: bool) -> None:
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            record("catalog.dictionary_saved", request.user, obj, {"kind": obj.kind, "code": obj.code})

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Versions refer to codes by value; a deleted code would leave guides unreadable.
        return False

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        return {}
