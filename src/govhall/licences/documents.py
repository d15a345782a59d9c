"""The licence document: one A4 page with the face data, a QR code and the seal, rendered once and signed.

A 加注件 is the same page with a watermark naming its purpose and expiry, and a footer block.
"""

from __future__ import annotations

import datetime
import io
import math
from dataclasses import dataclass
from typing import Any

import segno
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen import canvas

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from govhall.lib.pdf import cjk_font, missing_glyphs
from govhall.lib.signing import Seal
from govhall.lib.urls import public_url
from govhall.licences.models import Licence, LicenceCopy


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


def refuse_missing_glyphs(text: str) -> None:
    """Refuse, naming them, characters of ``text`` the embedded font has no glyph for."""
    missing = missing_glyphs(text)
    if missing:
        raise ValidationError(
            _("证照内容中有字体无法显示的字符：%(chars)s。请先为平台配置包含这些字符的字体，或核对录入内容。")
            % {"chars": " ".join(f"{c}（U+{ord(c):04X}）" for c in missing)},
            code="missing_glyph",
        )


def check_printable(licence: Licence) -> None:
    """Refuse, naming them, characters of the licence the embedded font has no glyph for."""
    seal_title = str(licence.licence_type.layout.get("seal_title") or "")
    refuse_missing_glyphs("".join(a + b for a, b in page_text(licence)) + licence.licence_type.name + seal_title)


@dataclass(frozen=True)
class Annotation:
    """What a 加注件 adds to the licence page: a watermark repeated across it and a block of footer lines."""

    watermark: str
    footer: list[str]
    verify_url: str

    def text(self) -> str:
        return self.watermark + "".join(self.footer) + self.verify_url


def copy_verify_url(copy: LicenceCopy) -> str:
    return public_url(f"/verify/copy/{copy.public_id}/")


def copy_watermark(purpose: str, expires_on: datetime.date) -> str:
    # "有效期至" (valid through) rather than "…前有效", which readers take to exclude the day itself:
    return f"仅供{purpose}使用，有效期至{expires_on:%Y年%m月%d日}"


def copy_annotation(copy: LicenceCopy) -> Annotation:
    """The watermark and footer of a 加注件 (STANDARDS §3: purpose, maker, time and expiry)."""
    made_at = timezone.localtime(copy.made_at)
    return Annotation(
        watermark=copy_watermark(copy.purpose, copy.expires_on),
        footer=[
            "加注件：仅可用于下列用途，不作他用",
            f"用途：{copy.purpose}",
            f"制作人：{copy.maker}　制作时间：{made_at:%Y年%m月%d日 %H:%M}",
            f"有效期至：{copy.expires_on:%Y年%m月%d日}（含当日）",
            f"加注件编号：{copy.public_id}",
        ],
        verify_url=copy_verify_url(copy),
    )


def render_copy(copy: LicenceCopy) -> bytes:
    """An unsigned PDF of a 加注件: the licence page with its watermark and footer; the caller signs it."""
    return render_licence(copy.licence, copy_annotation(copy))


def licence_qr_content(licence: Licence) -> str:
    """What the licence's QR code holds: the verification page's address carrying the signed payload.

    A phone camera opens the page; an offline verifier takes the ``p`` parameter and checks
    it with the published keys (queries.payload_of, queries.check_offline; licences.payload).
    """
    return f"{public_url('/verify/')}?p={licence.credential}"


def _draw_qr(pdf: canvas.Canvas, data: str, x: float, y: float, size: float) -> None:
    # Error correction M (15 %) — raised by segno when the same version allows — for a
    # creased or photographed page; each row's dark runs are one rectangle, so that no
    # hairline seams appear between modules at low resolution:
    qr = segno.make(data, error="m", micro=False)
    matrix = [list(row) for row in qr.matrix_iter(scale=1, border=2)]
    cell = size / len(matrix)
    path = pdf.beginPath()
    for r, row in enumerate(matrix):
        c = 0
        while c < len(row):
            if row[c]:
                start = c
                while c < len(row) and row[c]:
                    c += 1
                path.rect(x + start * cell, y + size - (r + 1) * cell, (c - start) * cell, cell)
            else:
                c += 1
    pdf.drawPath(path, stroke=0, fill=1)


def _wrap(text: str, font: str, size: float, room: float) -> list[str]:
    lines, line = [], ""
    for char in text:
        if line and stringWidth(line + char, font, size) > room:
            lines.append(line)
            line = ""
        line += char
    return [*lines, line]


