"""Pages of 政务公开: the public columns and entries, disclosure requests, and the desk."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from govhall.audit.actions import client_ip
from govhall.halls import queries as hall_queries
from govhall.identity.decorators import staff_required
from govhall.identity.queries import departments_with_role
from govhall.lib.ratelimit import over_limit
from govhall.publicinfo import actions, intermediaries, queries
from govhall.publicinfo.api.views import follows_per_minute, requests_per_hour
from govhall.publicinfo.constants import EDITOR, EntryKind, EntryStatus, RuleDecision
from govhall.publicinfo.documents import answer_letter
from govhall.publicinfo.forms import (
    AnswerForm,
    ConsultForm,
    EntryForm,
    ErrorReportForm,
    ExtendForm,
    FollowForm,
    InstitutionDetailsForm,
    QualificationFormSet,
    QuestionAnswerForm,
    QuestionForm,
    RequestForm,
    ReviewForm,
    ServiceDetailsForm,
    WithdrawForm,
)
from govhall.publicinfo.models import DisclosureRequest, Entry, Question

COLUMN_PAGE_SIZE = 20


def _desk(request: HttpRequest, template: str, context: dict[str, Any], status: int = 200) -> HttpResponse:
    return render(request, template, {"surface": "desk", **context}, status=status)


def _put_errors(form: Any, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def _letter(request: DisclosureRequest) -> HttpResponse:
    response = HttpResponse(answer_letter(request), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{request.number}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


# Public ------------------------------------------------------------------------------------


def index(request: HttpRequest) -> HttpResponse:
    """政务公开: a section per type with its newest entries, and the way to ask for more."""
    return render(request, "publicinfo/index.html", {"sections": queries.sections()})


def column(request: HttpRequest, kind: str) -> HttpResponse:
    if kind not in EntryKind.values:
        raise Http404
    page = Paginator(queries.published().filter(kind=kind).order_by("-published_on", "-pk"), COLUMN_PAGE_SIZE)
    entries = page.get_page(request.GET.get("page"))
    return render(
        request,
        "publicinfo/column.html",
        {"kind": kind, "label": EntryKind(kind).label, "entries": entries},
    )


def entry(request: HttpRequest, public_id: str) -> HttpResponse:
    found = queries.get_public_entry(public_id)
    return render(
        request,
        "publicinfo/entry.html",
        {
            "entry": found,
            "current": queries.current_version(found.lineage),
            "versions": queries.history(found),
            "items": queries.linked_items(found),
            "interpretations": queries.interpretations_of(found),
            "policy": queries.policy_of(found),
            "attachments": found.attachments.all(),
            "facts": _intermediary_facts(found),
        },
    )


def request_form(request: HttpRequest) -> HttpResponse:
    """依申请公开: the request form; the acknowledgement shows the number and the query code once."""
    form = RequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if over_limit(f"publicinfo-request:{client_ip(request)}", requests_per_hour(), 3600):
            form.add_error(None, _("提交过于频繁，请一小时后再试，或到政务服务窗口现场提交。"))
            return render(request, "publicinfo/request_form.html", {"form": form}, status=429)
        try:
            filed, code = actions.submit_request(**form.cleaned_data, user=request.user)
        except ValidationError as error:
            _put_errors(form, error)
        else:
            response = render(request, "publicinfo/request_ack.html", {"filed": filed, "code": code})
            response["Cache-Control"] = "private, no-store"
            return response
    return render(request, "publicinfo/request_form.html", {"form": form}, status=400 if form.errors else 200)


def request_follow(request: HttpRequest) -> HttpResponse:
    """Follow a request by its number and query code (posted, so the code stays out of addresses and logs)."""
    form = FollowForm(request.POST or None)
    found = None
    if request.method == "POST" and over_limit(f"publicinfo-follow:{client_ip(request)}", follows_per_minute()):
        form.add_error(None, _("查询过于频繁，请一分钟后再试。"))
        return render(request, "publicinfo/request_follow.html", {"form": form, "found": None}, status=429)
    if request.method == "POST" and form.is_valid():
        found = queries.find_request(form.cleaned_data["number"], form.cleaned_data["code"])
        if found is None:
            form.add_error(None, _("受理编号或查询码不正确，请核对后重试。"))
        elif request.POST.get("letter") and found.answered_on:
            return _letter(found)
    response = render(request, "publicinfo/request_follow.html", {"form": form, "found": found})
    response["Cache-Control"] = "private, no-store"
    return response


# Desk --------------------------------------------------------------------------------------


def _staff(request: HttpRequest) -> Any:
    if not queries.can_use_desk(request.user):
        raise Http404
    return request.user


@staff_required
def desk_home(request: HttpRequest) -> HttpResponse:
    user = _staff(request)
    entries = queries.desk_entries(user)
    return _desk(
        request,
        "publicinfo/desk_home.html",
        {
            "warnings": queries.disclosure_warnings(user),
            "drafts": entries.filter(status=EntryStatus.DRAFT),
            "to_approve": queries.awaiting_approval(user),
            "recent": entries.filter(status=EntryStatus.PUBLISHED).order_by("-approved_at")[:20],
            "requests": queries.open_requests()[:50] if queries.can_handle_requests(user) else [],
            "questions": queries.open_questions()[:50] if queries.can_handle_requests(user) else [],
            "can_edit": bool(queries.editor_departments(user)),
            "hall_candidates": hall_queries.faq_candidates(queries.editor_departments(user))[:50],
            "guide_flags": queries.guides_to_review(),
            "stale_columns": queries.stale_columns() if queries.editor_departments(user) else [],
            "can_handle_requests": queries.can_handle_requests(user),
        },
    )


def _entry_data(form: EntryForm) -> tuple[dict[str, Any], dict[str, Any]]:
    data = dict(form.cleaned_data)
    links = {
        "items": list(data.pop("items") or []),
        "interprets": data.pop("interprets"),
        "attachments": [data.pop("attachments")] if data.get("attachments") else [],
    }
    data.pop("attachments", None)
    return data, links


@dataclass
class DetailForms:
    """The structured facts of an intermediary service or institution, beside the entry's form."""

    service: ServiceDetailsForm
    institution: InstitutionDetailsForm
    qualifications: Any

    @classmethod
    def of(cls, request: HttpRequest, entry: Entry | None = None) -> DetailForms:
        post = request.POST if request.method == "POST" else None
        details = entry.details if entry else {}
        kind = entry.kind if entry else ""
        return cls(
            ServiceDetailsForm(post, prefix="s", initial=details if kind == EntryKind.INTERMEDIARY_SERVICE else None),
            InstitutionDetailsForm(post, prefix="i", initial=details if kind == EntryKind.INTERMEDIARY else None),
            QualificationFormSet(
                post, prefix="q", initial=details.get("qualifications") if kind == EntryKind.INTERMEDIARY else None
            ),
        )

    def details(self, kind: str) -> dict[str, Any]:
        """What was posted for the entry's kind, as typed (the action judges it)."""
        if kind == EntryKind.INTERMEDIARY_SERVICE:
            self.service.is_valid()
            chosen = self.service.data.getlist("s-institutions")  # type: ignore[attr-defined]  # a QueryDict
            return {**self.service.cleaned_data, "institutions": chosen}
        if kind == EntryKind.INTERMEDIARY:
            self.institution.is_valid()
            rows = (
                [form.cleaned_data for form in self.qualifications if form.is_valid()]
                if self.qualifications.is_valid()
                else []
            )
            return {**self.institution.cleaned_data, "qualifications": rows}
        return {}

    def has_errors(self) -> bool:
        return bool(self.service.errors or self.institution.errors or self.qualifications.total_error_count())

    def put(self, error: ValidationError) -> ValidationError | None:
        """Put the action's ``details.…`` messages on these forms; return the rest (or None)."""
        if not hasattr(error, "error_dict"):
            return error
        rest: dict[str, Any] = {}
        for field, messages_ in error.message_dict.items():
            name = field.removeprefix("details.")
            if field == name:
                rest[field] = messages_
            elif name.startswith("qualifications.") and name.count(".") == 2:
                _prefix, index, column = name.split(".")
                forms_ = self.qualifications.forms
                target = forms_[int(index)] if int(index) < len(forms_) else None
                if target is not None:
                    target.add_error(column, messages_)
            elif name in self.service.fields and name not in self.institution.fields:
                self.service.add_error(name, messages_)
            elif name in self.institution.fields:
                self.institution.add_error(name, messages_)
            else:
                self.institution.add_error(None, messages_)
        return ValidationError(rest) if rest else None


