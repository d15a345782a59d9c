"""Every write of the sharing app: register and retire the systems that call the sharing API."""

from __future__ import annotations

from typing import Any

from oauth2_provider.generators import generate_client_secret
from oauth2_provider.models import get_application_model

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from govhall.audit.actions import record
from govhall.identity.models import Department
from govhall.sharing.constants import DEFAULT_RATE_PER_MINUTE, ClientScope
from govhall.sharing.models import ClientAccess


@transaction.atomic
def create_api_client(
    *,
    organisation: str,
    scopes: list[str],
    departments: list[Department],
    rate_per_minute: int = DEFAULT_RATE_PER_MINUTE,
    actor: Any = None,
) -> tuple[ClientAccess, str]:
    """Register another department's system as an OAuth2 client (client-credentials grant).

    Returns the grant and the client secret. The secret is shown this once: the database
    keeps only its hash (django-oauth-toolkit hashes it on save). Raises ValidationError for
    an unknown scope, no department, or a rate below one call a minute.
    """
    unknown = sorted(set(scopes) - set(ClientScope.values))
    if unknown or not scopes:
        raise ValidationError(
            _("授权范围只能是：%(allowed)s。") % {"allowed": "、".join(ClientScope.values)}, code="scope"
        )
    if not departments:
        raise ValidationError(_("请至少指定一个数据所属部门。"), code="departments")
    if rate_per_minute < 1:
        raise ValidationError(_("每分钟调用上限至少为1。"), code="rate")
    if not organisation.strip():
        raise ValidationError(_("请填写对接单位名称。"), code="organisation")
    Application = get_application_model()
    secret = generate_client_secret()
    application = Application(
        name=organisation.strip()[:255],
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
        client_secret=secret,
        hash_client_secret=True,
    )
    application.save()
    access = ClientAccess.objects.create(
        application=application,
        organisation=organisation.strip(),
        scopes=sorted(set(scopes)),
        rate_per_minute=rate_per_minute,
    )
    access.departments.set(departments)
    record(
        "sharing.client_created",
        actor,
        access,
        {
            "client_id": application.client_id,
            "scopes": access.scopes,
            "departments": [d.code for d in departments],
            "rate": rate_per_minute,
        },
    )
    return access, secret


@transaction.atomic
def retire_api_client(access: ClientAccess, *, actor: Any = None) -> None:
    """Stop a client: its tokens stop working at once and its secret no longer gets a new one."""
    access.is_active = False
    access.save(update_fields=["is_active"])
    application = access.application
    application.accesstoken_set.all().delete()
    # A fresh secret nobody is told (stored hashed) ends the old one:
    application.client_secret = generate_client_secret()
    application.save(update_fields=["client_secret"])
    record("sharing.client_retired", actor, access, {"client_id": access.application.client_id})
