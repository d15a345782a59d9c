from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from govhall.identity.adminsite import RoleRestrictedAdmin
from govhall.identity.constants import Role
from govhall.sharing.actions import delete_webhook, save_webhook
from govhall.sharing.constants import TYPES_OF_ADAPTER, Adapter, MessageType
from govhall.sharing.models import ClientAccess, Platform, WebhookSubscription


@admin.register(ClientAccess)
class ClientAccessAdmin(admin.ModelAdmin[ClientAccess]):
    """Read-only here: clients are created and retired through `manage.py create_api_client` (audited)."""

    list_display = ["organisation", "scopes", "rate_per_minute", "is_active", "created_at"]
    readonly_fields = ["application", "organisation", "scopes", "departments", "rate_per_minute", "is_active"]

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False


class WebhookForm(forms.ModelForm):
    """A subscription as the administrator edits it: the key is written, never shown."""

    types = forms.MultipleChoiceField(
        label=_("订阅的报文类型"),
        required=False,
        choices=[
            (t.value, f"{t.value} {t.label}") for t in MessageType if t.value in TYPES_OF_ADAPTER[Adapter.WEBHOOK]
        ],
        widget=forms.CheckboxSelectMultiple,
        help_text=_("不选则推送全部可订阅的报文。"),
    )
    url = forms.URLField(label=_("接收地址"), max_length=300, assume_scheme="https")
    new_secret = forms.CharField(
        label=_("新签名密钥"),
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("新建时必填，至少 32 个字符。修改已有订阅时填写即轮换密钥：旧密钥在过渡期内继续同时签名。"),
    )

    class Meta:
        model = WebhookSubscription
        fields = ["code", "name", "url", "timeout_seconds", "is_active"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["types"].initial = self.instance.message_types
            self.fields["code"].disabled = True

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        secret = data.get("new_secret") or ""
        if not self.instance.pk and not secret:
            self.add_error("new_secret", _("新建订阅须设置签名密钥。"))
        elif secret and len(secret) < 32:
            self.add_error("new_secret", _("签名密钥至少 32 个字符。"))
        code = data.get("code")
        if not self.instance.pk and code and Platform.objects.filter(code=code).exists():
            self.add_error("code", _("该代码已被使用，请换一个代码。"))
        return data


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(RoleRestrictedAdmin):
    """Webhook subscriptions of other systems; each save goes through ``save_webhook`` (audited)."""

    admin_roles = frozenset({Role.SYSTEM_ADMIN})
    form = WebhookForm
    list_display = ["name", "code", "url", "is_active", "failures", "paused_at", "last_ack_at"]
    readonly_fields = ["failures", "retry_at", "last_error", "last_ack_at", "paused_at", "previous_secret_until"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[WebhookSubscription]:
        return super().get_queryset(request).filter(adapter=Adapter.WEBHOOK)

    def save_model(self, request: HttpRequest, obj: WebhookSubscription, form: Any, change: bool) -> None:
        data = form.cleaned_data
        saved = save_webhook(
            code=obj.code,
            name=data["name"],
            url=data["url"],
            message_types=list(data["types"]),
            new_secret=data["new_secret"],
            timeout_seconds=data["timeout_seconds"],
            is_active=data["is_active"],
            actor=request.user,
        )
        obj.pk = saved.pk

    def delete_model(self, request: HttpRequest, obj: WebhookSubscription) -> None:
        delete_webhook(obj, actor=request.user)

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return self._allowed(request)
