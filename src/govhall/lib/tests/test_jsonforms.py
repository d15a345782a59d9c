"""An item's JSON Schema becomes an accessible form, validated on the server."""

from __future__ import annotations

from govhall.lib.jsonforms import build_form, validate_answers

SCHEMA = {
    "type": "object",
    "properties": {
        "volume": {"type": "number", "title": "采伐蓄积（立方米）", "minimum": 0},
        "location": {"type": "string", "title": "采伐地点", "maxLength": 100},
        "species": {"type": "string", "title": "树种", "enum": ["马尾松", "杉木", "桉树"]},
        "start": {"type": "string", "format": "date", "title": "计划开始日期"},
        "agree": {"type": "boolean", "title": "承诺所填信息真实"},
    },
    "required": ["location", "volume"],
}
UI = {"ui:order": ["location", "species", "volume"], "location": {"ui:help": "写到村、小班", "ui:widget": "textarea"}}


def test_the_form_follows_the_ui_order_with_chinese_labels_and_help() -> None:
    form = build_form(SCHEMA, UI)
    assert list(form.fields) == ["location", "species", "volume", "start", "agree"]
    assert form.fields["location"].label == "采伐地点"
    assert form.fields["location"].help_text == "写到村、小班"
    assert form.fields["location"].required and not form.fields["species"].required
    html = form.as_div()
    assert '<label for="id_location">采伐地点' in html
    assert 'aria-describedby="id_location_helptext"' in html
    assert 'type="date"' in html


def test_the_form_refuses_bad_answers() -> None:
    form = build_form(SCHEMA, UI, data={"location": "", "volume": "-3", "species": "橡树"})
    assert not form.is_valid()
    assert set(form.errors) == {"location", "volume", "species"}


def test_the_server_validates_answers_against_the_schema() -> None:
    errors = validate_answers(SCHEMA, {"volume": -1, "species": "橡树"})
    assert set(errors) == {"location", "volume", "species"}
    assert validate_answers(SCHEMA, {"location": "东孚镇", "volume": 12.5}) == {}


def test_the_server_names_each_missing_field_once_in_the_user_s_language() -> None:
    from django.utils import translation

    with translation.override("zh-hans"):
        errors = validate_answers(SCHEMA, {"volume": -1})
    assert errors["location"] == ["此项为必填项。"]
    assert errors["volume"] == ["不能小于 0。"]
    with translation.override("en"):
        errors = validate_answers(SCHEMA, {})
    assert errors == {"location": ["This field is required."], "volume": ["This field is required."]}
