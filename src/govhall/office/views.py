"""Office desk pages (/desk/office/): each unit's documents to sign and tasks due; the office sees all.

Views parse input, call one action and render; every object is loaded through a gate in
``queries`` (404 for not yours).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from govhall.complaints.constants import ObjectKind
from govhall.complaints.queries import orders_for_object
from govhall.identity.constants import Role
from govhall.identity.decorators import staff_required
from govhall.identity.models import Department, User
from govhall.identity.queries import departments_covered, has_role_for
from govhall.lib.forms import Form
from govhall.lib.storage import private_download
from govhall.office import actions, queries
from govhall.office.constants import Direction, DocumentStatus, RouteStatus
from govhall.office.forms import (
    CirculateForm,
    DraftForm,
    ExtensionForm,
    IncomingForm,
    NoteForm,
    OpinionForm,
    ProgressForm,
    RouteForm,
    SuperviseForm,
    TaskForm,
)
from govhall.office.models import Attachment, Document, Evidence, RouteStep, Task


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _say(request: HttpRequest, exc: ValidationError | PermissionDenied) -> None:
    for message in exc.messages if isinstance(exc, ValidationError) else [str(exc)]:
        messages.error(request, message)


def _to_form(form: Form, exc: ValidationError) -> bool:
    """Put the action's errors at the form's fields; False if some belong to no field."""
    if hasattr(exc, "error_dict") and set(exc.error_dict) <= set(form.fields):
        form.add_error(None, exc)
        return True
    return False


def _my_units(user: User) -> Any:
    return Department.objects.filter(pk__in=queries.covered_units(user), is_active=True).order_by("sort_order", "pk")


def _desk(request: HttpRequest, template: str, context: dict[str, Any], status: int = 200) -> HttpResponse:
    """Render an office page in the desk's frame."""
    return render(request, template, {"surface": "desk", **context}, status=status)


@staff_required
def home(request: HttpRequest) -> HttpResponse:
    """The unit's desk: documents to sign, documents waiting for the leader, tasks due, recent documents."""
    user = _user(request)
    approves = departments_covered(user, [Role.APPROVER])
    context = {
        "steps": list(queries.steps_to_sign_for(user)[:100]),
        "to_sign_off": list(
            queries.list_documents_for(user).filter(
                status=DocumentStatus.AWAITING_SIGNATURE, department_id__in=approves
            )[:100]
        ),
        "assignments": list(queries.assignments_due_for(user)[:100]),
        "documents": list(queries.list_documents_for(user)[:50]),
        "is_office": queries.is_office(user),
        "may_assign": actions.may_assign_tasks(user),
    }
    return _desk(request, "office/home.html", context)


