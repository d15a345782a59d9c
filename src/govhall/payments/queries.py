"""Reading fee orders: for the case pages, the applicant, and the desk's payments list."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from govhall.cases import queries as case_queries
from govhall.identity.constants import Role
from govhall.identity.queries import departments_covered
from govhall.payments.constants import RefundStatus
from govhall.payments.models import Difference, PaymentOrder, Refund, StatementRun


def orders_of_case(case: Any) -> list[PaymentOrder]:
    return list(case.fee_orders.prefetch_related("lines", "refunds").order_by("-issued_at", "-pk"))


def order_for_applicant(user: Any, public_id: str) -> PaymentOrder:
    """An order of one of the user's own cases; 404 otherwise."""
    order = PaymentOrder.objects.filter(public_id=public_id).select_related("case__item_version").first()
    if order is None:
        raise Http404
    case_queries.access_case_for_applicant(user, str(order.case.public_id))
    return order


def order_for_staff(user: Any, public_id: str) -> PaymentOrder:
    """An order of a case the member of staff may open; 404 otherwise."""
    order = PaymentOrder.objects.filter(public_id=public_id).select_related("case__item_version").first()
    if order is None:
        raise Http404
    case_queries.access_case_for_staff(user, str(order.case.public_id))
    return order


def desk_orders(user: Any) -> QuerySet[PaymentOrder]:
    """Orders of the units the user handles cases for, or supervises."""
    units = departments_covered(user, [Role.CLERK, Role.REVIEWER, Role.APPROVER, Role.SUPERVISOR])
    return PaymentOrder.objects.filter(case__department_id__in=units).select_related("case__item_version")


def needing_attention(user: Any) -> QuerySet[PaymentOrder]:
    return desk_orders(user).exclude(needs_review="").order_by("issued_at")


def refunds_to_decide(user: Any) -> QuerySet[Refund]:
    units = departments_covered(user, [Role.APPROVER])
    return (
        Refund.objects.filter(status=RefundStatus.REQUESTED, order__case__department_id__in=units)
        .exclude(requested_by_id=getattr(user, "pk", None))
        .select_related("order__case", "requested_by")
    )


def open_differences(user: Any) -> QuerySet[Difference]:
    if not departments_covered(user, [Role.SUPERVISOR]):
        return Difference.objects.none()
    return Difference.objects.filter(settled_at__isnull=True).select_related("run", "order__case")


def recent_runs(limit: int = 14) -> list[StatementRun]:
    return list(StatementRun.objects.all()[:limit])


def may_see_reconciliation(user: Any) -> bool:
    return bool(departments_covered(user, [Role.SUPERVISOR]))


def orders_paid_by(user: Any) -> QuerySet[PaymentOrder]:
    """The applicant's own paid orders, with their receipts (我的档案)."""
    return PaymentOrder.objects.filter(Q(case__applicant=user), ~Q(receipt_number="")).select_related(
        "case__item_version"
    )


# The dossier's section of fees (一码管理, 我的档案): read as values, as the dossier reads every kind:
DOSSIER_LISTED: dict[str, str] = {
    "payment_code": "payment_code",
    "case_reference": "case__reference",
    "item_name": "case__item_version__name",
    "total": "total",
    "status": "status",
    "receipt_number": "receipt_number",
    "paid_at": "paid_at",
    "refunded": "refunded",
    "issued_at": "issued_at",
}


def dossier_payments(subject: Any, scope: Any) -> QuerySet[PaymentOrder]:
    """The fee orders of the subject's cases, in scope, newest first (``dossier.queries`` Subject and Scope).

    A company's are those of the cases filed for it; a person's, those they filed for themselves.
    """
    if subject.entity is not None:
        condition = Q(case__entity=subject.entity)
    elif subject.person is not None:
        condition = Q(case__person=subject.person, case__entity__isnull=True)
    else:
        return PaymentOrder.objects.none()
    orders = PaymentOrder.objects.filter(condition)
    if scope.departments is not None:
        orders = orders.filter(case__department_id__in=scope.departments)
    return orders.order_by("-issued_at", "-pk")
