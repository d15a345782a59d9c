"""Reference data of the field sensors, edited by the system administrator: stations, elements,
alarm rules and the duty roster. (Readings, alarms and notices are written only by the app.)"""

from __future__ import annotations

from django.contrib import admin

from govhall.sensors.models import AlarmRule, DutyShift, Element, Station


@admin.register(Element)
class ElementAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "unit", "kind", "minimum", "maximum"]


@admin.register(Station)
class StationAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "station_type", "township", "village", "department", "connection", "last_seen_at"]
    list_filter = ["station_type", "township", "is_active"]
    search_fields = ["code", "name", "village"]
    filter_horizontal = ["elements"]
    readonly_fields = ["mqtt_password_hash", "connection", "last_seen_at", "last_observed_at"]
    raw_id_fields = ["licence"]


@admin.register(AlarmRule)
class AlarmRuleAdmin(admin.ModelAdmin):
    list_display = ["name", "condition", "station", "station_type", "village", "element", "window_hours", "threshold",
                    "severity", "notice_kind", "is_active"]  # fmt: skip
    list_filter = ["condition", "severity", "notice_kind", "is_active"]
    search_fields = ["name"]


@admin.register(DutyShift)
class DutyShiftAdmin(admin.ModelAdmin):
    list_display = ["department", "user", "starts_at", "ends_at"]
    raw_id_fields = ["user"]
