"""Background work of the delivery app: a waybill just asked for, and the upkeep round."""

from __future__ import annotations

from django_tasks import task


@task()
def send_shipment(shipment_id: int) -> str:
    """Ask EMS for one waybill (after the transaction that made the shipment committed)."""
    from govhall.delivery.actions import send_shipment as send

    return send(shipment_id)


@task()
def keep_deliveries() -> dict[str, int]:
    """Every minute: the case feed, the EMS outbox, tracking, reminders; queue the next run."""
    from govhall.delivery.actions import keep_deliveries as keep
    from govhall.delivery.actions import schedule_upkeep

    try:
        return keep()
    finally:
        schedule_upkeep()
