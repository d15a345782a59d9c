"""Rating pages: the applicant rates a case (workspace, or the SMS link without login); staff enter 12345
ratings and work the rectification of a bad rating on the desk."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from govhall.audit.actions import record
from govhall.cases.models import Case
from govhall.identity.decorators import applicant_required, staff_required
from govhall.identity.models import User
from govhall.lib.forms import Form
from govhall.lib.storage import private_download
from govhall.ratings import actions, queries
from govhall.ratings.constants import Channel, RectificationAction
from govhall.ratings.forms import DESK_FORMS, AssignForm, HotlineRatingForm, RatingForm
from govhall.ratings.models import Rectification

A = RectificationAction


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _show_errors(form: Form, exc: ValidationError | PermissionDenied) -> None:
    if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages if isinstance(exc, ValidationError) else [str(exc)])


# Workspace ----------------------------------------------------------------------------------


@applicant_required
def rate_case(request: HttpRequest, public_id: str) -> HttpResponse:
    """Rate one's own closed case (一事一评), or add the one follow-up rating (追加评价)."""
    case = queries.access_case_for_rating(request.user, public_id)
    allowed = queries.can_rate(case)
    follow_up = not allowed["first"]
    form = RatingForm(request.POST or None, channel=Channel.ONLINE)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                actions.rate_case(
                    case,
                    rater=_user(request),
                    level=form.cleaned_data["level"],
                    indicator_scores=form.scores(),
                    reason_codes=form.cleaned_data["reasons"],
                    comment=form.cleaned_data["comment"],
                    is_follow_up=follow_up,
                )
            except (ValidationError, PermissionDenied) as exc:
                _show_errors(form, exc)
            else:
                messages.success(request, _("感谢您的评价。如评价为不满意，我们会在规定时间内整改并回访您。"))
                return redirect("ratings:my_ratings")
        status = 400
    return render(
        request,
        "ratings/rate.html",
        {
            "surface": "workspace",
            "case": case,
            "form": form,
            "allowed": allowed,
            "follow_up": follow_up,
            "ratings": queries.list_ratings_of_case(case),
            "joined": queries.joined_cases(case),
            "action": request.path,
        },
        status=status,
    )


@applicant_required
def my_ratings(request: HttpRequest) -> HttpResponse:
    """The ratings the applicant gave, and what became of the bad ones."""
    ratings = queries.list_ratings_of_applicant(request.user).select_related("rectification")
    return render(request, "ratings/my_ratings.html", {"surface": "workspace", "ratings": ratings})


# The SMS link (no login) -------------------------------------------------------------------


def sms_rate(request: HttpRequest, token: str) -> HttpResponse:
    """Rate a case through the signed, expiring link of an SMS invitation; the link works once."""
    try:
        invitation = actions.open_invitation(token)
    except actions.LinkRefused as exc:
        return render(request, "ratings/link_refused.html", {"message": exc.messages[0]}, status=410)
    case: Case = invitation.case
    form = RatingForm(request.POST or None, channel=Channel.SMS)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                actions.rate_by_sms(
                    token,
                    level=form.cleaned_data["level"],
                    indicator_scores=form.scores(),
                    reason_codes=form.cleaned_data["reasons"],
                    comment=form.cleaned_data["comment"],
                )
            except actions.LinkRefused as exc:
                return render(request, "ratings/link_refused.html", {"message": exc.messages[0]}, status=410)
            except (ValidationError, PermissionDenied) as exc:
                _show_errors(form, exc)
            else:
                return render(request, "ratings/thanks.html", {"case": case})
        status = 400
    return render(
        request,
        "ratings/rate.html",
        {
            "case": case,
            "form": form,
            "allowed": {"first": True},
            "follow_up": False,
            "action": request.path,
            "joined": queries.joined_cases(case),
        },
        status=status,
    )


# Desk -----------------------------------------------------------------------------------------


@staff_required
def desk_ratings(request: HttpRequest) -> HttpResponse:
    """The ratings of the user's units (never who gave them) and the rectifications they work on."""
    bad_only = request.GET.get("bad") == "1"
    ratings = list(queries.list_ratings_for_staff(request.user, bad_only=bad_only)[:100])
    full = queries.shown_in_full(request.user, ratings)
    return render(
        request,
        "ratings/desk_list.html",
        {
            "surface": "desk",
            "ratings": [(rating, rating.pk in full) for rating in ratings],
            "rectifications": queries.list_rectifications_for(request.user)[:100],
            "bad_only": bad_only,
        },
    )


@staff_required
def desk_hotline(request: HttpRequest) -> HttpResponse:
    """Enter a rating received through the 12345 hotline, with its work-order number (entered once)."""
    form = HotlineRatingForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            case = queries.find_case_for_staff(request.user, form.cleaned_data["case_reference"])
            if case is None:
                form.add_error("case_reference", _("没有找到这个办件，或它不是您所在单位的办件。请核对办件编号。"))
            else:
                try:
                    actions.enter_hotline_rating(
                        case,
                        actor=_user(request),
                        hotline_number=form.cleaned_data["hotline_number"],
                        level=form.cleaned_data["level"],
                        indicator_scores=form.scores(),
                        reason_codes=form.cleaned_data["reasons"],
                        comment=form.cleaned_data["comment"],
                    )
                except (ValidationError, PermissionDenied) as exc:
                    _show_errors(form, exc)
                else:
                    messages.success(request, _("12345热线评价已录入。"))
                    return redirect("ratings:desk_ratings")
        status = 400
    return render(request, "ratings/hotline.html", {"surface": "desk", "form": form}, status=status)


