"""Filters for the wording of case pages."""

from __future__ import annotations

from django import template

from govhall.cases.messages import clause as _clause

register = template.Library()


@register.filter
def clause(text: str) -> str:
    """Free text (a reason, a legal basis) without its closing punctuation, to stand inside a sentence."""
    return _clause(str(text or ""))
