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
    "trouble": Q(status=DeliveryStatus.RETURNED)
    | Q(shipments__status__in=[ShipmentStatus.EXCEPTION, ShipmentStatus.FAILED], status=DeliveryStatus.IN_TRANSIT)
    | Q(status=DeliveryStatus.TO_SEND, shipments__send_attempts__gte=3, shipments__status=ShipmentStatus.CREATED),
    "in_transit": Q(status=DeliveryStatus.IN_TRANSIT),
}


def pile(user: Any, name: str) -> QuerySet[Delivery]:
    return desk_deliveries(user).filter(PILES[name]).distinct().order_by("ready_at", "pk")