def _form_for(action: str, rectification: Rectification, data: Any = None, files: Any = None) -> Form:
    form_class = DESK_FORMS[action]
    if form_class is AssignForm:
        return AssignForm(data, files, candidates=actions.list_handler_candidates(rectification))
    return form_class(data, files)


def _rectification_page(
    request: HttpRequest, rectification: Rectification, bound: tuple[str, Form] | None = None, status: int = 200
) -> HttpResponse:
    available = actions.available_actions_for(request.user, rectification)
    forms = [
        (action, bound[1] if bound and bound[0] == action else _form_for(action, rectification)) for action in available
    ]
    rating = rectification.rating
    rater = queries.get_rater_for(request.user, rating)
    if rater is not None:
        # Who rated is personal information: every view of it is recorded.
        record("ratings.rater_viewed", request.user, rating, {"rectification": str(rectification.public_id)})
    return render(
        request,
        "ratings/rectification.html",
        {
            "surface": "desk",
            "rectification": rectification,
            "rating": rating,
            "rater": rater,
            "forms": forms,
            "events": rectification.events.all(),
            "evidence": rectification.evidence.all(),
            "reasons": rating.reasons.all(),
        },
        status=status,
    )


@staff_required
def desk_rectification(request: HttpRequest, public_id: str) -> HttpResponse:
    rectification = queries.access_rectification_for(request.user, public_id)
    return _rectification_page(request, rectification)


def _perform(action: str, rectification: Rectification, user: User, data: dict[str, Any]) -> None:
    if action == A.CLASSIFY:
        actions.classify_rectification(
            rectification,
            actor=user,
            is_reasonable=data["is_reasonable"] == "yes",
            is_true=data["is_true"] == "yes",
            is_malicious=data["is_malicious"] == "yes",
            note=data["note"],
        )
    elif action == A.ASSIGN:
        handler = User.objects.get(username=data["handler"])
        actions.assign_rectification(rectification, actor=user, handler=handler, note=data["note"])
    elif action == A.INSTRUCT:
        actions.instruct_rectification(rectification, actor=user, instruction=data["instruction"])
    elif action == A.START:
        actions.start_rectifying(rectification, actor=user, measures=data["measures"])
    elif action == A.EVIDENCE:
        actions.add_evidence(rectification, actor=user, upload=data["file"])
    elif action == A.EXPLAIN:
        actions.explain_rectification(rectification, actor=user, explanation=data["explanation"])
    elif action == A.APPEAL:
        actions.appeal_rectification(rectification, actor=user, reason=data["reason"])
    elif action == A.DECIDE_APPEAL:
        actions.decide_appeal(rectification, actor=user, remove=data["decision"] == "remove", reason=data["reason"])
    elif action == A.FOLLOW_UP:
        actions.record_follow_up(rectification, actor=user, note=data["note"], result=data["result"])
    elif action == A.CLOSE:
        actions.close_rectification(rectification, actor=user, note=data["note"])


DONE = {
    A.CLASSIFY: gettext_lazy("已完成分类认定。"),
    A.ASSIGN: gettext_lazy("已交办，整改期限已开始计算。"),
    A.INSTRUCT: gettext_lazy("批示已保存。"),
    A.START: gettext_lazy("已开始整改。"),
    A.EVIDENCE: gettext_lazy("整改材料已上传。"),
    A.EXPLAIN: gettext_lazy("情况说明已提交，请回访评价人。"),
    A.APPEAL: gettext_lazy("申诉已提交，等待监督人员审核。"),
    A.DECIDE_APPEAL: gettext_lazy("申诉审核意见已保存。"),
    A.FOLLOW_UP: gettext_lazy("回访已记录，请监督人员办结。"),
    A.CLOSE: gettext_lazy("差评整改已办结，已告知评价人整改结果。"),
}


@staff_required
@require_POST
def desk_rectification_action(request: HttpRequest, public_id: str, action: str) -> HttpResponse:
    rectification = queries.access_rectification_for(request.user, public_id)
    if action not in DESK_FORMS:
        messages.error(request, _("未知操作。"))
        return redirect("ratings:desk_rectification", public_id=rectification.public_id)
    form = _form_for(action, rectification, request.POST, request.FILES)
    if form.is_valid():
        try:
            _perform(action, rectification, _user(request), form.cleaned_data)
        except PermissionDenied as exc:
            messages.error(request, str(exc))
            return redirect("ratings:desk_rectification", public_id=rectification.public_id)
        except ValidationError as exc:
            if not hasattr(exc, "error_dict"):  # not now (the status moved on): said above the page
                for message in exc.messages:
                    messages.error(request, message)
                return redirect("ratings:desk_rectification", public_id=rectification.public_id)
            _show_errors(form, exc)
        else:
            messages.success(request, str(DONE[RectificationAction(action)]))
            return redirect("ratings:desk_rectification", public_id=rectification.public_id)
    rectification = queries.access_rectification_for(request.user, public_id)
    return _rectification_page(request, rectification, (action, form), status=400)


@staff_required
def desk_evidence(request: HttpRequest, public_id: str, evidence_id: str) -> FileResponse:
    rectification = queries.access_rectification_for(request.user, public_id)
    evidence = get_object_or_404(rectification.evidence, public_id=evidence_id)
    record("ratings.evidence_viewed", request.user, rectification, {"file": evidence.original_name}, request=request)
    return private_download(evidence.file, content_type=evidence.content_type, filename=evidence.original_name)
