"""The monthly internal 通报 of ratings, complaints and supervision, ranking the bureau's units."""

from __future__ import annotations

import datetime
import io
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from django.conf import settings
from django.utils.translation import gettext as _

from govhall.cases.documents import chinese_typography
from govhall.lib.pdf import cjk_font
from govhall.lib.signing import sign_notice
from govhall.stats.figures import ranked_units


def percent(value: float | None) -> str:
    """A rate as the report prints it: "—" where there was nothing to count."""
    return "—" if value is None else f"{value:.1f}%"


def render_service_report(month: datetime.date, figures: dict[str, Any], *, made_on: datetime.date) -> bytes:
    """The 通报 of ``month`` from its kept figures (same figures, same text), signed by the bureau."""
    font = cjk_font()
    base = ParagraphStyle("body", fontName=font, fontSize=10.5, leading=17, wordWrap="CJK", firstLineIndent=21)
    title = ParagraphStyle("title", parent=base, fontSize=17, leading=26, alignment=TA_CENTER, firstLineIndent=0)
    cell = ParagraphStyle("cell", parent=base, fontSize=9, leading=12, firstLineIndent=0)
    right = ParagraphStyle("right", parent=base, alignment=TA_RIGHT, firstLineIndent=0, rightIndent=24)
    totals = figures["totals"]
    label = f"{month.year}年{month.month}月"
    summary = _(
        "%(month)s，全局共收到评价 %(ratings)d 条，好评率 %(good)s，差评 %(bad)d 条；差评整改按时办结率 %(fixed)s，"
        "实名差评回访率 %(follow)s；受理投诉举报 %(complaints)d 件，按时答复率 %(answered)s；"
        "发起督办 %(orders)d 件（红牌 %(red)d 件），按时回复率 %(replied)s。各单位情况按好评率排序如下。"
    ) % {
        "month": label,
        "ratings": totals["ratings"]["total"],
        "good": percent(totals["ratings"]["good_rate"]),
        "bad": totals["ratings"]["bad"],
        "fixed": percent(totals["rectifications"]["on_time_rate"]),
        "follow": percent(totals["rectifications"]["follow_up_rate"]),
        "complaints": totals["complaints"]["total"],
        "answered": percent(totals["complaints"]["answered_on_time_rate"]),
        "orders": totals["orders"]["total"],
        "red": totals["orders"]["red"],
        "replied": percent(totals["orders"]["replied_on_time_rate"]),
    }
    header = [
        _("排名"),
        _("单位"),
        _("评价数"),
        _("好评率"),
        _("差评"),
        _("整改按时率"),
        _("回访率"),
        _("投诉"),
        _("按时答复率"),
        _("督办"),
        _("红牌"),
        _("按时回复率"),
    ]
    rows: list[list[Any]] = [[Paragraph(escape(text), cell) for text in header]]
    for place, unit in enumerate(ranked_units(figures), start=1):
        values = [
            str(place),
            unit["name"] or unit["code"],
            str(unit["ratings"]["total"]),
            percent(unit["ratings"]["good_rate"]),
            str(unit["ratings"]["bad"]),
            percent(unit["rectifications"]["on_time_rate"]),
            percent(unit["rectifications"]["follow_up_rate"]),
            str(unit["complaints"]["total"]),
            percent(unit["complaints"]["answered_on_time_rate"]),
            str(unit["orders"]["total"]),
            str(unit["orders"]["red"]),
            percent(unit["orders"]["replied_on_time_rate"]),
        ]
        rows.append([Paragraph(escape(value), cell) for value in values])
    table = Table(rows, repeatRows=1, colWidths=[12 * mm, 52 * mm] + [19 * mm] * 10)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.4, colors.black),
                ("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.93, 0.93, 0.93)),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ]
        )
    )
    story = [
        Paragraph(chinese_typography(_("%(month)s政务服务“好差评”、投诉举报和督办情况通报") % {"month": label}), title),
        Spacer(1, 5 * mm),
        Paragraph(chinese_typography(summary), base),
        Spacer(1, 4 * mm),
        table,
        Spacer(1, 4 * mm),
        Paragraph(
            chinese_typography(
                _(
                    "说明：本通报只含统计数据，不含评价人、投诉人的身份信息；比率的分母为零时记为“—”。各项定义见平台文档。"
                )
            ),
            base,
        ),
        *_indicator_section(figures.get("indicators"), base=base, cell=cell),
        Spacer(1, 10 * mm),
        Paragraph(escape(settings.BUREAU_NAME), right),
        Paragraph(escape(f"{made_on.year}年{made_on.month}月{made_on.day}日"), right),
    ]
    buffer = io.BytesIO()
    SimpleDocTemplate(
        buffer,
        pagesize=landscape(A4),
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=18 * mm,
        title=f"{label} 服务情况通报",
        author=settings.BUREAU_NAME,
        creator=settings.PLATFORM_NAME,
        initialFontName=font,
    ).build(story)
    return sign_notice(buffer.getvalue(), authority=settings.BUREAU_NAME, title="", reason=_("月度服务情况通报"))


