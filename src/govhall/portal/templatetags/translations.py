"""``{% load i18n %}`` as Django's, with a constant ``{% translate "…" %}`` worked out once per language.

The settings load this library under the name ``i18n`` (TEMPLATES ``libraries``), so templates,
``makemessages`` and translators see Django's own tags. Every other tag and filter is Django's.

Why: the frame alone carries ~30 constant ``{% translate %}`` tags, and Django's tag makes a
lazy string, resolves it, looks the catalog up, localizes and escapes it on every render
(~7 µs each here): a quarter of rendering the verification page, the busiest public page. The
text of a constant message depends only on the language, the catalogs, its context and the
escaping, so it is kept under those until the catalogs or the language settings change.
A message with a variable or a filter goes through Django's tag as before.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django import template
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template.base import FilterExpression, Parser, Token
from django.template.context import Context
from django.templatetags import i18n as django_i18n
from django.utils import autoreload
from django.utils.translation import get_language

register = template.Library()
register.tags.update(django_i18n.register.tags)
register.filters.update(django_i18n.register.filters)

# (language, message, its context, noop, autoescape) -> the rendered text; bounded by the
# templates' constant messages times the languages:
_rendered: dict[tuple[str | None, str, str | None, bool, bool], str] = {}


class ConstantTranslateNode(django_i18n.TranslateNode):
    """A ``{% translate %}`` of a constant message (and constant context): rendered by Django once per key."""

    def __init__(self, node: django_i18n.TranslateNode, message: str, message_context: str | None) -> None:
        super().__init__(node.filter_expression, node.noop, node.asvar, node.message_context)
        self.message, self.context_text = message, message_context

    def render(self, context: Context) -> str:
        key = (get_language(), self.message, self.context_text, self.noop, bool(context.autoescape))
        try:
            value = _rendered[key]
        except KeyError:
            value = super().render(context)
            if self.asvar:
                value = context[self.asvar]
            _rendered[key] = value
        if self.asvar:
            context[self.asvar] = value
            return ""
        return value


def _constant(expression: FilterExpression | None) -> str | None:
    """The text of an expression that is a bare string literal, else None."""
    if expression is None or expression.filters:
        return None
    literal = getattr(expression.var, "literal", expression.var)  # a Variable, or the resolved literal
    return literal if isinstance(literal, str) else None


@register.tag("translate")
@register.tag("trans")
def do_translate(parser: Parser, token: Token) -> django_i18n.TranslateNode:
    node: django_i18n.TranslateNode = django_i18n.do_translate(parser, token)
    message = _constant(node.filter_expression)
    message_context = _constant(node.message_context)
    if message is None or (node.message_context is not None and message_context is None):
        return node
    return ConstantTranslateNode(node, message, message_context)


@receiver(setting_changed)
def _settings_changed(*, setting: str, **kwargs: Any) -> None:
    if setting in {"LANGUAGES", "LANGUAGE_CODE", "LOCALE_PATHS", "USE_I18N", "INSTALLED_APPS"}:
        _rendered.clear()


@receiver(autoreload.file_changed)
def _catalog_changed(*, file_path: Path, **kwargs: Any) -> None:
    # The development server reloads a changed catalog (.mo) without restarting; so do we.
    if file_path.suffix == ".mo":
        _rendered.clear()
