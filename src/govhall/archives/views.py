"""The archivist's desk pages: search, a package, transfer, disposal lists."""

from __future__ import annotations

import tempfile
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from govhall.archives import actions, queries
from govhall.archives.constants import DisposalStatus, HoldKind, ReviewDecision
from govhall.archives.models import ArchivalPackage
from govhall.identity.decorators import staff_required
from govhall.identity.models import User
from govhall.lib.storage import private_download


def _desk(request: HttpRequest, template: str, context: dict[str, Any], status: int = 200) -> HttpResponse:
    """Render a staff page in the desk's frame."""
    return render(request, template, {"surface": "desk", **context}, status=status)


def _archivist(request: HttpRequest) -> User:
    if not queries.is_archivist(request.user):
        raise Http404
    return request.user  # type: ignore[return-value]


def _errors(error: ValidationError) -> list[str]:
    return [str(m) for m in error.messages]


@staff_required
def index(request: HttpRequest) -> HttpResponse:
    """Search the archives (reference, subject, item, year); the failures the archivist must deal with."""
    user = _archivist(request)
    reference = request.GET.get("reference", "").strip()
    # Posted, never in the address (which logs, history and the language switch would keep):
    subject = request.POST.get("subject", "").strip() if request.method == "POST" else ""
    item = request.GET.get("item", "").strip()
    year_text = request.GET.get("year", "").strip()
    problems: list[str] = []
    shown = ""
    results: list[ArchivalPackage] | None = None
    year = int(year_text) if year_text.isdigit() else None
    if subject:
        try:
            shown, results = actions.search_by_subject(user, subject, request=request)
        except ValidationError as error:
            problems = _errors(error)
    elif reference or item or year:
        results = list(queries.search_packages(reference=reference, item=item, year=year)[:100])
    return _desk(
        request,
        "archives/index.html",
        {
            "results": results,
            "query": {"reference": reference, "item": item, "year": year_text},
            "subject_shown": shown,
            "problems": problems,
            "failures": queries.list_rejected()[:50],
            "due_count": queries.list_due_for_disposal().count(),
        },
    )


@staff_required
def package_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    package = queries.access_package_for(request.user, public_id)
    report = package.check_report or {}
    return _desk(
        request,
        "archives/package.html",
        {
            "package": package,
            "summary": report.get("summary", {}),
            "failed": [f for f in report.get("findings", []) if not f.get("ok")],
            "checks": package.fixity_checks.all()[:10],
            "holds": queries.holds_on(package),
            "open_holds": package.holds.filter(lifted_at__isnull=True),
            "hold_kinds": HoldKind.choices,
        },
    )


@staff_required
@require_POST
def package_action(request: HttpRequest, public_id: str, action: str) -> HttpResponse:
    package = queries.access_package_for(request.user, public_id)
    user = _archivist(request)
    try:
        if action == "retry":
            actions.retry_package(package, actor=user)
            messages.success(request, _("已重新安排归档，稍后自动完成。"))
        elif action == "fixity":
            check = actions.check_fixity(package)
            (messages.warning if check.outcome == "damaged" else messages.success)(
                request, _("巡检完成：%(outcome)s。") % {"outcome": check.get_outcome_display()}
            )
        elif action == "restore":
            check = actions.restore_package(package, actor=user)
            messages.success(request, _("修复完成：%(outcome)s。") % {"outcome": check.get_outcome_display()})
        elif action == "hold":
            actions.place_hold(
                package, actor=user, kind=request.POST.get("kind", ""), reason=request.POST.get("reason", "")
            )
            messages.success(request, _("已设置保全，这件档案在保全解除前不会被销毁。"))
        elif action == "lift":
            hold = package.holds.filter(pk=request.POST.get("hold", "0") or 0).first()
            if hold is None:
                raise Http404
            actions.lift_hold(hold, actor=user)
            messages.success(request, _("已解除保全。"))
        else:
            raise Http404
    except ValidationError as error:
        for message in _errors(error):
            messages.error(request, message)
    return redirect("archives:package", public_id=package.public_id)


