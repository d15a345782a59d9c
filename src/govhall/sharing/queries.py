"""Reads of the sharing app: what an API client may see, and the exchange's state for the desk and /healthz."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Count, Min, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from govhall.cases.feed import pending_count
from govhall.dossier.queries import Scope
from govhall.identity.constants import Role
from govhall.identity.models import Membership
from govhall.identity.queries import departments_below
from govhall.sharing.constants import CONSUMER, KINDS_OF_SCOPE, InboundStatus, MessageStatus, MessageType, Openness
from govhall.sharing.models import ClientAccess, Dataset, InboundApplication, OutboxMessage, Platform
from govhall.sharing.opendata import QUERIES


def scope_for_client(access: ClientAccess, token_scopes: list[str]) -> Scope:
    """The records a client's token may read: its departments (and units below), its scopes' kinds."""
    roots = list(access.departments.values_list("pk", flat=True))
    kinds = frozenset(KINDS_OF_SCOPE[s] for s in token_scopes if s in KINDS_OF_SCOPE and s in access.scopes)
    return Scope(frozenset(departments_below(roots)), kinds)


# The exchange ----------------------------------------------------------------------------------


def may_manage_exchange(user: Any) -> bool:
    """Supervisors (of any unit) and system administrators see and manage the exchange."""
    return bool(
        getattr(user, "is_authenticated", False)
        and Membership.objects.filter(user_id=user.pk, role__in=[Role.SUPERVISOR, Role.SYSTEM_ADMIN]).exists()
    )


def _require(user: Any) -> None:
    if not may_manage_exchange(user):
        raise Http404


@dataclass(frozen=True)
class PlatformRow:
    platform: Platform
    waiting: int
    oldest_waiting: datetime.datetime | None
    dead: int
    delivered: int


def platform_overview(user: Any) -> list[PlatformRow]:
    """Per platform: messages waiting, the oldest waiting, dead letters, delivered; 404 for anyone else."""
    _require(user)
    counts = {
        (row["platform_id"], row["status"]): (row["n"], row["oldest"])
        for row in OutboxMessage.objects.values("platform_id", "status").annotate(
            n=Count("pk"), oldest=Min("created_at")
        )
    }
    rows = []
    for platform in Platform.objects.order_by("code"):
        waiting, oldest = counts.get((platform.pk, MessageStatus.PENDING), (0, None))
        rows.append(
            PlatformRow(
                platform,
                waiting,
                oldest,
                counts.get((platform.pk, MessageStatus.DEAD), (0, None))[0],
                counts.get((platform.pk, MessageStatus.DELIVERED), (0, None))[0],
            )
        )
    return rows


def outbox_lag() -> dict[str, Any]:
    """For /healthz: case events not yet in the outbox, messages waiting, the oldest one's age in seconds, dead letters."""
    oldest = OutboxMessage.objects.filter(status=MessageStatus.PENDING).aggregate(oldest=Min("created_at"))["oldest"]
    return {
        "events_waiting": pending_count(CONSUMER),
        "messages_waiting": OutboxMessage.objects.filter(status=MessageStatus.PENDING).count(),
        "oldest_waiting_seconds": round((timezone.now() - oldest).total_seconds(), 1) if oldest else 0,
        "dead_letters": OutboxMessage.objects.filter(status=MessageStatus.DEAD).count(),
    }


def list_messages(user: Any, *, status: str = MessageStatus.DEAD, platform_code: str = "") -> QuerySet[OutboxMessage]:
    _require(user)
    messages = OutboxMessage.objects.filter(status=status).select_related("platform").order_by("stream", "sequence")
    if platform_code:
        messages = messages.filter(platform__code=platform_code)
    return messages


def access_message_for(user: Any, public_id: Any) -> OutboxMessage:
    _require(user)
    return get_object_or_404(OutboxMessage.objects.select_related("platform"), public_id=public_id)


def list_inbound(user: Any, *, status: str = InboundStatus.REVIEW) -> QuerySet[InboundApplication]:
    _require(user)
    return InboundApplication.objects.filter(status=status).select_related("platform").order_by("received_at")


def access_inbound_for(user: Any, public_id: Any) -> InboundApplication:
    _require(user)
    return get_object_or_404(InboundApplication.objects.select_related("platform"), public_id=public_id)


def licence_collection_report(user: Any) -> dict[str, int]:
    """Licences pushed to the district library: collected (acknowledged), pending, rejected (dead letters)."""
    _require(user)
    rows = dict(
        OutboxMessage.objects.filter(message_type=MessageType.LICENCE)
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    return {
        "collected": rows.get(MessageStatus.DELIVERED, 0),
        "pending": rows.get(MessageStatus.PENDING, 0),
        "rejected": rows.get(MessageStatus.DEAD, 0),
    }


# Open data --------------------------------------------------------------------------------------


def list_open_datasets() -> QuerySet[Dataset]:
    """The published data sets anyone may see listed (不予开放 sets are never published)."""
    return Dataset.objects.filter(is_published=True).exclude(openness=Openness.CLOSED).order_by("title")


def get_open_dataset(slug: str) -> Dataset:
    """A published data set, or 404."""
    return get_object_or_404(list_open_datasets(), slug=slug)


def is_downloadable(dataset: Dataset) -> bool:
    """Anyone may download a 无条件开放 set; a 有条件开放 one is listed, and granted on application."""
    return dataset.openness == Openness.UNCONDITIONAL


def dataset_metadata(dataset: Dataset, base_url: str = "") -> dict[str, Any]:
    """The metadata record (DCAT-style): title, publisher, licence, frequency, fields, last updated, downloads."""
    fields = QUERIES[dataset.query].fields
    downloads = (
        [
            {"dcat:mediaType": "text/csv", "dcat:downloadURL": f"{base_url}/data/{dataset.slug}.csv"},
            {"dcat:mediaType": "application/json", "dcat:downloadURL": f"{base_url}/data/{dataset.slug}.json"},
        ]
        if is_downloadable(dataset)
        else []
    )
    return {
        "@type": "dcat:Dataset",
        "dct:identifier": dataset.slug,
        "dct:title": dataset.title,
        "dct:description": dataset.description,
        "dct:publisher": settings.BUREAU_NAME,
        "dct:license": dataset.licence,
        "dct:accrualPeriodicity": dataset.update_frequency,
        "dct:modified": dataset.refreshed_at.isoformat() if dataset.refreshed_at else None,
        "openness": dataset.openness,
        "openness_label": str(dataset.get_openness_display()),
        "secrecy_review": {
            "reviewed_by": dataset.reviewed_by,
            "reviewed_on": dataset.reviewed_on.isoformat(),
            "conclusion": dataset.review_conclusion,
        },
        "suppression": {"min_count": dataset.min_count},
        "fields": [{"name": f.name, "title": f.title, "type": f.type, "description": f.description} for f in fields],
        "dcat:distribution": downloads,
        "rows": len(dataset.rows),
    }
