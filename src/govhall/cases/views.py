"""Case pages: applying and following a case in the workspace, handling it on the desk."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import prefetch_related_objects
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from govhall.audit.actions import record
from govhall.cases import actions, queries
from govhall.cases.constants import (
    SESSION_INTAKE_ANSWERS,
    SESSION_STARTED_FROM,
    CaseAction,
    CaseOrigin,
    CaseStatus,
    due_cells,
    status_label,
)
from govhall.cases.forms import DESK_FORMS, CompleteStepForm, CountersignAnswerForm, DeskForm, ExtensionDecisionForm
from govhall.cases.guidance import next_step_for_applicant
from govhall.cases.models import Case
from govhall.catalog.queries import get_guide
from govhall.identity.actions import open_account_for_intake, set_acting_for
from govhall.identity.constants import SESSION_ACTING_FOR
from govhall.identity.decorators import applicant_required, staff_required
from govhall.identity.models import User
from govhall.identity.queries import access_entity_for
from govhall.lib.forms import Form
from govhall.lib.html import html_rows
from govhall.lib.jsonforms import answers_of, build_form, material_fields, show_errors
from govhall.lib.storage import file_matches, private_download
from govhall.lib.urls import object_url
from govhall.licences import queries as licence_queries


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _errors_to_messages(request: HttpRequest, exc: ValidationError | PermissionDenied) -> None:
    for message in exc.messages if isinstance(exc, ValidationError) else [str(exc)]:
        messages.error(request, message)


# Workspace ----------------------------------------------------------------------------------


@applicant_required
def apply(request: HttpRequest, public_id: str) -> HttpResponse:
    """Fill the item's application form (rendered from its JSON Schema) and submit it, or save a draft."""
    return _application(request, get_guide(public_id), None)


@applicant_required
def resume_draft(request: HttpRequest, public_id: str) -> HttpResponse:
    """Go on with a saved draft: the answers and materials given so far are kept."""
    draft = queries.access_case_for_applicant(request.user, public_id)
    if draft.status != CaseStatus.DRAFT:
        return redirect("cases:my_case", public_id=draft.public_id)
    return _application(request, draft.item_version, draft)


@applicant_required
def renew(request: HttpRequest, public_id: str) -> HttpResponse:
    """Renew a licence (换证): a page saying what will happen, and on confirming a pre-filled application."""
    licence = licence_queries.licences_of(_user(request)).filter(public_id=public_id).first()
    if licence is None:
        raise Http404
    if request.method == "POST":
        try:
            draft = actions.start_renewal(licence.public_id, applicant=_user(request))
        except ValidationError as exc:
            _errors_to_messages(request, exc)
        else:
            if draft.status != CaseStatus.DRAFT:
                messages.info(request, _("这本证照的换证申请已经提交，请在这里查看进度。"))
                return redirect("cases:my_case", public_id=draft.public_id)
            if draft.entity is not None:
                set_acting_for(request, draft.entity)
            messages.success(request, _("已按原证照和上次的申请为您填好换证申请，请核对有变化的内容，补齐材料后提交。"))
            return redirect("cases:resume_draft", public_id=draft.public_id)
    return render(request, "cases/renew.html", {"surface": "workspace", "licence": licence})


@dataclass(frozen=True)
class Intake:
    """An application filed at the window for a person (一窗受理): whose, and where to go after."""

    applicant: User
    person: Any
    next_url: str
    entity: Any = None  # the company the person acts for (its authorisation checked at the window)
    answers: dict[str, Any] | None = None  # what the person typed at the kiosk (自助填单)


