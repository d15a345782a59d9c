"""The 缴费 panel of a case page (desk and workspace), from the app that owns the step (DESIGN §3a)."""

from __future__ import annotations

from typing import Any

from django import template
from django.core.exceptions import PermissionDenied, ValidationError

from govhall.cases import actions as case_actions
from govhall.identity.constants import Role
from govhall.identity.queries import departments_covered
from govhall.payments import queries
from govhall.payments.constants import OPEN_ORDER_STATUSES, OrderStatus

register = template.Library()


@register.inclusion_tag("payments/_fee_panel.html", takes_context=True)
def fee_panel(context: dict[str, Any], case: Any, surface: str) -> dict[str, Any]:
    """The case's fee orders; on the desk the forms the user may use now (assess, window payment, refund)."""
    user = context["request"].user
    orders = queries.orders_of_case(case)
    shown: dict[str, Any] = {
        "case": case,
        "orders": orders,
        "surface": surface,
        "csrf_token": context.get("csrf_token"),
    }
    if surface != "desk":
        return shown
    try:
        case_actions.check_fee_step(user, case)
        may_assess = True
    except (PermissionDenied, ValidationError):
        may_assess = False
    if any(order.status in {*OPEN_ORDER_STATUSES, OrderStatus.PAID} for order in orders):
        may_assess = False
    unit = case.department_id
    shown.update(
        may_assess=may_assess,
        fees=list(case.item_version.fees.all()) if may_assess else [],
        is_clerk=unit in departments_covered(user, [Role.CLERK]),
        may_refund=unit in departments_covered(user, [Role.CLERK, Role.APPROVER]),
    )
    return shown
