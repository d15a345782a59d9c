"""Import and export of the catalog in the national exchange field names (JSON and XLSX).

The JSON form is ``{"format": "govhall-catalog-exchange", "format_version": 1, "items": [...]}``
with the field names of the national exchange tables (TASK_NAME, CATALOG_CODE, TASK_CODE,
ANTICIPATE_DAY, …; see docs/catalog-exchange.md). XLSX has one sheet per table, for people.

Import validates every row first and reports each problem with its row and field; if there
is any problem nothing is written. It is idempotent: an item whose newest version already
says what the file says is left alone.
"""

from __future__ import annotations

import datetime
import io
import json
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from govhall.catalog import actions
from govhall.catalog.constants import (
    LimitUnit,
    MaterialFormat,
    MaterialNeed,
    MaterialSource,
    MaterialType,
    ProjectType,
    Secrecy,
    StepKind,
    StepRole,
    VersionState,
)
from govhall.catalog.models import ItemVersion, ServiceItem
from govhall.catalog.rules import check_codes
from govhall.identity.models import Department

FORMAT = "govhall-catalog-exchange"
FORMAT_VERSION = 1

YES_NO = {"0", "1"}

# (exchange name, model field, kind) for the scalar guide elements of a version:
SCALARS: list[tuple[str, str, str]] = [
    ("TASK_NAME", "name", "text"),
    ("TASK_TYPE", "item_type", "code"),
    ("USE_LEVEL", "exercise_level", "code"),
    ("POWER_SOURCE", "power_source", "code"),
    ("DEPT_NAME", "implementing_body", "text"),
    ("DEPT_CODE", "implementing_body_code", "code"),
    ("DEPT_TYPE", "implementing_body_nature", "code"),
    ("ENTRUST_NAME", "entrusted_body", "text?"),
    ("ACCEPT_CONDITION", "acceptance_conditions", "text?"),
    ("ANTICIPATE_DAY", "statutory_limit", "int"),
    ("ANTICIPATE_TYPE", "statutory_unit", "unit"),
    ("ANTICIPATE_EXPLAIN", "statutory_note", "text?"),
    ("PROMISE_DAY", "committed_limit", "int"),
    ("PROMISE_TYPE", "committed_unit", "unit"),
    ("PROMISE_EXPLAIN", "committed_note", "text?"),
    ("PROJECT_TYPE", "project_type", "project"),
    ("HANDLE_TYPE", "handling_forms", "list"),
    ("LIMIT_SCENE_NUM", "visits", "int"),
    ("LIMIT_SCENE_EXPLAIN", "visit_reason", "text?"),
    ("IS_FEE", "has_fee", "bool"),
    ("FEE_BASIS", "fee_basis", "text?"),
    ("FEE_WAIT", "fee_waits", "bool_yes"),
    ("LINK_WAY", "consultation_phone", "text?"),
    ("SUPERVISE_WAY", "supervision_phone", "text?"),
    ("TRANSACT_ADDR", "address", "text?"),
    ("TRANSACT_TIME", "hours", "text?"),
    ("SERVER_TYPE", "service_targets", "list"),
    ("SPECIAL_PROCEDURE", "special_procedures", "text?"),
    ("ONLINE_HANDLE_URL", "online_url", "text?"),
    ("PLAN_CANCEL_DATE", "planned_cancel_date", "date?"),
    ("IS_ONLINE", "is_online", "bool"),
    ("ONLINE_HANDLE_DEPTH", "online_depth", "list"),
    ("IS_ENTRY_CENTER", "in_hall", "bool"),
    ("IS_EXPRESS", "express_delivery", "bool"),
    ("IS_PAY_ONLINE", "online_payment", "bool"),
    ("IS_SCHEDULE", "appointment", "bool"),
    ("IS_SERVICE_TERMINALS", "self_service", "bool"),
    ("HANDLE_AREA", "handle_area", "text?"),
    ("LIMIT_EXPLAIN", "quantity_limits", "text?"),
    ("OTHER_DEPT", "cooperating_bodies", "text?"),
    ("SERVICE_TYPE", "intermediary_services", "text?"),
    ("RESULT_NAME", "result_name", "text?"),
    ("RESULT_TYPE", "result_type", "text?"),
    ("RESULT_SAMPLE", "result_sample", "text?"),
    ("RESULT_LICENCE_TYPE_CODE", "result_licence_type_code", "text?"),
    ("STAR_LEVEL", "star_level", "int"),
    ("THEMES", "themes", "strings"),
    ("FORM_SCHEMA", "form_schema", "json"),
    ("FORM_UI", "form_ui", "json"),
    ("SECRET_LEVEL", "secrecy", "secrecy"),
]

