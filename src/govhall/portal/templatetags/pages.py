"""Tags for what many pages show on every request, worked out once per process (``{% load pages %}``).

``{% page_url 'app:name' arg … %}`` is ``{% url %}`` for links that do not depend on the
request (the frame's menu, a form's action); ``{% select_options choices selected %}`` the
``<option>`` elements of a filter.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import template
from django.utils.safestring import SafeString

from govhall.lib.html import select_options as _select_options
from govhall.lib.urls import page_url as _page_url

register = template.Library()


@register.simple_tag
def page_url(viewname: str, *args: Any) -> str:
    return _page_url(viewname, *args)


@register.simple_tag
def select_options(choices: Iterable[tuple[Any, Any]], selected: Any) -> SafeString:
    return _select_options(choices, selected)
