"""The dossier pages: staff look a subject up for a stated purpose; applicants see and export their own."""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from govhall.cases.constants import due_cells
from govhall.cases.constants import status_label as case_status_label
from govhall.complaints.constants import ComplaintKind, ComplaintStatus
from govhall.delivery.constants import DeliveryStatus, Method
from govhall.dossier import actions, queries
from govhall.dossier.constants import RecordKind
from govhall.dossier.forms import LookUpForm
from govhall.identity.decorators import applicant_required, staff_required
from govhall.identity.models import User
from govhall.lib.html import html_rows
from govhall.lib.urls import object_url
from govhall.licences.constants import status_label as licence_status_label
from govhall.payments.constants import OrderStatus
from govhall.ratings.constants import Channel, RatingLevel


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


@never_cache
@staff_required
def desk_dossier(request: HttpRequest) -> HttpResponse:
    # A POST, so that ID numbers never appear in addresses, browser history or access logs;
    # the answer is rendered directly (nothing is changed that a reload could repeat):
    form = LookUpForm(request.POST or None)
    look_up = None
    if request.method == "POST" and form.is_valid():
        try:
            look_up = actions.look_up_subject(
                _user(request),
                form.cleaned_data["identifier"],
                purpose=form.cleaned_data["purpose"],
                case_reference=form.cleaned_data["case_reference"],
                full=_full(request.POST.get("full", "")),
                request=request,
            )
        except ValidationError as error:
            form.add_error(None, error)
        except PermissionDenied as error:
            form.add_error(None, str(error))
    if look_up is not None:
        # The answer takes the focus (a screen reader reads it), not the search field:
        form.fields["identifier"].widget.attrs.pop("autofocus", None)
    dossier = look_up.dossier if look_up else None
    return render(
        request,
        "dossier/desk_dossier.html",
        {
            "surface": "desk",
            "form": form,
            "look_up": look_up,
            "dossier": dossier,
            "rows": _rows(dossier, desk=True) if dossier else None,
        },
    )


# The rows of the dossier's three tables, their cells in the order of the headers (dossier/_sections.html):
CASE_ROW = """
      <tr class="warn-{}">
        <td><a href="{}"><code>{}</code></a></td>
        <td>{}</td>
        <td>{}</td>
        <td class="nowrap">{}</td>
        <td><span class="due due-{}">{}</span>{}</td>
      </tr>"""
LICENCE_ROW = """
      <tr>
        <td><a href="{}">{}</a></td>
        <td>{}</td>
        <td>{}</td>
        <td>{}</td>
        <td class="nowrap">{}</td>
      </tr>"""
LICENCE_ROW_WITHOUT_LINK = LICENCE_ROW.replace('<a href="{}">{}</a>', "{}")
RATING_ROW = """
      <tr>
        <td><code>{}</code></td>
        <td>{}</td>
        <td>{}</td>
        <td class="nowrap">{}</td>
        <td>{}</td>
        <td>{}</td>
      </tr>"""
COMPLAINT_ROW = """
      <tr>
        <td><code>{}</code></td>
        <td class="nowrap">{}</td>
        <td>{}</td>
        <td>{}</td>
        <td class="nowrap">{}</td>
        <td>{}</td>
      </tr>"""
PAYMENT_ROW = """
      <tr>
        <td><code>{}</code></td>
        <td><code>{}</code></td>
        <td>{}</td>
        <td class="num">{}</td>
        <td class="nowrap">{}</td>
        <td>{}</td>
      </tr>"""
DELIVERY_ROW = """
      <tr>
        <td><code>{}</code></td>
        <td>{}</td>
        <td>{}</td>
        <td class="nowrap">{}</td>
        <td>{}</td>
      </tr>"""
MATERIAL_ROW = """
      <tr>
        <td>{}</td>
        <td><code>{}</code></td>
        <td>{}</td>
        <td>{}</td>
      </tr>"""


