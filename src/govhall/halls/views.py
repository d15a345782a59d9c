"""Pages of the hall: the display board and the kiosk (/hall/), a ticket on the phone, the counter on the desk
(/desk/counter/) and booking in the workspace (/my/appointments/)."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from functools import wraps
from typing import Any

import segno

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from govhall.audit.actions import client_ip
from govhall.cases import queries as case_queries
from govhall.cases.constants import SESSION_INTAKE_ANSWERS, SESSION_INTAKE_ENTITY, SESSION_INTAKE_PERSON
from govhall.catalog.models import ServiceItem
from govhall.catalog.queries import live_versions
from govhall.delivery.actions import Collector
from govhall.halls import actions, queries, statistics
from govhall.halls.constants import DeviceKind, HallKind, PriorityGroup, TicketSource, TicketStatus
from govhall.halls.devices import COOKIE, Device, device_for
from govhall.halls.models import Hall, Queue, Ticket, Window
from govhall.identity.decorators import applicant_required, staff_required
from govhall.identity.models import User
from govhall.lib import challenge
from govhall.lib.errors import Conflict, uuid_or_404
from govhall.lib.jsonforms import SOURCE, SOURCES, answers_of, build_form, show_errors, validate_answers
from govhall.lib.ratelimit import over_limit
from govhall.publicinfo.queries import current_notices

View = Callable[..., HttpResponseBase]
KIOSK_CHOICES_PER_SCREEN = 6


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _say(request: HttpRequest, exc: ValidationError | PermissionDenied) -> None:
    for message in exc.messages if isinstance(exc, ValidationError) else [str(exc)]:
        messages.error(request, message)


def _qr_svg(text: str, *, scale: int = 5) -> str:
    return segno.make(text, error="m").svg_inline(scale=scale, dark="#000", light="#fff")


# Devices ---------------------------------------------------------------------------------------------


def device_required(kind: str) -> Callable[[View], View]:
    """Only a registered, not revoked device of this kind; others are sent to enrol (or get 403 as JSON)."""

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            device = device_for(request)
            if device is None or device.kind != kind:
                if request.path.endswith(".json"):
                    return JsonResponse({"detail": _("本设备未登记或已停用，请联系大厅管理员。")}, status=403)
                return redirect(f"{reverse('halls:enrol')}?next={request.path}")
            request.hall_device = device  # type: ignore[attr-defined]
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


def _device(request: HttpRequest) -> Device:
    device: Device = request.hall_device  # type: ignore[attr-defined]
    return device


def _hall_of(request: HttpRequest) -> Hall:
    return Hall.objects.get(pk=_device(request).hall_id)


def enrol(request: HttpRequest) -> HttpResponse:
    """Put a device's key on the device (a long-lived cookie); the administrator types it once."""
    next_url = request.GET.get("next") or request.POST.get("next") or ""
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}) or not next_url.startswith(
        "/hall/"
    ):
        next_url = ""
    error = ""
    if request.method == "POST":
        key = request.POST.get("key", "").strip()
        request.META["HTTP_X_DEVICE_KEY"] = key
        device = device_for(request) if key else None
        if device is None:
            error = _("设备密钥不正确或设备已停用。请核对管理员给出的密钥，或请管理员重新登记本设备。")
        else:
            target = next_url or reverse("halls:board" if device.kind == DeviceKind.BOARD else "halls:kiosk")
            response = redirect(target)
            response.set_cookie(
                COOKIE, key, max_age=5 * 365 * 24 * 3600, httponly=True, samesite="Strict",
                secure=request.is_secure(),
            )  # fmt: skip
            return response
    return render(
        request, "halls/enrol.html", {"surface": "hall", "next": next_url, "error": error}, status=400 if error else 200
    )


# The display board ------------------------------------------------------------------------------------


@device_required(DeviceKind.BOARD)
def board(request: HttpRequest) -> HttpResponse:
    hall = _hall_of(request)
    return render(
        request,
        "halls/board.html",
        {
            "surface": "hall",
            "hall": hall,
            "poll_ms": settings.HALLS_BOARD_POLL_MS,
            "time_zone": settings.TIME_ZONE,
            "state": queries.board_state(hall),
        },
    )