def shown(kind: str, value: float | None) -> str:
    """A measure's value as every surface prints it: "87.5%", "1,204", "3.4"; "—" where nothing was counted."""
    if value is None:
        return "—"
    if kind == "rate":
        return f"{value:.1f}%"
    return f"{int(value):,}" if kind == "count" else f"{value:g}"


def _indicator_section(indicators: dict[str, Any] | None, *, base: ParagraphStyle, cell: ParagraphStyle) -> list[Any]:
    """The month's indicators: the bureau against the plan's targets, then the units ranked (kept figures only)."""
    if not indicators:
        return []  # a report kept before the indicators existed
    heading = ParagraphStyle("heading", parent=base, fontSize=13, leading=20, firstLineIndent=0, spaceBefore=8)
    story: list[Any] = [Spacer(1, 6 * mm), Paragraph(escape(_("主要指标与规划目标")), heading)]
    if not indicators.get("complete"):
        story.append(Paragraph(escape(_("注意：本月有日期的统计尚未完整计算，以下数字可能偏少。")), base))
    rows: list[list[Any]] = [[Paragraph(escape(text), cell) for text in (_("指标"), _("本月"), _("目标"), _("情况"))]]
    for measure in indicators["measures"]:
        target, value = measure["target"], measure["value"]
        if target is None or value is None:
            verdict = "—"
        elif (value <= target) if measure["lower_is_better"] else (value >= target):
            verdict = _("达标")
        else:
            verdict = _("未达标")
        aim = "—" if target is None else ("≤" if measure["lower_is_better"] else "≥") + shown(measure["kind"], target)
        rows.append(
            [Paragraph(escape(text), cell) for text in (measure["title"], shown(measure["kind"], value), aim, verdict)]
        )
    plan = Table(rows, repeatRows=1, colWidths=[80 * mm, 30 * mm, 30 * mm, 30 * mm])
    plan.setStyle(_GRID)
    story += [plan, Spacer(1, 5 * mm), Paragraph(escape(_("各单位办件指标（按按时办结率排序）")), heading)]
    titles = {measure["key"]: measure for measure in indicators["measures"]}
    keys = indicators["headline"]
    header = [_("排名"), _("单位")] + [titles[key]["title"] for key in keys]
    ranking: list[list[Any]] = [[Paragraph(escape(text), cell) for text in header]]
    for place, unit in enumerate(indicators["units"], start=1):
        values = [str(place), unit["name"]] + [shown(titles[key]["kind"], unit["values"].get(key)) for key in keys]
        ranking.append([Paragraph(escape(value), cell) for value in values])
    table = Table(
        ranking, repeatRows=1, colWidths=[12 * mm, 52 * mm] + [(241 - 64) / max(1, len(keys)) * mm] * len(keys)
    )
    table.setStyle(_GRID)
    story.append(table)
    return story


_GRID = TableStyle(
    [
        ("GRID", (0, 0), (-1, -1), 0.4, colors.black),
        ("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.93, 0.93, 0.93)),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ]
)
