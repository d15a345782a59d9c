"""Another department's system that may call the data-sharing API, and what it may ask."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from govhall.sharing.constants import DEFAULT_RATE_PER_MINUTE


class ClientAccess(models.Model):
    """The grant of one OAuth2 client (client credentials): its scopes, departments and rate."""

    application = models.OneToOneField(
        settings.OAUTH2_PROVIDER_APPLICATION_MODEL,
        verbose_name=_("OAuth2 客户端"),
        on_delete=models.CASCADE,
        related_name="access",
    )
    organisation = models.CharField(_("对接单位"), max_length=200)
    # ClientScope values:
    scopes = models.JSONField(_("授权范围"), default=list)
    # The departments whose records the client may read (each with the units below it):
    departments = models.ManyToManyField("identity.Department", verbose_name=_("数据所属部门"), related_name="+")
    rate_per_minute = models.PositiveIntegerField(_("每分钟调用上限"), default=DEFAULT_RATE_PER_MINUTE)
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("共享接口客户端")
        verbose_name_plural = _("共享接口客户端")

    def __str__(self) -> str:
        return self.organisation