@device_required(DeviceKind.BOARD)
def board_state(request: HttpRequest) -> HttpResponse:
    """The board's data; 304 while nothing changed (no database query then: the version is in the cache)."""
    device = _device(request)
    tag = queries.board_tag(device.hall_id)
    etag = f'"{tag}"'
    if request.headers.get("If-None-Match") == etag:
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(queries.board_json(device.hall_id, tag), content_type="application/json")
    response["ETag"] = etag
    response["X-Server-Time"] = timezone.now().isoformat()
    patch_cache_control(response, no_cache=True, private=True)
    return response


# The kiosk ------------------------------------------------------------------------------------------


def _kiosk(request: HttpRequest, template: str, context: dict[str, Any], status: int = 200) -> HttpResponse:
    return render(
        request, f"halls/{template}", {"surface": "hall", "hall": _hall_of(request), **context}, status=status
    )


def _page(request: HttpRequest) -> int:
    value = request.GET.get("page", "0")
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 3 else 0


@device_required(DeviceKind.KIOSK)
def kiosk(request: HttpRequest) -> HttpResponse:
    return _kiosk(request, "kiosk_home.html", {"notices": current_notices(limit=3)})


@device_required(DeviceKind.KIOSK)
def kiosk_queues(request: HttpRequest) -> HttpResponse:
    """Choose the business: at most six choices a screen."""
    hall = _hall_of(request)
    queues = list(Queue.objects.filter(hall=hall, is_active=True).order_by("sort_order", "prefix"))
    page = _page(request)
    shown = queues[page * KIOSK_CHOICES_PER_SCREEN : (page + 1) * KIOSK_CHOICES_PER_SCREEN]
    waiting = {row["prefix"]: row for row in queries.queue_overview(hall)}
    return _kiosk(
        request,
        "kiosk_queues.html",
        {
            "queues": [(queue, waiting.get(queue.prefix)) for queue in shown],
            "previous_page": page - 1 if page else None,
            "next_page": page + 1 if len(queues) > (page + 1) * KIOSK_CHOICES_PER_SCREEN else None,
        },
    )


@device_required(DeviceKind.KIOSK)
def kiosk_take(request: HttpRequest, prefix: str) -> HttpResponse:
    """Take a ticket of one queue: the ID number is optional (typed, or typed by the card reader)."""
    hall = _hall_of(request)
    queue = Queue.objects.filter(hall=hall, prefix=prefix.upper(), is_active=True).first()
    if queue is None:
        raise Http404
    context: dict[str, Any] = {"queue": queue}
    if request.method == "POST":
        if over_limit(f"halls:kiosk:{_device(request).id}", limit=120, window_seconds=60):
            context["error"] = _("取号太频繁，请稍候再试。")
            return _kiosk(request, "kiosk_take.html", context, status=429)
        try:
            ticket = actions.take_ticket(queue, source=TicketSource.KIOSK, id_number=request.POST.get("id_number", ""))
        except (ValidationError, PermissionDenied) as exc:
            # The ID number is not shown again on a shared screen:
            context["error"] = " ".join(exc.messages if isinstance(exc, ValidationError) else [str(exc)])
            return _kiosk(request, "kiosk_take.html", context, status=400)
        return redirect("halls:kiosk_ticket", public_id=ticket.public_id)
    return _kiosk(request, "kiosk_take.html", context)


