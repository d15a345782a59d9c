from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from govhall.identity import actions
from govhall.identity.adminsite import RoleRestrictedAdmin
from govhall.identity.constants import Role
from govhall.identity.models import Department, EntityAuthorisation, LegalEntity, Membership, NaturalPerson, User


@admin.register(Department)
class DepartmentAdmin(RoleRestrictedAdmin):
    admin_roles = frozenset({Role.SYSTEM_ADMIN})
    list_display = ["name", "code", "credit_code", "parent", "is_active"]
    search_fields = ["name", "code", "credit_code"]

    def save_model(self, request: HttpRequest, obj: Department, form: Any, change: bool) -> None:
        actions.save_department(
            code=obj.code,
            name=obj.name,
            name_en=obj.name_en,
            credit_code=obj.credit_code,
            parent=obj.parent,
            sort_order=obj.sort_order,
            actor=request.user,
        )

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        return {}


class MembershipForm(forms.ModelForm):
    class Meta:
        model = Membership
        fields = ["user", "department", "role"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        user, role = cleaned.get("user"), cleaned.get("role")
        if user is not None and role:
            try:
                actions.check_role_grant(user, role)
            except ValidationError as refused:
                self.add_error("role", refused)
        return cleaned


@admin.register(Membership)
class MembershipAdmin(RoleRestrictedAdmin):
    """Roles are granted by the security administrator, through the audited actions."""

    admin_roles = frozenset({Role.SECURITY_ADMIN})
    form = MembershipForm
    list_display = ["user", "department", "role", "granted_at"]
    list_filter = ["role", "department"]
    fields = ["user", "department", "role"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False if obj is not None else self._allowed(request)

    def save_model(self, request: HttpRequest, obj: Membership, form: Any, change: bool) -> None:
        actions.grant_role(obj.user, obj.department, obj.role, actor=request.user)

    def delete_model(self, request: HttpRequest, obj: Membership) -> None:
        actions.revoke_role(obj.user, obj.department, obj.role, actor=request.user)

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        return {}


@admin.register(User)
class UserAdmin(RoleRestrictedAdmin):
    """Accounts are seen by the security administrator; passwords and roles change through actions."""

    admin_roles = frozenset({Role.SECURITY_ADMIN})
    list_display = ["username", "full_name", "kind", "is_active", "last_login"]
    list_filter = ["kind", "is_active"]
    search_fields = ["username", "full_name"]
    fields = ["username", "full_name", "kind", "is_active", "last_login", "date_joined"]
    readonly_fields = ["username", "kind", "last_login", "date_joined"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(NaturalPerson)
class NaturalPersonAdmin(RoleRestrictedAdmin):
    """Masked identifiers only; a full view goes through an audited action on the desk."""

    admin_roles = frozenset({Role.SECURITY_ADMIN})
    list_display = ["name", "id_number_masked", "phone_masked", "created_at"]
    fields = ["name", "id_number_masked", "phone_masked", "created_at"]
    readonly_fields = ["name", "id_number_masked", "phone_masked", "created_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(LegalEntity)
class LegalEntityAdmin(RoleRestrictedAdmin):
    admin_roles = frozenset({Role.SECURITY_ADMIN})
    list_display = ["name", "credit_code", "kind", "credit_code_warning"]
    search_fields = ["name", "credit_code"]
    readonly_fields = ["credit_code", "kind", "credit_code_warning"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(EntityAuthorisation)
class EntityAuthorisationAdmin(RoleRestrictedAdmin):
    admin_roles = frozenset({Role.SECURITY_ADMIN})
    list_display = ["user", "entity", "role", "is_active", "granted_at"]
    list_filter = ["role", "is_active"]
    fields = ["user", "entity", "role"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False if obj is not None else self._allowed(request)

    def save_model(self, request: HttpRequest, obj: EntityAuthorisation, form: Any, change: bool) -> None:
        actions.authorise_for_entity(obj.user, obj.entity, role=obj.role, actor=request.user)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
