"""Pages of fees: the applicant's order page and payment, the desk's actions and list, the platform's callback."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from govhall.cases import queries as case_queries
from govhall.identity.decorators import applicant_required, staff_required
from govhall.identity.models import User
from govhall.lib.errors import Conflict
from govhall.lib.storage import private_download
from govhall.payments import actions, finance, queries
from govhall.payments.constants import OrderStatus
from govhall.payments.models import Refund


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _say(request: HttpRequest, exc: Exception) -> None:
    if isinstance(exc, ValidationError):
        for message in exc.messages:
            messages.error(request, message)
    elif isinstance(exc, finance.TransportError):
        messages.error(request, _("财政非税收入平台暂时无法连接，没有做任何改动，请稍后再试。"))
    elif isinstance(exc, finance.Refused):
        messages.error(request, _("财政非税收入平台拒绝了这个请求：%(error)s") % {"error": exc.error[:150]})
    else:
        messages.error(request, str(exc))


_REFUSALS = (ValidationError, PermissionDenied, Conflict, finance.TransportError, finance.Refused)


def _back_to_case(order_or_case: Any) -> HttpResponseRedirect:
    case = getattr(order_or_case, "case", order_or_case)
    return redirect("cases:desk_case", public_id=case.public_id)


# The applicant ---------------------------------------------------------------------------------------


@applicant_required
def my_order(request: HttpRequest, public_id: str) -> HttpResponse:
    """The order: what is due and why, pay it, and the receipt once paid.

    Back from the platform's page the outcome is asked of the platform (never taken from the
    return address), so the page says at once whether the payment went through.
    """
    order = queries.order_for_applicant(request.user, public_id)
    if request.GET.get("payment_code") == order.payment_code and order.status == OrderStatus.PENDING:
        try:
            actions.refresh_order(order)
            order.refresh_from_db()
        except (finance.TransportError, finance.Refused):
            pass  # the callback or the 15-minute check records it; the page says it is being confirmed
    returned = "payment_code" in request.GET
    return render(request, "payments/my_order.html", {"surface": "workspace", "order": order, "case": order.case,
                                                     "returned": returned})  # fmt: skip


@applicant_required
@require_POST
def my_order_pay(request: HttpRequest, public_id: str) -> HttpResponse:
    """Go to the platform's payment page (sending the order first if it still waits in the outbox)."""
    order = queries.order_for_applicant(request.user, public_id)
    if order.status == OrderStatus.CREATED:
        actions.send_order(order.pk)
        order.refresh_from_db()
    if order.status == OrderStatus.PENDING and order.pay_url:
        return redirect(order.pay_url)
    if order.status == OrderStatus.CREATED:
        messages.error(request, _("财政非税收入平台暂时无法连接，请稍后再缴费；缴款期限内都可以缴纳。"))
    else:
        messages.error(request, _("这张缴款单现在是“%(status)s”，不能缴费。") % {"status": order.get_status_display()})
    return redirect("payments:my_order", public_id=order.public_id)


@applicant_required
def my_order_notice(request: HttpRequest, public_id: str) -> FileResponse:
    order = queries.order_for_applicant(request.user, public_id)
    return private_download(
        order.notice, content_type="application/pdf", filename=f"缴款通知书-{order.payment_code}.pdf"
    )


# The platform's callback -------------------------------------------------------------------------------


@csrf_exempt
@require_POST
def callback(request: HttpRequest) -> HttpResponse:
    """The finance platform's signed payment notification (docs/finance-platform.md, The callback)."""
    headers = {name: request.headers.get(name, "") for name in ("X-Finance-Timestamp", "X-Finance-Nonce",
                                                                "X-Finance-Signature")}  # fmt: skip
    answer = actions.receive_callback(request.path, headers, request.body)
    body: dict[str, Any] = {"received": answer.status == 200, "result": answer.message}
    return JsonResponse(body, status=answer.status)


# The desk -------------------------------------------------------------------------------------------------


