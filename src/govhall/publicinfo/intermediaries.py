"""中介服务: the structured facts of the intermediary services an item needs (中介服务事项) and of the
institutions that provide them (中介机构), kept in ``Entry.details`` and published with the entry.

A service names its legal basis, whether the item requires it, its time limit and fee basis, and
the institutions that provide it (by their entries' lineage, so a corrected institution stays
linked). An institution has its unified social credit code (checked), contact, service area, its
credit grade (GB/T 39683-2020) with the date assessed, and its qualifications with their validity.
The guide shows item → service → institutions, with a qualification that has lapsed said so.
"""

from __future__ import annotations

import datetime
import re
import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from govhall.lib.identifiers import from_authoritative_source, parse_credit_code
from govhall.publicinfo.constants import CreditGrade, EntryKind, EntryStatus
from govhall.publicinfo.models import Entry

MAX_QUALIFICATIONS = 20
EXPIRING_DAYS = 30  # a qualification ending within this many days is shown as ending soon
_PHONE = re.compile(r"[0-9+\- ]{7,20}")


def _text(raw: dict[str, Any], name: str, limit: int, errors: dict[str, str], *, required: str = "") -> str:
    value = str(raw.get(name) or "").strip()
    if required and not value:
        errors[name] = required
    elif len(value) > limit:
        errors[name] = _("请不要超过 %(limit)s 个字。") % {"limit": limit}
    return value


def _date(value: Any, name: str, errors: dict[str, str]) -> str | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime.date):
        return value.isoformat()
    try:
        return datetime.date.fromisoformat(str(value)).isoformat()
    except ValueError:
        errors[name] = _("日期格式不正确，请按 年-月-日 填写。")
        return None


def clean_details(kind: str, raw: dict[str, Any] | None) -> dict[str, Any]:
    """The details to keep for an entry of ``kind``: checked, in plain JSON; {} for other kinds.

    Raises ValidationError with every problem at its field (``details.<name>``; a qualification's
    as ``details.qualifications.<n>.<name>``).
    """
    raw = raw or {}
    if kind == EntryKind.INTERMEDIARY_SERVICE:
        return _clean_service(raw)
    if kind == EntryKind.INTERMEDIARY:
        return _clean_institution(raw)
    return {}


def _clean_service(raw: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, str] = {}
    details: dict[str, Any] = {
        "legal_basis": _text(
            raw, "legal_basis", 300, errors, required=_("请填写设定依据（法律法规或文件的名称和条款）。")
        ),
        "required": bool(raw.get("required")),
        "fee_basis": _text(raw, "fee_basis", 300, errors),
    }
    days = raw.get("time_limit_days")
    if days in (None, ""):
        details["time_limit_days"] = None
    elif isinstance(days, int) and not isinstance(days, bool) and 0 < days <= 3650:
        details["time_limit_days"] = days
    elif isinstance(days, str) and days.isdigit() and 0 < int(days) <= 3650:
        details["time_limit_days"] = int(days)
    else:
        errors["time_limit_days"] = _("服务时限请填写 1 到 3650 之间的工作日数，或留空。")
    lineages = []
    for value in raw.get("institutions") or []:
        try:
            lineages.append(str(uuid.UUID(str(value))))
        except ValueError:
            errors["institutions"] = _("请从列出的中介机构中选择。")
    known = set(
        str(lineage)
        for lineage in Entry.objects.filter(
            kind=EntryKind.INTERMEDIARY, status=EntryStatus.PUBLISHED, lineage__in=lineages
        ).values_list("lineage", flat=True)
    )
    if set(lineages) - known:
        errors["institutions"] = _("只能选择已发布的中介机构。")
    details["institutions"] = list(dict.fromkeys(lineages))
    if errors:
        raise ValidationError({f"details.{name}": message for name, message in errors.items()})
    return details