@device_required(DeviceKind.KIOSK)
def kiosk_ticket(request: HttpRequest, public_id: str) -> HttpResponse:
    """The ticket to print (80 mm, the print stylesheet) and to photograph (QR to follow it on the phone)."""
    ticket = (
        Ticket.objects.select_related("queue", "hall")
        .filter(public_id=public_id, hall_id=_device(request).hall_id)
        .first()
    )
    if ticket is None or ticket.day != timezone.localdate():
        raise Http404
    follow_url = request.build_absolute_uri(reverse("halls:follow", args=[ticket.public_id]))
    ahead, minutes = queries.ticket_position(ticket)
    return _kiosk(
        request,
        "kiosk_ticket.html",
        {
            "ticket": ticket,
            "ahead": ahead,
            "minutes": minutes,
            "qr": _qr_svg(follow_url, scale=4),
            "follow_url": follow_url,
            "self_filled": queries.self_filled_item_name(ticket),
        },
    )


@device_required(DeviceKind.KIOSK)
def kiosk_fill(request: HttpRequest) -> HttpResponse:
    """自助填单, first screen: the item, at most six a screen."""
    items = queries.kiosk_items(_hall_of(request))
    page = _page(request)
    return _kiosk(
        request,
        "kiosk_fill.html",
        {
            "items": items[page * KIOSK_CHOICES_PER_SCREEN : (page + 1) * KIOSK_CHOICES_PER_SCREEN],
            "previous_page": page - 1 if page else None,
            "next_page": page + 1 if len(items) > (page + 1) * KIOSK_CHOICES_PER_SCREEN else None,
        },
    )


@device_required(DeviceKind.KIOSK)
def kiosk_fill_item(request: HttpRequest, code: str) -> HttpResponse:
    """自助填单: the item's application form (the same form as online) and the ID number; a ticket at the end.

    What is left empty is completed at the window; what is typed wrong is shown at its field.
    """
    hall = _hall_of(request)
    version = next((v for v in live_versions().filter(item__implementation_code=code).select_related("item")), None)
    if version is None or code not in {c for c, _name in queries.kiosk_items(hall)}:
        raise Http404
    schema = version.form_schema or {"type": "object"}
    posted = request.method == "POST"
    form = build_form(schema, version.form_ui, request.POST if posted else None)
    for name, spec in schema.get("properties", {}).items():
        if isinstance(spec, dict) and spec.get(SOURCE) in SOURCES:
            del form.fields[name]  # the platform fills it at the window from the person's registration
    context: dict[str, Any] = {"version": version, "form": form}
    if not posted:
        return _kiosk(request, "kiosk_fill_form.html", context)
    form.is_valid()  # reads the post; the schema judges it
    answers = answers_of(form, schema)
    # Every problem at once: the answers typed wrong (not those left empty) and the ID number:
    problems = {name: messages for name, messages in validate_answers(schema, answers).items() if name in answers}
    id_number = request.POST.get("id_number", "")
    try:
        actions.parse_id_number(id_number)
    except ValidationError as exc:
        context["id_error"] = " ".join(exc.message_dict["id_number"])  # the number is not shown again
    if problems or "id_error" in context:
        show_errors(form, ValidationError(problems) if problems else ValidationError([]))
        return _kiosk(request, "kiosk_fill_form.html", context, status=400)
    if over_limit(f"halls:kiosk:{_device(request).id}", limit=120, window_seconds=60):
        context["error"] = _("取号太频繁，请稍候再试。")
        return _kiosk(request, "kiosk_fill_form.html", context, status=429)
    try:
        ticket = actions.self_fill(hall, version, id_number=id_number, answers=answers)
    except (ValidationError, PermissionDenied) as exc:
        context["error"] = " ".join(exc.messages if isinstance(exc, ValidationError) else [str(exc)])
        return _kiosk(request, "kiosk_fill_form.html", context, status=400)
    return redirect("halls:kiosk_ticket", public_id=ticket.public_id)


@device_required(DeviceKind.KIOSK)
def kiosk_check_in(request: HttpRequest) -> HttpResponse:
    """Check in a booking by its code (typed, or read from the confirmation's QR by the scanner)."""
    context: dict[str, Any] = {}
    if request.method == "POST":
        code = request.POST.get("code", "")
        if over_limit(f"halls:checkin:{_device(request).id}", limit=60, window_seconds=60):
            context["error"] = _("操作太频繁，请稍候再试。")
        else:
            try:
                ticket = actions.check_in_booking(_hall_of(request), code)
            except (ValidationError, PermissionDenied) as exc:
                context["error"] = " ".join(exc.messages if isinstance(exc, ValidationError) else [str(exc)])
            else:
                return redirect("halls:kiosk_ticket", public_id=ticket.public_id)
        context["code"] = code
        return _kiosk(request, "kiosk_check_in.html", context, status=400)
    return _kiosk(request, "kiosk_check_in.html", context)


