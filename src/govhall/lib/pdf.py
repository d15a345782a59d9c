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
