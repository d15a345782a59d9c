"""Pieces of pages built once per process or faster than the template: filter options, fixed links, table rows."""

from __future__ import annotations

from django.urls import reverse, set_script_prefix
from django.utils import translation
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy

from govhall.lib.html import html_rows, select_options
from govhall.lib.urls import page_url


def test_options_mark_the_chosen_value_and_escape_what_they_show() -> None:
    html = select_options([("a&b", "<甲>"), ("c", "乙")], "c")
    assert html == '<option value="a&amp;b">&lt;甲&gt;</option><option value="c" selected>乙</option>'


def test_options_with_translated_labels_follow_the_language_of_each_request() -> None:
    choices = [("submitted", gettext_lazy("待受理"))]
    with translation.override("zh-hans"):
        assert select_options(choices, "") == '<option value="submitted">待受理</option>'
    with translation.override("en"):
        english = select_options(choices, "")
    assert english != '<option value="submitted">待受理</option>'
    assert english.startswith('<option value="submitted">') and "待" not in english


def test_a_fixed_link_is_what_reverse_gives_and_follows_the_script_prefix() -> None:
    assert page_url("licences:status_list", "revocation") == reverse("licences:status_list", args=["revocation"])
    set_script_prefix("/hall/")
    try:
        assert page_url("portal:home") == "/hall/"
    finally:
        set_script_prefix("/")
    assert page_url("portal:home") == "/"


def test_rows_escape_every_cell_as_django_does_and_show_html_handed_in_as_text() -> None:
    cells = ['<script>alert("x")</script>', "a & b 'c'", mark_safe("<b>bold</b>"), 42]
    html = html_rows('<tr><td title="{}">{}</td><td>{}</td><td>{}</td></tr>', [cells, ["甲", "乙", "丙", ""]])
    assert isinstance(html, SafeString)
    assert html == (
        f'<tr><td title="{escape(cells[0])}">{escape(cells[1])}</td><td>&lt;b&gt;bold&lt;/b&gt;</td><td>42</td></tr>'
        '<tr><td title="甲">乙</td><td>丙</td><td></td></tr>'
    )
    assert "<script>" not in html and "&lt;script&gt;alert(&quot;x&quot;)" in html and "&#x27;c&#x27;" in html
    assert html_rows("<tr>{}</tr>", []) == ""


def test_rows_read_translated_cells_in_the_language_of_the_request() -> None:
    rows = [[gettext_lazy("待受理")]]
    with translation.override("zh-hans"):
        assert html_rows("<td>{}</td>", rows) == "<td>待受理</td>"
    with translation.override("en"):
        assert "待" not in html_rows("<td>{}</td>", rows)
