from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from govhall.holidays.actions import delete_holiday, save_holiday
from govhall.holidays.models import CalendarYear, Holiday
from govhall.identity.adminsite import RoleRestrictedAdmin
from govhall.identity.constants import Role


@admin.register(Holiday)
class HolidayAdmin(RoleRestrictedAdmin):
    """The system administrator enters a new year's notice when it arrives each November."""

    admin_roles = frozenset({Role.SYSTEM_ADMIN})
    list_display = ["date", "kind", "name", "source"]
    list_filter = ["kind", "name"]
    date_hierarchy = "date"

    def save_model(self, request: HttpRequest, obj: Holiday, form: Any, change: bool) -> None:
        save_holiday(obj, actor=request.user)

    def delete_model(self, request: HttpRequest, obj: Holiday) -> None:
        delete_holiday(obj, actor=request.user)

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        # Bulk delete would bypass the audited action:
        return {}


@admin.register(CalendarYear)
class CalendarYearAdmin(RoleRestrictedAdmin):
    admin_roles = frozenset({Role.SYSTEM_ADMIN})
    list_display = ["year", "source"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
