"""An item's JSON Schema becomes an accessible form, validated on the server in the user's language."""

from __future__ import annotations

from typing import Any

import pytest

from django.http import QueryDict
from django.utils import translation

from govhall.lib.jsonforms import answers_of, build_form, validate_answers, with_known_answers

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
PHONE_HINT = {"zh-hans": "请填写正确的手机号或座机号码", "en": "Enter a valid mobile or landline number"}
PHONE = r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$"


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


def test_the_server_names_each_missing_field_once_by_its_label() -> None:
    with translation.override("zh-hans"):
        errors = validate_answers(SCHEMA, {"volume": -1})
    assert errors == {"location": ["请填写“采伐地点”。"], "volume": ["“采伐蓄积（立方米）”不能小于 0。"]}
    with translation.override("en"):
        errors = validate_answers(SCHEMA, {})
    assert errors == {"location": ["Fill in “采伐地点”."], "volume": ["Fill in “采伐蓄积（立方米）”."]}


# Each check of JSON Schema an item's form uses, with the sentence the applicant reads, in
# Chinese and in English: (the field's schema, the answer, Chinese, English).
MESSAGES: list[tuple[dict[str, Any], Any, str, str]] = [
    ({"type": "string"}, None, "请填写“字段”。", "Fill in “字段”."),
    ({"type": "string", "enum": ["甲", "乙"]}, None, "请选择“字段”。", "Choose “字段”."),
    ({"type": "boolean"}, None, "请选择“字段”。", "Choose “字段”."),
    ({"type": "number"}, "三", "“字段”请填写数字。", "“字段” must be a number."),
    ({"type": "integer"}, 2.5, "“字段”请填写整数。", "“字段” must be a whole number."),
    ({"type": "boolean"}, "是", "“字段”请选择是或否。", "“字段”: choose yes or no."),
    ({"type": "string"}, 12, "“字段”请填写文字。", "“字段” must be text."),
    (
        {"type": "array", "items": {"enum": ["甲"]}},
        "甲",
        "“字段”请从给出的选项中选择。",
        "“字段”: choose one of the options given.",
    ),
    (
        {"type": "array", "items": {"enum": ["甲"]}},
        ["丙"],
        "“字段”请从给出的选项中选择。",
        "“字段”: choose one of the options given.",
    ),
    (
        {"type": "string", "enum": ["甲", "乙"]},
        "丙",
        "“字段”请从给出的选项中选择。",
        "“字段”: choose one of the options given.",
    ),
    ({"type": "string", "minLength": 10}, "太短", "“字段”至少要写 10 个字。", "“字段” needs at least 10 characters."),
    ({"type": "string", "minLength": 1}, "", "“字段”至少要写 1 个字。", "“字段” needs at least 1 character."),
    (
        {"type": "string", "maxLength": 5},
        "东孚镇鼎美村",
        "“字段”不能超过 5 个字，现在是 6 个字。",
        "“字段” can have at most 5 characters; it now has 6.",
    ),
    ({"type": "number", "minimum": 1}, 0, "“字段”不能小于 1。", "“字段” cannot be less than 1."),
    ({"type": "number", "maximum": 100}, 101, "“字段”不能大于 100。", "“字段” cannot be more than 100."),
    ({"type": "number", "exclusiveMinimum": 0}, 0, "“字段”必须大于 0。", "“字段” must be more than 0."),
    ({"type": "number", "exclusiveMaximum": 10}, 10, "“字段”必须小于 10。", "“字段” must be less than 10."),
    (
        {"type": "string", "format": "date"},
        "2026-13-45",
        "“字段”请填写有效的日期，如 2026-12-04。",
        "“字段” must be a real date, such as 2026-12-04.",
    ),
    (
        {"type": "string", "format": "email"},
        "某人",
        "“字段”请填写有效的电子邮箱地址。",
        "“字段” must be a valid email address.",
    ),
    (
        {"type": "string", "pattern": PHONE, "x-hint": PHONE_HINT},
        "0592-12",
        "请填写正确的手机号或座机号码",
        "Enter a valid mobile or landline number",
    ),
    # A hint in one language only serves every language rather than none:
    ({"type": "string", "pattern": "^A", "x-hint": "请以字母 A 开头"}, "B", "请以字母 A 开头", "请以字母 A 开头"),
    (
        {"type": "string", "pattern": PHONE},
        "12345",
        "“字段”的格式不正确，请按填写说明填写。",
        "“字段” is not in the right form. Please follow the note on filling it in.",
    ),
    (
        {"type": "number", "multipleOf": 0.5},
        0.3,
        "“字段”填写的内容不符合要求，请按填写说明填写。",
        "“字段” does not meet the requirements. Please follow the note on filling it in.",
    ),
]