CHILDREN: dict[str, tuple[str, list[tuple[str, str, str]]]] = {
    "MATERIALS": (
        "materials",
        [
            ("MATERIAL_NAME", "name", "text"),
            ("MATERIAL_TYPE", "material_type", "material_type"),
            ("MATERIAL_FORMAT", "material_format", "material_format"),
            ("PAGE_NUM", "copies", "int"),
            ("PAGE_FORMAT", "paper_size", "text?"),
            ("IS_NEED", "need", "need"),
            ("SOURCE_TYPE", "source", "source"),
            ("SOURCE_EXPLAIN", "source_note", "text?"),
            ("LICENCE_TYPE_CODE", "licence_type_code", "text?"),
            ("FORM_GUID", "blank_form", "text?"),
            ("EXAMPLE_GUID", "sample", "text?"),
            ("FILL_EXPLAIN", "filling_notes", "text?"),
            ("ACCEPT_STAND", "acceptance_standard", "text?"),
            ("BY_LAW", "legal_basis", "text?"),
            ("ORDER_NUM", "order", "int"),
        ],
    ),
    "PROCESS": (
        "steps",
        [
            ("LINK_NAME", "name", "text"),
            ("LINK_TYPE", "kind", "step_kind"),
            ("ROLE", "role", "step_role"),
            ("DEPT", "department", "department?"),
            ("AUDIT_STANDARD", "review_standard", "text?"),
            ("AUDIT_RESULT", "outcome", "text?"),
            ("TIME_LIMIT", "time_limit", "int"),
            ("ORDER_NUM", "order", "int"),
        ],
    ),
    "FEES": (
        "fees",
        [
            ("FEE_NAME", "name", "text"),
            ("FEE_STAND", "standard", "text"),
            ("BY_LAW", "basis", "text?"),
            ("FEE_CODE", "income_code", "text?"),
            ("IS_DESC", "is_reducible", "bool"),
            ("DESC_EXPLAIN", "reduction_basis", "text?"),
            ("ORDER_NUM", "order", "int"),
        ],
    ),
    "QUESTIONS": (
        "questions",
        [("QUESTION", "question", "text"), ("ANSWER", "answer", "text"), ("ORDER_NUM", "order", "int")],
    ),
}

CHOICES = {
    "unit": set(LimitUnit.values),
    "project": set(ProjectType.values),
    "material_type": set(MaterialType.values),
    "material_format": set(MaterialFormat.values),
    "need": set(MaterialNeed.values),
    "source": set(MaterialSource.values),
    "step_kind": set(StepKind.values),
    "step_role": set(StepRole.values),
}


@dataclass(frozen=True)
class RowProblem:
    row: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.row} {self.field}: {self.message}"


class ImportFailed(Exception):
    """The file has problems; nothing was imported. ``problems`` names each row and field."""

    def __init__(self, problems: list[RowProblem]) -> None:
        super().__init__(f"{len(problems)} problems")
        self.problems = problems


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


# Parsing one value ---------------------------------------------------------------------