@staff_required
def desk_new(request: HttpRequest) -> HttpResponse:
    user = _staff(request)
    units = list(departments_with_role(user, EDITOR))
    if not units:
        raise PermissionDenied
    form = EntryForm(request.POST or None, request.FILES or None)
    details = DetailForms.of(request)
    if request.method == "POST" and form.is_valid():
        data, links = _entry_data(form)
        try:
            created = actions.create_draft(
                actor=user, department=units[0], data=data, details=details.details(data["kind"]), **links
            )
        except ValidationError as error:
            rest = details.put(error)
            if rest is not None:
                _put_errors(form, rest)
        else:
            messages.success(request, _("草稿已保存。下一步：保密审查。"))
            return redirect("publicinfo:desk_entry", public_id=created.public_id)
    failed = bool(form.errors) or details.has_errors()
    return _desk(
        request, "publicinfo/desk_edit.html", {"form": form, "details": details, "entry": None},
        status=400 if failed else 200,
    )  # fmt: skip


def _initial(entry: Entry) -> dict[str, Any]:
    fields = [*actions.TEXT_FIELDS, *actions.DATE_FIELDS, "kind", "validity"]
    initial = {name: getattr(entry, name) for name in fields}
    initial["items"] = list(entry.items.all())
    initial["interprets"] = entry.interprets
    return initial