@pytest.mark.parametrize(("spec", "answer", "chinese", "english"), MESSAGES)
def test_every_check_is_said_in_a_sentence_that_names_the_field(
    spec: dict[str, Any], answer: Any, chinese: str, english: str
) -> None:
    schema = {"type": "object", "properties": {"field": {**spec, "title": "字段"}}, "required": ["field"]}
    answers = {} if answer is None else {"field": answer}
    with translation.override("zh-hans"):
        assert validate_answers(schema, answers) == {"field": [chinese]}
    with translation.override("en"):
        assert validate_answers(schema, answers) == {"field": [english]}


def test_a_regular_expression_is_never_shown() -> None:
    schema = {"type": "object", "properties": {"phone": {"type": "string", "title": "联系电话", "pattern": PHONE}}}
    for language in ("zh-hans", "en"):
        with translation.override(language):
            (message,) = validate_answers(schema, {"phone": "abc"})["phone"]
        assert "^" not in message and "\\d" not in message and "match" not in message


def test_a_field_the_form_cannot_read_reaches_the_schema_as_typed() -> None:
    form = build_form(
        SCHEMA, UI, data=QueryDict("location=东孚镇&volume=-3&species=橡树&start=2026-02-30", mutable=True)
    )
    form.is_valid()
    # -3 is a number the form itself refuses (its minimum); the schema says why, by its label:
    assert answers_of(form, SCHEMA) == {
        "location": "东孚镇",
        "volume": -3,
        "species": "橡树",
        "start": "2026-02-30",
        "agree": False,
    }
    with translation.override("zh-hans"):
        errors = validate_answers(SCHEMA, answers_of(form, SCHEMA))
    assert errors == {
        "volume": ["“采伐蓄积（立方米）”不能小于 0。"],
        "species": ["“树种”请从给出的选项中选择。"],
        "start": ["“计划开始日期”请填写有效的日期，如 2026-12-04。"],
    }
    words = build_form(SCHEMA, data=QueryDict("location=x&volume=十二", mutable=True))
    words.is_valid()
    assert answers_of(words, SCHEMA)["volume"] == "十二"


KNOWN = {
    "type": "object",
    "properties": {
        "applicant_name": {"type": "string", "title": "经营者名称", "x-source": "applicant_name"},
        "credit_code": {"type": "string", "title": "统一社会信用代码", "x-source": "credit_code"},
    },
}


def test_what_the_platform_knows_is_shown_read_only_and_wins_over_a_posted_value() -> None:
    known = {"applicant_name": "绿源林业专业合作社", "credit_code": "93350205MA2Y4GL0XK"}
    html = build_form(KNOWN, known=known).as_div()
    assert 'value="绿源林业专业合作社"' in html and 'value="93350205MA2Y4GL0XK"' in html
    assert html.count("readonly") == 2
    posted = build_form(KNOWN, data=QueryDict("applicant_name=别人&credit_code=X", mutable=True), known=known)
    posted.is_valid()
    assert answers_of(posted, KNOWN) == known
    assert with_known_answers(KNOWN, {"applicant_name": "别人", "credit_code": "X"}, known) == known


def test_a_value_the_platform_does_not_know_is_typed_as_usual() -> None:
    # A person applying: the platform knows her name, but she has no credit code:
    form = build_form(KNOWN, known={"applicant_name": "陈爱丽"})
    assert form.fields["applicant_name"].widget.attrs.get("readonly")
    assert not form.fields["credit_code"].widget.attrs.get("readonly")
    assert with_known_answers(KNOWN, {"credit_code": "91350200MA2XYZ"}, {"applicant_name": "陈爱丽"}) == {
        "credit_code": "91350200MA2XYZ",
        "applicant_name": "陈爱丽",
    }


def test_help_sentences_follow_each_other_as_each_language_writes_them() -> None:
    from govhall.lib.jsonforms import sentences

    assert sentences("必要：PDF。", "", "载明取水水源。") == "必要：PDF。载明取水水源。"
    assert sentences("Required: PDF.", "State the source.") == "Required: PDF. State the source."
