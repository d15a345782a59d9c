"""Bulk import of historical licences (issued before the platform, e.g. by other departments).

A CSV or XLSX file with a header row of GB/T 36903 element codes (STANDARDS §3) or their
English names is read twice over, streaming: the first pass validates every row and spools
the rows to insert to a temporary file; only if no row is wrong does the second pass write
them, in one transaction, in batches (``COPY`` on PostgreSQL, ``bulk_create`` elsewhere).
Rows whose identifier is already in the library with the same data are skipped, so the same
file may be imported again; a row whose identifier exists with other data is an error.
"""

from __future__ import annotations

import csv
import datetime
import hashlib
import json
import pickle
import re
import tempfile
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from govhall.audit.actions import record
from govhall.identity.queries import ID_NUMBER
from govhall.lib.crypto import lookup_hash
from govhall.lib.identifiers import from_authoritative_source, mask_id_number, parse_credit_code, parse_resident_id
from govhall.lib.licence_ids import parse_licence_identifier
from govhall.licences.actions import publish_status_lists_after_commit, reserve_status_indexes
from govhall.licences.constants import HolderCodeType, LicenceStatus
from govhall.licences.models import Licence, LicenceType

BATCH_SIZE = 5000
MAX_ERRORS = 200
# Holder codes of type 999 (passports and other personal certificates) are personal data,
# kept only as a keyed hash like ID numbers, under their own purpose:
OTHER_PERSON_ID = "other_person_id"

# Field → GB/T 36903 element code; the field name itself is accepted as a header too:
ELEMENTS = {
    "identifier": "ZZBS",
    "type_code": "ZZLXDM",
    "type_name": "ZZMC",
    "number": "ZZBH",
    "issuer_name": "ZZBFJG",
    "issuer_code": "ZZBFJGDM",
    "issued_on": "ZZBFRQ",
    "valid_from": "ZZYXQQSRQ",
    "valid_until": "ZZYXQJZRQ",
    "holder_name": "CZZT",
    "holder_code": "CZZTDM",
    "holder_code_type": "CZZTDMLXDM",
    "status": "ZZZT",
}
OPTIONAL = frozenset({"type_name", "status"})
_HEADERS = (
    {code: name for name, code in ELEMENTS.items()}
    | {name.upper(): name for name in ELEMENTS}
    | {"CZZTDMLX": "holder_code_type"}  # both spellings are in use (STANDARDS §3)
)
FACE_PREFIX = "KZ_"

# What a row must agree on with the licence already recorded under its identifier. The
# status is left out: after import the platform owns it (expiry, revocation), and a re-run
# of the same file must not fail because a licence has since expired.
_COMPARED = (
    ("type_code", "ZZLXDM"),
    ("number", "ZZBH"),
    ("issuer_name", "ZZBFJG"),
    ("issuer_code", "ZZBFJGDM"),
    ("issued_on", "ZZBFRQ"),
    ("valid_from", "ZZYXQQSRQ"),
    ("valid_until", "ZZYXQJZRQ"),
    ("holder_name", "CZZT"),
    ("holder_code_type", "CZZTDMLXDM"),
    ("holder_key", "CZZTDM"),
    ("face", "KZ_*"),
)

_DATE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_LONG_TERM = frozenset({"长期", "长期有效"})
# Computed once: the enums build these lists anew on every access, and this runs per row:
_HOLDER_CODE_TYPES = frozenset(HolderCodeType.values)
_STATUSES = frozenset(LicenceStatus.values)

# progress(stage, done, total): stage is "validate" or "write"; total None when unknown.
Progress = Callable[[str, int, int | None], None]


@dataclass(frozen=True)
class RowError:
    """One problem: the file row (the header is row 1; 0 for the file as a whole), the column, what is wrong."""

    row: int
    column: str
    message: str

    def __str__(self) -> str:
        if not self.row:
            return self.message
        if not self.column:
            return _("第%(row)d行：%(message)s") % {"row": self.row, "message": self.message}
        return _("第%(row)d行 %(column)s：%(message)s") % {
            "row": self.row,
            "column": self.column,
            "message": self.message,
        }


@dataclass
class ImportReport:
    """The outcome of an import (or a dry run): counts, the new licence types, the first errors."""

    file_name: str
    sha256: str
    dry_run: bool
    rows: int = 0
    created: int = 0
    unchanged: int = 0
    types_created: list[str] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)  # at most MAX_ERRORS
    error_count: int = 0

    @property
    def is_valid(self) -> bool:
        return self.error_count == 0


