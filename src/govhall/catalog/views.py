"""Catalog pages: the public guides on the portal, and the editors' and approvers' desk."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from govhall.catalog import actions, exchange, queries
from govhall.catalog.constants import DictionaryKind, ItemStatus, VersionState
from govhall.catalog.forms import (
    ImportForm,
    NewItemForm,
    ReviewForm,
    StatusForm,
    VersionForm,
    child_formsets,
    formset_rows,
)
from govhall.catalog.models import ItemVersion
from govhall.catalog.pdf import render_guide_pdf
from govhall.catalog.rules import check_version
from govhall.identity.decorators import staff_required
from govhall.identity.models import User
from govhall.identity.queries import get_department_tree
from govhall.lib.jsonforms import build_form
from govhall.lib.pagecache import anonymous_page_cache
from govhall.publicinfo.queries import (
    entries_for_item,
    guides_to_review,
    intermediary_services_for_item,
    open_error_reports_about_guides,
    published_key,
)

# Portal ---------------------------------------------------------------------------------


@anonymous_page_cache(queries.live_catalog_key)
def guide_list(request: HttpRequest) -> HttpResponse:
    """办事指南: every item in use, by department, audience and theme, or found by a search."""
    query = request.GET.get("q", "").strip()[:100]
    filters = {
        "department": request.GET.get("department", ""),
        "audience": request.GET.get("audience", ""),
        "theme": request.GET.get("theme", ""),
        "item_type": request.GET.get("type", ""),
    }
    guides = queries.search_guides(query) if query else queries.list_guides(**filters)
    return render(
        request,
        "catalog/guide_list.html",
        {
            "surface": "portal",
            "guides": guides,
            "query": query,
            "filters": filters,
            "departments": [d for d, depth in get_department_tree() if depth > 0],
            "themes": queries.list_themes(),
            "item_types": queries.dictionary(DictionaryKind.ITEM_TYPE),
        },
    )


def _guide_context(version: ItemVersion) -> dict[str, Any]:
    return {
        "version": version,
        "item_types": queries.dictionary(DictionaryKind.ITEM_TYPE),
        "targets": queries.dictionary(DictionaryKind.SERVICE_TARGET),
        "forms": queries.dictionary(DictionaryKind.HANDLING_FORM),
        "depths": queries.dictionary(DictionaryKind.ONLINE_DEPTH),
        "is_suspended": version.item.status == ItemStatus.SUSPENDED,
    }


def _guide_key() -> tuple[Any, ...]:
    # The guide lists the public information linked to its item (publicinfo), kept under both keys,
    # and a day (an intermediary's qualification lapses at midnight):
    return (queries.live_catalog_key(), published_key(), timezone.localdate())


@anonymous_page_cache(_guide_key)
def guide_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    version = queries.get_guide(public_id)
    context = _guide_context(version)
    live = queries.live_versions().filter(item=version.item).first()
    context.update(
        {
            "surface": "portal",
            "is_current": live is not None and live.pk == version.pk,
            "live": live,
            "public_entries": entries_for_item(version.item),
            "intermediary_services": intermediary_services_for_item(version.item),
        }
    )
    return render(request, "catalog/guide_detail.html", context)


def guide_pdf(request: HttpRequest, public_id: str) -> HttpResponse:
    """The printable guide: the same version as the page, as the hall prints it."""
    version = queries.get_guide(public_id)
    response = HttpResponse(render_guide_pdf(version), content_type="application/pdf")
    filename = f"guide-{version.item.implementation_code}-v{version.number}.pdf"
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


# Desk -----------------------------------------------------------------------------------


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)  # staff_required has checked the login
    return request.user


def _require_catalog_staff(request: HttpRequest) -> None:
    if not (queries.can_edit_catalog(request.user) or queries.can_publish_catalog(request.user)):
        raise PermissionDenied(_("只有内容编辑和审批人员可以管理事项目录。"))


@staff_required
def desk_catalog(request: HttpRequest) -> HttpResponse:
    _require_catalog_staff(request)
    return render(
        request,
        "catalog/desk_catalog.html",
        {
            "surface": "desk",
            "rows": queries.list_items_for_desk(),
            "submitted": queries.list_submitted_versions(),
            "indicators": queries.online_level_indicators(),
            "guide_flags": guides_to_review(),  # a linked law or policy changed since the guide
            "error_reports": list(open_error_reports_about_guides()[:50]),  # 我要纠错 on a guide page
            "can_edit": queries.can_edit_catalog(request.user),
            "can_publish": queries.can_publish_catalog(request.user),
        },
    )


@staff_required
def desk_item_new(request: HttpRequest) -> HttpResponse:
    if not queries.can_edit_catalog(request.user):
        raise PermissionDenied(_("只有内容编辑可以新建事项。"))
    form = NewItemForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        department = data["handling_department"]
        root = department.parent or department
        try:
            version = actions.create_item(
                basic_code=data["basic_code"].strip(),
                implementation_code=data["implementation_code"].strip(),
                department=root,
                content={
                    "name": data["name"],
                    "item_type": data["item_type"],
                    "handling_department": department,
                    "implementing_body": root.name,
                    "implementing_body_code": root.credit_code,
                },
                actor=request.user,
            )
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error("implementation_code", message)
        else:
            messages.success(request, _("事项已创建，请完善办事指南的各项内容。"))
            return redirect("catalog:desk_version_edit", public_id=version.public_id)
    return render(
        request, "catalog/desk_item_new.html", {"surface": "desk", "form": form}, status=400 if form.errors else 200
    )


@staff_required
def desk_version(request: HttpRequest, public_id: str) -> HttpResponse:
    version = queries.access_version_for_staff(request.user, public_id)
    context = _guide_context(version)
    older = version.item.versions.filter(number__lt=version.number).order_by("-number").first()
    context.update(
        {
            "surface": "desk",
            "problems": check_version(version),
            "older": older,
            "can_edit": queries.can_edit_catalog(request.user),
            "can_publish": queries.can_publish_catalog(request.user),
            "review_form": ReviewForm(),
            "status_form": StatusForm(),
            "versions": version.item.versions.order_by("-number"),
            "application_form": build_form(version.form_schema, version.form_ui) if version.form_schema else None,
        }
    )
    return render(request, "catalog/desk_version.html", context)


@staff_required
def desk_version_edit(request: HttpRequest, public_id: str) -> HttpResponse:
    version = queries.access_version_for_staff(request.user, public_id)
    if not queries.can_edit_catalog(request.user):
        raise PermissionDenied(_("只有内容编辑可以编辑事项草稿。"))
    if version.state != VersionState.DRAFT:
        messages.error(request, _("只能修改草稿；已提交或已发布的版本不能修改。"))
        return redirect("catalog:desk_version", public_id=version.public_id)
    form = VersionForm(request.POST or None, instance=version)
    formsets = child_formsets(request.POST or None, version)
    if request.method == "POST" and form.is_valid() and all(fs.is_valid() for fs in formsets.values()):
        content = {name: value for name, value in form.cleaned_data.items()}
        children = {name: formset_rows(fs) for name, fs in formsets.items()}
        # The ModelForm has already written the cleaned values onto the instance it holds;
        # the action reloads the row under lock and applies them there:
        try:
            actions.update_draft(
                ItemVersion.objects.get(pk=version.pk), content=content, children=children, actor=request.user
            )
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            messages.success(request, _("草稿已保存。"))
            return redirect("catalog:desk_version", public_id=version.public_id)
    has_errors = bool(form.errors) or any(fs.total_error_count() for fs in formsets.values())
    return render(
        request,
        "catalog/desk_version_edit.html",
        {"surface": "desk", "version": version, "form": form, "formsets": formsets, "has_errors": has_errors},
        status=400 if has_errors else 200,
    )


@staff_required
@require_POST
def desk_version_action(request: HttpRequest, public_id: str, action: str) -> HttpResponse:
    """Submit, return, publish, open a new version, suspend/resume/cancel the item."""
    version = queries.access_version_for_staff(request.user, public_id)
    review = ReviewForm(request.POST)
    review_is_valid = review.is_valid()
    note = review.cleaned_data.get("note", "") if review_is_valid else ""
    try:
        if action == "submit":
            actions.submit_version(version, actor=request.user)
            messages.success(request, _("已提交审核。"))
        elif action == "return":
            actions.return_version(version, actor=_user(request), note=note)
            messages.success(request, _("已退回修改。"))
        elif action == "publish":
            if not review_is_valid:
                raise ValidationError([e for errors in review.errors.values() for e in errors])
            actions.publish_version(
                version,
                actor=_user(request),
                effective_from=review.cleaned_data.get("effective_from"),
            )
            messages.success(request, _("已发布。"))
        elif action == "new-version":
            draft = actions.start_new_version(version.item, actor=request.user)
            return redirect("catalog:desk_version_edit", public_id=draft.public_id)
        elif action in {"suspend", "resume", "cancel"}:
            status = {"suspend": ItemStatus.SUSPENDED, "resume": ItemStatus.IN_USE, "cancel": ItemStatus.CANCELLED}[
                action
            ]
            actions.set_item_status(version.item, status, actor=_user(request), reason=request.POST.get("reason", ""))
            messages.success(request, _("事项状态已变更。"))
        else:
            raise Http404
    except actions.PublicationRefused as refused:
        messages.error(request, _("不能发布，以下规则未通过："))
        for problem in refused.problems:
            messages.error(request, problem.message)
    except (ValidationError, PermissionDenied) as exc:
        for message in exc.messages if isinstance(exc, ValidationError) else [str(exc)]:
            messages.error(request, message)
    return redirect("catalog:desk_version", public_id=version.public_id)


@staff_required
def desk_version_diff(request: HttpRequest, public_id: str) -> HttpResponse:
    version = queries.access_version_for_staff(request.user, public_id)
    against_id = request.GET.get("against", "")
    older = (
        queries.access_version_for_staff(request.user, against_id)
        if against_id
        else version.item.versions.filter(number__lt=version.number).order_by("-number").first()
    )
    if older is None or older.item_id != version.item_id:
        raise Http404
    return render(
        request,
        "catalog/desk_version_diff.html",
        {"surface": "desk", "version": version, "older": older, "changes": queries.diff_versions(older, version)},
    )


@staff_required
def desk_import(request: HttpRequest) -> HttpResponse:
    if not queries.can_edit_catalog(request.user):
        raise PermissionDenied(_("只有内容编辑可以导入事项。"))
    # Refuse an oversized upload from its declared length, before Django spools it to disk:
    declared = int(request.META.get("CONTENT_LENGTH") or 0)
    if request.method == "POST" and declared > ImportForm.MAX_BYTES + 64 * 1024:
        return render(
            request,
            "catalog/desk_import.html",
            {"surface": "desk", "form": ImportForm(), "upload_error": _("文件太大（最大 10 MB）。")},
            status=413,
        )
    form = ImportForm(request.POST or None, request.FILES or None)
    problems: list[exchange.RowProblem] = []
    report = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        content = upload.read()
        try:
            if content[:2] == b"PK":
                data, locate = exchange.read_xlsx(content)
            else:
                try:
                    data, locate = json.loads(content.decode("utf-8-sig")), None
                except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                    raise exchange.ImportFailed(
                        [exchange.RowProblem(_("文件"), "", _("既不是 XLSX 也不是有效的 JSON：") + str(exc)[:200])]
                    ) from exc
            report = exchange.import_exchange(data, actor=request.user, locate=locate)
        except exchange.ImportFailed as failed:
            problems = failed.problems
    return render(
        request,
        "catalog/desk_import.html",
        {"surface": "desk", "form": form, "problems": problems, "report": report},
        status=400 if problems or form.errors else 200,
    )


@staff_required
def desk_export(request: HttpRequest, fmt: str) -> HttpResponse:
    _require_catalog_staff(request)
    versions = list(queries.live_versions())
    stamp = timezone.localdate().isoformat()
    if fmt == "xlsx":
        response = HttpResponse(
            exchange.export_xlsx(versions),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    else:
        response = HttpResponse(
            json.dumps(exchange.export_exchange(versions), ensure_ascii=False, indent=1),
            content_type="application/json; charset=utf-8",
        )
    response["Content-Disposition"] = f'attachment; filename="catalog-{stamp}.{fmt}"'
    return response