@staff_required
@require_POST
def transfer(request: HttpRequest) -> HttpResponseBase:
    """Export the chosen packages and their transfer list as one uncompressed tar (进馆移交)."""
    user = _archivist(request)
    references = [r.strip() for r in request.POST.get("references", "").split() if r.strip()]
    packages = list(ArchivalPackage.objects.filter(reference__in=references).order_by("reference"))
    missing = sorted(set(references) - {p.reference for p in packages})
    if missing:
        messages.error(request, _("没有这些档号：%(refs)s") % {"refs": "、".join(missing)})
        return redirect("archives:index")
    out = tempfile.TemporaryFile()  # noqa: SIM115 - the response closes it once sent
    try:
        count = actions.export_for_transfer(packages, actor=user, out=out)
    except ValidationError as error:
        out.close()
        for message in _errors(error):
            messages.error(request, message)
        return redirect("archives:index")
    out.seek(0)
    response = FileResponse(out, content_type="application/x-tar", as_attachment=True, filename=f"transfer-{count}.tar")
    response["Cache-Control"] = "private, no-store"
    return response


@staff_required
def disposal_lists(request: HttpRequest) -> HttpResponse:
    """The disposal lists the user writes, reviews or approves; an archivist starts one from the due packages."""
    lists = queries.list_disposal_lists_for(request.user)
    if not queries.is_archivist(request.user) and not lists.exists():
        raise Http404
    problems: list[str] = []
    if request.method == "POST":
        user = _archivist(request)
        chosen = list(ArchivalPackage.objects.filter(public_id__in=request.POST.getlist("packages")))
        try:
            created = actions.create_disposal_list(actor=user, name=request.POST.get("name", ""), packages=chosen)
            return redirect("archives:disposal_detail", public_id=created.public_id)
        except ValidationError as error:
            problems = _errors(error)
    due = queries.list_due_for_disposal()[:200] if queries.is_archivist(request.user) else []
    return _desk(
        request,
        "archives/disposal_lists.html",
        {"lists": lists[:100], "due": due, "problems": problems},
        status=400 if problems else 200,
    )


@staff_required
def disposal_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    disposal = queries.access_disposal_list_for(request.user, public_id)
    user: Any = request.user
    return _desk(
        request,
        "archives/disposal.html",
        {
            "disposal": disposal,
            "items": disposal.items.select_related("package", "package__retention_class"),
            "reviews": disposal.reviews.select_related("reviewer"),
            "reviewers": disposal.reviewers.all(),
            "is_author": disposal.author_id == user.pk,
            "is_reviewer": disposal.reviewers.filter(pk=user.pk).exists(),
            "is_archivist": queries.is_archivist(user),
            "S": DisposalStatus,
            "decisions": ReviewDecision.choices,
        },
    )


@staff_required
@require_POST
def disposal_action(request: HttpRequest, public_id: str, action: str) -> HttpResponse:
    disposal = queries.access_disposal_list_for(request.user, public_id)
    user: Any = request.user
    post = request.POST
    try:
        if action == "submit":
            names = [n.strip() for n in post.get("reviewers", "").replace("，", ",").split(",") if n.strip()]
            reviewers = list(User.objects.filter(username__in=names))
            if len(reviewers) != len(set(names)):
                raise ValidationError({"reviewers": _("有的审核人账号不存在。")})
            actions.submit_for_review(disposal, actor=user, reviewers=reviewers)
        elif action == "review":
            actions.review_disposal_list(
                disposal, actor=user, decision=post.get("decision", ""), comment=post.get("comment", "")
            )
        elif action == "send":
            actions.send_to_archivist(disposal, actor=user)
        elif action == "decide":
            actions.decide_disposal_list(
                disposal, actor=user, approve=post.get("approve") == "1", comment=post.get("comment", "")
            )
        else:
            raise Http404
        messages.success(request, _("已提交。"))
    except (ValidationError, PermissionDenied) as error:
        for message in _errors(error) if isinstance(error, ValidationError) else [str(error)]:
            messages.error(request, message)
    return redirect("archives:disposal_detail", public_id=disposal.public_id)


@staff_required
def certificate(request: HttpRequest, public_id: str) -> FileResponse:
    disposal = queries.access_disposal_list_for(request.user, public_id)
    if not disposal.certificate:
        raise Http404
    return private_download(
        disposal.certificate, content_type="application/pdf", filename=f"destruction-{disposal.public_id}.pdf"
    )