def _parse(kind: str, raw: Any, departments: dict[str, Department]) -> Any:
    optional = kind.endswith("?")
    kind = kind.rstrip("?")
    if kind == "secrecy":
        # A list that does not say is a list of public items; a secret one is refused on import:
        text = str(raw or "").strip() or Secrecy.NONE
        if text not in Secrecy.values:
            raise ValueError(
                _("“%(value)s”不是允许的取值（%(allowed)s）") % {"value": raw, "allowed": "、".join(Secrecy.values)}
            )
        return text
    if kind == "bool_yes":  # a yes/no that means yes when a file written before it does not say
        kind, raw = "bool", "1" if raw is None or raw == "" else raw
    if raw is None or raw == "":
        if kind in {"list", "strings"}:
            return []
        if kind == "json":
            return {}
        if optional or kind == "text":
            if not optional:
                raise ValueError(_("必填"))
            return None if kind in {"date", "department"} else ""
        raise ValueError(_("必填"))
    if kind in {"text", "code"}:
        return str(raw).strip()
    if kind == "int":
        try:
            value = int(str(raw).strip())
        except ValueError:
            raise ValueError(_("应为整数，实际为“%(value)s”") % {"value": raw}) from None
        if value < 0:
            raise ValueError(_("不能为负数"))
        return value
    if kind == "bool":
        text = str(raw).strip()
        if text not in YES_NO:
            raise ValueError(_("应为 0 或 1，实际为“%(value)s”") % {"value": raw})
        return text == "1"
    if kind == "list":
        items = raw if isinstance(raw, list) else str(raw).split(",")
        return [str(i).strip() for i in items if str(i).strip()]
    if kind == "strings":
        items = raw if isinstance(raw, list) else str(raw).split("、")
        return [str(i).strip() for i in items if str(i).strip()]
    if kind == "json":
        value = json.loads(raw) if isinstance(raw, str) else raw
        if not isinstance(value, dict):
            raise ValueError(_("应为 JSON 对象"))
        return value
    if kind == "date":
        if isinstance(raw, datetime.datetime):
            return raw.date()
        if isinstance(raw, datetime.date):
            return raw
        try:
            return datetime.date.fromisoformat(str(raw).strip()[:10])
        except ValueError:
            raise ValueError(_("日期格式应为 YYYY-MM-DD，实际为“%(value)s”") % {"value": raw}) from None
    if kind == "department":
        department = departments.get(str(raw).strip())
        if department is None:
            raise ValueError(_("没有代码为“%(value)s”的部门") % {"value": raw})
        return department
    if kind in CHOICES:
        text = str(raw).strip()
        if text not in CHOICES[kind]:
            raise ValueError(
                _("“%(value)s”不是允许的取值（%(allowed)s）")
                % {"value": raw, "allowed": "、".join(sorted(CHOICES[kind]))}
            )
        return text
    raise AssertionError(kind)


@dataclass
class _ParsedItem:
    codes: dict[str, str]
    department: Department
    content: dict[str, Any]
    children: dict[str, list[dict[str, Any]]]
    effective_from: datetime.date | None


