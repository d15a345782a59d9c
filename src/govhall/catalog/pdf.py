"""The printable guide (办事指南) of one version, as the hall prints it.

Rendered from the same ItemVersion as the portal page, with the version number and the
effective date on every page, in an embedded TrueType CJK font.
"""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from django.conf import settings
from django.utils.translation import gettext as _

from govhall.catalog.models import ItemVersion
from govhall.catalog.queries import dictionary
from govhall.catalog.templatetags.catalog import limit as format_limit
from govhall.lib.pdf import cjk_font


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(text or "—").replace("\n", "<br/>"), style)


def render_guide_pdf(version: ItemVersion) -> bytes:
    """Render the guide of ``version`` to PDF bytes."""
    font = cjk_font()
    body = ParagraphStyle("body", fontName=font, fontSize=10, leading=15, wordWrap="CJK")
    label = ParagraphStyle("label", parent=body, textColor=colors.HexColor("#0a4a8a"))
    heading = ParagraphStyle("heading", parent=body, fontSize=13, leading=20, spaceBefore=8, spaceAfter=4)
    title = ParagraphStyle("title", parent=body, fontSize=18, leading=26, alignment=TA_CENTER)
    item_types = dictionary("item_type")
    targets = dictionary("service_target")
    forms = dictionary("handling_form")
    effective = version.effective_from.isoformat() if version.effective_from else _("未发布")
    version_line = _("第%(number)d版 · 生效日期 %(date)s · 实施编码 %(code)s") % {
        "number": version.number,
        "date": effective,
        "code": version.item.implementation_code,
    }

    def table(rows: list[tuple[str, str]]) -> Table:
        data = [[_p(k, label), _p(v, body)] for k, v in rows]
        result = Table(data, colWidths=[38 * mm, 132 * mm])
        result.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#9aa7b5")),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#eef2f7")),
                ]
            )
        )
        return result

    def limit(days: int, unit: str, note: str) -> str:
        return format_limit(days, unit) + (f"（{note}）" if note else "")

    story: list = [
        _p(version.name, title),
        _p(_("办事指南"), ParagraphStyle("sub", parent=title, fontSize=12)),
        Spacer(1, 4 * mm),
        table(
            [
                (_("事项类型"), item_types.get(version.item_type, version.item_type)),
                (_("基本编码"), version.item.basic_code),
                (_("实施编码"), version.item.implementation_code),
                (_("实施主体"), version.implementing_body),
                (_("承办科室"), version.handling_department.name),
                (_("服务对象"), "、".join(targets.get(t, t) for t in version.service_targets)),
                (_("办理形式"), "、".join(forms.get(f, f) for f in version.handling_forms)),
                (_("法定办结时限"), limit(version.statutory_limit, version.statutory_unit, version.statutory_note)),
                (_("承诺办结时限"), limit(version.committed_limit, version.committed_unit, version.committed_note)),
                (
                    _("到办事现场次数"),
                    str(version.visits) + (f"（{version.visit_reason}）" if version.visit_reason else ""),
                ),
                (_("网上办理深度"), _("%(level)s级") % {"level": version.online_level}),
                (_("是否收费"), _("是") if version.has_fee else _("否")),
                (_("办理地点"), version.address),
                (_("办理时间"), version.hours),
                (_("咨询电话"), version.consultation_phone),
                (_("监督投诉电话"), version.supervision_phone),
            ]
        ),
        _p(_("设定依据"), heading),
        _p(
            "\n".join(
                f"《{law.get('LAW_NAME', '')}》{law.get('LAW_NUMBER', '')} {law.get('LAW_ARTICLE', '')}：{law.get('LAW_TEXT', '')}"
                for law in version.legal_basis
            ),
            body,
        ),
        _p(_("受理条件"), heading),
        _p(version.acceptance_conditions, body),
        _p(_("申请材料"), heading),
    ]
    materials = [
        [_p(_("序号"), label), _p(_("材料名称"), label), _p(_("要求"), label), _p(_("来源"), label)],
        *[
            [
                _p(str(m.order), body),
                _p(m.name, body),
                _p(f"{m.get_need_display()}，{m.get_material_type_display()}，{m.get_material_format_display()}", body),
                _p(m.get_source_display() + (f"（{m.source_note}）" if m.source_note else ""), body),
            ]
            for m in version.materials.all()
        ],
    ]
    material_table = Table(materials, colWidths=[12 * mm, 70 * mm, 48 * mm, 40 * mm], repeatRows=1)
    material_table.setStyle(
        TableStyle([("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#9aa7b5")), ("VALIGN", (0, 0), (-1, -1), "TOP")])
    )
    story += [material_table, _p(_("办理流程"), heading)]
    story.append(
        _p(
            "\n".join(
                f"{s.order}. {s.name}：{s.review_standard}（{format_limit(s.time_limit, '1')}）"
                for s in version.steps.all()
            ),
            body,
        )
    )
    if version.has_fee:
        story += [_p(_("收费标准"), heading)]
        story.append(_p("\n".join(f"{f.name}：{f.standard}（{f.basis}）" for f in version.fees.all()), body))
    if version.special_procedures:
        story += [_p(_("特别程序"), heading), _p(version.special_procedures, body)]
    story += [_p(_("常见问题"), heading)]
    for question in version.questions.all():
        story += [_p(_("问：") + question.question, body), _p(_("答：") + question.answer, body), Spacer(1, 2 * mm)]
    # What public information publishes for the item, as the guide page shows it: the review rules
    # (审查细则) in full, and the intermediary services it needs with their institutions:
    from govhall.publicinfo.queries import intermediary_services_for_item, review_rules_for_item

    rules = review_rules_for_item(version.item)
    if rules:
        story += [_p(_("审查细则"), heading)]
        for rule in rules:
            number = f"（{rule.doc_number}）" if rule.doc_number else ""
            story += [_p(f"《{rule.title}》{number}", label), _p(rule.body, body), Spacer(1, 2 * mm)]
    services = intermediary_services_for_item(version.item)
    if services:
        story += [_p(_("中介服务"), heading)]
        for service in services:
            required = _("必须提供") if service.get("required") else _("申请人自愿选择")
            providers = "、".join(f"{p['entry'].title}（{p.get('phone', '')}）" for p in service["providers"])
            story.append(
                _p(f"{service['entry'].title}（{required}）：{_('设定依据')} {service.get('legal_basis', '')}"
                   + (f"；{_('提供机构')} {providers}" if providers else ""), body)
            )  # fmt: skip

    def decorate(canvas, document) -> None:  # type: ignore[no-untyped-def]
        canvas.saveState()
        canvas.setFont(font, 8)
        canvas.setFillColor(colors.HexColor("#444444"))
        canvas.drawString(20 * mm, 12 * mm, version_line)
        canvas.drawRightString(190 * mm, 12 * mm, _("第 %(page)d 页") % {"page": document.page})
        canvas.restoreState()

    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=18 * mm,
        bottomMargin=20 * mm,
        title=f"{version.name} 办事指南（第{version.number}版）",
        author=version.implementing_body,
        creator=settings.PLATFORM_NAME,
        # Start every page in the embedded font, so no unembedded base-14 font is referenced:
        initialFontName=font,
        initialFontSize=10,
    )
    document.build(story, onFirstPage=decorate, onLaterPages=decorate)
    return buffer.getvalue()