@staff_required
def desk_entry(request: HttpRequest, public_id: str) -> HttpResponse:
    """One entry at the desk: the draft's form, or the read-only text with the next step's buttons."""
    user = _staff(request)
    found = queries.access_entry_for(user, public_id)
    form = None
    details = None
    if found.status == EntryStatus.DRAFT and found.department_id in queries.editor_departments(user):
        form = EntryForm(request.POST or None, request.FILES or None, initial=_initial(found))
        details = DetailForms.of(request, found)
    if request.method == "POST":
        if form is None:
            messages.error(
                request,
                _("已送审或已发布的信息不能直接修改。如需更正，请在已发布的版本上“新建更正版本”，审批后替代原版本。"),
            )
            return redirect("publicinfo:desk_entry", public_id=found.public_id)
        if form.is_valid():
            assert details is not None
            data, links = _entry_data(form)
            try:
                actions.update_draft(found, actor=user, data=data, details=details.details(data["kind"]), **links)
            except ValidationError as error:
                rest = details.put(error)
                if rest is not None:
                    _put_errors(form, rest)
            else:
                messages.success(request, _("草稿已保存。"))
                return redirect("publicinfo:desk_entry", public_id=found.public_id)
    return _desk(
        request,
        "publicinfo/desk_entry.html",
        {
            "entry": found,
            "form": form,
            "details": details,
            "facts": _intermediary_facts(found),
            "review_form": ReviewForm(),
            "withdraw_form": WithdrawForm(),
            "versions": queries.history(found),
            "due_on": queries.disclosure_due(found),
            "can_review": found.status == EntryStatus.DRAFT
            and found.department_id in queries.reviewer_departments(user),
            "can_approve": found.status == EntryStatus.REVIEWED
            and found.department_id in queries.approver_departments(user)
            and found.author_id != user.pk,
            "can_correct": found.status == EntryStatus.PUBLISHED
            and found.department_id in queries.editor_departments(user),
            "can_withdraw": found.status == EntryStatus.PUBLISHED
            and found.department_id in queries.approver_departments(user),
        },
        status=400 if form is not None and (form.errors or (details and details.has_errors())) else 200,
    )


def _intermediary_facts(entry: Entry) -> dict[str, Any] | None:
    """An intermediary service's or institution's structured facts, to show (None for other kinds)."""
    today = timezone.localdate()
    if entry.kind == EntryKind.INTERMEDIARY:
        return intermediaries.institution_facts(entry, today)
    if entry.kind == EntryKind.INTERMEDIARY_SERVICE:
        return intermediaries.service_facts(entry, intermediaries.institutions_of([entry]), today)
    return None


