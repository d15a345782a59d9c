"""Reference data of post-licence supervision for the system administrator: plans, the roster, 回避."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from govhall.inspections import actions
from govhall.inspections.models import ConflictOfInterest, InspectionPlan, Inspector


@admin.register(InspectionPlan)
class InspectionPlanAdmin(admin.ModelAdmin):
    list_display = ["name", "licence_type", "department", "kind", "sample_percent", "is_active"]
    list_filter = ["kind", "is_active"]


class ConflictForm(forms.ModelForm):
    holder_code = forms.CharField(label=_("回避对象的公民身份号码或统一社会信用代码"), max_length=18)

    class Meta:
        model = ConflictOfInterest
        fields = ["holder_label", "relation"]


class ConflictInline(admin.TabularInline):
    model = ConflictOfInterest
    form = ConflictForm
    extra = 1
    fields = ["holder_code", "holder_label", "relation"]

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False  # a declaration is replaced by a new one, never edited


@admin.register(Inspector)
class InspectorAdmin(admin.ModelAdmin):
    list_display = ["user", "department", "certificate_number", "is_active"]
    inlines = [ConflictInline]

    def save_formset(self, request: Any, form: Any, formset: Any, change: bool) -> None:
        # The code is kept only as the licences' holder key (an ID number as its keyed hash):
        for inline in formset.forms:
            if inline.cleaned_data and not inline.cleaned_data.get("DELETE") and not inline.instance.pk:
                actions.declare_conflict(
                    form.instance,
                    holder_code=inline.cleaned_data["holder_code"],
                    holder_label=inline.cleaned_data["holder_label"],
                    relation=inline.cleaned_data["relation"],
                    actor=request.user,
                )
        for obj in formset.deleted_objects:
            obj.delete()
