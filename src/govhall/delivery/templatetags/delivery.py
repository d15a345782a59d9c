"""The 送达 panel of a case page (desk and workspace), from the app that owns delivery (DESIGN §3a)."""

from __future__ import annotations

from typing import Any

from django import template

from govhall.cases.messages import licence_of
from govhall.delivery import queries
from govhall.delivery.actions import allowed_methods, pickup_days
from govhall.delivery.constants import CHANGEABLE_STATUSES, FINAL_SHIPMENT_STATUSES, Method, ShipmentKind
from govhall.proactive.queries import joined_with

register = template.Library()


@register.inclusion_tag("delivery/_delivery_panel.html", takes_context=True)
def delivery_panel(context: dict[str, Any], case: Any, surface: str) -> dict[str, Any]:
    """Where the result is and, for the applicant, how they want it; nothing before the case is filed."""
    delivery = queries.delivery_of_case(case)
    methods = allowed_methods(case.item_version)
    # A courier pick-up of paper materials, while the case is handled and the item allows post:
    may_book_pickup = (
        surface != "desk"
        and case.item_version.express_delivery
        and case.status in {"submitted", "correction_requested", "in_progress", "countersigning", "special_procedure"}
        and not (
            delivery is not None
            and delivery.shipments.filter(kind=ShipmentKind.MATERIALS)
            .exclude(status__in=FINAL_SHIPMENT_STATUSES)
            .exists()
        )
    )
    may_choose = (
        surface != "desk"
        and case.status not in {"draft", "withdrawn", "not_accepted"}
        and not (case.status == "closed" and not case.decision)
        and (delivery is None or delivery.status in CHANGEABLE_STATUSES)
    )
    return {
        "case": case,
        "delivery": delivery,
        "surface": surface,
        "methods": [(m, Method(m).label) for m in methods],
        "current": delivery.method if delivery else methods[0],
        "has_ems": Method.EMS in methods,
        "may_choose": may_choose,
        "shipments": queries.shipments_of(delivery) if delivery else [],
        "joined": joined_with(case.pk),
        "licence": licence_of(case) if delivery and delivery.ready_at else None,
        "csrf_token": context.get("csrf_token"),
        # What the last choice was refused for, repeated beside the form (the page's summary has it too):
        "problems": [m for m in context.get("messages", ()) if "delivery" in m.tags.split()],
        "shown": delivery is not None or may_choose or may_book_pickup,
        "may_book_pickup": may_book_pickup,
        "pickup_days": pickup_days() if may_book_pickup else [],
    }