@staff_required
@require_POST
def desk_entry_action(request: HttpRequest, public_id: str, action: str) -> HttpResponseBase:
    user = _staff(request)
    found = queries.access_entry_for(user, public_id)
    try:
        if action == "pass":
            actions.record_secrecy_review(found, actor=user, passed=True, note=request.POST.get("note", ""))
            messages.success(request, _("保密审查通过，已送审批。"))
        elif action == "fail":
            actions.record_secrecy_review(found, actor=user, passed=False, note=request.POST.get("note", ""))
            messages.warning(request, _("保密审查不通过，已退回修改。"))
        elif action == "approve":
            actions.approve(found, actor=user)
            messages.success(request, _("已审批发布。"))
        elif action == "correct":
            copy = actions.start_correction(found, actor=user)
            messages.success(request, _("已新建更正版本（第 %(n)d 版），审批发布后替代原版本。") % {"n": copy.version})
            return redirect("publicinfo:desk_entry", public_id=copy.public_id)
        elif action == "withdraw":
            actions.withdraw(found, actor=user, reason=request.POST.get("reason", ""))
            messages.success(request, _("已撤回。"))
        else:
            raise Http404
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    except PermissionDenied as error:
        messages.error(request, str(error) or _("您没有权限进行这个操作。"))
    return redirect("publicinfo:desk_entry", public_id=found.public_id)


def _handler(request: HttpRequest) -> Any:
    if not queries.can_handle_requests(request.user):
        raise Http404
    return request.user


@staff_required
def desk_request(request: HttpRequest, public_id: str) -> HttpResponse:
    user = _handler(request)
    found = DisclosureRequest.objects.filter(public_id=public_id).first()
    if found is None:
        raise Http404
    answer = AnswerForm(request.POST if request.POST.get("step") == "answer" else None)
    extend = ExtendForm(request.POST if request.POST.get("step") == "extend" else None)
    consult = ConsultForm(request.POST if request.POST.get("step") == "consult" else None)
    simple = {
        "corrected": (actions.resume_after_correction, _("已收到补正，答复期限重新计算。")),
        "consulted": (actions.end_consultation, _("已登记第三方意见，答复期限已顺延征求意见所用的工作日。")),
    }
    if request.method == "POST" and request.POST.get("step") in simple:
        act, done = simple[request.POST["step"]]
        try:
            act(found, actor=user)
            messages.success(request, done)
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        return redirect("publicinfo:desk_request", public_id=found.public_id)
    if request.method == "POST" and request.POST.get("step") == "consult":
        if consult.is_valid():
            try:
                actions.start_consultation(found, actor=user, third_party=consult.cleaned_data["third_party"])
                messages.success(request, _("已开始征求第三方意见，答复期限暂停计算。"))
            except ValidationError as error:
                _put_errors(consult, error)
            else:
                return redirect("publicinfo:desk_request", public_id=found.public_id)
    elif request.method == "POST":
        form: Any = answer if request.POST.get("step") == "answer" else extend
        if form.is_valid():
            try:
                if form is answer:
                    actions.answer_request(found, actor=user, **form.cleaned_data)
                    messages.success(request, _("已答复，答复书已生成。"))
                else:
                    actions.extend_request(found, actor=user, reason=form.cleaned_data["reason"])
                    messages.success(request, _("已延长答复期限。"))
            except ValidationError as error:
                _put_errors(form, error)
            else:
                return redirect("publicinfo:desk_request", public_id=found.public_id)
    return _desk(
        request,
        "publicinfo/desk_request.html",
        {"found": found, "answer_form": answer, "extend_form": extend, "consult_form": consult},
        status=400 if answer.errors or extend.errors or consult.errors else 200,
    )


@staff_required
def desk_annual(request: HttpRequest) -> HttpResponse:
    """The figures of the yearly disclosure report that the platform's records fill, for a year up to this one."""
    _handler(request)
    this_year = timezone.localdate().year
    try:
        year = int(request.GET.get("year") or this_year)
    except ValueError:
        year = 0
    if not 2000 <= year <= this_year:
        return _desk(
            request,
            "publicinfo/desk_annual.html",
            {"error": _("年份须是 2000 年到今年之间的四位数字。"), "this_year": this_year},
            status=400,
        )
    return _desk(
        request,
        "publicinfo/desk_annual.html",
        {"figures": queries.annual_figures(year), "this_year": this_year, "years": range(this_year, this_year - 5, -1)},
    )


@staff_required
def desk_request_letter(request: HttpRequest, public_id: str) -> HttpResponse:
    _handler(request)
    found = DisclosureRequest.objects.filter(public_id=public_id, answered_on__isnull=False).first()
    if found is None:
        raise Http404
    return _letter(found)


