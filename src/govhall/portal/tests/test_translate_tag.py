"""``{% translate %}`` of a constant message, kept per language, says exactly what Django's own tag says."""

from __future__ import annotations

from pathlib import Path

import pytest

from django.template import Context, Engine, Template
from django.template.backends.django import get_installed_libraries
from django.test import override_settings
from django.utils import translation

from govhall.portal.templatetags import translations

SOURCE = """{% load i18n %}<p title="{% translate 'Log out' %}">{% translate "退出" %}</p>
{% translate "有效" as valid %}[{{ valid }}]{% translate "有效" noop %}
{% translate "May" context "month name" %}|{% translate "May" %}|{% translate word %}|{% translate "退出"|upper %}
{% autoescape off %}{% translate "a < b" %}{% endautoescape %}|{% translate "a < b" %}"""

TEMPLATES = Path(translations.__file__).resolve().parents[2]


def _engine(*, ours: bool) -> Engine:
    library = "govhall.portal.templatetags.translations" if ours else "django.templatetags.i18n"
    return Engine(libraries={"i18n": library})


def _render(engine: Engine, source: str, language: str, **values: object) -> str:
    with translation.override(language):
        return engine.from_string(source).render(Context(values))


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_text_is_djangos_in_each_language_twice_over(language: str) -> None:
    ours, django = _engine(ours=True), _engine(ours=False)
    template = ours.from_string(SOURCE)
    expected = _render(django, SOURCE, language, word="退出")
    with translation.override(language):
        first = template.render(Context({"word": "退出"}))
        again = template.render(Context({"word": "有效"}))
    assert first == expected
    # Kept per language: the same node answers the other language correctly afterwards…
    other = "en" if language == "zh-hans" else "zh-hans"
    with translation.override(other):
        assert template.render(Context({"word": "退出"})) == _render(django, SOURCE, other, word="退出")
    # …and a variable is still looked up on each render:
    assert again == _render(django, SOURCE, language, word="有效") != expected


def test_english_is_english_as_a_variable_a_noop_and_with_a_filter() -> None:
    text = _render(_engine(ours=True), SOURCE, "en", word="退出")
    assert '<p title="Log out">Log out</p>' in text
    assert "[Active]有效" in text and "|Log out|LOG OUT" in text
    # A literal in a template is the template's own text, trusted as Django trusts it:
    assert text.endswith("a < b|a < b")


def test_only_constant_messages_are_kept() -> None:
    template = Template('{% load i18n %}{% translate "退出" %}{% translate word %}{% translate "退出"|upper %}')
    kinds = [type(node).__name__ for node in template.nodelist if not type(node).__name__.startswith("Load")]
    assert kinds == ["ConstantTranslateNode", "TranslateNode", "TranslateNode"]


def test_every_page_of_the_platform_renders_as_with_djangos_tag() -> None:
    """Each template's constant messages, in both languages, through both libraries (no context: the
    tags are compared, not the pages' data)."""
    sources = [p for p in TEMPLATES.glob("*/templates/**/*.html") if "{% translate" in p.read_text()]
    assert len(sources) > 20
    ours, django = _engine(ours=True), _engine(ours=False)
    for path in sources:
        # The constant tags alone, so that the pages' own tags and data do not come into it:
        lines = [line for line in path.read_text().splitlines() if '{% translate "' in line]
        tags = "".join(
            piece[: piece.index("%}") + 2]
            for line in lines
            for piece in ("{% translate " + part for part in line.split("{% translate ")[1:])
            if piece.startswith('{% translate "')
        )
        source = "{% load i18n %}" + tags
        for language in ("zh-hans", "en"):
            assert _render(ours, source, language) == _render(django, source, language), path


def test_a_changed_language_setting_forgets_what_was_kept() -> None:
    translations._rendered[("xx", "退出", None, False, True)] = "stale"
    with override_settings(LANGUAGE_CODE="en"):
        assert translations._rendered == {}


def test_the_settings_load_this_library_as_i18n() -> None:
    from django.template import engines

    engine = engines["django"].engine  # type: ignore[attr-defined]
    assert engine.template_libraries["i18n"] is translations.register
    assert get_installed_libraries()["i18n"] == "django.templatetags.i18n"


def test_no_other_tag_library_name_is_taken_twice() -> None:
    """What Django's check templates.W003 looked for, which the settings silence for i18n alone."""
    from collections import defaultdict

    from django.template import engines
    from django.template.backends.django import get_template_tag_modules

    modules: dict[str, set[str]] = defaultdict(set)
    for name, path in [*get_template_tag_modules(), *engines["django"].engine.libraries.items()]:  # type: ignore[attr-defined]
        modules[name].add(path)
    assert {name for name, paths in modules.items() if len(paths) > 1} == {"i18n"}