@staff_required
@require_POST
def desk_issue(request: HttpRequest, public_id: str) -> HttpResponse:
    """Assess the case's fees and issue the order (the 缴费 step's form)."""
    case = case_queries.access_case_for_staff(request.user, public_id)
    assessments = [
        actions.Assessment(
            fee=fee, amount=request.POST.get(f"amount_{fee.pk}", ""), note=request.POST.get(f"note_{fee.pk}", "")
        )
        for fee in case.item_version.fees.all()
    ]
    try:
        order = actions.issue_order(case, actor=_user(request), assessments=assessments)
    except _REFUSALS as exc:
        _say(request, exc)
        return _back_to_case(case)
    if order is None:
        messages.success(request, _("经核定免征全部费用，缴费环节已完成。"))
    else:
        messages.success(
            request, _("缴款通知已开具（缴款码 %(code)s），已通知申请人缴费。") % {"code": order.payment_code}
        )
    return _back_to_case(case)


@staff_required
@require_POST
def desk_order_action(request: HttpRequest, public_id: str, action: str) -> HttpResponse:
    order = queries.order_for_staff(request.user, public_id)
    user = _user(request)
    try:
        if action == "window":
            outcome = actions.record_window_payment(
                order, actor=user, receipt_number=request.POST.get("receipt_number", "")
            )
            messages.success(
                request, _("窗口缴费已核验并登记。") if outcome == "paid" else _("已核验，缴费此前已登记。")
            )
        elif action == "cancel":
            actions.cancel_order(order, actor=user, reason=request.POST.get("reason", ""))
            messages.success(request, _("缴款通知已作废，可以重新核定开具。"))
        elif action == "refund":
            actions.request_refund(
                order, actor=user, amount=request.POST.get("amount", ""), reason=request.POST.get("reason", "")
            )
            messages.success(request, _("退款申请已提交，等待另一位审批人员审批。"))
        elif action == "refresh":
            outcome = actions.refresh_order(order)
            messages.success(request, _("已向财政平台查询：%(outcome)s。") % {"outcome": outcome})
        else:
            raise PermissionDenied(_("未知操作。"))
    except _REFUSALS as exc:
        _say(request, exc)
    return _back_to_case(order)


@staff_required
@require_POST
def desk_refund_decide(request: HttpRequest, public_id: str) -> HttpResponse:
    refund = get_object_or_404(Refund.objects.select_related("order__case"), public_id=public_id)
    queries.order_for_staff(request.user, str(refund.order.public_id))
    approve = request.POST.get("decision") == "approve"
    try:
        refund = actions.decide_refund(refund, actor=_user(request), approve=approve, note=request.POST.get("note", ""))
    except _REFUSALS as exc:
        _say(request, exc)
        return redirect("payments:desk_payments")
    refund.refresh_from_db()
    messages.success(request, _("退款已批准，状态：%(status)s。") % {"status": refund.get_status_display()} if approve
                     else _("已不予退款。"))  # fmt: skip
    return redirect("payments:desk_payments")


@staff_required
def desk_order_notice(request: HttpRequest, public_id: str) -> FileResponse:
    order = queries.order_for_staff(request.user, public_id)
    return private_download(
        order.notice, content_type="application/pdf", filename=f"缴款通知书-{order.payment_code}.pdf"
    )


@staff_required
def desk_payments(request: HttpRequest) -> HttpResponse:
    """What needs a person: orders flagged for review, refunds to approve, reconciliation differences."""
    user = _user(request)
    return render(
        request,
        "payments/desk_payments.html",
        {
            "surface": "desk",
            "flagged": queries.needing_attention(user)[:200],
            "pending": queries.desk_orders(user).filter(status__in=[OrderStatus.CREATED, OrderStatus.PENDING])[:200],
            "refunds": queries.refunds_to_decide(user)[:200],
            "differences": queries.open_differences(user)[:500],
            "runs": queries.recent_runs() if queries.may_see_reconciliation(user) else [],
        },
    )


@staff_required
@require_POST
def desk_settle(request: HttpRequest, public_id: str) -> HttpResponse:
    # Differences are the supervisors' (anyone else is told "not found"):
    difference = get_object_or_404(queries.open_differences(request.user), public_id=public_id)
    try:
        actions.settle_difference(difference, actor=_user(request), note=request.POST.get("note", ""))
        messages.success(request, _("差异的处理情况已记录。"))
    except _REFUSALS as exc:
        _say(request, exc)
    return redirect("payments:desk_payments")