def report_error(request: HttpRequest) -> HttpResponse:
    """我要纠错: report an error on the page the visitor came from; it reaches the page's editors."""
    form = ErrorReportForm(request.POST or None, initial={"page": request.GET.get("page", "")[:200]})
    if request.method == "POST" and form.is_valid():
        if over_limit(f"publicinfo-error:{client_ip(request)}", requests_per_hour(), 3600):
            form.add_error(None, _("提交过于频繁，请一小时后再试，或拨打咨询电话。"))
            return render(request, "publicinfo/report_error.html", {"form": form}, status=429)
        try:
            reported = actions.report_error(**form.cleaned_data, user=request.user)
        except ValidationError as error:
            _put_errors(form, error)
        else:
            return render(request, "publicinfo/report_error.html", {"reported": reported})
    return render(request, "publicinfo/report_error.html", {"form": form}, status=400 if form.errors else 200)


def ask(request: HttpRequest) -> HttpResponse:
    """咨询: ask a question online; the answer is due within a few working days."""
    form = QuestionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if over_limit(f"publicinfo-ask:{client_ip(request)}", requests_per_hour(), 3600):
            form.add_error(None, _("提交过于频繁，请一小时后再试，或拨打咨询电话。"))
            return render(request, "publicinfo/ask.html", {"form": form}, status=429)
        try:
            asked = actions.ask_question(**form.cleaned_data, user=request.user)
        except ValidationError as error:
            _put_errors(form, error)
        else:
            return render(request, "publicinfo/ask.html", {"asked": asked})
    return render(request, "publicinfo/ask.html", {"form": form}, status=400 if form.errors else 200)


@staff_required
def desk_question(request: HttpRequest, public_id: str) -> HttpResponse:
    user = _handler(request)
    found = Question.objects.filter(public_id=public_id).select_related("item", "faq").first()
    if found is None:
        raise Http404
    form = QuestionAnswerForm(request.POST if request.POST.get("step") == "answer" else None)
    if request.method == "POST":
        try:
            if request.POST.get("step") == "faq":
                units = list(departments_with_role(user, EDITOR))
                if not units:
                    raise PermissionDenied(_("只有内容编辑可以新建常见问题。"))
                entry = actions.draft_faq_from(found, actor=user, department=units[0])
                messages.success(request, _("已生成常见问题草稿，经保密审查和审批后发布。"))
                return redirect("publicinfo:desk_entry", public_id=entry.public_id)
            if form.is_valid():
                actions.answer_question(found, actor=user, answer=form.cleaned_data["answer"])
                messages.success(request, _("已答复。"))
                return redirect("publicinfo:desk_question", public_id=found.public_id)
        except (ValidationError, PermissionDenied) as error:
            if form.is_bound:
                _put_errors(form, error if isinstance(error, ValidationError) else ValidationError(str(error)))
            else:
                for message in error.messages if isinstance(error, ValidationError) else [str(error)]:
                    messages.error(request, message)
                return redirect("publicinfo:desk_question", public_id=found.public_id)
    return _desk(
        request, "publicinfo/desk_question.html", {"found": found, "form": form}, status=400 if form.errors else 200
    )


@staff_required
def desk_rules(request: HttpRequest) -> HttpResponse:
    """The register of the bureau's own rules in force (规范性文件清理): each with its latest review, and a form."""
    user = _staff(request)
    if request.method == "POST":
        entry = queries.access_entry_for(user, request.POST.get("entry", ""))
        try:
            actions.review_rule(entry, actor=user, decision=request.POST.get("decision", ""),
                                reason=request.POST.get("reason", ""))  # fmt: skip
        except (ValidationError, PermissionDenied) as exc:
            for message in exc.messages if isinstance(exc, ValidationError) else [str(exc)]:
                messages.error(request, message)
            return redirect(f"{reverse('publicinfo:desk_rules')}#rule-{entry.public_id}")
        messages.success(request, _("清理意见已记录：%(title)s。") % {"title": entry.title})
        return redirect("publicinfo:desk_rules")
    register = queries.own_rules(user)
    counts = [
        (label, sum(1 for _rule, r in register if r and r.decision == value)) for value, label in RuleDecision.choices
    ]
    return _desk(request, "publicinfo/desk_rules.html", {
        "register": register, "decisions": RuleDecision.choices, "counts": counts,
        "unreviewed": sum(1 for _rule, r in register if r is None),
    })  # fmt: skip