class _RowProblem(Exception):
    def __init__(self, column: str, message: str) -> None:
        super().__init__(message)
        self.column = column
        self.message = message


# Reading -------------------------------------------------------------------------------------


def _file_facts(path: Path) -> tuple[str, int]:
    """The file's SHA-256 and its number of line breaks (the row total shown for a CSV)."""
    digest = hashlib.sha256()
    lines = 0
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
            lines += chunk.count(b"\n")
    return digest.hexdigest(), lines


def _is_xlsx(path: Path) -> bool:
    return path.suffix.lower() in {".xlsx", ".xlsm"}


def _read_rows(path: Path, encoding: str) -> Generator[tuple[int, list[Any]], None, None]:
    """Yield (row number, cells) from the first sheet of an XLSX file or from a CSV file, streaming."""
    if _is_xlsx(path):
        import openpyxl

        try:
            workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except Exception:  # openpyxl raises zipfile, KeyError and its own errors for a damaged file
            raise _RowProblem("", _("无法读取该 XLSX 文件：文件已损坏或不是 Excel 工作簿。")) from None
        try:
            for number, row in enumerate(workbook.worksheets[0].iter_rows(values_only=True), start=1):
                yield number, list(row)
        finally:
            workbook.close()
        return
    number = 0
    try:
        with path.open(newline="", encoding=encoding) as handle:
            for number, row in enumerate(csv.reader(handle), start=1):
                yield number, list(row)
    except UnicodeDecodeError:
        raise _RowProblem(
            "",
            _("第%(row)d行附近的字符不是 %(encoding)s 编码；如文件由 Excel 另存为 CSV，请加 --encoding gb18030。")
            % {"row": number + 1, "encoding": encoding},
        ) from None
    except csv.Error as exc:
        raise _RowProblem(
            "", _("第%(row)d行无法按 CSV 格式读取：%(reason)s") % {"row": number + 1, "reason": exc}
        ) from None


def _xlsx_total(path: Path) -> int | None:
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(path, read_only=True)
        rows = workbook.worksheets[0].max_row
        workbook.close()
    except Exception:  # reported properly when the rows are read
        return None
    return rows - 1 if rows else None


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value).strip()


def _face_value(value: Any) -> Any:
    # Numbers from a spreadsheet stay numbers; dates become ISO text, as JSON keeps them:
    if isinstance(value, (datetime.date, datetime.datetime)):
        return _text(value)
    if isinstance(value, str):
        return value.strip()
    return value


def _parse_date(column: str, value: Any) -> datetime.date | None:
    """YYYY-MM-DD (also / or .), YYYYMMDD, or a date cell of a spreadsheet; None when empty."""
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool) and not 10_000_000 <= value <= 99_999_999:
        # A spreadsheet date serial in a cell not formatted as a date:
        from openpyxl.utils.datetime import from_excel

        try:
            return from_excel(value).date()
        except (ValueError, OverflowError, TypeError):
            raise _RowProblem(
                column, _("日期格式不正确（%(value)s）：请写作 YYYY-MM-DD 或 YYYYMMDD。") % {"value": value}
            ) from None
    text = _text(value).split(" ")[0].split("T")[0]
    if not text:
        return None
    match = _DATE.match(text) or _COMPACT_DATE.match(text)
    if match is None:
        raise _RowProblem(column, _("日期格式不正确（%(value)s）：请写作 YYYY-MM-DD 或 YYYYMMDD。") % {"value": text})
    try:
        return datetime.date(*(int(part) for part in match.groups()))
    except ValueError:
        raise _RowProblem(column, _("日期 %(value)s 不存在。") % {"value": text}) from None


# Validating ----------------------------------------------------------------------------------


@dataclass
class _Layout:
    """Which cell holds which field, as the header row says."""

    columns: dict[str, int]  # field → cell index
    names: dict[str, str]  # field → header as written in the file
    face: dict[str, int]  # face key → cell index

    def header(self, name: str) -> str:
        return self.names.get(name, ELEMENTS.get(name, name))


