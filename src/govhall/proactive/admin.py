from django.contrib import admin

from govhall.proactive.models import Bundle, BundleItem, Entitlement, RenewalRule, SuggestionRule


@admin.register(RenewalRule)
class RenewalRuleAdmin(admin.ModelAdmin):
    list_display = ["licence_type", "reminder_days"]


@admin.register(Entitlement)
class EntitlementAdmin(admin.ModelAdmin):
    list_display = ["name", "licence_type", "department", "is_active"]


@admin.register(SuggestionRule)
class SuggestionRuleAdmin(admin.ModelAdmin):
    """Season and place triggers of suggestions (推荐办理), kept as data by the bureau."""

    list_display = ["reason", "item", "start_month", "start_day", "end_month", "end_day", "region_prefix", "active"]
    list_filter = ["active"]


class BundleItemInline(admin.TabularInline):
    model = BundleItem
    extra = 1


@admin.register(Bundle)
class BundleAdmin(admin.ModelAdmin):
    """一件事: the items applied for together (the form and materials are joined from the items' own)."""

    list_display = ["name", "code", "is_active"]
    inlines = [BundleItemInline]