def _application(request: HttpRequest, version: Any, draft: Case | None, intake: Intake | None = None) -> HttpResponse:
    """The application page: one round judges everything posted and shows every problem at its field.

    The form only reads the post; the action judges the answers (the item's JSON Schema), the
    chosen licences and the uploads together, so the page says what the API says, all at once.
    At the window (``intake``) the clerk fills the same form for the applicant, with the
    licences the platform holds for them offered instead of copies.
    """
    schema = version.form_schema or {"type": "object"}
    applicant = intake.applicant if intake else _user(request)
    acting_for = "" if intake else request.session.get(SESSION_ACTING_FOR, "")
    entity = intake.entity if intake else access_entity_for(applicant, acting_for) if acting_for else None
    # What led the person here (a suggestion followed: proactive.views), forgotten once they have
    # applied; never at the window, and an unknown mark is ignored:
    marks = {} if intake else request.session.get(SESSION_STARTED_FROM) or {}
    item_key = str(version.item_id)
    origin = marks.get(item_key, "") if marks.get(item_key) in CaseOrigin.values else ""
    posted = request.method == "POST"
    form = build_form(
        schema,
        version.form_ui,
        request.POST if posted else None,
        initial=draft.form_data if draft else intake.answers if intake else None,
        known=actions.known_answers(applicant, entity),
    )
    # Read once: the action checks the uploads and the chosen licences against the same list
    # (a published version's materials never change):
    prefetch_related_objects([version], "materials")
    materials = list(version.materials.all())
    reusable = _reusable(materials, applicant, entity)
    _add_material_fields(form, materials, request, reusable)
    if intake:
        form.fields["confirmed"] = forms.BooleanField(
            label=_("申请人已当面核对以上申请内容和材料，并签字确认"),
            error_messages={"required": _("请先请申请人核对申请内容和材料并签字确认。")},
        )
        form.fields["accept_now"] = forms.BooleanField(label=_("材料齐全，当场受理"), required=False, initial=True)
    submit_key = request.POST.get("submit_key") or uuid.uuid4().hex
    saving = posted and "save_draft" in request.POST and not intake
    if posted:
        form.is_valid()  # reads the post; the action below judges it
    if saving:
        try:
            case = actions.save_draft(
                version,
                applicant=_user(request),
                # A draft keeps whatever is valid so far:
                form_data={k: v for k, v in answers_of(form, schema).items() if k not in form.errors},
                files=_material_files(request, materials),
                entity=entity,
                draft=draft,
                origin=origin,
            )
        except ValidationError as exc:
            show_errors(form, exc)
        except PermissionDenied as exc:
            show_errors(form, ValidationError(str(exc)))
        else:
            if marks.pop(item_key, None) is not None:
                request.session.modified = True
            messages.success(request, _("草稿已保存，可随时在“我的办事空间”继续填写。"))
            return redirect("cases:resume_draft", public_id=case.public_id)
    elif posted and not (intake and "notice" in request.POST):
        try:
            if intake and not form.cleaned_data.get("confirmed"):
                raise ValidationError({"confirmed": form.fields["confirmed"].error_messages["required"]})
            case = actions.submit_case(
                version,
                applicant=applicant,
                form_data=answers_of(form, schema),
                submit_key=submit_key,
                entity=entity,
                files=_material_files(request, materials),
                draft=draft,
                licences=_chosen_licences(request, materials),
                reusable=reusable,
                filed_by=_user(request) if intake else None,
                origin=origin,
            )
        except ValidationError as exc:
            show_errors(form, exc)
        except PermissionDenied as exc:
            show_errors(form, ValidationError(str(exc)))
        else:
            if marks.pop(item_key, None) is not None:
                request.session.modified = True
            messages.success(request, _("申请已提交，办件编号 %(reference)s。") % {"reference": case.reference})
            if intake is None:
                return redirect("cases:my_case", public_id=case.public_id)
            return _after_intake(request, case, intake, accept_now=bool(form.cleaned_data.get("accept_now")))
    kept = draft.materials.filter(is_current=True).select_related("material") if draft else []
    answer_fields = [form[name] for name in form.fields if name in schema.get("properties", {})]
    material_fields = _material_rows(form, materials, kept, request if posted else None)
    if intake and posted and "notice" in request.POST:
        # 一次性告知: everything still missing, printed for the person to take home:
        return render(
            request,
            "cases/desk_intake_notice.html",
            {"surface": "desk", "version": version, "person": intake.person, "materials": materials,
             "problems": [message for field in form.errors.values() for message in field]},
        )  # fmt: skip
    return render(
        request,
        "cases/desk_intake.html" if intake else "cases/apply.html",
        {
            "surface": "desk" if intake else "workspace",
            "intake": intake,
            "intake_fields": [form["confirmed"], form["accept_now"]] if intake else [],
            "version": version,
            "form": form,
            "answer_fields": answer_fields,
            "material_fields": material_fields,
            "problems": _problems(
                [
                    *answer_fields,
                    *[field for row in material_fields for field in (row["licence"], row["upload"]) if field],
                ]
            ),
            "submit_key": submit_key,
            "draft": draft,
        },
        status=400 if posted and form.errors else 200,
    )