def _draw_watermark(pdf: canvas.Canvas, text: str, font: str, width: float, height: float) -> None:
    """``text`` in staggered diagonal rows over the whole page, light enough to read the licence through."""
    size = 18
    step_x = stringWidth(text, font, size) + 25 * mm
    step_y = 30 * mm
    reach = math.hypot(width, height) / 2
    pdf.saveState()
    pdf.setFillColorRGB(0.7, 0.1, 0.1)
    pdf.setFillAlpha(0.18)
    pdf.setFont(font, size)
    pdf.translate(width / 2, height / 2)
    pdf.rotate(35)
    for row in range(-int(reach // step_y) - 1, int(reach // step_y) + 2):
        x = -reach - (row % 2) * step_x / 2
        while x < reach:
            pdf.drawString(x, row * step_y, text)
            x += step_x
    pdf.restoreState()


@dataclass(frozen=True)
class _Row:
    label: str
    lines: list[str]
    x: float  # where the value starts
    y: float  # the first line's baseline


def _rows(licence: Licence, font: str) -> list[_Row]:
    """The labelled lines of the page and where they are drawn (the seal is placed by them)."""
    width, height = A4
    texts = page_text(licence)
    value_x = 30 * mm + max(stringWidth(f"{label}：", font, 12) for label, _ in texts) + 2 * mm
    rows, y = [], height - 70 * mm
    for label, value in texts:
        lines = _wrap(value, font, 12, width - 30 * mm - value_x)
        rows.append(_Row(label, lines, value_x, y))
        y -= len(lines) * 7 * mm + 2 * mm
    return rows


SEAL_TITLE = "行政许可专用章"
# The seal stays clear of the QR code (drawn from QR_LEFT rightwards), so that it never hides modules:
QR_LEFT = A4[0] - 80 * mm


def licence_seal(licence: Licence) -> Seal:
    """The issuing authority's seal over the issuer and issue-date lines, as a Chinese licence is stamped.

    The seal is the appearance of the licence's PAdES signature (lib.signing.sign_pdf); its
    title is the type's ``layout["seal_title"]``, 行政许可专用章 unless the type says otherwise.
    """
    font = cjk_font()
    rows = {row.label: row for row in _rows(licence, font)}
    issuer, issued = rows["颁发机构"], rows["颁发日期"]
    seal = Seal(licence.issuer_name, str(licence.licence_type.layout.get("seal_title") or SEAL_TITLE), (0, 0))
    name_width = max(stringWidth(line, font, 12) for line in issuer.lines)
    x = min(issuer.x + name_width / 2, QR_LEFT - seal.diameter / 2 - 2 * mm)
    y = (issuer.y + issued.y) / 2 + 2 * mm
    return Seal(seal.authority, seal.title, (x, y))


def render_licence(licence: Licence, annotation: Annotation | None = None) -> bytes:
    """An unsigned PDF of the licence (with a 加注件's watermark and footer if given); the caller signs it."""
    check_printable(licence)
    font = cjk_font()
    if annotation is not None:
        refuse_missing_glyphs(annotation.text())
    width, height = A4
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, pageCompression=1)
    pdf.setTitle(f"{licence.licence_type.name} {licence.number}{'（加注件）' if annotation else ''}")
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
    for row in _rows(licence, font):
        pdf.drawString(30 * mm, row.y, f"{row.label}：")
        for n, line in enumerate(row.lines):
            pdf.drawString(row.x, row.y - n * 7 * mm, line)
    # A 加注件's code leads to the copy's own check (its purpose and expiry), the licence's to the licence's:
    qr = annotation.verify_url if annotation is not None else licence_qr_content(licence)
    _draw_qr(pdf, qr, QR_LEFT, 42 * mm, 55 * mm)
    if annotation is not None:
        # The copy's own lines, left of the QR code and above the identifier:
        pdf.setFont(font, 9)
        y = 92 * mm
        for text in annotation.footer:
            for line in _wrap(text, font, 9, width - 115 * mm):
                pdf.drawString(30 * mm, y, line)
                y -= 5 * mm
    pdf.setFont(font, 8)
    if annotation is not None:
        pdf.drawString(30 * mm, 35 * mm, f"核验加注件：{annotation.verify_url}")
    pdf.drawString(30 * mm, 30 * mm, f"证照标识：{licence.identifier}")
    pdf.drawString(30 * mm, 25 * mm, f"核验：{public_url('/verify/')}")
    if annotation is not None:
        # Drawn last, over everything, so that it cannot be taken off without changing the signed page:
        _draw_watermark(pdf, annotation.watermark, font, width, height)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
