from django.contrib import admin

from govhall.sharing.models import ClientAccess


@admin.register(ClientAccess)
class ClientAccessAdmin(admin.ModelAdmin[ClientAccess]):
    """Read-only here: clients are created and retired through `manage.py create_api_client` (audited)."""

    list_display = ["organisation", "scopes", "rate_per_minute", "is_active", "created_at"]
    readonly_fields = ["application", "organisation", "scopes", "departments", "rate_per_minute", "is_active"]

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False