def _read_header(cells: list[Any]) -> _Layout:
    columns: dict[str, int] = {}
    names: dict[str, str] = {}
    face: dict[str, int] = {}
    unknown: list[str] = []
    repeated: list[str] = []
    for index, cell in enumerate(cells):
        header = _text(cell).lstrip("\ufeff")
        if not header:
            continue
        name = _HEADERS.get(header.upper())
        if name is not None:
            if name in columns:
                repeated.append(header)
            columns[name], names[name] = index, header
        elif header.upper().startswith(FACE_PREFIX) and len(header) > len(FACE_PREFIX):
            key = header[len(FACE_PREFIX) :]
            if key in face:
                repeated.append(header)
            face[key] = index
        else:
            unknown.append(header)
    if repeated:
        raise _RowProblem("", _("列 %(columns)s 出现了不止一次。") % {"columns": "、".join(repeated)})
    if unknown:
        raise _RowProblem(
            "",
            _("无法识别的列：%(columns)s。列名应为 GB/T 36903 元素代码（如 ZZBS）；照面信息列以 KZ_ 开头。")
            % {"columns": "、".join(unknown)},
        )
    missing = [ELEMENTS[name] for name in ELEMENTS if name not in OPTIONAL and name not in columns]
    if missing:
        raise _RowProblem("", _("缺少必填列：%(columns)s。") % {"columns": "、".join(missing)})
    return _Layout(columns, names, face)


def _messages(error: ValidationError) -> str:
    return " ".join(error.messages)


