"""Render an item's application form from its JSON Schema and UI description, and judge the answers.

The schema says what is valid (and the server validates with the ``jsonschema`` library);
the UI description (``ui:order``, and per field ``ui:help``, ``ui:widget``,
``ui:placeholder``) says how to show it. The result is an ordinary Django form, so labels,
help text and errors are rendered accessibly by the shared form template.

Two keywords of our own, per property (JSON Schema ignores keywords it does not know, and the
``x-`` prefix marks them as extensions, as OpenAPI does):

``x-hint``
    What to tell the applicant when the answer does not match the field's ``pattern`` (or
    ``format``): a sentence per language, ``{"zh-hans": "请填写正确的手机号或座机号码",
    "en": "Enter a valid mobile or landline number"}``, or one string for every language.
    A regular expression means nothing to an applicant, so without a hint the message says
    that the format is wrong and points to the field's help text; it never shows the pattern.
``x-source``
    The field holds something the platform already knows about the applicant:
    ``"applicant_name"`` (the company's name when applying for a company, else the person's
    name) or ``"credit_code"`` (the company's unified social credit code). The form shows
    the known value read-only, to be checked rather than typed again, and the server puts
    its own value in the answers whatever was posted (``with_known_answers``). Read-only and
    not editable, because the application is filed in the name of the subject the platform
    verified: a different name typed here would make a licence whose holder and name
    disagree. A value the platform does not know (a person applying where a credit code is
    asked) leaves the field an ordinary one.

Every message names the field by its title and is in the user's language. ``validate_answers``
judges the answers for the action; ``answers_of`` turns a bound form into answers for it, with
the raw text of anything the form could not read, so that the schema alone decides and the
page shows the same messages as the API.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError as SchemaError

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from govhall.lib.forms import Form

HINT = "x-hint"
SOURCE = "x-source"
# What ``x-source`` may name; the values come from the caller (cases.actions.known_answers):
SOURCES = ("applicant_name", "credit_code")


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


def build_form(
    schema: dict[str, Any],
    ui: dict[str, Any] | None = None,
    data: Any = None,
    *,
    initial: dict[str, Any] | None = None,
    known: dict[str, str] | None = None,
) -> Form:
    """A Django form for ``schema`` in the order of ``ui:order`` (then the schema's own order).

    ``known``: what the platform knows, by ``x-source`` name; those fields show it read-only,
    whatever ``data`` or ``initial`` say.
    """
    ui = ui or {}
    properties: dict[str, Any] = schema.get("properties", {})
    required = set(schema.get("required", []))
    order = [name for name in ui.get("ui:order", []) if name in properties]
    order += [name for name in properties if name not in order]
    prefilled = known_fields(schema, known or {})
    if data is not None and prefilled:
        data = data.copy()
        for name, value in prefilled.items():
            data[name] = value
    form = Form(data, initial={**(initial or {}), **prefilled})
    for name in order:
        field = _field(name, properties[name], ui.get(name, {}), name in required)
        if name in prefilled:
            field.widget.attrs["readonly"] = True
            field.widget.attrs["class"] = "known"
            field.help_text = sentences(
                _("平台已按登记信息填写，请核对；如有误，请联系本局更正登记信息。"), field.help_text
            )
        form.fields[name] = field
    return form


def sentences(*parts: Any) -> str:
    """Sentences one after another: after Chinese punctuation with nothing between, else a space."""
    text = ""
    for part in (str(p) for p in parts if p):
        text += part if not text or text[-1] in "。；！？）”" else " " + part
    return text


def known_fields(schema: dict[str, Any], known: dict[str, str]) -> dict[str, str]:
    """The fields of ``schema`` marked ``x-source`` whose value the platform knows, with that value."""
    return {
        name: known[spec[SOURCE]]
        for name, spec in schema.get("properties", {}).items()
        if isinstance(spec, dict) and spec.get(SOURCE) in SOURCES and known.get(spec[SOURCE])
    }


def with_known_answers(schema: dict[str, Any], answers: dict[str, Any], known: dict[str, str]) -> dict[str, Any]:
    """``answers`` with the platform's own value in every field it knows, whatever was posted."""
    return {**answers, **known_fields(schema, known)}


def answers_of(form: forms.Form, schema: dict[str, Any]) -> dict[str, Any]:
    """The answers of a bound form, for the schema to judge. Call after ``form.is_valid()``.

    Each field as the form read it; where the form refused it, the value as read without the
    form's own checks (``-3`` in a field with a minimum), or else the text as typed (a word in
    a number field) — so that the schema alone decides, with its own messages. Empty answers
    are left out, as if never given.
    """
    cleaned = getattr(form, "cleaned_data", {})
    answers: dict[str, Any] = {}
    for name in schema.get("properties", {}):
        field = form.fields.get(name)
        if field is None:
            continue
        if name in cleaned:
            value = cleaned[name]
        else:
            raw = form[name].data
            try:
                value = field.to_python(raw)
            except DjangoValidationError:
                value = raw
        if isinstance(value, Decimal):  # JSON has numbers, not decimals
            value = int(value) if value == value.to_integral_value() else float(value)
        elif isinstance(value, datetime.date):
            value = value.isoformat()
        if value not in (None, "", []):
            answers[name] = value
    return answers


def show_errors(form: forms.Form, error: DjangoValidationError) -> None:
    """Put the action's refusal on the form: each message at its field, the rest above the form.

    Replaces the form's own errors: the action judged everything posted, the form only read it.
    """
    form.errors.clear()
    if not hasattr(form, "cleaned_data"):
        form.cleaned_data = {}
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for field, messages in error.message_dict.items():
        form.add_error(field if field in form.fields else None, messages)


def validate_answers(schema: dict[str, Any], answers: dict[str, Any]) -> dict[str, list[str]]:
    """Validate answers against the schema on the server; return messages per field, in the user's language.

    Each message names the field by its title. jsonschema reports each missing property as its
    own "required" error (carrying the whole required list), so a missing field is named once.
    Problems of the whole form are under ``NON_FIELD_ERRORS``. ``format`` is checked
    (``date``, ``email`` …), not only annotated.
    """
    properties: dict[str, Any] = schema.get("properties", {})
    errors: dict[str, list[str]] = {}
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    for error in validator.iter_errors(answers):
        if error.validator == "required" and not error.path:
            missing = [n for n in error.validator_value if n not in error.instance and n not in errors]
            if missing:
                errors[missing[0]] = [_required(missing[0], properties.get(missing[0], {}))]
            continue
        field = str(error.path[0]) if error.path else NON_FIELD_ERRORS
        spec = properties.get(field) or {}
        message = _message(error, field, spec)
        if message not in errors.setdefault(field, []):
            errors[field].append(message)
    return errors


def _label(name: str, spec: dict[str, Any]) -> str:
    return str(spec.get("title") or name)


def hint(spec: dict[str, Any]) -> str:
    """The field's ``x-hint`` in the user's language (then Chinese, then any given), or ""."""
    given = spec.get(HINT)
    if isinstance(given, str):
        return given
    if not isinstance(given, dict) or not given:
        return ""
    language = (get_language() or "zh-hans").lower()
    for key in (language, language.split("-")[0], "zh-hans", "zh"):
        if given.get(key):
            return str(given[key])
    return str(next(iter(given.values())))


def _required(name: str, spec: dict[str, Any]) -> str:
    label = _label(name, spec)
    if "enum" in spec or spec.get("type") in ("boolean", "array"):
        return _("请选择“%(label)s”。") % {"label": label}
    return _("请填写“%(label)s”。") % {"label": label}


_TYPES = {
    "number": lambda label: _("“%(label)s”请填写数字。") % {"label": label},
    "integer": lambda label: _("“%(label)s”请填写整数。") % {"label": label},
    "boolean": lambda label: _("“%(label)s”请选择是或否。") % {"label": label},
    "array": lambda label: _("“%(label)s”请从给出的选项中选择。") % {"label": label},
}


def _message(error: SchemaError, field: str, spec: dict[str, Any]) -> str:
    if field == NON_FIELD_ERRORS:
        return _("申请表的内容不符合本事项的要求，请检查后重新提交。")
    label = _label(field, spec)
    # An error inside an array (a choice not offered among several) is its field's error too:
    check, limit = error.validator, error.validator_value
    if check == "type":
        expected = limit if isinstance(limit, str) else (limit[0] if limit else "")
        return _TYPES.get(expected, lambda label: _("“%(label)s”请填写文字。") % {"label": label})(label)
    if check == "required":
        return _("“%(label)s”缺少必填的内容。") % {"label": label}
    if check == "minimum":
        return _("“%(label)s”不能小于 %(limit)s。") % {"label": label, "limit": limit}
    if check == "maximum":
        return _("“%(label)s”不能大于 %(limit)s。") % {"label": label, "limit": limit}
    if check == "exclusiveMinimum":
        return _("“%(label)s”必须大于 %(limit)s。") % {"label": label, "limit": limit}
    if check == "exclusiveMaximum":
        return _("“%(label)s”必须小于 %(limit)s。") % {"label": label, "limit": limit}
    if check == "maxLength":
        return ngettext(
            "“%(label)s”不能超过 %(limit)s 个字，现在是 %(count)s 个字。",
            "“%(label)s”不能超过 %(limit)s 个字，现在是 %(count)s 个字。",
            limit,
        ) % {"label": label, "limit": limit, "count": len(error.instance)}
    if check == "minLength":
        return ngettext("“%(label)s”至少要写 %(limit)s 个字。", "“%(label)s”至少要写 %(limit)s 个字。", limit) % {
            "label": label,
            "limit": limit,
        }
    if check in ("enum", "const"):
        return _("“%(label)s”请从给出的选项中选择。") % {"label": label}
    if check == "pattern":
        return hint(spec) or _("“%(label)s”的格式不正确，请按填写说明填写。") % {"label": label}
    if check == "format":
        if hint(spec):
            return hint(spec)
        if limit == "date":
            return _("“%(label)s”请填写有效的日期，如 2026-12-04。") % {"label": label}
        if limit == "email":
            return _("“%(label)s”请填写有效的电子邮箱地址。") % {"label": label}
        return _("“%(label)s”的格式不正确，请按填写说明填写。") % {"label": label}
    # Rarer checks (multipleOf, minItems …): jsonschema's own words are English and technical:
    return _("“%(label)s”填写的内容不符合要求，请按填写说明填写。") % {"label": label}


# The materials of an application form ----------------------------------------------------------


def material_fields(
    key: Any, *, name: str, need: str, notes: str = "", held: list[Any] | None = None
) -> tuple[forms.ChoiceField | None, forms.FileField]:
    """A material's two fields: the choice of a licence the platform holds (if any), then the upload.

    Where the platform holds a valid licence of the material's type for the applicant, the
    choice comes first, with that licence selected: nothing needs uploading (免提交). ``key``
    names the upload box the choice hides (static/govhall/apply.js); ``need`` is the material's
    need in words (必要, 视情况提供). The same pair serves one item's form (cases) and a bundle's
    (proactive); ``held`` are licences (their type's name, number and validity are shown).
    """
    choice = None
    if held:
        choices = [
            (
                str(lic.public_id),
                _("使用平台已有的电子证照：%(name)s %(number)s（%(validity)s）")
                % {
                    "name": lic.licence_type.name,
                    "number": lic.number,
                    "validity": _("有效期至 %(date)s") % {"date": lic.valid_until.isoformat()}
                    if lic.valid_until
                    else _("长期有效"),
                },
            )
            for lic in held
        ]
        choice = forms.ChoiceField(
            label=name,
            choices=[*choices, ("", _("不使用，自行上传文件"))],
            initial=choices[0][0],
            required=False,
            # static/govhall/apply.js hides the upload box while a licence is chosen; without
            # scripts both stay, and the chosen licence wins over a file (submit_case):
            widget=forms.RadioSelect(attrs={"data-upload-box": f"upload-{key}"}),
            help_text=_("无需再提交政府部门已核发的证照。"),
        )
    upload = forms.FileField(
        label=_("%(name)s：上传文件") % {"name": name} if held else name,
        required=False,  # a missing required material is named by the action, with its name
        help_text=sentences(_("%(need)s：PDF、JPG 或 PNG，单个文件不超过 20 MB。") % {"need": need}, notes),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"}),
    )
    return choice, upload
