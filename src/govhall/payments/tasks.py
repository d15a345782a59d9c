"""Background work of the payments app: the outbox toward the platform, the 15-minute check, the daily statement."""

from __future__ import annotations

import datetime

from django_tasks import task

from django.utils import timezone


@task()
def send_order(order_id: int) -> str:
    """Send one order just issued (after its transaction committed)."""
    from govhall.payments.actions import send_order as send

    return send(order_id)


@task()
def check_payments() -> dict[str, int]:
    """Every 15 minutes: send what waits in the outbox, ask about pending orders, retry refunds; queue the next run."""
    from govhall.payments.actions import poll_pending, schedule_checks, send_due_orders

    try:
        return {**send_due_orders(), **poll_pending()}
    finally:
        schedule_checks()


@task()
def reconcile_yesterday() -> int:
    """Daily: match yesterday's statement (and any earlier day not yet matched); queue the next run."""
    from govhall.payments.actions import reconcile_missing_days, schedule_reconciliation

    try:
        return reconcile_missing_days(timezone.localdate() - datetime.timedelta(days=1))
    finally:
        schedule_reconciliation()