class _Validator:
    """Checks rows one by one and remembers what the file has said so far (identifiers, types)."""

    def __init__(self, layout: _Layout, today: datetime.date) -> None:
        self.layout = layout
        self.today = today
        self.seen: dict[str, int] = {}  # identifier → first row
        self.types: dict[str, int | None] = {}  # type code → pk, None when not in the database
        self.new_types: dict[str, str] = {}  # missing type code → name, from the first row naming it
        self.unnamed: dict[str, list[int]] = {}  # missing type code → rows that did not name it

    def cell(self, cells: list[Any], name: str) -> Any:
        index = self.layout.columns.get(name)
        return cells[index] if index is not None and index < len(cells) else None

    def text(self, cells: list[Any], name: str, *, required: bool = True, max_length: int = 0) -> str:
        value = _text(self.cell(cells, name))
        column = self.layout.header(name)
        if required and not value:
            raise _RowProblem(column, _("不能为空。"))
        if max_length and len(value) > max_length:
            raise _RowProblem(
                column, _("最多%(max)d个字符，现有%(count)d个。") % {"max": max_length, "count": len(value)}
            )
        return value

    def check(self, number: int, cells: list[Any]) -> tuple[dict[str, Any] | None, list[RowError]]:
        """Validate one row; return the licence values (None if any problem) and every problem found."""
        problems: list[RowError] = []
        values: dict[str, Any] = {}
        header = self.layout.header

        def attempt(step: Callable[[], None]) -> None:
            try:
                step()
            except _RowProblem as problem:
                problems.append(RowError(number, problem.column, problem.message))

        def identifier() -> None:
            text = self.text(cells, "identifier")
            try:
                parsed = parse_licence_identifier(text)
            except ValidationError as error:
                raise _RowProblem(header("identifier"), _messages(error)) from None
            values.update(identifier=str(parsed), serial=parsed.serial, version=parsed.version)
            type_code = self.text(cells, "type_code").upper()
            issuer_code = self.text(cells, "issuer_code").upper()
            if type_code != parsed.type_code:
                raise _RowProblem(
                    header("type_code"),
                    _("与证照标识中的证照类型代码 %(code)s 不一致。") % {"code": parsed.type_code},
                )
            if issuer_code != parsed.issuer_code:
                raise _RowProblem(
                    header("issuer_code"),
                    _("与证照标识中的颁发机构代码 %(code)s 不一致。") % {"code": parsed.issuer_code},
                )
            values.update(type_code=type_code, issuer_code=issuer_code)
            first = self.seen.setdefault(values["identifier"], number)
            if first != number:
                raise _RowProblem(header("identifier"), _("与第%(row)d行的证照标识重复。") % {"row": first})

        def licence_type() -> None:
            if "type_code" not in values:
                return
            code = values["type_code"]
            if code not in self.types:
                self.types[code] = LicenceType.objects.filter(code=code).values_list("pk", flat=True).first()
            if self.types[code] is not None:
                return
            name = self.text(cells, "type_name", required=False, max_length=100)
            if name:
                self.new_types.setdefault(code, name)
            elif code not in self.new_types:
                # Another row further down may still name the type; decided at the end of the file:
                self.unnamed.setdefault(code, []).append(number)

        def holder() -> None:
            values["holder_name"] = self.text(cells, "holder_name", max_length=200)
            kind = self.text(cells, "holder_code_type")
            if kind.isdigit():
                kind = kind.zfill(3)  # a spreadsheet turns 001 into 1
            if kind not in _HOLDER_CODE_TYPES:
                raise _RowProblem(header("holder_code_type"), _("持证主体代码类型应为 111、001、099 或 999。"))
            code = self.text(cells, "holder_code")
            column = header("holder_code")
            try:
                if kind == HolderCodeType.RESIDENT_ID:
                    number_ = parse_resident_id(code, today=self.today).number
                    key, masked = lookup_hash(number_, purpose=ID_NUMBER), mask_id_number(number_)
                elif kind == HolderCodeType.CREDIT_CODE:
                    # Licences the government issued put their holders' codes on record:
                    key = masked = parse_credit_code(code, on_record=from_authoritative_source).code
                else:
                    cleaned = re.sub(r"\s", "", code).upper()
                    if len(cleaned) > 30:
                        raise _RowProblem(
                            column, _("最多%(max)d个字符，现有%(count)d个。") % {"max": 30, "count": len(cleaned)}
                        )
                    if kind == HolderCodeType.OTHER_PERSON:
                        key, masked = lookup_hash(cleaned, purpose=OTHER_PERSON_ID), mask_id_number(cleaned)
                    else:
                        key = masked = cleaned
            except ValidationError as error:
                raise _RowProblem(column, _messages(error)) from None
            values.update(holder_code_type=kind, holder_key=key, holder_masked=masked)

        def plain_fields() -> None:
            values["number"] = self.text(cells, "number", max_length=100)

        def issuer() -> None:
            values["issuer_name"] = self.text(cells, "issuer_name", max_length=100)

        def dates() -> None:
            issued_on = _parse_date(header("issued_on"), self.cell(cells, "issued_on"))
            if issued_on is None:
                raise _RowProblem(header("issued_on"), _("不能为空。"))
            if issued_on > self.today:
                raise _RowProblem(header("issued_on"), _("颁发日期晚于今天。"))
            # An empty start of validity means it began on the issue date:
            valid_from = _parse_date(header("valid_from"), self.cell(cells, "valid_from")) or issued_on
            until_cell = self.cell(cells, "valid_until")
            valid_until = None if _text(until_cell) in _LONG_TERM else _parse_date(header("valid_until"), until_cell)
            if valid_until is not None and valid_until < valid_from:
                raise _RowProblem(
                    header("valid_until"),
                    _("有效期截止日期 %(until)s 早于有效期起始日期 %(start)s。")
                    % {"until": valid_until.isoformat(), "start": valid_from.isoformat()},
                )
            values.update(issued_on=issued_on, valid_from=valid_from, valid_until=valid_until)

        def status() -> None:
            status = self.text(cells, "status", required=False) or LicenceStatus.VALID
            if status.isdigit():
                status = status.zfill(2)
            if status not in _STATUSES:
                raise _RowProblem(header("status"), _("状态代码应为 01、02、03、04、05、06、07 或 99。"))
            values["status"] = status

        def face() -> None:
            values["face"] = {
                key: _face_value(cells[index])
                for key, index in self.layout.face.items()
                if index < len(cells) and _text(cells[index]) != ""
            }

        for step in (identifier, licence_type, plain_fields, issuer, dates, holder, status, face):
            attempt(step)
        return (None if problems else values), problems

    def unnamed_type_errors(self) -> list[RowError]:
        """Rows of a licence type neither in the database nor named (ZZMC) by any row of the file."""
        errors = []
        for code, rows in self.unnamed.items():
            if code in self.new_types:
                continue
            message = _("证照类型 %(code)s 不存在：请先建立该证照类型，或在 ZZMC 列填写证照名称以便导入时建立。") % {
                "code": code
            }
            errors += [RowError(row, self.layout.header("type_code"), message) for row in rows]
        return errors


def _differences(values: dict[str, Any], existing: dict[str, Any]) -> list[str]:
    # The face goes through JSON as the database keeps it, so key order and the like do not count:
    existing = dict(existing, face=json.loads(json.dumps(existing["face"])))
    values = dict(values, face=json.loads(json.dumps(values["face"], default=str)))
    return [element for name, element in _COMPARED if values[name] != existing[name]]


