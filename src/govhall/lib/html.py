"""Pieces of HTML that lists repeat: built once per process, or built faster than the template would."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from html import escape
from typing import Any

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString


def select_options(choices: Iterable[tuple[Any, Any]], selected: Any) -> SafeString:
    """The ``<option>`` elements of (value, label) ``choices``, with ``selected`` marked; escaped.

    A filter's options are the same on every request of a page (a status list, the items a
    clerk's units handle), but Django's templates spend ~35 µs on each (a list of 26 was a
    third of a page's rendering). Labels may be lazy translations: they are read in the
    request's language before the look-up, so each language gets its own.
    """
    return _options(tuple((str(value), str(label)) for value, label in choices), str(selected))


@functools.lru_cache(maxsize=1024)
def _options(choices: tuple[tuple[str, str], ...], selected: str) -> SafeString:
    return format_html_join(
        "",
        "{}",
        (
            (format_html('<option value="{}"{}>{}</option>', value, " selected" if value == selected else "", label),)
            for value, label in choices
        ),
    )


def html_rows(row: str, rows: Iterable[Iterable[Any]]) -> SafeString:
    """The rows of a table: ``row`` (a ``str.format`` pattern of one ``<tr>``) filled with each
    of ``rows``' cells, every cell escaped as Django's ``escape`` does; one string.

    A list page places nine values a row; Django's templates spent ~50 µs a row on it and
    ``format_html`` nearly as much (its escaping checks every value for lazy strings), this
    a few µs (the inbox's 25 rows: 1.6–1.8 → 0.8 ms, most of it the labels and addresses;
    2026-12-03). Cells are text: lazy translations are read in the request's language, and
    HTML handed in as a cell is shown as text, never interpreted.
    """
    return SafeString("".join(row.format(*(escape(str(cell)) for cell in cells)) for cells in rows))
