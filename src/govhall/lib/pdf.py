"""PDF helpers: the embedded CJK font every generated document uses, and the bureau's round seal."""

from __future__ import annotations

import io
import math
from functools import cache
from typing import Any

from pypdf import PdfReader
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from django.conf import settings

FONT = "GovhallCJK"


@cache
def cjk_font() -> str:
    """Register the configured TrueType CJK font once per process and return its name."""
    pdfmetrics.registerFont(TTFont(FONT, settings.CJK_FONT_PATH, subfontIndex=0))
    return FONT


def missing_glyphs(text: str) -> list[str]:
    """The characters of ``text`` the embedded font cannot draw (rare characters in names)."""
    face = pdfmetrics.getFont(cjk_font()).face
    return sorted({c for c in text if c.isprintable() and not c.isspace() and ord(c) not in face.charToGlyph})


# The red of official seals, and the geometry of a round seal of a state organ (国发〔1999〕25号:
# 4.2 cm across, a five-pointed star in the middle, the organ's name along the rim from the left):
SEAL_RED = (0.86, 0.08, 0.08)
SEAL_DIAMETER = 42 * mm


def draw_seal(pdf: canvas.Canvas, cx: float, cy: float, authority: str, title: str, diameter: float) -> None:
    """A red round seal centred at (cx, cy): rim, ``authority`` along the upper arc, a star, ``title`` below.

    Drawn slightly translucent, as ink lets the printed text under a seal show through.
    """
    font = cjk_font()
    radius = diameter / 2
    pdf.saveState()
    pdf.setStrokeColorRGB(*SEAL_RED)
    pdf.setFillColorRGB(*SEAL_RED)
    pdf.setFillAlpha(0.85)
    pdf.setStrokeAlpha(0.85)
    pdf.setLineWidth(diameter * 0.028)
    pdf.circle(cx, cy, radius - diameter * 0.014, stroke=1, fill=0)
    # The name: upright characters whose tops face the rim, spread over at most 230° of the
    # circle, left to right clockwise, squeezed to 80 % width as engraved seal lettering is:
    chars = list(authority)
    size = min(diameter * 0.14, (radius * 0.78) * math.radians(230) / max(len(chars), 1) / 0.95)
    text_radius = radius * 0.9 - size
    span = min(math.radians(230), len(chars) * size * 0.95 / text_radius)
    step = span / max(len(chars) - 1, 1)
    start = math.pi / 2 + span / 2 if len(chars) > 1 else math.pi / 2
    for n, char in enumerate(chars):
        angle = start - n * step
        pdf.saveState()
        pdf.translate(cx + text_radius * math.cos(angle), cy + text_radius * math.sin(angle))
        pdf.rotate(math.degrees(angle) - 90)
        pdf.scale(0.8, 1)
        pdf.setFont(font, size)
        pdf.drawCentredString(0, 0, char)
        pdf.restoreState()
    star = radius * 0.32
    points = [
        (
            cx + (star if k % 2 == 0 else star * 0.382) * math.cos(math.pi / 2 + k * math.pi / 5),
            cy + (star if k % 2 == 0 else star * 0.382) * math.sin(math.pi / 2 + k * math.pi / 5),
        )
        for k in range(10)
    ]
    path = pdf.beginPath()
    path.moveTo(*points[0])
    for point in points[1:]:
        path.lineTo(*point)
    path.close()
    pdf.drawPath(path, stroke=0, fill=1)
    title_size = min(diameter * 0.085, radius * 1.0 / max(len(title), 1))
    pdf.setFont(font, title_size)
    pdf.drawCentredString(cx, cy - radius * 0.6, title)
    pdf.restoreState()


def seal_pdf(authority: str, title: str, diameter: float = SEAL_DIAMETER) -> bytes:
    """A page just the size of the seal, holding it: what a signature shows as its appearance."""
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=(diameter, diameter), pageCompression=1)
    draw_seal(pdf, diameter / 2, diameter / 2, authority, title, diameter)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _width(text: str, font: Any, size: float) -> float:
    """The width of ``text`` in a page's font: one of the standard fonts by its name, else our CJK font."""
    base = str((font or {}).get("/BaseFont", "")).lstrip("/")
    name = base.partition("+")[2] or base  # an embedded subset is named "ABCDEF+Name"
    try:
        return stringWidth(text, name, size)
    except KeyError:
        return stringWidth(text, cjk_font(), size)


def find_line(pdf: bytes, text: str) -> tuple[int, float, float] | None:
    """Where the last line reading exactly ``text`` is drawn: (page index, centre x, baseline y), or None.

    For a document laid out by flowing paragraphs (a notice), whose lines are known only
    once it is drawn; the seal is then put over the line that names the authority.
    """
    reader = PdfReader(io.BytesIO(pdf))
    found: tuple[int, float, float] | None = None
    for index, page in enumerate(reader.pages):
        hits: list[tuple[float, float]] = []

        def visit(chunk: str, cm: list[float], tm: list[float], font: Any, size: float, hits: list[Any] = hits) -> None:
            if chunk.strip() == text:
                width = _width(text, font, size * tm[0]) * cm[0]
                hits.append((cm[4] + tm[4] * cm[0] + width / 2, cm[5] + tm[5] * cm[3]))

        page.extract_text(visitor_text=visit)
        if hits:
            found = (index, *hits[-1])
    return found