def _compare_with_library(
    pending: list[tuple[int, dict[str, Any]]], column: str
) -> tuple[list[dict[str, Any]], int, list[RowError]]:
    """Split validated rows into new and unchanged ones; one that differs from the library is an error."""
    fields = [name for name, _element in _COMPARED if name != "type_code"]
    identifiers = [values["identifier"] for _number, values in pending]
    found = {
        row["identifier"]: row
        for row in Licence.objects.filter(identifier__in=identifiers).values(
            "identifier", "imported", *fields, type_code=F("licence_type__code")
        )
    }
    new: list[dict[str, Any]] = []
    unchanged = 0
    errors: list[RowError] = []
    for number, values in pending:
        existing = found.get(values["identifier"])
        if existing is None:
            new.append(values)
        elif not existing["imported"]:
            errors.append(RowError(number, column, _("该证照标识已被本平台签发的证照使用。")))
        elif differences := _differences(values, existing):
            message = _("该证照标识已经导入，但已有记录的 %(fields)s 与本行不同；导入不会覆盖已有证照。")
            errors.append(RowError(number, column, message % {"fields": "、".join(differences)}))
        else:
            unchanged += 1
    return new, unchanged, errors


# Writing -------------------------------------------------------------------------------------


def _spool_batches(spool: IO[bytes]) -> Iterator[list[dict[str, Any]]]:
    spool.seek(0)
    while True:
        try:
            yield pickle.load(spool)  # our own temporary file, written by _validate_file
        except EOFError:
            return


def _ensure_types(new_types: dict[str, str]) -> dict[str, int]:
    """Create the licence types the file names and the database lacks; return their code → pk."""
    for code, name in new_types.items():
        # Only the code and the name are known: the defining body is recorded by its credit code
        # (the first 18 characters of the type code) until an administrator completes the type.
        # Imported types are not issued here (issued_here stays False):
        LicenceType.objects.get_or_create(
            code=code, defaults={"name": name, "defining_body": code[:18], "layout": {"title": name}}
        )
    return dict(LicenceType.objects.filter(code__in=new_types).values_list("code", "pk"))


def _licence(values: dict[str, Any], type_id: int, status_index: int) -> Licence:
    fields = {key: value for key, value in values.items() if key != "type_code"}
    return Licence(licence_type_id=type_id, status_index=status_index, imported=True, **fields)


def _copy_licences(licences: list[Licence]) -> None:
    """Insert with PostgreSQL's COPY, several times faster than INSERT for large batches."""
    db = transaction.get_connection()  # the connection itself, not the per-thread proxy looked up per value
    fields = [f for f in Licence._meta.concrete_fields if not f.primary_key]
    table = db.ops.quote_name(Licence._meta.db_table)
    columns = ", ".join(db.ops.quote_name(str(f.column)) for f in fields)
    with db.cursor() as cursor, cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for licence in licences:
            # The same conversions an INSERT makes (defaults, auto_now_add, JSON adaptation):
            copy.write_row([f.get_db_prep_save(f.pre_save(licence, add=True), db) for f in fields])


def _insert_batch(batch: list[dict[str, Any]], type_ids: dict[str, int]) -> None:
    first = reserve_status_indexes(len(batch))
    licences = [_licence(values, type_ids[values["type_code"]], first + i) for i, values in enumerate(batch)]
    if connection.vendor == "postgresql":
        _copy_licences(licences)
    else:
        Licence.objects.bulk_create(licences)


# The action ----------------------------------------------------------------------------------


@dataclass
class _Plan:
    """What the validating pass found: how many rows to insert (spooled) and the types they need."""

    to_insert: int = 0
    type_ids: dict[str, int] = field(default_factory=dict)
    new_types: dict[str, str] = field(default_factory=dict)


class _Errors:
    def __init__(self, report: ImportReport) -> None:
        self.report = report

    def add(self, errors: list[RowError]) -> None:
        self.report.error_count += len(errors)
        self.report.errors += errors[: max(MAX_ERRORS - len(self.report.errors), 0)]


