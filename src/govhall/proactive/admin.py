from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from govhall.catalog.models import ServiceItem
from govhall.catalog.queries import published_versions
from govhall.identity.constants import EntityKind
from govhall.proactive.models import Bundle, BundleItem, Entitlement, RenewalRule, SuggestionRule


@admin.register(RenewalRule)
class RenewalRuleAdmin(admin.ModelAdmin):
    list_display = ["licence_type", "reminder_days"]


class ItemChoice(forms.ModelChoiceField):
    """A service item shown by its name (its newest published version's), not by its implementation code."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.names: dict[int, str] = {}

    def label_from_instance(self, obj: Any) -> str:
        return f"{self.names.get(obj.pk, '')} {obj.implementation_code}".strip()


class EntitlementForm(forms.ModelForm):
    """An entitlement's criteria as the administrator edits them (checked by ``Entitlement.clean``)."""

    case_item = ItemChoice(
        label=_("办结过的事项"),
        queryset=ServiceItem.objects.order_by("implementation_code"),
        required=False,
        help_text=Entitlement._meta.get_field("case_item").help_text,
    )
    entity_kinds = forms.MultipleChoiceField(
        label=_("单位类型"),
        choices=EntityKind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=Entitlement._meta.get_field("entity_kinds").help_text,
    )

    class Meta:
        model = Entitlement
        fields = [
            "name",
            "description",
            "legal_basis",
            "department",
            "is_active",
            "licence_type",
            "issued_since",
            "case_item",
            "case_closed_since",
            "subject_kind",
            "entity_kinds",
            "region_prefix",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["case_item"]
        assert isinstance(field, ItemChoice)
        # One query for every item's name (the versions come in number order, so the newest wins):
        field.names = dict(published_versions().order_by("item_id", "number").values_list("item_id", "name"))


@admin.register(Entitlement)
class EntitlementAdmin(admin.ModelAdmin):
    """免申即享 policies: who is eligible (at least one source: a licence type or a case item), what is given."""

    form = EntitlementForm
    list_display = ["name", "criteria_in_words", "department", "is_active"]
    list_select_related = ["licence_type", "case_item", "department"]
    fieldsets = [
        (None, {"fields": ["name", "description", "legal_basis", "department", "is_active"]}),
        (_("条件来源：持有的证照"), {"fields": ["licence_type", "issued_since"]}),
        (_("条件来源：办结过的事项"), {"fields": ["case_item", "case_closed_since"]}),
        (_("主体条件"), {"fields": ["subject_kind", "entity_kinds", "region_prefix"]}),
    ]

    @admin.display(description=_("符合条件"))
    def criteria_in_words(self, obj: Entitlement) -> str:
        return obj.criteria_in_words()


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
