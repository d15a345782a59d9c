"""The licence document: one A4 page with the face data and a QR code, rendered once and signed."""

from __future__ import annotations

import io
from typing import Any

import segno
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen import canvas

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from govhall.lib.pdf import cjk_font, missing_glyphs
from govhall.licences.models import Licence


def face_rows(licence: Licence) -> list[tuple[str, str]]:
    """The face fields in the type's layout order, labelled by the face schema's titles."""
    properties: dict[str, Any] = licence.licence_type.face_schema.get("properties", {})
    order = licence.licence_type.layout.get("fields") or list(properties)
    rows = []
    for key in order:
        if key in licence.face and licence.face[key] not in (None, ""):
            rows.append((str(properties.get(key, {}).get("title", key)), str(licence.face[key])))
    return rows


def page_text(licence: Licence) -> list[tuple[str, str]]:
    validity = (
        f"{licence.valid_from:%Y年%m月%d日} 至 {licence.valid_until:%Y年%m月%d日}"
        if licence.valid_until
        else f"{licence.valid_from:%Y年%m月%d日} 起长期有效"
    )
    return [
        ("证照编号", licence.number),
        ("持证主体", licence.holder_name),
        ("主体代码", licence.holder_masked),
        *face_rows(licence),
        ("有效期限", validity),
        ("颁发机构", licence.issuer_name),
        ("颁发日期", f"{licence.issued_on:%Y年%m月%d日}"),
    ]


def check_printable(licence: Licence) -> None:
    """Refuse, naming them, characters the embedded font has no glyph for."""
    text = "".join(a + b for a, b in page_text(licence)) + licence.licence_type.name
    missing = missing_glyphs(text)
    if missing:
        raise ValidationError(
            _("证照内容中有字体无法显示的字符：%(chars)s。请先为平台配置包含这些字符的字体，或核对录入内容。")
            % {"chars": " ".join(f"{c}（U+{ord(c):04X}）" for c in missing)},
            code="missing_glyph",
        )


def _draw_qr(pdf: canvas.Canvas, data: str, x: float, y: float, size: float) -> None:
    qr = segno.make(data, error="m", micro=False)
    matrix = [list(row) for row in qr.matrix_iter(scale=1, border=2)]
    cell = size / len(matrix)
    for r, row in enumerate(matrix):
        for c, dark in enumerate(row):
            if dark:
                pdf.rect(x + c * cell, y + size - (r + 1) * cell, cell, cell, stroke=0, fill=1)


def _wrap(text: str, font: str, size: float, room: float) -> list[str]:
    lines, line = [], ""
    for char in text:
        if line and stringWidth(line + char, font, size) > room:
            lines.append(line)
            line = ""
        line += char
    return [*lines, line]


def render_licence(licence: Licence) -> bytes:
    """An unsigned PDF of the licence; the caller signs it (lib/signing.py)."""
    check_printable(licence)
    font = cjk_font()
    width, height = A4
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, pageCompression=1)
    pdf.setTitle(f"{licence.licence_type.name} {licence.number}")
    pdf.setAuthor(licence.issuer_name)
    pdf.setCreator(settings.PLATFORM_NAME)
    pdf.setSubject(licence.identifier)
    pdf.setLineWidth(2)
    pdf.setStrokeColorRGB(0.55, 0.1, 0.1)
    pdf.rect(15 * mm, 15 * mm, width - 30 * mm, height - 30 * mm)
    pdf.setFont(font, 26)
    title = licence.licence_type.layout.get("title") or licence.licence_type.name
    pdf.drawCentredString(width / 2, height - 45 * mm, title)
    pdf.setFont(font, 12)
    rows = page_text(licence)
    value_x = 30 * mm + max(stringWidth(f"{label}：", font, 12) for label, _ in rows) + 2 * mm
    room = width - 30 * mm - value_x
    y = height - 70 * mm
    for label, value in rows:
        pdf.drawString(30 * mm, y, f"{label}：")
        for line in _wrap(value, font, 12, room):
            pdf.drawString(value_x, y, line)
            y -= 7 * mm
        y -= 2 * mm
    _draw_qr(pdf, licence.credential, width - 80 * mm, 42 * mm, 55 * mm)
    pdf.setFont(font, 8)
    pdf.drawString(30 * mm, 30 * mm, f"证照标识：{licence.identifier}")
    pdf.drawString(30 * mm, 25 * mm, f"核验：{settings.PUBLIC_URL}/verify/")
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
