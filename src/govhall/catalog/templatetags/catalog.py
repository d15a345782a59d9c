from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

register = template.Library()


@register.filter
def lookup(mapping: dict[str, Any], key: str) -> Any:
    return mapping.get(key, key) if mapping else key


@register.simple_tag
def limit(days: int, unit: str) -> str:
    """A time limit as people say it: 20个工作日, 15个自然日, 即办."""
    if unit == "3":
        return _("即办")
    if unit == "2":
        return ngettext("%(days)d个自然日", "%(days)d个自然日", days) % {"days": days}
    return ngettext("%(days)d个工作日", "%(days)d个工作日", days) % {"days": days}


@register.filter
def percent(value: float) -> str:
    return f"{value * 100:.0f}%"
