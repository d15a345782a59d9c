from django.contrib import admin

from govhall.proactive.models import Entitlement, RenewalRule


@admin.register(RenewalRule)
class RenewalRuleAdmin(admin.ModelAdmin):
    list_display = ["licence_type", "reminder_days"]


@admin.register(Entitlement)
class EntitlementAdmin(admin.ModelAdmin):
    list_display = ["name", "licence_type", "department", "is_active"]
