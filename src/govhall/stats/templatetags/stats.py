"""``{{ value|rate }}``: a rate as the reports print it, "—" where there was nothing to count."""

from __future__ import annotations

from django import template

from govhall.stats.documents import percent

register = template.Library()


@register.filter
def rate(value: float | None) -> str:
    return percent(value)