@device_required(DeviceKind.KIOSK)
def kiosk_progress(request: HttpRequest) -> HttpResponse:
    """Look up a case's progress by its number and the applicant's ID number (both must match)."""
    context: dict[str, Any] = {}
    if request.method == "POST":
        reference = request.POST.get("reference", "").strip()
        id_number = request.POST.get("id_number", "")
        context["reference"] = reference
        if over_limit(f"halls:progress:{_device(request).id}", limit=30, window_seconds=60):
            context["error"] = _("查询太频繁，请稍候再试。")
        else:
            try:
                context["progress"] = queries.case_progress(reference, id_number)
            except ValidationError as exc:
                context["error"] = " ".join(exc.messages)
        return _kiosk(request, "kiosk_progress.html", context, status=400 if "error" in context else 200)
    return _kiosk(request, "kiosk_progress.html", context)


# A ticket on the phone ----------------------------------------------------------------------------------


def follow(request: HttpRequest, public_id: str) -> HttpResponse:
    """Where a ticket is: status, people ahead, estimated wait; refreshes itself. Anyone with the QR may look."""
    ticket = Ticket.objects.select_related("queue", "hall", "window").filter(public_id=public_id).first()
    if ticket is None:
        raise Http404
    ahead, minutes = queries.ticket_position(ticket)
    near = ticket.status == TicketStatus.WAITING and ahead < ticket.hall.near_turn_ahead
    return render(
        request,
        "halls/follow.html",
        {"surface": "portal", "ticket": ticket, "ahead": ahead, "minutes": minutes, "near": near,
         "is_today": ticket.day == timezone.localdate()},
    )  # fmt: skip


# The counter (desk) ----------------------------------------------------------------------------------


@staff_required
def counter(request: HttpRequest) -> HttpResponse:
    """The window clerk's page: sign in to a window, then call, serve and hand over from here."""
    user = _user(request)
    shift = queries.current_shift(user)
    if shift is None:
        # The district hall first, then street and community stations:
        order = list(HallKind.values)
        halls = sorted(
            queries.halls_for_clerk(user).prefetch_related("windows"), key=lambda h: (order.index(h.kind), h.code)
        )
        holders = queries.window_holders([hall.pk for hall in halls])
        return render(
            request,
            "halls/counter_sign_in.html",
            {
                "surface": "desk",
                "halls": [
                    (hall, [(w, holders.get(w.pk)) for w in hall.windows.all() if w.is_active]) for hall in halls
                ],
            },
        )
    window = shift.window
    hall = window.hall
    ticket = queries.ticket_at_window(window)
    return render(
        request,
        "halls/counter.html",
        {
            "surface": "desk",
            "shift": shift,
            "window": window,
            "hall": hall,
            "ticket": ticket,
            "self_filled": queries.self_filled_item_name(ticket) if ticket else "",
            "links": ticket.case_links.select_related("case") if ticket else [],
            "items": queries.kiosk_items(hall),
            "overview": queries.queue_overview(hall),
            "waiting": queries.waiting_for_window(window)[:10],
            "other_windows": Window.objects.filter(hall=hall, is_active=True).exclude(pk=window.pk),
            "queues": Queue.objects.filter(hall=hall, is_active=True),
            "groups": [g for g in PriorityGroup if g.value],
            "consultations": queries.consultations_at(window, timezone.localdate())[:5],
        },
    )


