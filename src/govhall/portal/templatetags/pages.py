"""Tags for what many pages show on every request, worked out once per process (``{% load pages %}``).

``{% page_url 'app:name' arg … %}`` is ``{% url %}`` for links that do not depend on the
request (the frame's menu, a form's action); ``{% select_options choices selected %}`` the
``<option>`` elements of a filter; ``{% kept key … %}…{% endkept %}`` a piece of the frame
rendered once per process for each combination of its keys, with ``{% hole %}`` for what is
per request.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django import template
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template import TemplateSyntaxError
from django.template.base import FilterExpression, NodeList, Parser, Token
from django.template.context import Context
from django.template.defaulttags import CsrfTokenNode, ForNode, WithNode
from django.template.loader_tags import BlockNode
from django.urls import get_script_prefix
from django.utils import autoreload
from django.utils.safestring import SafeString
from django.utils.translation import get_language

from govhall.lib.html import select_options as _select_options
from govhall.lib.urls import page_url as _page_url

register = template.Library()


@register.simple_tag
def page_url(viewname: str, *args: Any) -> str:
    return _page_url(viewname, *args)


@register.simple_tag
def select_options(choices: Iterable[tuple[Any, Any]], selected: Any) -> SafeString:
    return _select_options(choices, selected)


# ``{% kept key … %}…{% endkept %}`` ---------------------------------------------------------------
#
# The frame (header, menu, footer) is the same text for every page and every visitor with the
# same surface, language, text size and kind of account; Django's engine nevertheless walks its
# ~40 nodes on every render: 1.6 ms alone, most of the verification page's 1.7–2.0 ms
# (2026-12-03; kept: 0.66 ms, the page 1.2–1.3 ms). A kept block is rendered once per process
# for each combination of its keys (the language, the script prefix and the escaping always
# among them) and then only joined. Anything that differs between two visitors with the same
# keys (a CSRF token, the page's own address, a name) goes into a ``{% hole %}…{% endhole %}``,
# rendered on every request as usual.

_HOLE = re.compile("\x00kept-hole-(\\d+)\x00")
_RECORDING = "govhall.kept.recording"
# Combinations kept per block before it starts again: a key that is not a small set of values
# (a user's id, say) is a template bug, and must not grow a process without bound:
KEPT_PER_BLOCK = 64
_generation = 0


@receiver(setting_changed)
def _forget_kept(**kwargs: Any) -> None:
    global _generation
    _generation += 1


@receiver(autoreload.file_changed)
def _catalog_changed(*, file_path: Path, **kwargs: Any) -> None:
    if file_path.suffix == ".mo":  # the development server reloads translations in place
        _forget_kept()


class HoleNode(template.Node):
    """The per-request part of a kept block: rendered on every request, in the block's context.

    It sees what the page's context holds (the request, the user, the view's values), not
    names that tags inside the kept block bind, so it may not stand in their ``{% for %}`` or
    ``{% with %}`` (refused when the template is read).
    """

    def __init__(self, nodelist: NodeList) -> None:
        self.nodelist = nodelist

    def render(self, context: Context) -> str:
        holes = context.render_context.get(_RECORDING)
        if holes is not None and self in holes:
            return f"\x00kept-hole-{holes.index(self)}\x00"
        return self.nodelist.render(context)


class KeptNode(template.Node):
    # Not walked by ``{% extends %}`` looking for blocks on every render (there are none inside):
    child_nodelists = ()

    def __init__(self, nodelist: NodeList, keys: list[FilterExpression]) -> None:
        self.nodelist, self.keys = nodelist, keys
        self.holes = [node for node in nodelist.get_nodes_by_type(HoleNode) if isinstance(node, HoleNode)]
        self._kept: dict[tuple[Any, ...], list[str | HoleNode]] = {}

    def render(self, context: Context) -> SafeString:
        key = (
            _generation,
            get_language(),
            get_script_prefix(),
            context.autoescape,
            *(k.resolve(context) for k in self.keys),
        )
        parts = self._kept.get(key)
        if parts is None:
            parts = self._record(context)
            if len(self._kept) >= KEPT_PER_BLOCK:
                self._kept.clear()
            self._kept[key] = parts
        return SafeString("".join(p if isinstance(p, str) else p.nodelist.render(context) for p in parts))

    def _record(self, context: Context) -> list[str | HoleNode]:
        with context.render_context.push({_RECORDING: self.holes}):
            text = self.nodelist.render(context)
        pieces = _HOLE.split(text)  # text, hole number, text, hole number, …, text
        return [piece if i % 2 == 0 else self.holes[int(piece)] for i, piece in enumerate(pieces) if piece]


@register.tag("hole")
def do_hole(parser: Parser, token: Token) -> HoleNode:
    nodelist = parser.parse(("endhole",))
    parser.delete_first_token()
    return HoleNode(nodelist)


@register.tag("kept")
def do_kept(parser: Parser, token: Token) -> KeptNode:
    """``{% kept surface user.is_authenticated … %}…{% endkept %}``: the keys are what the text depends on."""
    keys = [parser.compile_filter(bit) for bit in token.split_contents()[1:]]
    nodelist = parser.parse(("endkept",))
    parser.delete_first_token()
    node = KeptNode(nodelist, keys)
    # What would be wrong for the next visitor is refused when the template is read, not found in production:
    if nodelist.get_nodes_by_type(KeptNode):  # its holes would be kept with the outer block's text
        raise TemplateSyntaxError("{% kept %} inside {% kept %}")
    if nodelist.get_nodes_by_type(BlockNode):
        raise TemplateSyntaxError("{% block %} inside {% kept %}: a page overriding it would be kept for all pages")
    outside = len(nodelist.get_nodes_by_type(CsrfTokenNode)) - sum(
        len(hole.nodelist.get_nodes_by_type(CsrfTokenNode)) for hole in node.holes
    )
    if outside:
        raise TemplateSyntaxError("{% csrf_token %} inside {% kept %} must be in a {% hole %}: it is per visitor")
    # A hole is rendered in the kept block's own context, after the block: inside a loop or a
    # {% with %} it would not see the names they bind (and a loop's holes would all be its last):
    for scope in nodelist.get_nodes_by_type(ForNode) + nodelist.get_nodes_by_type(WithNode):
        if any(inner.get_nodes_by_type(HoleNode) for inner in (getattr(scope, n) for n in scope.child_nodelists)):
            raise TemplateSyntaxError("{% hole %} inside a {% for %} or {% with %} of a {% kept %} block")
    return node