def _parse_item(
    row: dict[str, Any], where: str, child_where: Any, departments: dict[str, Department], problems: list[RowProblem]
) -> _ParsedItem | None:
    start = len(problems)
    codes = {key: str(row.get(key) or "").strip() for key in ("CATALOG_CODE", "TASK_CODE", "TASK_HANDLE_ITEM")}
    if not codes["TASK_CODE"]:
        problems.append(RowProblem(where, "TASK_CODE", _("缺少实施编码。")))
    else:
        for problem in check_codes(codes["CATALOG_CODE"], codes["TASK_CODE"], codes["TASK_HANDLE_ITEM"]):
            if problem.is_blocking:
                problems.append(RowProblem(where, "TASK_CODE", problem.message))
    department = departments.get(str(row.get("HANDLING_DEPARTMENT") or "").strip())
    if department is None:
        problems.append(
            RowProblem(
                where,
                "HANDLING_DEPARTMENT",
                _("没有代码为“%(value)s”的部门") % {"value": row.get("HANDLING_DEPARTMENT", "")},
            )
        )
    content: dict[str, Any] = {}
    for name, model_field, kind in SCALARS:
        try:
            content[model_field] = _parse(kind, row.get(name), departments)
        except (ValueError, json.JSONDecodeError) as exc:
            problems.append(RowProblem(where, name, str(exc)))
    if content.get("form_schema"):
        from jsonschema import Draft202012Validator
        from jsonschema.exceptions import SchemaError

        try:
            Draft202012Validator.check_schema(content["form_schema"])
        except SchemaError as exc:
            problems.append(RowProblem(where, "FORM_SCHEMA", _("不是有效的 JSON Schema：") + exc.message))
    by_law = row.get("BY_LAW") or []
    if isinstance(by_law, str):
        try:
            by_law = json.loads(by_law)
        except json.JSONDecodeError:
            by_law = [{"LAW_NAME": by_law}]
    if not isinstance(by_law, list):
        problems.append(RowProblem(where, "BY_LAW", _("应为列表")))
        by_law = []
    content["legal_basis"] = [
        {k: str(entry.get(k, "")) for k in ("LAW_NAME", "LAW_NUMBER", "LAW_ARTICLE", "LAW_TEXT")}
        for entry in by_law
        if isinstance(entry, dict)
    ]
    effective_from = None
    try:
        effective_from = _parse("date?", row.get("PLAN_EFFECTIVE_DATE"), departments)
    except ValueError as exc:
        problems.append(RowProblem(where, "PLAN_EFFECTIVE_DATE", str(exc)))
    children: dict[str, list[dict[str, Any]]] = {}
    for table, (relation, columns) in CHILDREN.items():
        rows = row.get(table) or []
        if not isinstance(rows, list):
            problems.append(RowProblem(where, table, _("应为列表")))
            continue
        parsed_rows = []
        for index, child in enumerate(rows):
            parsed: dict[str, Any] = {}
            for name, model_field, kind in columns:
                try:
                    parsed[model_field] = _parse(kind, child.get(name), departments)
                except (ValueError, json.JSONDecodeError) as exc:
                    problems.append(RowProblem(child_where(table, index), name, str(exc)))
            parsed_rows.append(parsed)
        children[relation] = parsed_rows
    if len(problems) > start or department is None:
        return None
    return _ParsedItem(codes, department, content, children, effective_from)


def validate_exchange(data: Any, locate: Any = None) -> tuple[list[_ParsedItem], list[RowProblem]]:
    """Parse every item of an exchange document; return the parsed items and every problem."""
    problems: list[RowProblem] = []
    if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("items"), list):
        return [], [RowProblem(_("文件"), "format", _("不是 govhall 事项交换文件（缺少 format 或 items）。"))]
    departments = {d.code: d for d in Department.objects.all()}
    locate = locate or _json_location
    parsed: list[_ParsedItem] = []
    seen: dict[str, str] = {}
    for index, row in enumerate(data["items"]):
        where = locate(index, None, None)
        if not isinstance(row, dict):
            problems.append(RowProblem(where, "", _("应为对象")))
            continue
        code = str(row.get("TASK_CODE") or "")
        if code in seen:
            problems.append(RowProblem(where, "TASK_CODE", _("与%(other)s重复") % {"other": seen[code]}))
        seen[code] = where
        item = _parse_item(row, where, lambda table, i, index=index: locate(index, table, i), departments, problems)
        if item is not None:
            parsed.append(item)
    return parsed, problems


def _json_location(index: int, table: str | None, child: int | None) -> str:
    if table is None:
        return _("第%(n)d条事项") % {"n": index + 1}
    return _("第%(n)d条事项 %(table)s 第%(m)d行") % {"n": index + 1, "table": table, "m": (child or 0) + 1}


