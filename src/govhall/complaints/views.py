"""Complaint pages: the portal form and follow page, and the desk's complaints and supervision orders."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from govhall.audit.actions import client_ip
from govhall.cases.models import Case
from govhall.catalog.models import ServiceItem
from govhall.complaints import actions, queries
from govhall.complaints.constants import (
    OPEN_COMPLAINT_STATUSES,
    ComplaintChannel,
    ComplaintStatus,
    ObjectKind,
    OrderStatus,
)
from govhall.complaints.forms import (
    AnswerForm,
    AssignForm,
    ComplaintForm,
    ExtensionRequestForm,
    FollowForm,
    NoteForm,
    RaiseOrderForm,
    RateForm,
    RejectForm,
    ReopenForm,
    ReplyForm,
    StaffComplaintForm,
)
from govhall.complaints.models import Complaint, SupervisionOrder
from govhall.identity.constants import Role, UserKind
from govhall.identity.decorators import staff_required
from govhall.identity.models import User
from govhall.identity.queries import departments_covered
from govhall.lib.forms import Form
from govhall.lib.ratelimit import over_limit
from govhall.lib.storage import private_download

FOLLOWED = "govhall_followed_complaints"
NEW_CODE = "govhall_new_complaint_code"
FOLLOW_LIMIT_PER_MINUTE = 10


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _say_errors(request: HttpRequest, exc: ValidationError | PermissionDenied) -> None:
    for message in exc.messages if isinstance(exc, ValidationError) else [str(exc)]:
        messages.error(request, message)


def _to_form(form: Form, exc: ValidationError) -> bool:
    """Put the action's errors at the form's fields; False if some belong to no field (then say them above)."""
    if hasattr(exc, "error_dict") and set(exc.error_dict) <= set(form.fields):
        form.add_error(None, exc)
        return True
    return False


# Portal -------------------------------------------------------------------------------------


def _applicant(request: HttpRequest) -> User | None:
    user = request.user
    return user if isinstance(user, User) and user.is_authenticated and user.kind == UserKind.APPLICANT else None


def new_complaint(request: HttpRequest) -> HttpResponse:
    """The portal's complaint form: anonymous or named; from a guide's "投诉" link with the item chosen."""
    applicant = _applicant(request)
    item_id = request.GET.get("item", "")
    item = None
    if item_id:
        try:
            item = ServiceItem.objects.select_related("department").filter(public_id=uuid.UUID(item_id)).first()
        except ValueError:
            item = None
    initial: dict[str, Any] = {"is_anonymous": applicant is None}
    if item is not None:
        initial |= {"item": item.public_id, "about_department": item.department}
    form = ComplaintForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        chosen_item = ServiceItem.objects.filter(public_id=data["item"]).first() if data["item"] else None
        case = None
        problems: dict[str, str] = {}
        if data["case_reference"]:
            # Only the applicant's own case can be named (nobody learns whether someone else's exists):
            case = (
                Case.objects.filter(reference=data["case_reference"].strip(), applicant=applicant).first()
                if applicant
                else None
            )
            if case is None:
                problems["case_reference"] = _("登录后才能关联您本人的办件；未找到这个办件编号。")
        try:
            if problems:
                raise ValidationError(problems)
            complaint, code = actions.submit_complaint(
                kind=data["kind"],
                title=data["title"],
                content=data["content"],
                channel=ComplaintChannel.WORKSPACE if applicant else ComplaintChannel.PORTAL,
                complainant=applicant,
                is_anonymous=data["is_anonymous"] or applicant is None and not data["name"],
                name=data["name"],
                phone=data["phone"],
                email=data["email"],
                about_department=data["about_department"],
                about_staff_text=data["about_staff_text"],
                item=chosen_item,
                case=case,
                address=client_ip(request) or "unknown",
            )
        except actions.RateLimited as exc:
            messages.error(request, exc.messages[0])
            return render(request, "complaints/new.html", {"form": form, "item": item}, status=429)
        except ValidationError as exc:
            if not _to_form(form, exc):
                _say_errors(request, exc)
        else:
            _remember(request, complaint)
            # Shown once, on the page after the redirect (a reload there files nothing again):
            request.session[NEW_CODE] = {"complaint": str(complaint.public_id), "code": code}
            return redirect("complaints:submitted", public_id=complaint.public_id)
    status = 400 if form.errors else 200
    return render(request, "complaints/new.html", {"form": form, "item": item}, status=status)


def submitted(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """The tracking number and, this once, the query code of the complaint just filed in this browser."""
    complaint = _followed(request, public_id)
    new = request.session.get(NEW_CODE) or {}
    code = ""
    if new.get("complaint") == str(complaint.public_id):
        code = new["code"]
        del request.session[NEW_CODE]
    return render(request, "complaints/submitted.html", {"complaint": complaint, "code": code})


def _remember(request: HttpRequest, complaint: Complaint) -> None:
    followed = request.session.get(FOLLOWED, [])
    if str(complaint.public_id) not in followed:
        request.session[FOLLOWED] = [*followed[-19:], str(complaint.public_id)]


def follow(request: HttpRequest) -> HttpResponse:
    """Follow a complaint with its tracking number and query code (no account needed)."""
    form = FollowForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if over_limit(f"complaint-follow:{client_ip(request)}", FOLLOW_LIMIT_PER_MINUTE):
            messages.error(request, _("查询过于频繁，请一分钟后再试。"))
            return render(request, "complaints/follow.html", {"form": form}, status=429)
        complaint = queries.find_complaint_by_query_code(
            form.cleaned_data["tracking_number"], form.cleaned_data["query_code"]
        )
        if complaint is None:
            form.add_error(None, _("投诉编号或查询码不正确，请核对后重新输入。"))
        else:
            _remember(request, complaint)
            return redirect("complaints:followed", public_id=complaint.public_id)
    return render(request, "complaints/follow.html", {"form": form}, status=400 if form.errors else 200)


def _followed(request: HttpRequest, public_id: uuid.UUID) -> Complaint:
    """The complaint this browser gave the query code of, or the logged-in complainant's own; else 404."""
    complaint = get_object_or_404(Complaint.objects.select_related("department"), public_id=public_id)
    applicant = _applicant(request)
    if str(public_id) in request.session.get(FOLLOWED, []):
        return complaint
    if applicant is not None and complaint.complainant_id == applicant.pk:
        return complaint
    raise Http404


