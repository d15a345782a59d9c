"""Pieces of pages built once per process: filter options and fixed links."""

from __future__ import annotations

from django.urls import reverse, set_script_prefix
from django.utils import translation
from django.utils.translation import gettext_lazy

from govhall.lib.html import select_options
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