def _elements_view(
    request: HttpRequest, form_class: type[DraftForm] | type[IncomingForm], *, outgoing: bool
) -> HttpResponse:
    user = _user(request)
    units = _my_units(user)
    if not units.exists():  # administrators and content editors draft and register nothing
        raise PermissionDenied(_("只有业务岗位的工作人员可以拟稿或登记公文。"))
    initial = {"issuing_authority": settings.BUREAU_NAME}
    form = form_class(request.POST or None, request.FILES or None, units=units, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        files = data.pop("attachments")
        try:
            if outgoing:
                document = actions.draft_document(actor=user, attachments=files, **data)
            else:
                document = actions.register_incoming(actor=user, attachments=files, **data)
        except ValidationError as exc:
            if not _to_form(form, exc):
                _say(request, exc)
        except PermissionDenied as exc:
            _say(request, exc)
        else:
            messages.success(
                request,
                _("拟稿已保存。下一步：选择主办和会签单位，送会签。")
                if outgoing
                else _("来文已登记。下一步：交办给主办单位和协办单位。"),
            )
            return redirect("office:document", public_id=document.public_id)
    template = "office/new_document.html"
    context = {"form": form, "outgoing": outgoing}
    return _desk(request, template, context, status=400 if request.method == "POST" else 200)


@staff_required
def new_document(request: HttpRequest) -> HttpResponse:
    """Draft an outgoing document (拟稿)."""
    return _elements_view(request, DraftForm, outgoing=True)


@staff_required
def new_incoming(request: HttpRequest) -> HttpResponse:
    """Register an incoming document (收文登记)."""
    return _elements_view(request, IncomingForm, outgoing=False)


def _document_page(request: HttpRequest, document: Document, status: int = 200, **forms: Any) -> HttpResponse:
    user = _user(request)
    route = list(document.route.select_related("department", "signed_by"))
    mine = set(queries.own_units(user))
    in_unit = document.department_id in queries.covered_units(user)
    office = queries.is_office(user)
    running = document.status in (DocumentStatus.ROUTING, DocumentStatus.ASSIGNED)
    my_pending = [s for s in route if s.department_id in mine and s.status == RouteStatus.PENDING and running]
    circulation = list(document.circulation.select_related("reader"))
    context = {
        "document": document,
        "route": route,
        "events": list(document.events.all()),
        "attachments": list(document.attachments.all()),
        "circulation": circulation,
        "my_receipt": next((c for c in circulation if c.reader_id == user.pk), None),
        "may_route": in_unit and document.direction == Direction.OUTGOING and document.status == DocumentStatus.DRAFT,
        "may_assign": (in_unit or office)
        and document.direction == Direction.INCOMING
        and document.status == DocumentStatus.REGISTERED,
        "my_pending": my_pending,
        "may_chase": (in_unit or office) and running,
        "may_extend": running and (office or has_role_for(user, Role.APPROVER, document.department)),
        "may_sign_off": document.status == DocumentStatus.AWAITING_SIGNATURE
        and has_role_for(user, Role.APPROVER, document.department),
        "may_issue": in_unit and document.status == DocumentStatus.SIGNED,
        "may_circulate": in_unit or office,
        "may_close": (in_unit or office) and document.status == DocumentStatus.ASSIGNED,
        "route_form": forms.get("route_form") or RouteForm(),
        "opinion_form": forms.get("opinion_form") or OpinionForm(),
        "note_form": NoteForm(),
        "extension_form": forms.get("extension_form") or ExtensionForm(),
        "circulate_form": forms.get("circulate_form") or CirculateForm(),
    }
    return _desk(request, "office/document.html", context, status=status)


@staff_required
def document(request: HttpRequest, public_id: str) -> HttpResponse:
    """One document: its elements, route and opinions, and what the user may do next."""
    return _document_page(request, queries.access_document_for(request.user, public_id))


def _step(document: Document, request: HttpRequest) -> RouteStep:
    step = document.route.filter(public_id=queries.parse_uuid(request.POST.get("step", ""))).first()
    if step is None:
        raise Http404
    return step


def _readers(names: str) -> list[User]:
    wanted = [n.strip() for n in names.replace("，", ",").split(",") if n.strip()]
    found = list(User.objects.filter(username__in=wanted, is_active=True, kind="staff"))
    missing = sorted(set(wanted) - {u.username for u in found})
    if missing:
        raise ValidationError({"readers": _("没有这些工作人员：%(names)s") % {"names": "、".join(missing)}})
    return found


@staff_required
@require_POST
def document_action(request: HttpRequest, public_id: str, action: str) -> HttpResponse:
    """Do one thing to a document: send, assign, sign, chase, extend, sign off, issue, circulate, read, close."""
    user = _user(request)
    document = queries.access_document_for(user, public_id)
    form: Form | None = None
    form_name = ""
    done = ""
    perform: Callable[[], Any]
    if action in ("send", "assign"):
        form, form_name = RouteForm(request.POST), "route_form"
        function = actions.send_for_countersign if action == "send" else actions.assign_incoming
        done = _("已送会签，各单位会收到通知。") if action == "send" else _("已交办，承办单位会收到通知。")

        def perform() -> Any:
            assert form is not None
            data = form.cleaned_data
            return function(document, actor=user, lead=data["lead"], co_units=list(data["co_units"]), days=data["days"])

    elif action == "sign":
        form, form_name = OpinionForm(request.POST), "opinion_form"
        done = _("已会签，意见已记录。")

        def perform() -> Any:
            assert form is not None
            return actions.sign_document(document, actor=user, opinion=form.cleaned_data["opinion"])

    elif action == "urge":
        step = _step(document, request)
        done = _("已催办 %(unit)s。") % {"unit": step.department.name}

        def perform() -> Any:
            return actions.urge_signer(step, actor=user, note=request.POST.get("note", "")[:2000])

    elif action == "extend":
        step = _step(document, request)
        form, form_name = ExtensionForm(request.POST), "extension_form"
        done = _("已批准 %(unit)s 延期会签。") % {"unit": step.department.name}

        def perform() -> Any:
            assert form is not None
            data = form.cleaned_data
            return actions.extend_step(step, actor=user, days=data["days"], reason=data["reason"])

    elif action == "sign-off":
        done = _("已签发。拟稿单位可以编号发文了。")

        def perform() -> Any:
            return actions.sign_off(document, actor=user, note=request.POST.get("note", "")[:2000])

    elif action == "issue":
        done = _("已编号发文，正式公文已生成并加盖电子印章。")

        def perform() -> Any:
            return actions.issue_document(document, actor=user)

    elif action == "circulate":
        form, form_name = CirculateForm(request.POST), "circulate_form"
        done = _("已送传阅。")

        def perform() -> Any:
            assert form is not None
            return actions.circulate(document, actor=user, readers=_readers(form.cleaned_data["readers"]))

    elif action == "read":
        done = _("已确认阅知。")

        def perform() -> Any:
            return actions.mark_read(document, actor=user)

    elif action == "close":
        done = _("来文已办结。")

        def perform() -> Any:
            return actions.close_incoming(document, actor=user, note=request.POST.get("note", "")[:2000])

    else:
        raise Http404
    if form is None or form.is_valid():
        try:
            perform()
        except ValidationError as exc:
            if form is None or not _to_form(form, exc):
                _say(request, exc)
                return redirect("office:document", public_id=document.public_id)
        except PermissionDenied as exc:
            _say(request, exc)
            return redirect("office:document", public_id=document.public_id)
        else:
            messages.success(request, done)
            return redirect("office:document", public_id=document.public_id)
    document.refresh_from_db()
    return _document_page(request, document, status=400, **{form_name: form})


@staff_required
def document_pdf(request: HttpRequest, public_id: str) -> FileResponse:
    """The issued document, signed (for the units concerned)."""
    document = queries.access_document_for(request.user, public_id)
    if not document.pdf:
        raise Http404
    return private_download(document.pdf, content_type="application/pdf", filename=f"{document.number}.pdf")


@staff_required
def attachment(request: HttpRequest, public_id: str, attachment_id: str) -> FileResponse:
    document = queries.access_document_for(request.user, public_id)
    item = Attachment.objects.filter(document=document, public_id=queries.parse_uuid(attachment_id)).first()
    if item is None:
        raise Http404
    return private_download(item.file, content_type=item.content_type, filename=item.original_name)


# Tasks ---------------------------------------------------------------------------------------


@staff_required
def new_task(request: HttpRequest) -> HttpResponse:
    """The office or a leader assigns a supervised task to units."""
    user = _user(request)
    if not actions.may_assign_tasks(user):
        raise Http404
    form = TaskForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        source_document = None
        if data["document_number"].strip():
            source_document = queries.list_documents_for(user).filter(number=data["document_number"].strip()).first()
            if source_document is None:
                form.add_error("document_number", _("没有找到这个发文字号的公文，请核对。"))
                return _desk(request, "office/new_task.html", {"form": form}, status=400)
        try:
            task = actions.create_task(
                actor=user,
                title=data["title"],
                source=data["source"],
                source_note=data["source_note"],
                description=data["description"],
                units=list(data["units"]),
                days=data["days"],
                milestones=data["milestones"],
                document=source_document,
            )
        except ValidationError as exc:
            if not _to_form(form, exc):
                _say(request, exc)
        except PermissionDenied as exc:
            _say(request, exc)
        else:
            messages.success(request, _("任务已交办，承办单位会收到通知。"))
            return redirect("office:task", public_id=task.public_id)
    return _desk(request, "office/new_task.html", {"form": form}, status=400 if request.method == "POST" else 200)


def _task_page(
    request: HttpRequest, task: Task, status: int = 200, progress_form: ProgressForm | None = None
) -> HttpResponse:
    user = _user(request)
    units = set(queries.covered_units(user))
    supervised = set(departments_covered(user, [Role.SUPERVISOR]))
    assignments = list(task.assignments.select_related("department").prefetch_related("reports__evidence"))
    rows = [
        {
            "assignment": a,
            "orders": list(orders_for_object(ObjectKind.TASK, a.public_id)),
            "mine": a.department_id in units,
            "supervised": a.department_id in supervised,
        }
        for a in assignments
    ]
    context = {
        "task": task,
        "rows": rows,
        "milestones": list(task.milestones.all()),
        "progress_form": progress_form or ProgressForm(),
        "supervise_form": SuperviseForm(),
    }
    return _desk(request, "office/task.html", context, status=status)


@staff_required
def task(request: HttpRequest, public_id: str) -> HttpResponse:
    """One task: its units, their progress and evidence, milestones, and any supervision order."""
    return _task_page(request, queries.access_task_for(request.user, public_id))


@staff_required
@require_POST
def task_action(request: HttpRequest, public_id: str, assignment_id: str, action: str) -> HttpResponse:
    """Report progress on a unit's part (with evidence), or supervise it by hand (a supervisor)."""
    user = _user(request)
    task = queries.access_task_for(user, public_id)
    assignment = (
        task.assignments.filter(public_id=queries.parse_uuid(assignment_id)).select_related("department").first()
    )
    if assignment is None:
        raise Http404
    if action == "report":
        form = ProgressForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            try:
                actions.report_progress(
                    assignment, actor=user, text=data["text"], percent=data["percent"], evidence=data["evidence"]
                )
            except ValidationError as exc:
                if not _to_form(form, exc):
                    _say(request, exc)
                    return redirect("office:task", public_id=task.public_id)
            except PermissionDenied as exc:
                _say(request, exc)
                return redirect("office:task", public_id=task.public_id)
            else:
                messages.success(request, _("进展已报送。"))
                return redirect("office:task", public_id=task.public_id)
        return _task_page(request, task, status=400, progress_form=form)
    if action == "supervise":
        supervise = SuperviseForm(request.POST)
        if not supervise.is_valid():
            messages.error(request, _("请选择督办等级并写明督办事由。"))
            return redirect("office:task", public_id=task.public_id)
        try:
            order = actions.supervise_assignment(
                assignment, actor=user, level=supervise.cleaned_data["level"], reason=supervise.cleaned_data["reason"]
            )
        except (ValidationError, PermissionDenied) as exc:
            _say(request, exc)
            return redirect("office:task", public_id=task.public_id)
        messages.success(request, _("已发起督办 %(number)s。") % {"number": order.number})
        return redirect("office:task", public_id=task.public_id)
    raise Http404


@staff_required
def evidence(request: HttpRequest, public_id: str, evidence_id: str) -> FileResponse:
    task = queries.access_task_for(request.user, public_id)
    item = Evidence.objects.filter(report__assignment__task=task, public_id=queries.parse_uuid(evidence_id)).first()
    if item is None:
        raise Http404
    return private_download(item.file, content_type=item.content_type, filename=item.original_name)


@staff_required
def weekly(request: HttpRequest) -> HttpResponse:
    """The office's weekly progress list per unit (定期通报)."""
    if not queries.is_office(request.user):
        raise Http404
    return _desk(request, "office/weekly.html", {"lines": queries.weekly_progress()})