def _after_intake(request: HttpRequest, case: Case, intake: Intake, *, accept_now: bool) -> HttpResponse:
    """After filing at the window: accept on the spot if asked and complete, then back to the counter."""
    if accept_now:
        try:
            actions.accept_case(case, actor=_user(request), note=_("窗口当场受理"))
        except (ValidationError, PermissionDenied) as exc:
            _errors_to_messages(request, exc)
        else:
            messages.success(request, _("已当场受理，受理通知书可在办件页面打印。"))
    if intake.next_url:
        # The page that sent the clerk here hears which case was filed (the hall links it to the ticket):
        return redirect(f"{intake.next_url}linked/{case.public_id}/")
    return redirect("cases:desk_case", public_id=case.public_id)


@staff_required
def desk_intake(request: HttpRequest) -> HttpResponse:
    """File an application at the window for a person (一窗受理, channel "window").

    The person was identified at the counter (``person``); the clerk chooses the item and fills
    the same form as online, for a person who may not have an account yet (one is opened,
    without a password, for them to claim online). ``next`` brings the clerk back (the hall's
    counter links its ticket to the case).
    """
    user = _user(request)
    departments = queries.intake_departments(user)
    if not departments:
        raise Http404
    subject = queries.window_subject(request)
    if subject is None:
        return render(request, "cases/desk_intake_items.html", {"surface": "desk", "person": None})
    person, entity, next_url = subject.person, subject.entity, subject.next_url
    code = request.GET.get("item") or request.POST.get("item") or ""
    version = queries.get_version_to_apply(implementation_code=code) if code else None
    if version is None or version.handling_department_id not in departments:
        return render(
            request,
            "cases/desk_intake_items.html",
            {"surface": "desk", "person": person, "entity": entity, "next": next_url,
             "versions": queries.intake_versions(departments)},
        )  # fmt: skip
    if queries.identified_since(request, subject):
        # The counter identified someone else (or another company) since this form was opened:
        messages.error(request, _("窗口已重新核验申请人或申请单位，这份申请未提交。请按当前核验的申请人重新填写。"))
        query = urlencode({"person": str(person.public_id), "next": next_url})
        return redirect(f"{reverse('cases:desk_intake')}?{query}")
    applicant = open_account_for_intake(person)
    answers = None
    if request.method == "GET":
        # The answers typed at the kiosk fill the form once; they are not kept in the session after:
        kiosk = request.session.pop(SESSION_INTAKE_ANSWERS, None) or {}
        answers = kiosk.get("answers") if kiosk.get("item") == code else None
    return _application(request, version, None, Intake(applicant, person, next_url, entity, answers))


def _problems(fields: list[Any]) -> list[tuple[str, str]]:
    """Each field's messages with the id to link to: a group of choices by its first choice."""
    return [
        (f"{field.auto_id}_0" if isinstance(field.field.widget, forms.RadioSelect) else field.auto_id, str(error))
        for field in fields
        for error in field.errors
    ]