def import_exchange(data: Any, *, actor: Any, locate: Any = None) -> ImportReport:
    """Import an exchange document as drafts; all or nothing. Raises ImportFailed."""
    parsed, problems = validate_exchange(data, locate)
    if problems:
        raise ImportFailed(problems)
    report = ImportReport()
    with transaction.atomic():
        for entry in parsed:
            content = {**entry.content, "handling_department": entry.department}
            item = ServiceItem.objects.filter(implementation_code=entry.codes["TASK_CODE"]).first()
            if item is None:
                try:
                    actions.create_item(
                        basic_code=entry.codes["CATALOG_CODE"],
                        implementation_code=entry.codes["TASK_CODE"],
                        handling_code=entry.codes["TASK_HANDLE_ITEM"],
                        department=entry.department,
                        content=content,
                        children=entry.children,
                        actor=actor,
                    )
                except ValidationError as exc:
                    raise ImportFailed([RowProblem(entry.codes["TASK_CODE"], "", " ".join(exc.messages))]) from exc
                report.created.append(entry.codes["TASK_CODE"])
                continue
            newest = item.versions.order_by("-number").first()
            assert newest is not None
            if _same(newest, content, entry.children):
                report.unchanged.append(item.implementation_code)
                continue
            draft = newest if newest.state == VersionState.DRAFT else None
            if draft is None:
                if newest.state == VersionState.SUBMITTED:
                    raise ImportFailed(
                        [RowProblem(item.implementation_code, "", _("该事项有待审核的版本，审核完成前不能导入。"))]
                    )
                draft = actions.start_new_version(item, actor=actor)
            actions.update_draft(draft, content=content, children=entry.children, actor=actor)
            report.updated.append(item.implementation_code)
    return report


def _same(version: ItemVersion, content: dict[str, Any], children: dict[str, list[dict[str, Any]]]) -> bool:
    for name, value in content.items():
        if getattr(version, name) != value:
            return False
    for relation, rows in children.items():
        existing = list(getattr(version, relation).all())
        if len(existing) != len(rows):
            return False
        for obj, row in zip(existing, rows, strict=True):
            if any(getattr(obj, key) != value for key, value in row.items()):
                return False
    return True


# Export ------------------------------------------------------------------------------------


def _format(kind: str, value: Any) -> Any:
    kind = kind.rstrip("?")
    if kind in {"bool", "bool_yes"}:
        return "1" if value else "0"
    if kind == "list":
        return ",".join(value or [])
    if kind == "date":
        return value.isoformat() if value else ""
    if kind == "department":
        return value.code if value else ""
    return value


def export_version(version: ItemVersion) -> dict[str, Any]:
    """One version in the exchange field names."""
    item = version.item
    row: dict[str, Any] = {
        "CATALOG_CODE": item.basic_code,
        "TASK_CODE": item.implementation_code,
        "TASK_HANDLE_ITEM": item.handling_code,
        "TASK_STATE": item.status,
        "TASK_VERSION": version.number,
        "HANDLING_DEPARTMENT": version.handling_department.code,
        "PLAN_EFFECTIVE_DATE": version.effective_from.isoformat() if version.effective_from else "",
        "BY_LAW": version.legal_basis,
    }
    for name, model_field, kind in SCALARS:
        row[name] = _format(kind, getattr(version, model_field))
    for table, (relation, columns) in CHILDREN.items():
        row[table] = [
            {name: _format(kind, getattr(child, model_field)) for name, model_field, kind in columns}
            for child in getattr(version, relation).all()
        ]
    return row


def export_exchange(versions: list[ItemVersion]) -> dict[str, Any]:
    return {"format": FORMAT, "format_version": FORMAT_VERSION, "items": [export_version(v) for v in versions]}


# XLSX -------------------------------------------------------------------------------------

ITEM_SHEET = "ITEMS"
ITEM_COLUMNS = ["CATALOG_CODE", "TASK_CODE", "TASK_HANDLE_ITEM", "HANDLING_DEPARTMENT", "PLAN_EFFECTIVE_DATE"] + [
    name for name, _field, _kind in SCALARS
]
LAW_COLUMNS = ["LAW_NAME", "LAW_NUMBER", "LAW_ARTICLE", "LAW_TEXT"]


