"""The monthly service report and the indicators: public pages on the portal, dashboards and 通报 on the desk."""

from __future__ import annotations

import datetime
import io
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from govhall.identity.decorators import staff_required
from govhall.identity.models import User
from govhall.lib.pagecache import anonymous_page_cache
from govhall.lib.storage import private_download
from govhall.ratings.constants import RatingLevel
from govhall.stats import queries
from govhall.stats.documents import shown
from govhall.stats.measures import (
    CASES,
    COUNT,
    COUNTERS,
    EVENTS,
    GROUPS,
    HEADLINE,
    ITEMS,
    LOOKUPS,
    MATERIALS,
    MEASURES,
    RATE,
    Measure,
    facet_labels,
    items_behind,
    rows_behind,
)


@anonymous_page_cache(queries.reports_key)
def service_report(request: HttpRequest, month: str = "") -> HttpResponse:
    """The public page: a kept month's figures per unit and item, no person named."""
    chosen = None
    if month:
        try:
            chosen = datetime.date.fromisoformat(month + "-01")
        except ValueError:
            raise Http404 from None
    report = queries.get_report(chosen)
    if chosen and report is None:
        raise Http404
    figures = report.figures if report else None
    for item in figures["items"] if figures else []:
        item["level_counts"] = [
            (label, item["ratings"]["by_level"].get(value, 0)) for value, label in RatingLevel.choices
        ]
    return render(
        request,
        "stats/service_report.html",
        {"report": report, "figures": figures, "months": queries.list_report_months(), "levels": RatingLevel.choices},
    )


@staff_required
def desk_reports(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    if not queries.may_read_internal_reports(user):
        raise PermissionDenied(_("月度通报发给办理和监督岗位的工作人员；您的岗位不在其中。"))
    return render(request, "stats/desk_reports.html", {"surface": "desk", "reports": queries.list_reports()})


@staff_required
def desk_report_pdf(request: HttpRequest, public_id: str) -> FileResponse:
    report = queries.access_report_for_staff(request.user, public_id)  # type: ignore[arg-type]
    return private_download(
        report.pdf, content_type="application/pdf", filename=f"service-report-{report.month:%Y-%m}.pdf"
    )


# Indicators ------------------------------------------------------------------------------------

ROWS_PAGE_SIZE = 50


def _month_label(month: datetime.date) -> str:
    return _("%(year)d年%(month)d月") % {"year": month.year, "month": month.month}


def _measure_rows(figures: queries.MonthFigures) -> list[dict[str, Any]]:
    """The dashboard's table: every measure with its value, its counts and its target, by group."""
    rows = []
    for measure in MEASURES.values():
        available = measure.is_available and measure.group != "later"
        value = figures.values.get(measure.key) if available else None
        rows.append(
            {
                "measure": measure,
                "group": GROUPS[measure.group],
                "available": available,
                "waiting_for": measure.waiting_for or (_("本平台尚未采集该数据") if not available else ""),
                "value": value,
                "shown": format_value(measure, value),
                "numerator": figures.sums.get(measure.numerator, 0),
                "denominator": figures.sums.get(measure.denominator, 0) if measure.denominator else None,
                "meets": meets_target(measure, value),
            }
        )
    return rows


def _shown(measure: Measure, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**row, "shown": format_value(measure, row["value"])} for row in rows]


def format_value(measure: Measure, value: float | None) -> str:
    return shown(measure.kind, value)


def meets_target(measure: Measure, value: float | None) -> bool | None:
    if value is None or measure.target is None:
        return None
    return value <= measure.target if measure.lower_is_better else value >= measure.target


def _dashboard_input(request: HttpRequest) -> tuple[datetime.date, queries.Scope]:
    user: User = request.user  # type: ignore[assignment]
    for name in ("unit", "item", "facet", "month", "measure"):
        if any(ord(c) < 32 for c in request.GET.get(name, "")):
            raise BadInput(_("请求中含有不能识别的字符，请从页面上的选项选择。"))
    scope = queries.indicator_scope_for(user, request.GET.get("unit", "").strip())
    try:
        month = queries.parse_month(request.GET.get("month", ""))
    except ValidationError as error:
        raise BadInput(" ".join(error.messages)) from None
    return month, scope


class BadInput(Exception):
    """A request parameter a person can correct; shown on the page with status 400."""


