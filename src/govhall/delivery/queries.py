"""Reading deliveries: for the case pages, the applicant's downloads and the desk's list."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from govhall.cases import queries as case_queries
from govhall.delivery.constants import DeliveryStatus, ShipmentStatus
from govhall.delivery.models import Delivery, Shipment
from govhall.identity.constants import Role
from govhall.identity.queries import departments_covered
from govhall.proactive.queries import joined_with


def delivery_of_case(case: Any) -> Delivery | None:
    return Delivery.objects.filter(case=case).prefetch_related("shipments__events").first()


def delivery_for_applicant(user: Any, public_id: str) -> Delivery:
    """The delivery of one of the user's own cases; 404 otherwise."""
    delivery = Delivery.objects.filter(public_id=public_id).select_related("case__item_version").first()
    if delivery is None:
        raise Http404
    case_queries.access_case_for_applicant(user, str(delivery.case.public_id))
    return delivery


def shipment_for_staff(user: Any, public_id: str) -> Shipment:
    shipment = Shipment.objects.filter(public_id=public_id).select_related("delivery__case").first()
    if shipment is None:
        raise Http404
    case_queries.access_case_for_staff(user, str(shipment.delivery.case.public_id))
    return shipment


def delivery_for_staff(user: Any, public_id: str) -> Delivery:
    delivery = Delivery.objects.filter(public_id=public_id).select_related("case__item_version").first()
    if delivery is None:
        raise Http404
    case_queries.access_case_for_staff(user, str(delivery.case.public_id))
    return delivery


def desk_deliveries(user: Any) -> QuerySet[Delivery]:
    """Deliveries of the units the user handles cases for, or supervises."""
    units = departments_covered(user, [Role.CLERK, Role.REVIEWER, Role.APPROVER, Role.SUPERVISOR])
    return (
        Delivery.objects.filter(case__department_id__in=units)
        .select_related("case__item_version")
        .prefetch_related("shipments")
    )


# The desk's list: what waits for a person, in three piles:
PILES = {
    "to_send": Q(status=DeliveryStatus.TO_SEND),
    "to_collect": Q(status=DeliveryStatus.AWAITING_COLLECTION),
    # (a result sent in another case's parcel, a 一件事's, is in trouble when that parcel is):
    "trouble": Q(status=DeliveryStatus.RETURNED)
    | Q(shipments__status__in=[ShipmentStatus.EXCEPTION, ShipmentStatus.FAILED], status=DeliveryStatus.IN_TRANSIT)
    | Q(
        shared_shipments__status__in=[ShipmentStatus.EXCEPTION, ShipmentStatus.FAILED], status=DeliveryStatus.IN_TRANSIT
    )
    | Q(status=DeliveryStatus.TO_SEND, shipments__send_attempts__gte=3, shipments__status=ShipmentStatus.CREATED)
    | Q(
        status=DeliveryStatus.TO_SEND,
        shared_shipments__send_attempts__gte=3,
        shared_shipments__status=ShipmentStatus.CREATED,
    ),
    "in_transit": Q(status=DeliveryStatus.IN_TRANSIT),
}


def pile(user: Any, name: str) -> QuerySet[Delivery]:
    return desk_deliveries(user).filter(PILES[name]).distinct().order_by("ready_at", "pk")


# The dossier's section of deliveries (一码管理, 我的档案): read as values, as the dossier reads every
# kind; where a result went is named by its region, never by the street address or the phone:
DOSSIER_LISTED: dict[str, str] = {
    "case_reference": "case__reference",
    "item_name": "case__item_version__name",
    "method": "method",
    "status": "status",
    "region_name": "region_name",
    "ready_at": "ready_at",
    "served_at": "served_at",
    "served_how": "served_how",
    "collector_is_proxy": "collector_is_proxy",
}


def dossier_deliveries(subject: Any, scope: Any) -> QuerySet[Delivery]:
    """The deliveries of the subject's cases, in scope, newest first (``dossier.queries`` Subject and Scope)."""
    if subject.entity is not None:
        condition = Q(case__entity=subject.entity)
    elif subject.person is not None:
        condition = Q(case__person=subject.person, case__entity__isnull=True)
    else:
        return Delivery.objects.none()
    deliveries = Delivery.objects.filter(condition)
    if scope.departments is not None:
        deliveries = deliveries.filter(case__department_id__in=scope.departments)
    return deliveries.order_by("-created_at", "-pk")


def shipments_of(delivery: Delivery) -> list[Shipment]:
    """The parcels that carry (or carried) the delivery's result: its own, and a 一件事's shared parcel."""
    shipments = Shipment.objects.filter(Q(delivery=delivery) | Q(also=delivery)).distinct()
    return list(shipments.order_by("-created_at", "-pk"))


def handed_over_with(delivery: Delivery) -> list[Delivery]:
    """The results handed over at the window together with this one (a 一件事's, at the same moment), itself first."""
    joined = joined_with(delivery.case_id)
    if joined is None or delivery.served_at is None:
        return [delivery]
    mates = Delivery.objects.filter(
        case_id__in=joined.case_ids, served_at=delivery.served_at, handed_over_by_id=delivery.handed_over_by_id
    ).exclude(pk=delivery.pk)
    return [delivery, *mates.select_related("case").order_by("case_id")]