def _validate_file(
    path: Path,
    encoding: str,
    report: ImportReport,
    spool: IO[bytes] | None,
    progress: Progress | None,
    total: int | None,
) -> _Plan:
    """The first pass: check every row, compare with the library in batches, spool the new rows."""
    plan = _Plan()
    errors = _Errors(report)
    validator: _Validator | None = None
    pending: list[tuple[int, dict[str, Any]]] = []
    batch: list[dict[str, Any]] = []

    def flush() -> None:
        nonlocal batch
        assert validator is not None
        new, unchanged, problems = _compare_with_library(pending, validator.layout.header("identifier"))
        pending.clear()
        report.unchanged += unchanged
        errors.add(problems)
        plan.to_insert += len(new)
        if spool is None or report.error_count:
            return  # nothing will be written: no need to keep the rows
        batch += new
        while len(batch) >= BATCH_SIZE:
            pickle.dump(batch[:BATCH_SIZE], spool, protocol=pickle.HIGHEST_PROTOCOL)
            batch = batch[BATCH_SIZE:]

    rows = _read_rows(path, encoding)
    try:
        for number, cells in rows:
            if validator is None:
                try:
                    validator = _Validator(_read_header(cells), timezone.localdate())
                except _RowProblem as problem:
                    errors.add([RowError(number, "", problem.message)])
                    return plan
                continue
            if all(_text(cell) == "" for cell in cells):
                continue  # spreadsheets end with empty rows
            report.rows += 1
            values, problems = validator.check(number, cells)
            errors.add(problems)
            if values is not None:
                pending.append((number, values))
            if len(pending) >= BATCH_SIZE:
                flush()
            if progress and report.rows % 1000 == 0:
                progress("validate", report.rows, total)
    except _RowProblem as problem:  # the file as a whole: damaged, or not in the encoding
        errors.add([RowError(0, "", problem.message)])
        return plan
    finally:
        rows.close()  # closes the workbook when the header was wrong and reading stopped early
    if validator is None:
        errors.add([RowError(0, "", _("文件是空的：没有表头行。"))])
        return plan
    if pending:
        flush()
    if spool is not None and batch and not report.error_count:
        pickle.dump(batch, spool, protocol=pickle.HIGHEST_PROTOCOL)
    errors.add(validator.unnamed_type_errors())
    if progress:
        progress("validate", report.rows, report.rows)
    plan.new_types = validator.new_types
    plan.type_ids = {code: pk for code, pk in validator.types.items() if pk is not None}
    report.types_created = sorted(plan.new_types)
    return plan


def import_licences(
    path: Path,
    *,
    actor: Any,
    dry_run: bool = False,
    encoding: str = "utf-8-sig",
    progress: Progress | None = None,
) -> ImportReport:
    """Import historical licences from a CSV or XLSX file: all rows or none.

    Every row is validated before anything is written; if any is wrong, the report lists
    the first MAX_ERRORS problems (by row and column) and counts them all, and nothing is
    written. Rows whose identifier is already imported with the same data count as
    unchanged; with other data, or taken by a licence issued here, they are errors. Licence
    types the database lacks are created from ZZMC. The new licences (``imported``) are
    written in one transaction, in batches of BATCH_SIZE, with one audit record
    (``licences.imported``); the status lists are republished after commit. ``dry_run``
    validates and counts only. ``progress(stage, done, total)`` is called as rows go by.
    """
    sha256, lines = _file_facts(path)
    total = _xlsx_total(path) if _is_xlsx(path) else max(lines - 1, 0)
    report = ImportReport(file_name=path.name, sha256=sha256, dry_run=dry_run)
    with tempfile.TemporaryFile() as spool:
        plan = _validate_file(path, encoding, report, None if dry_run else spool, progress, total)
        report.errors.sort(key=lambda error: error.row)
        if not report.is_valid or dry_run:
            report.created = plan.to_insert if report.is_valid else 0
            return report
        with transaction.atomic():
            type_ids = plan.type_ids | _ensure_types(plan.new_types)
            for batch in _spool_batches(spool):
                _insert_batch(batch, type_ids)
                report.created += len(batch)
                if progress:
                    progress("write", report.created, plan.to_insert)
            record(
                "licences.imported",
                actor,
                None,
                {
                    "file": report.file_name,
                    "sha256": report.sha256,
                    "rows": report.rows,
                    "created": report.created,
                    "unchanged": report.unchanged,
                    "types_created": report.types_created,
                },
            )
            if report.created:
                transaction.on_commit(publish_status_lists_after_commit)
    return report