def _bad_input(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "stats/indicators_error.html", {"surface": "desk", "message": message}, status=400)


@staff_required
def desk_indicators(request: HttpRequest) -> HttpResponse:
    """The unit's or the bureau's indicators for a month, a trend chart of one measure, and the units."""
    user: User = request.user  # type: ignore[assignment]
    try:
        month, scope = _dashboard_input(request)
    except BadInput as error:
        return _bad_input(request, str(error))
    chosen = queries.get_measure(request.GET.get("measure", "on_time") or "on_time")
    figures = queries.month_figures(month, scope)
    units = queries.unit_figures(month, scope)
    headline = [key for key in HEADLINE if MEASURES[key].is_available]
    trend = queries.trend(chosen, scope, month) if chosen.is_available and chosen.group != "later" else []
    chart = {
        "name": str(chosen.title),
        "labels": [f"{start:%Y-%m}" for start, _value in trend],
        "values": [value for _start, value in trend],
        "target": chosen.target,
        "percent": chosen.kind == RATE,
    }
    return render(
        request,
        "stats/desk_indicators.html",
        {
            "surface": "desk",
            "month": month,
            "month_label": _month_label(month),
            "scope": scope,
            "figures": figures,
            "rows": _measure_rows(figures),
            "units": [
                {
                    **unit,
                    "cells": [
                        (MEASURES[key].title, format_value(MEASURES[key], unit["values"].get(key)), key)
                        for key in headline
                    ],
                }
                for unit in units
            ],
            "headline": [MEASURES[key] for key in headline],
            "chosen": chosen,
            "trend": [(start, format_value(chosen, value)) for start, value in trend],
            "breakdowns": [
                (
                    _("按事项"),
                    _shown(chosen, queries.breakdown(chosen, scope, month, by="item")) if trend else [],
                    "item",
                ),
                (
                    _("按渠道或目的"),
                    _shown(chosen, queries.breakdown(chosen, scope, month, by="facet")) if trend else [],
                    "facet",
                ),
            ],
            "chart": chart,
            "unit_choices": [("　" * depth, department) for department, depth in queries.list_units_for(user)],
            "measure_choices": [m for m in MEASURES.values() if m.is_available and m.group != "later"],
            "query": request.GET.urlencode(),
        },
    )


@staff_required
def desk_indicator_rows(request: HttpRequest, key: str, part: str) -> HttpResponse:
    """The drill-down: the cases, materials or items behind a measure's numerator or denominator."""
    try:
        month, scope = _dashboard_input(request)
    except BadInput as error:
        return _bad_input(request, str(error))
    measure = queries.get_measure(key)
    counter_key = {"numerator": measure.numerator, "denominator": measure.denominator}.get(part, "")
    if not counter_key or not measure.is_available or measure.group == "later":
        raise Http404(_("该指标没有这一部分的清单。"))
    counter = COUNTERS[counter_key]
    first, last = queries.month_days(month)
    figures = queries.month_figures(month, scope)
    item, facet = request.GET.get("item", "").strip()[:31], request.GET.get("facet", "").strip()[:24]
    if counter.source == ITEMS:
        day = figures.stock_day or last
        rows: Any = items_behind(counter_key, day, scope.departments)
    else:
        rows = rows_behind(counter_key, first, last, departments=scope.departments, item=item, facet=facet)
        rows = _with_columns(counter.source, rows)
    page = Paginator(rows, ROWS_PAGE_SIZE).get_page(request.GET.get("page"))
    if counter.source not in (CASES, MATERIALS, EVENTS, ITEMS):
        # Ratings, complaints, orders, alarms, look-ups, grants, questions: the day and the kind
        # only (no person, and no query per row):
        labels = facet_labels(counter.source)
        page.object_list = [
            {"day": row["stat_day"], "kind": labels.get(_kind(row), _kind(row)) or "—"} for row in page.object_list
        ]
    return render(
        request,
        "stats/desk_indicator_rows.html",
        {
            "surface": "desk",
            "measure": measure,
            "counter": counter,
            "part": part,
            "month": month,
            "month_label": _month_label(month),
            "scope": scope,
            "page": page,
            "figure": figures.sums.get(counter_key, 0),
            "narrowed": bool(item or facet) and counter.source != ITEMS,
            "source": counter.source,
            "back": _without_page(request),
        },
    )


