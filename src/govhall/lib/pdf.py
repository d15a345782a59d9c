"""PDF helpers: the embedded CJK font every generated document uses."""

from __future__ import annotations

from functools import cache

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

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
