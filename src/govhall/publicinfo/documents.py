"""The answer letter of a disclosure request (政府信息公开申请答复书) as a PDF with the embedded CJK font."""

from __future__ import annotations

import io

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen import canvas

from django.conf import settings
from django.utils.translation import gettext as _

from govhall.lib.pdf import cjk_font
from govhall.publicinfo.models import DisclosureRequest


def _wrap(text: str, font: str, size: float, width: float) -> list[str]:
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        line = ""
        for char in paragraph:
            if stringWidth(line + char, font, size) > width:
                lines.append(line)
                line = ""
            line += char
        lines.append(line)
    return lines


def answer_letter(request: DisclosureRequest) -> bytes:
    """The letter: who asked, what, the answer kind, its reason and basis, the remedies."""
    font = cjk_font()
    bureau = getattr(settings, "BUREAU_NAME", "") or _("海沧区农林水利局")
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4)
    pdf.setTitle(_("政府信息公开申请答复书"))
    width, height = A4
    left, usable = 25 * mm, width - 50 * mm
    y = height - 30 * mm
    pdf.setFont(font, 18)
    pdf.drawCentredString(width / 2, y, _("政府信息公开申请答复书"))
    y -= 10 * mm
    pdf.setFont(font, 11)
    pdf.drawCentredString(width / 2, y, _("受理编号：%(number)s") % {"number": request.number})
    y -= 14 * mm
    paragraphs = [
        f"{request.name}（{request.id_number_shown}）：",
        _("本机关于 %(day)s 收到您（单位）提出的政府信息公开申请，申请获取：%(description)s")
        % {"day": request.received_on.isoformat(), "description": request.description},
        _("经审查，答复如下：%(kind)s。") % {"kind": request.get_answer_kind_display()},
    ]
    if request.answer_reason:
        paragraphs.append(_("理由和依据：%(reason)s") % {"reason": request.answer_reason})
    if request.answer_text:
        paragraphs.append(request.answer_text)
    paragraphs.append(
        _(
            "如对本答复不服，可以自收到本答复之日起六十日内向上一级行政机关或者同级人民政府申请行政复议，"
            "或者在六个月内向人民法院提起行政诉讼。"
        )
    )
    pdf.setFont(font, 12)
    for paragraph in paragraphs:
        for line in _wrap(paragraph, font, 12, usable):
            if y < 30 * mm:
                pdf.showPage()
                pdf.setFont(font, 12)
                y = height - 30 * mm
            pdf.drawString(left, y, line)
            y -= 7 * mm
        y -= 3 * mm
    y -= 10 * mm
    pdf.drawRightString(width - 25 * mm, y, bureau)
    y -= 7 * mm
    if request.answered_on:
        pdf.drawRightString(width - 25 * mm, y, request.answered_on.strftime("%Y年%m月%d日"))
    pdf.showPage()
    pdf.save()
    return out.getvalue()
