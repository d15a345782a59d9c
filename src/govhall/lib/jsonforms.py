"""Render an item's application form from its JSON Schema and UI description.

The schema says what is valid (and the server validates with the ``jsonschema`` library);
the UI description (``ui:order``, and per field ``ui:help``, ``ui:widget``,
``ui:placeholder``) says how to show it. The result is an ordinary Django form, so labels,
help text and errors are rendered accessibly by the shared form template.
"""

from __future__ import annotations

from typing import Any

from jsonschema import Draft202012Validator

from django import forms
from django.utils.translation import gettext as _

from govhall.lib.forms import Form


def _field(name: str, spec: dict[str, Any], ui: dict[str, Any], required: bool) -> forms.Field:
    label = spec.get("title") or name
    help_text = ui.get("ui:help") or spec.get("description") or ""
    common: dict[str, Any] = {"label": label, "help_text": help_text, "required": required}
    kind = spec.get("type")
    widget = ui.get("ui:widget")
    attrs = {"placeholder": ui["ui:placeholder"]} if ui.get("ui:placeholder") else {}
    if "enum" in spec:
        # An empty first choice, so nobody submits the first option without choosing it:
        choices = [("", "—"), *[(value, str(value)) for value in spec["enum"]]]
        if widget == "radio":
            return forms.ChoiceField(choices=choices, widget=forms.RadioSelect, **common)
        kind_of_value = type(spec["enum"][0])
        return forms.TypedChoiceField(
            choices=choices, coerce=lambda value: kind_of_value(value), empty_value=None, **common
        )
    if kind == "array" and isinstance(spec.get("items"), dict) and "enum" in spec["items"]:
        choices = [(value, str(value)) for value in spec["items"]["enum"]]
        return forms.MultipleChoiceField(choices=choices, widget=forms.CheckboxSelectMultiple, **common)
    if kind == "boolean":
        return forms.BooleanField(**common)
    if kind == "integer":
        return forms.IntegerField(
            min_value=spec.get("minimum"), max_value=spec.get("maximum"), widget=forms.NumberInput(attrs), **common
        )
    if kind == "number":
        return forms.DecimalField(
            min_value=spec.get("minimum"), max_value=spec.get("maximum"), widget=forms.NumberInput(attrs), **common
        )
    if spec.get("format") == "date" or widget == "date":
        return forms.DateField(widget=forms.DateInput(attrs={**attrs, "type": "date"}), **common)
    if spec.get("format") == "email":
        return forms.EmailField(max_length=spec.get("maxLength"), widget=forms.EmailInput(attrs), **common)
    text_widget = forms.Textarea(attrs={**attrs, "rows": 4}) if widget == "textarea" else forms.TextInput(attrs)
    return forms.CharField(
        max_length=spec.get("maxLength"), min_length=spec.get("minLength"), widget=text_widget, **common
    )


def build_form(schema: dict[str, Any], ui: dict[str, Any] | None = None, data: Any = None) -> Form:
    """A Django form for ``schema`` in the order of ``ui:order`` (then the schema's own order)."""
    ui = ui or {}
    properties: dict[str, Any] = schema.get("properties", {})
    required = set(schema.get("required", []))
    order = [name for name in ui.get("ui:order", []) if name in properties]
    order += [name for name in properties if name not in order]
    form = Form(data)
    for name in order:
        form.fields[name] = _field(name, properties[name], ui.get(name, {}), name in required)
    return form


def validate_answers(schema: dict[str, Any], answers: dict[str, Any]) -> dict[str, list[str]]:
    """Validate answers against the schema on the server; return messages per field, in the user's language.

    jsonschema reports each missing property as its own "required" error (carrying the whole
    required list), so a missing field is named once; the usual checks are said as the form
    would say them, and anything rarer keeps jsonschema's own words.
    """
    errors: dict[str, list[str]] = {}
    for error in Draft202012Validator(schema).iter_errors(answers):
        if error.validator == "required":
            reported = errors.keys()
            missing = [n for n in error.validator_value if n not in error.instance and n not in reported]
            if missing:
                errors[missing[0]] = [_("此项为必填项。")]
            continue
        field = str(error.path[0]) if error.path else ""
        errors.setdefault(field, []).append(_message(error.validator, error.validator_value, error.message))
    return errors


def _message(check: Any, limit: Any, fallback: str) -> str:
    if check == "minimum":
        return _("不能小于 %(limit)s。") % {"limit": limit}
    if check == "maximum":
        return _("不能大于 %(limit)s。") % {"limit": limit}
    if check == "maxLength":
        return _("不能超过 %(limit)s 个字。") % {"limit": limit}
    if check == "minLength":
        return _("至少 %(limit)s 个字。") % {"limit": limit}
    if check == "enum":
        return _("请从给出的选项中选择。")
    if check == "type":
        return _("填写的内容类型不对。")
    if check == "format":
        return _("格式不正确。")
    return fallback
