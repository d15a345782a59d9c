from django.contrib import admin

from govhall.proactive.models import RenewalRule


@admin.register(RenewalRule)
class RenewalRuleAdmin(admin.ModelAdmin):
    list_display = ["licence_type", "reminder_days"]