def _kind(row: dict[str, Any]) -> str:
    return str(row.get("stat_facet") or (row.get("extra") or {}).get("purpose", "") or "")


def _without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def _with_columns(source: str, rows: Any) -> Any:
    """What the drill-down list shows of each row, read in one query per page."""
    if source in (CASES,):
        return rows.select_related("item_version", "department").only(
            "public_id", "reference", "applicant_name", "status", "submitted_at", "accepted_on", "due_on",
            "closed_at", "item_version__name", "department__name",
        ).order_by("pk")  # fmt: skip
    if source == MATERIALS:
        return rows.select_related("case", "material", "licence").order_by("pk")
    if source == EVENTS:
        return rows.select_related("case", "case__item_version").order_by("pk")
    if source == LOOKUPS:
        return rows.values("stat_day", "extra").order_by("pk")
    return rows.values("stat_day", "stat_facet").order_by("pk")


@staff_required
def desk_indicators_xlsx(request: HttpRequest) -> HttpResponse:
    """The dashboard's two tables (measures, units) for the month as a spreadsheet."""
    try:
        month, scope = _dashboard_input(request)
    except BadInput as error:
        return _bad_input(request, str(error))
    figures = queries.month_figures(month, scope)
    units = queries.unit_figures(month, scope)
    content = indicators_workbook(month, scope, _measure_rows(figures), units)
    response = HttpResponse(content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="indicators-{month:%Y-%m}.xlsx"'
    response["Cache-Control"] = "private, no-store"
    return response


def indicators_workbook(
    month: datetime.date, scope: queries.Scope, rows: list[dict[str, Any]], units: list[dict[str, Any]]
) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = str(_("指标"))
    sheet.append([f"{scope.label} {_month_label(month)}"])
    sheet.append(
        [str(_("分类")), str(_("指标")), str(_("数值")), str(_("分子")), str(_("分母")), str(_("目标")), str(_("说明"))]
    )
    for row in rows:
        measure = row["measure"]
        sheet.append(
            [
                str(row["group"]),
                str(measure.title),
                row["value"] if row["available"] else str(row["waiting_for"]),
                row["numerator"] if row["available"] else None,
                row["denominator"] if row["available"] else None,
                measure.target,
                str(measure.definition),
            ]
        )
    ranking = book.create_sheet(str(_("各单位")))
    keys = [key for key in HEADLINE if MEASURES[key].is_available]
    ranking.append([str(_("单位"))] + [str(MEASURES[key].title) for key in keys])
    for unit in units:
        ranking.append([unit["department"].name] + [unit["values"].get(key) for key in keys])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# The public page: headline figures of the bureau, no personal data, small counts held back:
PUBLIC_MEASURES = ("online_level3", "online_level4", "in_hall", "no_visit", "fully_online", "on_time",
                   "handling_average", "reuse_rate", "good_rate", "complaints_on_time", "disclosures_on_time")  # fmt: skip


PUBLIC_MONTHS = 6


@anonymous_page_cache(queries.indicators_key)
def public_indicators(request: HttpRequest) -> HttpResponse:
    """The bureau's headline figures month by month (the last six, this one so far): the trend at a glance."""
    columns = [timezone.localdate().replace(day=1)]
    while len(columns) < PUBLIC_MONTHS:
        columns.insert(0, (columns[0] - datetime.timedelta(days=1)).replace(day=1))
    scope = queries.Scope(None, settings.BUREAU_NAME)
    least = settings.STATS_PUBLIC_MIN_COUNT
    computed = {month: queries.month_figures(month, scope) for month in columns}
    measures = [MEASURES[key] for key in PUBLIC_MEASURES if MEASURES[key].is_available]
    table = []
    for measure in measures:
        cells = []
        for month in columns:
            figures = computed[month]
            base = figures.sums.get(measure.denominator or measure.numerator, 0)
            if (
                measure.kind != COUNT
                and COUNTERS[measure.denominator or measure.numerator].source != ITEMS
                and base < least
            ):
                cells.append((_month_label(month), _("数量较少，不公开")))
            else:
                cells.append((_month_label(month), format_value(measure, figures.values.get(measure.key))))
        table.append({"measure": measure, "cells": cells})
    return render(
        request,
        "stats/public_indicators.html",
        {
            "columns": [(_month_label(month), computed[month]) for month in columns],
            "table": table,
            "least": least,
        },
    )