@staff_required
@require_POST
def counter_sign_in(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if not request.POST.get("window", "").isdigit():
        messages.error(request, _("请选择要签入的窗口。"))
        return redirect("halls:counter")
    window = Window.objects.select_related("hall").filter(pk=request.POST["window"]).first()
    if window is None or not queries.halls_for_clerk(user).filter(pk=window.hall_id).exists():
        raise Http404
    try:
        actions.sign_in_window(window, clerk=user)
    except (ValidationError, PermissionDenied) as exc:
        _say(request, exc)
    else:
        messages.success(request, _("您已签入%(window)s。") % {"window": window})
    return redirect("halls:counter")


def _number(value: str | None) -> int:
    """A posted id, or 0 (no such row) for anything that is not a number."""
    return int(value) if value and value.isdigit() and len(value) < 12 else 0


COUNTER_OPERATIONS: dict[str, tuple[Callable[..., Any], str]] = {
    "call": (actions.call_next_ticket, ""),
    "recall": (actions.recall_ticket, ""),
    "start": (actions.start_serving, ""),
    "pause": (actions.pause_ticket, ""),
    "resume": (actions.resume_ticket, ""),
    "finish": (actions.finish_ticket, ""),
    "miss": (actions.miss_ticket, ""),
}


@staff_required
@require_POST
def counter_operate(request: HttpRequest, operation: str) -> HttpResponse:
    """One press of a counter button; the window is the one the clerk holds."""
    user = _user(request)
    shift = queries.current_shift(user)
    if shift is None:
        messages.error(request, _("您还没有签入窗口，请先选择窗口签入。"))
        return redirect("halls:counter")
    window = shift.window
    try:
        if operation == "sign-out":
            actions.sign_out_window(clerk=user)
            messages.success(request, _("您已签出%(window)s。") % {"window": window})
        elif operation == "transfer":
            to_window = Window.objects.filter(hall=window.hall, pk=_number(request.POST.get("to_window"))).first()
            to_queue = Queue.objects.filter(hall=window.hall, pk=_number(request.POST.get("to_queue"))).first()
            ticket = actions.transfer_ticket(
                window, clerk=user, to_window=to_window, to_queue=to_queue, note=request.POST.get("note", "")
            )
            messages.success(
                request, _("%(number)s 已转出，将在等候队列中保持原来的位置。") % {"number": ticket.number}
            )
        elif operation == "issue":
            queue = Queue.objects.filter(hall=window.hall, pk=_number(request.POST.get("queue"))).first()
            if queue is None:
                raise ValidationError({"queue": _("请选择业务类别。")})
            ticket = actions.take_ticket(
                queue, source=TicketSource.CLERK, id_number=request.POST.get("id_number", ""),
                priority_group=request.POST.get("priority_group", ""), actor=user,
            )  # fmt: skip
            messages.success(request, _("已代取号 %(number)s。") % {"number": ticket.number})
        elif operation == "consultation":
            actions.record_consultation(
                window, clerk=user, item_code=request.POST.get("item", ""), question=request.POST.get("question", ""),
                answer=request.POST.get("answer", ""), is_faq_candidate=bool(request.POST.get("is_faq_candidate")),
            )  # fmt: skip
            messages.success(request, _("咨询已记录。"))
        elif operation == "intake":
            return _start_intake(request, window, user)
        elif operation == "hand-over":
            collector = Collector(
                name=request.POST.get("collector_name", ""), id_number=request.POST.get("collector_id", ""),
                is_proxy=bool(request.POST.get("is_proxy")),
                authorisation_checked=bool(request.POST.get("authorisation_checked")),
            )  # fmt: skip
            delivery, served = actions.hand_over_at_window(
                window, clerk=user, pickup_code=request.POST.get("pickup_code", ""), collector=collector
            )
            done = {"reference": delivery.case.reference, "name": delivery.collector_name}
            if served is not None:
                messages.success(request, _("办件 %(reference)s 的结果已交 %(name)s 领取，本号已关联该办件。") % done)
            else:
                messages.warning(
                    request,
                    _(
                        "办件 %(reference)s 的结果已交 %(name)s 领取（已登记，无需重复交付）；本窗口没有正在办理的号，未关联排队号。"
                    )
                    % done,
                )
        elif operation in COUNTER_OPERATIONS:
            result = COUNTER_OPERATIONS[operation][0](window, clerk=user)
            if operation == "call" and result is None:
                messages.info(request, _("现在没有等候的号。"))
        else:
            raise Http404
    except (ValidationError, PermissionDenied) as exc:
        _say(request, exc)
    return redirect("halls:counter")


def _start_intake(request: HttpRequest, window: Window, user: User) -> HttpResponse:
    """Identify the person at the window (and the company they act for), then on to the intake page."""
    post = request.POST
    person = actions.identify_at_window(
        window, clerk=user, name=post.get("name", ""), id_number=post.get("id_number", ""),
        phone=post.get("phone", ""),
    )  # fmt: skip
    entity = None
    if post.get("credit_code", "").strip():
        entity = actions.identify_entity_at_window(
            window, clerk=user, agent=person, credit_code=post["credit_code"], name=post.get("entity_name", ""),
            authorisation_checked=bool(post.get("authorisation_checked")),
        )  # fmt: skip
    # The window intake page serves only the person (and company) identified here (cases checks it):
    request.session[SESSION_INTAKE_PERSON] = str(person.public_id)
    request.session[SESSION_INTAKE_ENTITY] = str(entity.public_id) if entity else ""
    item = post.get("item", "")
    answers = actions.open_self_fill(window, clerk=user, person=person) if not entity else None
    request.session[SESSION_INTAKE_ANSWERS] = answers or {}
    if answers:
        item = answers["item"]
    query = urlencode({"person": str(person.public_id), "next": reverse("halls:counter"), "item": item})
    return redirect(f"{reverse('cases:desk_intake')}?{query}")


@staff_required
def counter_linked(request: HttpRequest, public_id: str) -> HttpResponse:
    """Back from filing at the window: the case filed (with ``also`` the other cases of a bundle filed with it),
    and (by a button) their link to the ticket at the window."""
    user = _user(request)
    served = [case_queries.access_case_for_staff(user, str(public_id))]
    # The other cases of a 一件事 filed with it: the same applicant's, each as the clerk may see it:
    for also in dict.fromkeys(str(uuid_or_404(value)) for value in request.GET.getlist("also")[:30]):
        case = case_queries.access_case_for_staff(user, also)
        if case.applicant_id != served[0].applicant_id:
            raise Http404
        if case not in served:
            served.append(case)
    shift = queries.current_shift(user)
    ticket = queries.ticket_at_window(shift.window) if shift else None
    if request.method == "POST" and shift is not None:
        for case in served:
            ticket = actions.link_case(shift.window, case, clerk=user)
        if ticket:
            messages.success(request, _("%(number)s 已关联本办件。") % {"number": ticket.number})
    linked = ticket is not None and ticket.case_links.filter(case__in=served).count() == len(served)
    return render(
        request,
        "halls/counter_linked.html",
        {"surface": "desk", "case": served[0], "served": served, "ticket": ticket, "linked": linked},
    )


@staff_required
@require_POST
def consultation_to_faq(request: HttpRequest, pk: int) -> HttpResponse:
    """A content editor drafts a FAQ from a window consultation (from public information's desk)."""
    from govhall.publicinfo.queries import editor_departments

    units = editor_departments(_user(request))
    if not units:
        raise PermissionDenied(_("只有内容编辑可以新建常见问题。"))
    consultation = queries.faq_candidates(units).filter(pk=pk).first()
    if consultation is None:
        messages.info(request, _("这条咨询已经转为常见问题，或已不在建议列表中。"))
        return redirect("publicinfo:desk_home")
    try:
        entry = actions.consultation_to_faq(consultation, actor=_user(request))
    except (ValidationError, PermissionDenied) as exc:
        _say(request, exc)
        return redirect("publicinfo:desk_home")
    messages.success(request, _("已生成常见问题草稿，经保密审查和审批后发布。"))
    return redirect("publicinfo:desk_entry", public_id=entry.public_id)


# Hall statistics (desk) ---------------------------------------------------------------------------


def _stats_scope(request: HttpRequest) -> tuple[Hall, datetime.date, datetime.date, list[Hall]]:
    halls = queries.halls_for_stats(_user(request))
    if not halls:
        raise Http404
    hall = next((h for h in halls if h.code == request.GET.get("hall")), halls[0])
    today = timezone.localdate()
    try:
        end = datetime.date.fromisoformat(request.GET.get("to", ""))
    except ValueError:
        end = today
    try:
        start = datetime.date.fromisoformat(request.GET.get("from", ""))
    except ValueError:
        start = end - datetime.timedelta(days=29)
    if end.year < 2000 or end > today + datetime.timedelta(days=366):
        end = today
    if start > end or (end - start).days > 366:
        start = end - datetime.timedelta(days=29)
    return hall, start, end, halls


@staff_required
def hall_stats(request: HttpRequest) -> HttpResponse:
    """The hall's figures per day (chart and table), one day cut by queue, window, clerk and hour."""
    hall, start, end, halls = _stats_scope(request)
    days = statistics.list_days(hall, start, end)
    try:
        chosen = datetime.date.fromisoformat(request.GET.get("day", ""))
    except ValueError:
        chosen = days[-1].day if days else end
    chart = {
        "labels": [row.day.strftime("%m-%d") for row in days],
        "wait": [round(row.wait_avg / 60, 1) if row.wait_avg is not None else None for row in days],
        "wait_p90": [round(row.wait_p90 / 60, 1) if row.wait_p90 is not None else None for row in days],
        "issued": [row.issued for row in days],
        "target": hall.service_target_minutes,
        "names": {"wait": _("平均等候（分钟）"), "wait_p90": _("等候90分位（分钟）"), "issued": _("取号"),
                  "target": _("目标")},
    }  # fmt: skip
    return render(
        request,
        "halls/desk_stats.html",
        {
            "surface": "desk", "hall": hall, "halls": halls, "start": start, "end": end, "days": days,
            "chosen": chosen, "breakdown": statistics.list_breakdown(hall, chosen), "chart": chart,
        },
    )  # fmt: skip


@staff_required
def hall_stats_export(request: HttpRequest) -> HttpResponse:
    hall, start, end, _halls = _stats_scope(request)
    response = HttpResponse(
        statistics.workbook(hall, start, end),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="hall-{hall.code}-{start}-{end}.xlsx"'
    return response


@staff_required
@require_POST
def hall_stats_compute(request: HttpRequest) -> HttpResponse:
    """Compute one day's figures now (today so far, or a day again)."""
    hall, _start, _end, _halls = _stats_scope(request)
    try:
        day = datetime.date.fromisoformat(request.POST.get("day", ""))
    except ValueError:
        day = timezone.localdate()
    if day > timezone.localdate() or day.year < 2000:
        messages.error(request, _("不能统计尚未到来的日期。"))
    else:
        statistics.compute_day(hall, day)
        messages.success(request, _("%(day)s 的统计已更新。") % {"day": day.isoformat()})
    return redirect(f"{reverse('halls:stats')}?hall={hall.code}&day={day.isoformat()}")


# Booking (workspace) ---------------------------------------------------------------------------------


def _item_from(request: HttpRequest) -> ServiceItem:
    code = request.GET.get("item") or request.POST.get("item") or ""
    item = ServiceItem.objects.filter(implementation_code=code).first()
    if item is None:
        raise Http404
    return item


@applicant_required
def my_appointments(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "halls/my_appointments.html",
        {"surface": "workspace", "bookings": queries.active_bookings_for(_user(request))[:50], "now": timezone.now()},
    )


@applicant_required
def my_book(request: HttpRequest) -> HttpResponse:
    """Choose a hall, a day and a slot for an item; holding the slot needs the challenge solved."""
    user = _user(request)
    item = _item_from(request)
    order = list(HallKind.values)
    halls = sorted(queries.halls_for_item(item), key=lambda h: (order.index(h.kind), h.code))
    chosen_hall = request.GET.get("hall") or request.POST.get("hall")
    hall = next((h for h in halls if h.code == chosen_hall), halls[0] if halls else None)
    context: dict[str, Any] = {
        "surface": "workspace",
        "item": item,
        "item_name": queries.item_name(item),
        "halls": halls,
        "hall": hall,
    }
    if request.method == "POST" and hall is not None:
        problem = _booking_refusal(request, user)
        try:
            if problem:
                raise Conflict(problem)
            challenge.check_solution(request.POST.get("altcha", ""))
            starts_at = datetime.datetime.fromisoformat(request.POST.get("starts_at", ""))
            if starts_at.tzinfo is None:
                raise ValueError
            if user.person is None:
                raise ValidationError(_("请先完成实名认证后再预约。"))
            booking = actions.hold_booking(hall, item, starts_at, person=user.person, account=user)
        except ValueError:
            messages.error(request, _("请从列出的时段中选择一个。"))
        except (ValidationError, PermissionDenied) as exc:
            _say(request, exc)
        else:
            return redirect("halls:my_appointment", public_id=booking.public_id)
    if hall is not None:
        days = queries.bookable_days(hall)
        capacity = queries.booking_capacity(hall, item)
        free = queries.free_places_by_day(hall, item, days, capacity=capacity)
        context["days"] = [(day, free[day]) for day in days]
        chosen = request.GET.get("day") or request.POST.get("day") or ""
        day = next((d for d in days if d.isoformat() == chosen), None)
        if day is None:
            day = next((d for d in days if free[d] > 0), None)
        context["day"] = day
        context["slots"] = queries.list_slots(hall, item, day, capacity=capacity) if day else []
        context["blocked_until"] = (
            queries.is_blocked_for_no_shows(hall, user.person.id_number_hash) if user.person else None
        )
    return render(request, "halls/my_book.html", context)


def _booking_refusal(request: HttpRequest, user: User) -> str:
    if over_limit(f"halls:book:user:{user.pk}", settings.HALLS_BOOKINGS_PER_PERSON_PER_HOUR, 3600):
        return _("您一小时内预约操作太多次，请稍后再试。")
    if over_limit(f"halls:book:ip:{client_ip(request)}", settings.HALLS_BOOKINGS_PER_ADDRESS_PER_HOUR, 3600):
        return _("这个网络一小时内预约操作太多次，请稍后再试。")
    return ""


def challenge_view(request: HttpRequest) -> JsonResponse:
    """A fresh proof-of-work challenge for the booking form's widget."""
    response = JsonResponse(challenge.new_challenge())
    patch_cache_control(response, no_store=True)
    return response


@applicant_required
def my_appointment(request: HttpRequest, public_id: str) -> HttpResponse:
    """One booking: confirm a held one, see the code and its QR, cancel."""
    user = _user(request)
    booking = queries.access_booking_for(user, public_id)
    if request.method == "POST":
        try:
            if request.POST.get("do") == "confirm":
                actions.confirm_booking(booking, account=user)
                messages.success(request, _("预约成功。请记下预约码，预约当天到大厅自助机签到取号。"))
            elif request.POST.get("do") == "cancel":
                booking = actions.cancel_booking(booking, actor=user)
                if booking.status == "expired":
                    messages.info(request, _("该时段的预留已过期，无需取消；如需预约请重新选择时段。"))
                else:
                    messages.success(request, _("预约已取消。"))
        except (ValidationError, PermissionDenied) as exc:
            _say(request, exc)
        return redirect("halls:my_appointment", public_id=booking.public_id)
    booking.refresh_from_db()
    return render(
        request,
        "halls/my_appointment.html",
        {"surface": "workspace", "booking": booking, "item_name": queries.item_name(booking.item),
         "qr": _qr_svg(booking.code) if booking.status == "booked" else "", "now": timezone.now()},
    )  # fmt: skip