PUBLIC_EVENTS = {
    "submitted",
    "accepted",
    "rejected",
    "assigned",
    "answered",
    "closed",
    "reopened",
    "extension_approved",
}


def followed(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """The complaint as the complainant sees it: its status, its answer, and what they can do next."""
    complaint = _followed(request, public_id)
    rate_form = RateForm(request.POST or None) if request.POST.get("form") == "rate" else RateForm()
    reopen_form = ReopenForm(request.POST or None) if request.POST.get("form") == "reopen" else ReopenForm()
    if request.method == "POST":
        try:
            if request.POST.get("form") == "rate" and rate_form.is_valid():
                actions.rate_answer(
                    complaint,
                    satisfaction=rate_form.cleaned_data["satisfaction"],
                    comment=rate_form.cleaned_data["comment"],
                )
                messages.success(request, _("谢谢您的评价。"))
                return redirect("complaints:followed", public_id=complaint.public_id)
            if request.POST.get("form") == "reopen" and reopen_form.is_valid():
                actions.reopen_complaint(complaint, reason=reopen_form.cleaned_data["reason"])
                messages.success(request, _("已申请重新办理，办理单位将重新调查并答复您。"))
                return redirect("complaints:followed", public_id=complaint.public_id)
        except ValidationError as exc:
            form = rate_form if request.POST.get("form") == "rate" else reopen_form
            if not _to_form(form, exc):
                _say_errors(request, exc)
                return redirect("complaints:followed", public_id=complaint.public_id)
    events = complaint.events.filter(kind__in=PUBLIC_EVENTS)
    context = {
        "complaint": complaint,
        "events": events,
        "rate_form": rate_form,
        "reopen_form": reopen_form,
        "can_rate": complaint.status in (ComplaintStatus.ANSWERED, ComplaintStatus.CLOSED)
        and complaint.satisfaction is None,
        "can_reopen": actions.can_reopen(complaint),
    }
    status = 400 if rate_form.errors or reopen_form.errors else 200
    return render(request, "complaints/followed.html", context, status=status)


# Desk: complaints ---------------------------------------------------------------------------


def _desk(request: HttpRequest, template: str, context: dict[str, Any], status: int = 200) -> HttpResponse:
    """Render a staff page in the desk's frame."""
    return render(request, template, {"surface": "desk", **context}, status=status)


@staff_required
def desk_list(request: HttpRequest) -> HttpResponse:
    """The complaints of the user's units: open ones first by deadline, with their yellow/red marks."""
    show = request.GET.get("show", "open")
    complaints = queries.list_complaints_for(request.user)
    if show != "all":
        complaints = complaints.filter(status__in=sorted(OPEN_COMPLAINT_STATUSES))
    rows = list(complaints.order_by("due_on", "-submitted_at")[:200])
    marks = queries.order_marks([c.public_id for c in rows])
    return _desk(
        request,
        "complaints/desk_list.html",
        {"rows": [(c, marks.get(c.public_id, "")) for c in rows], "show": show},
    )


@staff_required
def desk_new(request: HttpRequest) -> HttpResponse:
    """Staff enter a complaint received in the hall, on the supervision phone, or as a 12345 work order.

    Only staff with a business role (least privilege: not the administrators or the content editor).
    """
    if not departments_covered(request.user, list(queries.STAFF_ROLES)):
        raise Http404
    form = StaffComplaintForm(request.POST or None, initial={"is_anonymous": True})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            about_staff = None
            if data["about_staff_username"].strip():
                about_staff = User.objects.filter(
                    username=data["about_staff_username"].strip(), kind=UserKind.STAFF
                ).first()
                if about_staff is None:
                    raise ValidationError({"about_staff_username": _("没有这个工作人员。")})
            complaint, code = actions.submit_complaint(
                kind=data["kind"],
                title=data["title"],
                content=data["content"],
                channel=data["channel"],
                about_staff=about_staff,
                is_anonymous=data["is_anonymous"] or not data["name"],
                name=data["name"],
                phone=data["phone"],
                email=data["email"],
                about_department=data["about_department"],
                about_staff_text=data["about_staff_text"],
                hotline_number=data["hotline_number"],
                is_urgent=data["is_urgent"],
                entered_by=_user(request),
            )
        except ValidationError as exc:
            if not _to_form(form, exc):
                _say_errors(request, exc)
        else:
            messages.success(
                request,
                _("已录入投诉 %(number)s。请把投诉编号和查询码 %(code)s 告诉投诉人，凭此查询办理进度。")
                % {"number": complaint.tracking_number, "code": code},
            )
            return redirect("complaints:desk_detail", public_id=complaint.public_id)
    return _desk(request, "complaints/desk_new.html", {"form": form}, status=400 if form.errors else 200)


def _complaint_forms(user: User, complaint: Complaint) -> list[tuple[str, str, Form]]:
    """The (action, button, form) the user may use on the complaint now (the actions still judge)."""
    handles = complaint.department_id in departments_covered(user, [Role.CLERK, Role.SUPERVISOR])
    investigates = handles or complaint.assignee_id == user.pk
    supervises = complaint.department_id in departments_covered(user, [Role.SUPERVISOR])
    status = complaint.status
    forms: list[tuple[str, str, Form]] = []
    if handles and status == ComplaintStatus.SUBMITTED:
        forms += [("accept", _("受理"), NoteForm()), ("reject", _("不予受理"), RejectForm())]
    if handles and status in (ComplaintStatus.ACCEPTED, ComplaintStatus.ASSIGNED, ComplaintStatus.INVESTIGATING):
        forms.append(("assign", _("交办"), AssignForm(initial={"department": complaint.department_id})))
    if investigates and status == ComplaintStatus.ASSIGNED:
        forms.append(("investigate", _("开始调查"), NoteForm()))
    if investigates and status == ComplaintStatus.INVESTIGATING:
        forms.append(("answer", _("答复投诉人"), AnswerForm()))
    if handles and status == ComplaintStatus.ANSWERED:
        forms.append(("close", _("办结"), NoteForm()))
    if investigates and status in OPEN_COMPLAINT_STATUSES and complaint.due_on and not complaint.extension_days:
        forms.append(("extension-request", _("申请延期"), ExtensionRequestForm()))
    if supervises and complaint.extension_days and not complaint.extension_approved:
        forms += [("extension-approve", _("批准延期"), NoteForm()), ("extension-refuse", _("不予延期"), RejectForm())]
    return forms


DESK_ACTIONS: dict[str, tuple[type[Form], Callable[[Complaint, User, dict[str, Any]], Any], Any]] = {}


def _desk_action(name: str, form: type[Form], done: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def register(function: Callable[..., Any]) -> Callable[..., Any]:
        DESK_ACTIONS[name] = (form, function, done)
        return function

    return register


@_desk_action("accept", NoteForm, gettext_lazy("已受理。"))
def _accept(c: Complaint, u: User, d: dict[str, Any]) -> Any:
    return actions.accept_complaint(c, actor=u, note=d["note"])


@_desk_action("reject", RejectForm, gettext_lazy("已决定不予受理。"))
def _reject(c: Complaint, u: User, d: dict[str, Any]) -> Any:
    return actions.reject_complaint(c, actor=u, reason=d["reason"])


@_desk_action("assign", AssignForm, gettext_lazy("已交办。"))
def _assign(c: Complaint, u: User, d: dict[str, Any]) -> Any:
    assignee = None
    if d["assignee"]:
        assignee = User.objects.filter(username=d["assignee"].strip(), kind=UserKind.STAFF, is_active=True).first()
        if assignee is None:
            raise ValidationError({"assignee": _("没有这个工作人员。")})
    return actions.assign_complaint(c, actor=u, department=d["department"], assignee=assignee, note=d["note"])


@_desk_action("investigate", NoteForm, gettext_lazy("已开始调查。"))
def _investigate(c: Complaint, u: User, d: dict[str, Any]) -> Any:
    return actions.start_investigation(c, actor=u, note=d["note"])


@_desk_action("answer", AnswerForm, gettext_lazy("已答复投诉人。"))
def _answer(c: Complaint, u: User, d: dict[str, Any]) -> Any:
    return actions.answer_complaint(c, actor=u, answer=d["answer"])


@_desk_action("close", NoteForm, gettext_lazy("投诉已办结。"))
def _close(c: Complaint, u: User, d: dict[str, Any]) -> Any:
    return actions.close_complaint(c, actor=u, note=d["note"])


@_desk_action("extension-request", ExtensionRequestForm, gettext_lazy("已申请延期，等待监督人员批准。"))
def _extension_request(c: Complaint, u: User, d: dict[str, Any]) -> Any:
    return actions.request_complaint_extension(c, actor=u, days=d["days"], reason=d["reason"])


@_desk_action("extension-approve", NoteForm, gettext_lazy("已批准延期。"))
def _extension_approve(c: Complaint, u: User, d: dict[str, Any]) -> Any:
    return actions.approve_complaint_extension(c, actor=u, note=d["note"])


@_desk_action("extension-refuse", RejectForm, gettext_lazy("已决定不予延期。"))
def _extension_refuse(c: Complaint, u: User, d: dict[str, Any]) -> Any:
    return actions.refuse_complaint_extension(c, actor=u, reason=d["reason"])


def _desk_page(
    request: HttpRequest,
    complaint: Complaint,
    *,
    bound: tuple[str, Form] | None = None,
    status: int = 200,
    contact: dict[str, str] | None = None,
) -> HttpResponse:
    user = _user(request)
    forms = _complaint_forms(user, complaint)
    if bound is not None:
        forms = [(name, button, bound[1] if name == bound[0] else form) for name, button, form in forms]
    context = {
        "complaint": complaint,
        "forms": forms,
        "events": complaint.events.select_related("actor"),
        "orders": queries.orders_for_object(ObjectKind.COMPLAINT, complaint.public_id),
        "contact": contact,
    }
    return _desk(request, "complaints/desk_detail.html", context, status=status)


@staff_required
def desk_detail(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    return _desk_page(request, queries.access_complaint_for(request.user, public_id))


@staff_required
@require_POST
def desk_contact(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """Show the complainant's full contact details to a handler (audited), to call them back."""
    complaint = queries.access_complaint_for(request.user, public_id)
    try:
        contact = actions.reveal_contact(complaint, actor=_user(request), request=request)
    except PermissionDenied as exc:
        _say_errors(request, exc)
        return redirect("complaints:desk_detail", public_id=complaint.public_id)
    return _desk_page(request, complaint, contact=contact)


@staff_required
@require_POST
def desk_action(request: HttpRequest, public_id: uuid.UUID, action: str) -> HttpResponse:
    complaint = queries.access_complaint_for(request.user, public_id)
    if action not in DESK_ACTIONS:
        raise Http404
    form_class, perform, done = DESK_ACTIONS[action]
    form = form_class(request.POST)
    try:
        if form.is_valid():
            perform(complaint, _user(request), form.cleaned_data)
            messages.success(request, str(done))
            return redirect("complaints:desk_detail", public_id=complaint.public_id)
    except ValidationError as exc:
        if not _to_form(form, exc):
            _say_errors(request, exc)
            return redirect("complaints:desk_detail", public_id=complaint.public_id)
    except PermissionDenied as exc:
        _say_errors(request, exc)
        return redirect("complaints:desk_detail", public_id=complaint.public_id)
    complaint.refresh_from_db()
    return _desk_page(request, complaint, bound=(action, form), status=400)


# Desk: supervision orders -------------------------------------------------------------------


@staff_required
def orders(request: HttpRequest) -> HttpResponse:
    """Supervision orders: a supervisor sees every order under them, a unit its own."""
    show = request.GET.get("show", "open")
    found = queries.list_orders_for(request.user)
    if show != "all":
        found = found.exclude(status=OrderStatus.CLOSED)
    context = {
        "orders": list(found.order_by("reply_due_on", "-raised_at")[:200]),
        "show": show,
        "may_raise": queries.is_supervisor(request.user),
    }
    return _desk(request, "complaints/orders.html", context)


@staff_required
def raise_order(request: HttpRequest) -> HttpResponse:
    """A supervisor raises an order by hand on a case or a complaint of a unit under them."""
    if not queries.is_supervisor(request.user):
        raise Http404
    form = RaiseOrderForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        units = departments_covered(request.user, [Role.SUPERVISOR])
        reference = data["reference"].strip()
        target: Any
        if data["object_kind"] == ObjectKind.CASE:
            target = (
                Case.objects.filter(reference=reference, department_id__in=units).select_related("department").first()
            )
        else:
            target = Complaint.objects.filter(tracking_number=reference.upper(), department_id__in=units).first()
        if target is None:
            form.add_error("reference", _("在您监督的单位中没有找到这个编号。"))
        else:
            try:
                order = actions.raise_supervision_order(
                    object_kind=data["object_kind"],
                    object_id=target.public_id,
                    object_label=str(target),
                    department=target.department,
                    level=data["level"],
                    reason=data["reason"],
                    case=target if isinstance(target, Case) else target.case,
                    raised_by=_user(request),
                )
            except ValidationError as exc:
                if not _to_form(form, exc):
                    _say_errors(request, exc)
            except PermissionDenied as exc:
                _say_errors(request, exc)
            else:
                messages.success(request, _("已发起督办 %(number)s。") % {"number": order.number})
                return redirect("complaints:order", public_id=order.public_id)
    return _desk(request, "complaints/raise_order.html", {"form": form}, status=400 if form.errors else 200)


def _order_page(
    request: HttpRequest, order: SupervisionOrder, reply_form: ReplyForm | None = None, status: int = 200
) -> HttpResponse:
    user = _user(request)
    supervises = order.department_id in departments_covered(user, [Role.SUPERVISOR])
    context = {
        "order": order,
        "reply_form": reply_form or ReplyForm(),
        "may_reply": order.status == OrderStatus.OPEN,
        "supervises": supervises,
        "events": order.events.all(),
        "evidence": order.evidence.all(),
        "note_form": NoteForm(),
    }
    return _desk(request, "complaints/order.html", context, status=status)


@staff_required
def order(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    return _order_page(request, queries.access_order_for(request.user, public_id))


@staff_required
@require_POST
def order_action(request: HttpRequest, public_id: uuid.UUID, action: str) -> HttpResponse:
    order = queries.access_order_for(request.user, public_id)
    user = _user(request)
    reply_form = None
    try:
        if action == "reply":
            reply_form = ReplyForm(request.POST, request.FILES)
            if reply_form.is_valid():
                actions.reply_to_order(
                    order,
                    actor=user,
                    reply=reply_form.cleaned_data["reply"],
                    evidence=request.FILES.getlist("evidence"),
                )
                messages.success(request, _("已回复督办，监督人员会审核您的回复。"))
                return redirect("complaints:order", public_id=order.public_id)
        elif action in ("urge", "close", "return"):
            note = request.POST.get("note", "")
            if action == "urge":
                actions.escalate_order(order, actor=user, note=note)
                messages.success(request, _("已催办（再次逾期将通报）。"))
            elif action == "close":
                actions.close_order(order, actor=user, note=note)
                messages.success(request, _("督办已办结。"))
            else:
                actions.return_order(order, actor=user, reason=note)
                messages.success(request, _("已退回，单位须重新回复。"))
            return redirect("complaints:order", public_id=order.public_id)
        else:
            raise Http404
    except ValidationError as exc:
        if reply_form is None or not _to_form(reply_form, exc):
            _say_errors(request, exc)
            return redirect("complaints:order", public_id=order.public_id)
    except PermissionDenied as exc:
        _say_errors(request, exc)
        return redirect("complaints:order", public_id=order.public_id)
    order.refresh_from_db()
    return _order_page(request, order, reply_form, status=400)


@staff_required
def evidence(request: HttpRequest, public_id: uuid.UUID, evidence_id: uuid.UUID) -> FileResponse:
    order = queries.access_order_for(request.user, public_id)
    item = get_object_or_404(order.evidence, public_id=evidence_id)
    return private_download(item.file, content_type=item.content_type, filename=item.original_name)
