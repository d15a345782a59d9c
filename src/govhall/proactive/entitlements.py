"""免申即享: benefits given without an application to the subjects the platform's data shows eligible.

Staff of the paying unit search for eligible subjects (holders of a valid licence of the
entitlement's type); the search proposes, it grants nothing. A person then confirms the
proposals in a batch with a stated purpose — audited like a dossier look-up — and each subject's
accounts are told; the person can decline. Nothing is granted without a grant row saying who,
when and why. (Separate from ``proactive.actions``: licences imports that module to send its
notices, and this one reads licences.)
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from govhall.audit.actions import record
from govhall.identity.constants import Role
from govhall.identity.models import User
from govhall.identity.queries import departments_covered, has_role_for, list_entities_for
from govhall.lib.errors import Conflict, uuid_or_404
from govhall.licences.actions import holder_accounts, public_holder_name
from govhall.licences.queries import holder_keys, valid_licences_of_type
from govhall.proactive.actions import notify_many
from govhall.proactive.models import Entitlement, EntitlementGrant, GrantStatus

GRANTING_ROLES = (Role.APPROVER, Role.SUPERVISOR)


def may_grant(user: Any, entitlement: Entitlement) -> bool:
    return any(has_role_for(user, role, entitlement.department) for role in GRANTING_ROLES)


def list_entitlements_for(user: Any) -> QuerySet[Entitlement]:
    """The entitlements of the units the person grants for (nothing for anyone else)."""
    return Entitlement.objects.filter(department_id__in=departments_covered(user, GRANTING_ROLES)).select_related(
        "licence_type", "department"
    )


def access_entitlement_for(user: Any, public_id: Any) -> Entitlement:
    entitlement = list_entitlements_for(user).filter(public_id=uuid_or_404(public_id)).first()
    if entitlement is None:
        raise Http404
    return entitlement


def grants_of(user: User) -> QuerySet[EntitlementGrant]:
    """The grants made to the person and to the companies they act for (proposals are not shown)."""
    keys = holder_keys(user) + [entity.credit_code for entity in list_entities_for(user)]
    return (
        EntitlementGrant.objects.filter(subject_key__in=keys)
        .exclude(status=GrantStatus.PROPOSED)
        .select_related("entitlement")
        .order_by("-granted_at")
    )


@transaction.atomic
def find_eligible(entitlement: Entitlement, *, actor: User) -> int:
    """Propose every eligible subject not yet proposed; audited. Returns how many were added."""
    if not may_grant(actor, entitlement):
        raise PermissionDenied(_("只有兑现单位的审批或监督人员可以查找符合条件的对象。"))
    if not entitlement.is_active:
        raise ValidationError(_("该政策已停用。"))
    licences = valid_licences_of_type(entitlement.licence_type).order_by("issued_on", "pk")
    if entitlement.issued_since:
        licences = licences.filter(issued_on__gte=entitlement.issued_since)
    known = set(EntitlementGrant.objects.filter(entitlement=entitlement).values_list("subject_key", flat=True))
    proposals: dict[str, EntitlementGrant] = {}
    for licence in licences:
        if licence.holder_key in known or licence.holder_key in proposals:
            continue
        proposals[licence.holder_key] = EntitlementGrant(
            entitlement=entitlement,
            subject_key=licence.holder_key,
            subject_name=public_holder_name(licence),
            licence=licence,
        )
    EntitlementGrant.objects.bulk_create(proposals.values())
    record("proactive.eligibility_searched", actor, entitlement, {"found": len(proposals)})
    return len(proposals)


@transaction.atomic
def grant(entitlement: Entitlement, grant_ids: list[Any], *, actor: User, purpose: str) -> int:
    """Confirm proposals in a batch with a stated purpose; each subject's accounts are told. Returns how many."""
    if not may_grant(actor, entitlement):
        raise PermissionDenied(_("只有兑现单位的审批或监督人员可以确认兑现。"))
    if not purpose.strip():
        raise ValidationError({"purpose": _("请写明兑现事由（例如“2026年度生态公益林补偿”），它将记入审计日志。")})
    chosen = list(
        EntitlementGrant.objects.select_for_update()
        .filter(entitlement=entitlement, public_id__in=[uuid_or_404(g) for g in grant_ids])
        .select_related("licence")
    )
    if not chosen:
        raise ValidationError({"grants": _("请至少选择一个享受对象。")})
    if any(g.status != GrantStatus.PROPOSED for g in chosen):
        raise Conflict(_("所选对象中有已经兑现或已放弃的，请刷新页面后重新选择。"))
    now = timezone.now()
    letters = []
    for item in chosen:
        item.status, item.granted_by, item.granted_at, item.purpose = GrantStatus.GRANTED, actor, now, purpose.strip()
        for user in holder_accounts(item.licence):
            letters.append(
                (
                    user,
                    _("您已享受：%(name)s") % {"name": entitlement.name},
                    _(
                        "根据平台已有的信息，您符合“%(name)s”的条件，无需申请即可享受：%(what)s 如不需要，可以在“我的免申即享”中放弃。"
                    )
                    % {"name": entitlement.name, "what": entitlement.description},
                    reverse("proactive:my_entitlements"),
                )
            )
    EntitlementGrant.objects.bulk_update(chosen, ["status", "granted_by", "granted_at", "purpose"])
    notify_many(letters)
    record(
        "proactive.entitlements_granted",
        actor,
        entitlement,
        {"purpose": purpose.strip(), "count": len(chosen), "subjects": [g.subject_name for g in chosen][:50]},
    )
    return len(chosen)


@transaction.atomic
def decline(grant_id: Any, *, user: User, reason: str = "") -> EntitlementGrant:
    """The person gives up a benefit granted to them (or to a company they act for)."""
    item = grants_of(user).select_for_update().filter(public_id=uuid_or_404(grant_id)).first()
    if item is None:
        raise Http404
    if item.status != GrantStatus.GRANTED:
        raise Conflict(_("这项待遇已经放弃，无需再次操作。"))
    item.status, item.declined_at, item.decline_reason = GrantStatus.DECLINED, timezone.now(), reason.strip()[:300]
    item.save(update_fields=["status", "declined_at", "decline_reason"])
    record("proactive.entitlement_declined", user, item, {"entitlement": item.entitlement.name})
    return item