def _rows(dossier: queries.Dossier, *, desk: bool) -> dict[str, SafeString]:
    """The dossier's tables' rows as HTML, every value escaped (``lib.html.html_rows``).

    Django's templates spent ~250 µs a row resolving the records' fields, labels, dates and
    addresses (16 ms for a page of 60 rows, as much as the page's queries); plain strings
    placed by the template ~50 µs; these a few. ``desk`` links to the staff pages, otherwise
    to the applicant's.
    """
    case_page = "cases:desk_case" if desk else "cases:my_case"
    return {
        "cases": html_rows(
            CASE_ROW,
            (
                (
                    case["warning"],
                    object_url(case_page, case["public_id"]),
                    case["reference"] or "",
                    case["item_name"],
                    case["department_name"],
                    case_status_label(case["status"]),
                    case["warning"],
                    *due_cells(case["due_on"], case["warning"], case["due_is_provisional"]),
                )
                for case in dossier.cases
            ),
        ),
        "licences": html_rows(
            LICENCE_ROW if desk else LICENCE_ROW_WITHOUT_LINK,
            (
                (
                    *((object_url("licences:desk_licence", licence["public_id"]),) if desk else ()),
                    licence["type"],
                    licence["number"],
                    licence["issuer"],
                    "{} — {}".format(
                        licence["valid_from"].isoformat(),
                        licence["valid_until"].isoformat() if licence["valid_until"] else _("长期"),
                    ),
                    licence_status_label(licence["status"]),
                )
                for licence in dossier.licences
            ),
        ),
        "materials": html_rows(
            MATERIAL_ROW,
            (
                (
                    material["material_name"],
                    material["case_reference"],
                    (
                        _("复用电子证照：%(name)s") % {"name": material["reused_type"]}
                        if material["reused_licence"]
                        else _("上传：%(name)s") % {"name": material["original_name"]}
                    ),
                    timezone.localdate(material["provided_at"]).isoformat(),
                )
                for material in dossier.materials
            ),
        ),
        "ratings": html_rows(
            RATING_ROW,
            (
                (
                    rating["case_reference"] or "",
                    rating["item_name"] or "",
                    rating["department_name"],
                    _rating_label(rating),
                    Channel(rating["channel"]).label,
                    timezone.localdate(rating["rated_at"]).isoformat(),
                )
                for rating in dossier.ratings
            ),
        ),
        "complaints": html_rows(
            COMPLAINT_ROW,
            (
                (
                    complaint["tracking_number"],
                    ComplaintKind(complaint["kind"]).label,
                    complaint["title"],
                    complaint["department_name"],
                    ComplaintStatus(complaint["status"]).label,
                    timezone.localdate(complaint["submitted_at"]).isoformat(),
                )
                for complaint in dossier.complaints
            ),
        ),
        "payments": html_rows(
            PAYMENT_ROW,
            (
                (
                    payment["payment_code"],
                    payment["case_reference"] or "",
                    payment["item_name"],
                    f"{payment['total']:,.2f}",
                    OrderStatus(payment["status"]).label,
                    (
                        _("票据号 %(number)s，%(day)s")
                        % {
                            "number": payment["receipt_number"],
                            "day": timezone.localdate(payment["paid_at"]).isoformat(),
                        }
                        if payment["receipt_number"] and payment["paid_at"]
                        else "—"
                    ),
                )
                for payment in dossier.payments
            ),
        ),
        "deliveries": html_rows(
            DELIVERY_ROW,
            (
                (
                    delivery["case_reference"] or "",
                    delivery["item_name"],
                    Method(delivery["method"]).label
                    + (f"（{delivery['region_name']}）" if delivery["region_name"] else ""),
                    DeliveryStatus(delivery["status"]).label,
                    (
                        _("%(day)s，%(how)s%(proxy)s")
                        % {
                            "day": timezone.localdate(delivery["served_at"]).isoformat(),
                            "how": Method(delivery["served_how"]).label,
                            "proxy": _("，委托代领") if delivery["collector_is_proxy"] else "",
                        }
                        if delivery["served_at"] and delivery["served_how"]
                        else "—"
                    ),
                )
                for delivery in dossier.deliveries
            ),
        ),
    }


def _rating_label(rating: dict[str, Any]) -> str:
    """The level, and what kind of rating it was when it is not a plain first one."""
    notes = [
        note
        for flag, note in (
            ("is_follow_up", _("追加评价")),
            ("is_default", _("默认评价")),
            ("is_removed", _("已撤销")),
        )
        if rating[flag]
    ]
    label = str(RatingLevel(rating["level"]).label)
    return f"{label}（{'，'.join(notes)}）" if notes else label


def _full(kind: str) -> frozenset[str]:
    return frozenset({kind}) if kind in RecordKind.values else frozenset()


def _applicant_subjects(request: HttpRequest) -> list[queries.Subject]:
    return queries.subjects_of_applicant(_user(request))


@never_cache
@applicant_required
def my_dossier(request: HttpRequest) -> HttpResponse:
    full = _full(request.GET.get("full", ""))
    dossiers = [
        queries.assemble_dossier(subject, queries.Scope(None), limit=queries.PAGE, full=full)
        for subject in _applicant_subjects(request)
    ]
    return render(
        request,
        "dossier/my_dossier.html",
        {"surface": "workspace", "dossiers": [(dossier, _rows(dossier, desk=False)) for dossier in dossiers]},
    )


@never_cache
@applicant_required
def my_dossier_export(request: HttpRequest) -> HttpResponse:
    """The dossier as JSON: ``?subject=<public id>`` picks a company the applicant acts for."""
    subjects = _applicant_subjects(request)
    wanted = request.GET.get("subject", "")
    subject: queries.Subject | None = subjects[0] if subjects and not wanted else None
    if wanted:
        subject = next((s for s in subjects if s.public_id == wanted), None)
    if subject is None:
        raise Http404
    data = actions.export_own_dossier(_user(request), subject, request=request)
    data["exported_at"] = timezone.now().isoformat()
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False, indent=2), content_type="application/json; charset=utf-8"
    )
    response["Content-Disposition"] = content_disposition_header(True, f"dossier-{timezone.localdate():%Y%m%d}.json")
    response["Cache-Control"] = "private, no-store"
    return response