def _material_rows(form: Form, materials: list[Any], kept: Any, request: HttpRequest | None) -> list[dict[str, Any]]:
    """Per material: its licence choice (if the platform holds one), its upload, what a draft keeps,
    and whether a file chosen in a refused round must be chosen again (a browser cannot keep it)."""
    kept_names = {m.material_id: m.original_name for m in kept}
    return [
        {
            "material": material,
            "licence": form[f"licence_{material.pk}"] if f"licence_{material.pk}" in form.fields else None,
            "upload": form[f"material_{material.pk}"],
            "kept": kept_names.get(material.pk, ""),
            "choose_again": request is not None and f"material_{material.pk}" in request.FILES,
        }
        for material in materials
    ]


def _reusable(materials: list[Any], user: User, entity: Any) -> dict[str, list[Any]]:
    codes = [m.licence_type_code for m in materials if m.licence_type_code]
    if not codes:
        return {}
    return licence_queries.reusable_licences(licence_queries.holder_keys(user, entity), codes)


def _chosen_licences(request: HttpRequest, materials: list[Any]) -> dict[int, str]:
    return {m.pk: request.POST[f"licence_{m.pk}"] for m in materials if request.POST.get(f"licence_{m.pk}")}


def _add_material_fields(
    form: Form, materials: list[Any], request: HttpRequest, reusable: dict[str, list[Any]] | None = None
) -> None:
    """One file field per material of the guide, after the choice of a licence the platform holds (免提交)."""
    form.files = request.FILES if request.method == "POST" else form.files
    for material in materials:
        choice, upload = material_fields(
            material.pk, name=material.name, need=material.get_need_display(), notes=material.filling_notes,
            held=(reusable or {}).get(material.licence_type_code, []),
        )  # fmt: skip
        if choice is not None:
            form.fields[f"licence_{material.pk}"] = choice
        form.fields[f"material_{material.pk}"] = upload


def _material_files(request: HttpRequest, materials: list[Any]) -> dict[int, Any]:
    return {m.pk: request.FILES[f"material_{m.pk}"] for m in materials if f"material_{m.pk}" in request.FILES}