def export_xlsx(versions: list[ItemVersion]) -> bytes:
    """The catalog as a workbook: ITEMS, BY_LAW, MATERIALS, PROCESS, FEES, QUESTIONS sheets."""
    from openpyxl import Workbook

    workbook = Workbook()
    items_sheet = workbook.active
    assert items_sheet is not None
    items_sheet.title = ITEM_SHEET
    items_sheet.append(ITEM_COLUMNS)
    sheets = {"BY_LAW": workbook.create_sheet("BY_LAW")}
    sheets["BY_LAW"].append(["TASK_CODE", *LAW_COLUMNS])
    for table, (_relation, columns) in CHILDREN.items():
        sheets[table] = workbook.create_sheet(table)
        sheets[table].append(["TASK_CODE", *[name for name, _f, _k in columns]])
    for version in versions:
        row = export_version(version)
        items_sheet.append([_cell(row[c]) for c in ITEM_COLUMNS])
        for law in row["BY_LAW"]:
            sheets["BY_LAW"].append([row["TASK_CODE"], *[law.get(c, "") for c in LAW_COLUMNS]])
        for table, (_relation, columns) in CHILDREN.items():
            for child in row[table]:
                sheets[table].append([row["TASK_CODE"], *[child[name] for name, _f, _k in columns]])
    for sheet in workbook.worksheets:
        for cell in sheet[1]:
            sheet.column_dimensions[cell.column_letter].width = 18
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _cell(value: Any) -> Any:
    # Lists of names are written as people write them (林业生产、水资源); objects as JSON text:
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "、".join(value)
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return value


def read_xlsx(content: bytes) -> tuple[dict[str, Any], Any]:
    """Turn a workbook back into an exchange document, and a locator naming sheet rows."""
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
        raise ImportFailed([RowProblem(_("文件"), "", _("无法读取 XLSX 文件：") + str(exc)[:200])]) from exc

    def rows(name: str) -> list[tuple[int, dict[str, Any]]]:
        if name not in workbook.sheetnames:
            return []
        values = list(workbook[name].iter_rows(values_only=True))
        if not values:
            return []
        header = [str(h).strip() if h is not None else "" for h in values[0]]
        return [
            (number, {h: ("" if v is None else v) for h, v in zip(header, line, strict=False) if h})
            for number, line in enumerate(values[1:], start=2)
            if any(v not in (None, "") for v in line)
        ]

    if ITEM_SHEET not in workbook.sheetnames:
        raise ImportFailed([RowProblem(_("文件"), ITEM_SHEET, _("缺少 ITEMS 工作表。"))])
    items: list[dict[str, Any]] = []
    item_rows: list[int] = []
    by_code: dict[str, dict[str, Any]] = {}
    child_rows: dict[tuple[int, str, int], int] = {}
    for number, row in rows(ITEM_SHEET):
        row = {**row, "BY_LAW": [], **{table: [] for table in CHILDREN}}
        items.append(row)
        item_rows.append(number)
        by_code[str(row.get("TASK_CODE", "")).strip()] = row
    for _number, law in rows("BY_LAW"):
        parent = by_code.get(str(law.get("TASK_CODE", "")).strip())
        if parent is not None:
            parent["BY_LAW"].append({c: str(law.get(c, "")) for c in LAW_COLUMNS})
    orphans: list[RowProblem] = []
    for table in CHILDREN:
        for number, child in rows(table):
            parent = by_code.get(str(child.get("TASK_CODE", "")).strip())
            if parent is None:
                orphans.append(
                    RowProblem(
                        _("%(sheet)s 第%(row)d行") % {"sheet": table, "row": number}, "TASK_CODE", _("没有对应的事项")
                    )
                )
                continue
            child_rows[(items.index(parent), table, len(parent[table]))] = number
            parent[table].append(child)
    if orphans:
        raise ImportFailed(orphans)

    def locate(index: int, table: str | None, child: int | None) -> str:
        if table is None:
            return _("%(sheet)s 第%(row)d行") % {"sheet": ITEM_SHEET, "row": item_rows[index]}
        return _("%(sheet)s 第%(row)d行") % {"sheet": table, "row": child_rows.get((index, table, child or 0), 0)}

    return {"format": FORMAT, "format_version": FORMAT_VERSION, "items": items}, locate
