"""Reference data of the hall, kept by the system administrator: halls and their rules, queues,
windows, and the registered devices (a device's key is shown once, by ``manage.py
register_hall_device``; here it can only be revoked). Bookings and tickets are written only by the app."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from govhall.halls import actions
from govhall.halls.models import Hall, HallDevice, Queue, Window


class QueueInline(admin.TabularInline):
    model = Queue
    extra = 0
    fields = ["prefix", "name", "is_pickup", "daily_quota", "sort_order", "is_active"]


class WindowInline(admin.TabularInline):
    model = Window
    extra = 0
    fields = ["number", "kind", "queues", "is_active"]


@admin.register(Hall)
class HallAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "department", "slot_minutes", "booking_days_ahead", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["code", "name"]
    inlines = [QueueInline, WindowInline]


@admin.register(Queue)
class QueueAdmin(admin.ModelAdmin):
    list_display = ["hall", "prefix", "name", "is_pickup", "daily_quota", "is_active"]
    list_filter = ["hall", "is_pickup"]
    filter_horizontal = ["items"]


@admin.register(HallDevice)
class HallDeviceAdmin(admin.ModelAdmin):
    list_display = ["name", "hall", "kind", "registered_at", "last_seen_at", "revoked_at"]
    list_filter = ["hall", "kind"]
    readonly_fields = ["hall", "kind", "name", "registered_at", "last_seen_at", "revoked_at"]
    exclude = ["key_hash"]
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # a key is made and shown once by `manage.py register_hall_device`

    @admin.action(description=_("停用所选设备（密钥立即失效）"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[HallDevice]) -> None:
        for device in queryset:
            actions.revoke_device(device, actor=request.user)
        self.message_user(request, _("所选设备已停用。"), messages.SUCCESS)

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        found = super().get_actions(request)
        found.pop("delete_selected", None)  # revoked, never deleted: the audit names the device
        return found