def _clean_institution(raw: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, str] = {}
    code = str(raw.get("credit_code") or "").strip().upper()
    try:
        # Entered by the editor from the institution's business licence or registration certificate:
        code = parse_credit_code(code, on_record=from_authoritative_source).code
    except ValidationError as error:
        errors["credit_code"] = error.messages[0]
    phone = _text(raw, "phone", 20, errors, required=_("请填写联系电话。"))
    if phone and "phone" not in errors and not _PHONE.fullmatch(phone):
        errors["phone"] = _("联系电话只能包含数字、空格、加号和短横线。")
    grade = str(raw.get("credit_grade") or "")
    if grade and grade not in CreditGrade.values:
        errors["credit_grade"] = _("请选择列出的信用等级。")
    details: dict[str, Any] = {
        "credit_code": code,
        "contact": _text(raw, "contact", 50, errors),
        "phone": phone,
        "address": _text(raw, "address", 200, errors),
        "service_area": _text(raw, "service_area", 200, errors, required=_("请填写服务范围（可从事的中介服务）。")),
        "credit_grade": grade,
        "credit_grade_on": _date(raw.get("credit_grade_on"), "credit_grade_on", errors),
    }
    if grade and not details["credit_grade_on"] and "credit_grade_on" not in errors:
        errors["credit_grade_on"] = _("填写信用等级时，请同时填写评定日期。")
    qualifications = []
    given = [q for q in raw.get("qualifications") or [] if any(str(v or "").strip() for v in q.values())]
    if len(given) > MAX_QUALIFICATIONS:
        errors["qualifications"] = _("资质最多填写 %(n)s 项。") % {"n": MAX_QUALIFICATIONS}
    for n, item in enumerate(given[:MAX_QUALIFICATIONS]):
        problems: dict[str, str] = {}
        row = {
            "name": _text(item, "name", 100, problems, required=_("请填写资质名称。")),
            "number": _text(item, "number", 60, problems),
            "issuer": _text(item, "issuer", 100, problems),
            "valid_until": _date(item.get("valid_until"), "valid_until", problems),
        }
        errors.update({f"qualifications.{n}.{name}": message for name, message in problems.items()})
        qualifications.append(row)
    details["qualifications"] = qualifications
    if errors:
        raise ValidationError({f"details.{name}": message for name, message in errors.items()})
    return details


# Reading, for the guide and the entry's page ------------------------------------------------------


def qualification_state(valid_until: str | None, today: datetime.date) -> str:
    """``valid``, ``ending`` (within EXPIRING_DAYS), ``lapsed`` or ``open`` (no end date)."""
    if not valid_until:
        return "open"
    end = datetime.date.fromisoformat(valid_until)
    if end < today:
        return "lapsed"
    return "ending" if (end - today).days <= EXPIRING_DAYS else "valid"


def institution_facts(entry: Entry, today: datetime.date) -> dict[str, Any]:
    details = entry.details or {}
    qualifications = [
        {**q, "state": qualification_state(q.get("valid_until"), today)} for q in details.get("qualifications", [])
    ]
    return {
        **details,
        "credit_grade_label": CreditGrade(details["credit_grade"]).label if details.get("credit_grade") else "",
        "qualifications": qualifications,
        "any_lapsed": any(q["state"] == "lapsed" for q in qualifications),
    }


def institutions_of(services: list[Entry]) -> dict[str, Entry]:
    """Lineage → the published version of each institution the services name (one query)."""
    lineages = {lineage for service in services for lineage in (service.details or {}).get("institutions", [])}
    if not lineages:
        return {}
    found = Entry.objects.filter(kind=EntryKind.INTERMEDIARY, status=EntryStatus.PUBLISHED, lineage__in=lineages)
    return {str(entry.lineage): entry for entry in found}


def service_facts(service: Entry, institutions: dict[str, Entry], today: datetime.date) -> dict[str, Any]:
    details = service.details or {}
    return {
        **details,
        "entry": service,
        "providers": [
            {"entry": institutions[lineage], **institution_facts(institutions[lineage], today)}
            for lineage in details.get("institutions", [])
            if lineage in institutions
        ],
    }
