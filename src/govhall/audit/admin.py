from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from govhall.audit.models import AuditRecord, SealedEntry
from govhall.identity.constants import Role
from govhall.identity.queries import has_role


@admin.register(AuditRecord)
class AuditRecordAdmin(admin.ModelAdmin):
    """Read-only: only the audit administrator may look, and nobody may change or delete."""

    list_display = ["sequence", "occurred_at", "event", "outcome", "actor_label", "target_label", "ip_address"]
    list_filter = ["event", "outcome"]
    search_fields = ["actor_label", "target_id", "event"]
    ordering = ["-sequence"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [field.name for field in self.model._meta.fields]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return has_role(request.user, Role.AUDIT_ADMIN)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return has_role(request.user, Role.AUDIT_ADMIN)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(SealedEntry)
class SealedEntryAdmin(AuditRecordAdmin):
    """The batch-sealed entries (public licence checks), read-only for the audit administrator."""

    list_display = ["id", "occurred_at", "event", "outcome", "actor_label", "target_label", "ip_address", "sealed_by"]
    ordering = ["-id"]