class AnswerForm(Form):
    note = forms.CharField(
        label=gettext_lazy("补正说明"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("说明您补正了哪些内容"),
    )


class WithdrawForm(Form):
    reason = forms.CharField(label=gettext_lazy("撤回原因"), max_length=300)


@applicant_required
def my_case(request: HttpRequest, public_id: str) -> HttpResponse:
    case = queries.access_case_for_applicant(request.user, public_id)
    correction = case.events.filter(kind="correction_requested").order_by("-pk").first()
    answer_form = AnswerForm()
    _add_material_fields(answer_form, list(case.item_version.materials.all()), request)
    return render(
        request,
        "cases/my_case.html",
        {
            "surface": "workspace",
            "case": case,
            # The applicant sees what concerns them, not the bureau's internal opinions:
            "events": case.events.filter(kind__in=actions.APPLICANT_EVENTS).select_related("actor"),
            "answers": _answers_with_titles(case),
            "correction": correction if case.status == CaseStatus.CORRECTION_REQUESTED else None,
            "answer_form": answer_form,
            "materials": _with_licence_checks(case),
            "withdraw_form": WithdrawForm(),
            "next_step": next_step_for_applicant(case),
        },
    )


@applicant_required
@require_POST
def my_case_action(request: HttpRequest, public_id: str, action: str) -> HttpResponse:
    case = queries.access_case_for_applicant(request.user, public_id)
    try:
        if action == "answer":
            actions.answer_correction(
                case,
                applicant=_user(request),
                note=request.POST.get("note", ""),
                files=_material_files(request, list(case.item_version.materials.all())),
            )
            messages.success(request, _("补正已提交。"))
        elif action == "withdraw":
            actions.withdraw_case(case, applicant=_user(request), reason=request.POST.get("reason", ""))
            messages.success(request, _("申请已撤回。"))
        else:
            raise PermissionDenied(_("未知操作。"))
    except (ValidationError, PermissionDenied) as exc:
        _errors_to_messages(request, exc)
    return redirect("cases:my_case", public_id=case.public_id)


# Desk -------------------------------------------------------------------------------------------


@staff_required
def inbox(request: HttpRequest) -> HttpResponse:
    search = request.GET.get("q", "").strip()[:60]
    status = request.GET.get("status", "")
    if status not in CaseStatus.values:
        status = ""
    items = queries.list_items_for_inbox(_user(request))
    item = request.GET.get("item", "")
    if item not in dict(items):
        item = ""
    page = min(max(_int(request.GET.get("page")), 1), INBOX_MAX_PAGE)
    # One row more than a page tells whether there is a next one, without counting a million:
    start = (page - 1) * INBOX_PAGE_SIZE
    cases = queries.listed(
        queries.inbox_for(_user(request), search=search, status=status, item=item), start, start + INBOX_PAGE_SIZE + 1
    )
    return render(
        request,
        "cases/inbox.html",
        {
            "surface": "desk",
            "rows": _inbox_rows(cases[:INBOX_PAGE_SIZE]),
            "page": page,
            "has_next": len(cases) > INBOX_PAGE_SIZE and page < INBOX_MAX_PAGE,
            "search": search,
            "status": status,
            "statuses": CaseStatus.choices,
            "item": item,
            "items": items,
        },
    )


INBOX_PAGE_SIZE = 25
INBOX_MAX_PAGE = 400


# One row of the inbox; its cells in the order of the table's header (cases/inbox.html):
INBOX_ROW = (
    '<tr class="warn-{}"><td><a href="{}"><code>{}</code></a></td><td>{}</td><td>{}</td><td>{}</td>'
    '<td><span class="due due-{}">{}</span>{}</td></tr>\n'
)


def _inbox_rows(cases: list[dict[str, Any]]) -> SafeString:
    """The rows of the inbox as HTML, every value escaped (from ``queries.listed``; ``lib.html.html_rows``).

    The search answers with the same page, so both lists gain.
    """
    return html_rows(INBOX_ROW, (_inbox_cells(case) for case in cases))


def _inbox_cells(case: dict[str, Any]) -> tuple[Any, ...]:
    warning = case["warning"]
    return (
        warning,
        object_url("cases:desk_case", case["public_id"]),
        case["reference"] or "",
        case["item_version"].name,
        case["applicant_name"],
        status_label(case["status"]),
        warning,
        *due_cells(case["due_on"], warning, case["due_is_provisional"]),
    )


@staff_required
def late(request: HttpRequest) -> HttpResponse:
    from govhall.identity.constants import Role
    from govhall.identity.queries import has_role

    if not has_role(request.user, Role.SUPERVISOR):
        raise PermissionDenied(_("只有监督人员可以查看超期督办清单。"))
    return render(request, "cases/late.html", {"surface": "desk", "cases": queries.late_cases()[:200]})


@staff_required
def desk_case(request: HttpRequest, public_id: str) -> HttpResponse:
    case = queries.access_case_for_staff(request.user, public_id)
    return _desk_page(request, case)


def _desk_forms(case: Case, available: actions.AvailableActions, bound: DeskForm | None = None) -> list[DeskForm]:
    """A form for each action the user may take now, and no other; ``bound`` (posted, with errors) in its place."""
    shown: list[DeskForm] = []
    for action, form_class in DESK_FORMS.items():
        if action not in available.actions:
            continue
        if action == CaseAction.COUNTERSIGN_ANSWER:
            for countersign in available.countersigns:
                is_bound = isinstance(bound, CountersignAnswerForm) and bound.answering.pk == countersign.pk
                shown.append(bound if is_bound and bound else CountersignAnswerForm(case=case, countersign=countersign))
            continue
        if bound is not None and type(bound) is form_class:
            shown.append(bound)
        elif action == CaseAction.COMPLETE_STEP:
            shown.append(CompleteStepForm(case=case, step=available.step))
        else:
            shown.append(form_class(case=case))
    for form in shown:
        form.offers_other = form.other_action is not None and form.other_action in available.actions
    return shown


def _desk_page(request: HttpRequest, case: Case, bound: DeskForm | None = None, status: int = 200) -> HttpResponse:
    available = actions.available_actions_for(_user(request), case)
    return render(
        request,
        "cases/desk_case.html",
        {
            "surface": "desk",
            "case": case,
            "step": available.step,
            "events": case.events.select_related("actor"),
            "countersigns": case.countersigns.select_related("department"),
            "desk_forms": _desk_forms(case, available, bound),
            "answers": _answers_with_titles(case),
            "materials": _with_licence_checks(case),
        },
        status=status,
    )


def _with_licence_checks(case: Case) -> list[Any]:
    """The case's materials; a reused licence carries its verification as of now."""
    materials = list(case.materials.filter(is_current=True).select_related("material", "licence__licence_type"))
    for material in materials:
        material.licence_check = licence_queries.judge(material.licence) if material.licence else None  # type: ignore[attr-defined]
    return materials


DONE = {
    "accept": gettext_lazy("已受理，计时开始。"),
    "correction": gettext_lazy("已一次性告知申请人补正。"),
    "not-accept": gettext_lazy("已不予受理。"),
    "complete-step": gettext_lazy("本环节已完成。"),
    "countersign": gettext_lazy("已发起会签。"),
    "countersign-answer": gettext_lazy("会签意见已提交。"),
    "decide": gettext_lazy("决定已作出。"),
    "forward": gettext_lazy("已报上级机关审批，等待上级决定。"),
    "close": gettext_lazy("已办结。"),
    "special-start": gettext_lazy("特别程序已启动，计时暂停。"),
    "special-end": gettext_lazy("特别程序已结束，计时恢复。"),
    "extension-request": gettext_lazy("延期申请已提交。"),
    "extension-approve": gettext_lazy("已批准延期。"),
    "extension-refuse": gettext_lazy("已不予延期。"),
}


# What each action's form gives to its action (the form names its fields as the arguments):
PERFORM: dict[CaseAction, Any] = {
    CaseAction.ACCEPT: actions.accept_case,
    CaseAction.CORRECTION: actions.request_correction,
    CaseAction.NOT_ACCEPT: actions.not_accept_case,
    CaseAction.COMPLETE_STEP: actions.complete_step,
    CaseAction.COUNTERSIGN: actions.start_countersign,
    CaseAction.DECIDE: actions.decide_case,
    CaseAction.FORWARD: actions.forward_case,
    CaseAction.CLOSE: actions.close_case,
    CaseAction.SPECIAL_START: actions.start_special_procedure,
    CaseAction.SPECIAL_END: actions.end_special_procedure,
    CaseAction.EXTENSION_REQUEST: actions.request_extension,
    CaseAction.EXTENSION_APPROVE: lambda case, *, actor, reason: actions.approve_extension(
        case, actor=actor, note=reason
    ),
    CaseAction.EXTENSION_REFUSE: actions.refuse_extension,
}


def _posted_form(request: HttpRequest, case: Case, action: CaseAction) -> DeskForm:
    post = request.POST
    if action == CaseAction.COUNTERSIGN_ANSWER:
        countersign = case.countersigns.select_related("department").filter(pk=_int(post.get("countersign"))).first()
        if countersign is None:
            raise ValidationError(_("找不到这个会签请求。"))
        return CountersignAnswerForm(post, case=case, countersign=countersign)
    if action == CaseAction.EXTENSION_REFUSE:
        return ExtensionDecisionForm(post, case=case)
    if action == CaseAction.COMPLETE_STEP:
        return CompleteStepForm(post, case=case, step=actions.current_step(case))
    return DESK_FORMS[action](post, case=case)


def _perform(case: Case, user: User, action: CaseAction, form: DeskForm) -> None:
    if isinstance(form, CountersignAnswerForm):
        actions.answer_countersign(form.answering, actor=user, **form.arguments())
    else:
        PERFORM[action](case, actor=user, **form.arguments())


@staff_required
@require_POST
def desk_case_action(request: HttpRequest, public_id: str, action: str) -> HttpResponse:
    case = queries.access_case_for_staff(request.user, public_id)
    user = _user(request)
    try:
        chosen = CaseAction(action)
    except ValueError:
        messages.error(request, _("未知操作。"))
        return redirect("cases:desk_case", public_id=case.public_id)
    try:
        form = _posted_form(request, case, chosen)
        if form.is_valid():
            _perform(case, user, chosen, form)
        else:
            # Bad input for an action the user may not take at all is refused as such:
            actions.check_case_action(user, case, chosen, countersign=getattr(form, "answering", None))
    except ValidationError as exc:
        # A problem with what was typed is shown at its field, on the page as it was posted;
        # a refusal (not now, not this person) is said above the page as it now is:
        if hasattr(exc, "error_dict") and set(exc.error_dict) <= set(form.fields):
            form.add_error(None, exc)
        else:
            _errors_to_messages(request, exc)
            return redirect("cases:desk_case", public_id=case.public_id)
    except PermissionDenied as exc:
        _errors_to_messages(request, exc)
        return redirect("cases:desk_case", public_id=case.public_id)
    if form.errors:
        return _desk_page(request, case, bound=form, status=400)
    messages.success(request, DONE.get(action, _("已办理。")))
    return redirect("cases:desk_case", public_id=case.public_id)


def _answers_with_titles(case: Any) -> list[tuple[str, Any]]:
    properties = (case.item_version.form_schema or {}).get("properties", {})
    return [(properties.get(key, {}).get("title", key), value) for key, value in case.form_data.items()]


def _int(value: str | None) -> int:
    try:
        return int(value or 0)
    except ValueError:
        return 0


def _serve(material: Any) -> HttpResponse | FileResponse:
    if material.file:
        return private_download(material.file, content_type=material.content_type, filename=material.original_name)
    if material.archived_copy:
        if not material.archived_copy.storage.exists(material.archived_copy.name):
            raise Http404(_("这份材料已随办件档案按保管期限销毁。"))
        # Released to the archive: served from the package once its bytes are checked against the
        # hash taken at upload (a changed copy is never served as the applicant's material):
        if not file_matches(material.archived_copy, material.sha256):
            return HttpResponse(
                _(
                    "这份材料在电子档案中的副本未通过完整性校验，为防止提供被改动的文件，暂不能查看。请联系档案管理员用另一份副本修复后再试。"
                ),
                status=409,
                content_type="text/plain; charset=utf-8",
            )
        return private_download(
            material.archived_copy, content_type=material.content_type, filename=material.original_name
        )
    raise Http404(_("这项材料是复用的电子证照，没有上传文件。"))


@applicant_required
def my_material(request: HttpRequest, public_id: str, material_id: str) -> HttpResponse | FileResponse:
    case = queries.access_case_for_applicant(request.user, public_id)
    return _serve(get_object_or_404(case.materials, public_id=material_id))


@staff_required
def desk_material(request: HttpRequest, public_id: str, material_id: str) -> HttpResponse | FileResponse:
    case = queries.access_case_for_staff(request.user, public_id)
    material = get_object_or_404(case.materials, public_id=material_id)
    record("cases.material_viewed", request.user, case, {"material": material.original_name}, request=request)
    return _serve(material)


def _notice(case: Any) -> HttpResponse:
    if case.accepted_on is None:
        raise Http404
    # The notice as issued, kept by the task after acceptance; kept now if that task has not run:
    if not case.acceptance_notice:
        actions.keep_acceptance_notice(case.pk)
        case.refresh_from_db(fields=["acceptance_notice"])
    with case.acceptance_notice.open("rb") as handle:
        response = HttpResponse(handle.read(), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="acceptance-{case.reference}.pdf"'
    return response


@applicant_required
def my_notice(request: HttpRequest, public_id: str) -> HttpResponse:
    return _notice(queries.access_case_for_applicant(request.user, public_id))


@staff_required
def desk_notice(request: HttpRequest, public_id: str) -> HttpResponse:
    return _notice(queries.access_case_for_staff(request.user, public_id))
