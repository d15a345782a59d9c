"""The issued document as a PDF in the layout of GB/T 9704-2012, signed with the bureau's key."""

from __future__ import annotations

import io
from typing import Any

from reportlab.lib.colors import Color
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer

from django.conf import settings

from govhall.cases.documents import chinese_typography
from govhall.lib.pdf import cjk_font
from govhall.lib.signing import sign_notice
from govhall.office.constants import Urgency
from govhall.office.models import Document

RED = Color(0.86, 0.08, 0.08)
# GB/T 9704 5.2.1: A4, 156 mm × 225 mm of text, top margin 37 mm, left 28 mm:
LEFT, RIGHT, TOP, BOTTOM = 28 * mm, 26 * mm, 37 * mm, 35 * mm
# 三号 (16 pt) for the text, 二号 (22 pt) for the title:
BODY, TITLE = 16, 22


class RedLine(Flowable):
    """The red separator line under the document number (版头中的分隔线), full text width."""

    def __init__(self, width: float) -> None:
        super().__init__()
        self.width, self.height = width, 2 * mm

    def draw(self) -> None:
        self.canv.setStrokeColor(RED)
        self.canv.setLineWidth(1.2)
        self.canv.line(0, self.height / 2, self.width, self.height / 2)


def _chinese_date(day: Any) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def render_document(document: Document) -> bytes:
    """The issued document: 份号/紧急程度, red header, 发文字号, red line, title, 主送, body, signature, date, 抄送."""
    font = cjk_font()
    width = A4[0] - LEFT - RIGHT
    plain = ParagraphStyle("plain", fontName=font, fontSize=BODY, leading=28, wordWrap="CJK")
    body = ParagraphStyle("body", parent=plain, firstLineIndent=2 * BODY)
    header_text = f"{document.issuing_authority}文件"
    header_size = min(48, width / max(len(header_text), 1) / 1.05)
    header = ParagraphStyle(
        "header", parent=plain, fontSize=header_size, leading=header_size * 1.3, alignment=TA_CENTER, textColor=RED
    )
    centred = ParagraphStyle("centred", parent=plain, alignment=TA_CENTER)
    title = ParagraphStyle("title", parent=plain, fontSize=TITLE, leading=34, alignment=TA_CENTER)
    dated = _chinese_date(document.dated) if document.dated else ""
    date_style = ParagraphStyle("date", parent=plain, alignment=TA_RIGHT, rightIndent=4 * BODY)
    centre_over_date = (stringWidth(dated, font, BODY) - stringWidth(document.issuing_authority, font, BODY)) / 2
    authority_style = ParagraphStyle(
        "authority", parent=date_style, rightIndent=max(0, 4 * BODY + centre_over_date), spaceBefore=14 * mm
    )
    small = ParagraphStyle("small", parent=plain, fontSize=14, leading=22)
    story: list[Flowable] = []
    marks = [
        m
        for m in (document.copy_number, "" if document.urgency == Urgency.NORMAL else document.get_urgency_display())
        if m
    ]
    for mark in marks:
        story.append(Paragraph(chinese_typography(mark), plain))
    story += [
        Spacer(1, 8 * mm if not marks else 2 * mm),
        Paragraph(chinese_typography(header_text), header),
        Spacer(1, 10 * mm),
        Paragraph(chinese_typography(document.number), centred),
        Spacer(1, 2 * mm),
        RedLine(width),
        Spacer(1, 8 * mm),
        Paragraph(chinese_typography(document.title), title),
        Spacer(1, 6 * mm),
    ]
    if document.main_recipients:
        story.append(Paragraph(chinese_typography(f"{document.main_recipients}："), plain))
    for paragraph in [p.strip() for p in document.body.splitlines() if p.strip()]:
        story.append(Paragraph(chinese_typography(paragraph), body))
    story += [
        Paragraph(chinese_typography(document.issuing_authority), authority_style),
        Paragraph(chinese_typography(dated), date_style),
    ]
    if document.copy_to:
        story += [
            Spacer(1, 12 * mm),
            RedLine(width),
            Paragraph(chinese_typography(f"抄送：{document.copy_to}。"), small),
        ]
    buffer = io.BytesIO()
    SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=LEFT,
        rightMargin=RIGHT,
        topMargin=TOP,
        bottomMargin=BOTTOM,
        title=f"{document.number} {document.title}",
        author=document.issuing_authority,
        creator=settings.PLATFORM_NAME,
        initialFontName=font,
        initialFontSize=BODY,
    ).build(story)
    # The seal over the 发文机关 name of the signature block (GB/T 9704 7.3.5.1), signed as licences are:
    return sign_notice(buffer.getvalue(), authority=document.issuing_authority, title="公文专用章", reason="签发公文")
