"""Bulk import of historical licences from CSV or XLSX: all or nothing, repeatable, reusable afterwards."""

from __future__ import annotations

import csv
import datetime
import io
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from conftest import ALICE_ID, ALICE_PHONE, PASSWORD
from govhall.audit.models import AuditRecord
from govhall.identity.actions import register_applicant
from govhall.lib.licence_ids import make_licence_identifier
from govhall.licences import imports
from govhall.licences.models import Licence, LicenceType
from govhall.licences.queries import holder_keys, reusable_licences

from .conftest import FOREST_RIGHT_TYPE

pytestmark = pytest.mark.django_db

ISSUER = ("厦门市自然资源和规划局海沧分局", "11350205MB0C100016")
LIN_ID = "350205197003151010"
COOP_CODE = "93350205MA2Y4GL0XK"
MINING_TYPE = "11100000000013338W087"
HEADER = [
    "ZZBS",
    "ZZLXDM",
    "ZZMC",
    "ZZBH",
    "ZZBFJG",
    "ZZBFJGDM",
    "ZZBFRQ",
    "ZZYXQQSRQ",
    "ZZYXQJZRQ",
    "CZZT",
    "CZZTDM",
    "CZZTDMLXDM",
    "KZ_location",
]


def row(serial: str, holder: str, code: str, kind: str = "111", **changes: str) -> dict[str, str]:
    type_code = changes.pop("type_code", FOREST_RIGHT_TYPE)
    values = {
        "ZZBS": make_licence_identifier(type_code, ISSUER[1], serial, 1),
        "ZZLXDM": type_code,
        "ZZMC": "",
        "ZZBH": f"闽（2019）海沧不动产权第{serial}号",
        "ZZBFJG": ISSUER[0],
        "ZZBFJGDM": ISSUER[1],
        "ZZBFRQ": "2019-06-12",
        "ZZYXQQSRQ": "20190612",
        "ZZYXQJZRQ": "2069-06-11",
        "CZZT": holder,
        "CZZTDM": code,
        "CZZTDMLXDM": kind,
        "KZ_location": "东孚镇过坂村 12林班",
    }
    values.update(changes)
    return values


GOOD = [
    row("2019000123", "陈爱丽", ALICE_ID),
    row("2019000124", "绿源林业专业合作社", COOP_CODE, "001", ZZYXQJZRQ=""),
    row("2019000125", "林志强", LIN_ID, ZZYXQQSRQ="", ZZYXQJZRQ="2059/06/11"),
]


def write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.DictWriter(handle, fieldnames=HEADER)
        writer.writeheader()
        writer.writerows(rows)
    return path


def run(path: Path, *args: str, **options: Any) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_licences", str(path), *args, stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


def test_it_imports_good_rows_with_hashed_holder_keys_that_match_the_person_registering_later(
    forest_right_type: LicenceType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copies: list[int] = []
    copy = imports._copy_licences
    monkeypatch.setattr(imports, "_copy_licences", lambda licences: copies.append(len(licences)) or copy(licences))

    out, _err = run(write_csv(tmp_path / "licences.csv", GOOD))

    assert "共3行：新导入3本证照，0本已存在且内容相同（跳过），新建证照类型0个。" in out
    # PostgreSQL takes the batch through COPY, other databases through bulk_create:
    assert copies == ([3] if connection.vendor == "postgresql" else [])
    alice_licence, coop_licence, lin_licence = Licence.objects.order_by("serial")
    assert Licence.objects.filter(imported=True, licence_type=forest_right_type).count() == 3
    assert len({alice_licence.status_index, coop_licence.status_index, lin_licence.status_index}) == 3
    assert alice_licence.holder_key != ALICE_ID and ALICE_ID not in alice_licence.holder_masked
    assert alice_licence.holder_masked == "350205********0020"
    assert alice_licence.face == {"location": "东孚镇过坂村 12林班"}
    assert (coop_licence.holder_key, coop_licence.holder_masked) == (COOP_CODE, COOP_CODE)
    assert coop_licence.valid_until is None
    assert lin_licence.valid_from == datetime.date(2019, 6, 12) and lin_licence.valid_until == datetime.date(
        2059, 6, 11
    )

    alice = register_applicant(name="陈爱丽", id_number=ALICE_ID, phone=ALICE_PHONE, password=PASSWORD)
    assert alice.person is not None
    assert alice.person.id_number_hash == alice_licence.holder_key
    assert alice.person.id_number_masked == alice_licence.holder_masked

    audit = AuditRecord.objects.get(event="licences.imported")
    assert audit.extra["file"] == "licences.csv" and len(audit.extra["sha256"]) == 64
    assert (audit.extra["rows"], audit.extra["created"], audit.extra["unchanged"]) == (3, 3, 0)


def test_importing_the_same_file_again_changes_nothing(forest_right_type: LicenceType, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "licences.csv", GOOD)
    run(path)
    before = list(Licence.objects.order_by("pk").values())

    report = imports.import_licences(path, actor="system")

    assert (report.rows, report.created, report.unchanged, report.error_count) == (3, 0, 3, 0)
    assert list(Licence.objects.order_by("pk").values()) == before


def test_a_row_that_differs_from_the_imported_licence_is_an_error_not_an_overwrite(
    forest_right_type: LicenceType, tmp_path: Path
) -> None:
    run(write_csv(tmp_path / "licences.csv", GOOD))
    changed = [GOOD[0], {**GOOD[1], "CZZT": "绿源林业合作社"}, GOOD[2]]

    with pytest.raises(CommandError, match="发现1处错误，未导入任何证照。"):
        run(write_csv(tmp_path / "changed.csv", changed))

    assert Licence.objects.get(serial="2019000124").holder_name == "绿源林业专业合作社"


def test_a_file_with_wrong_rows_writes_nothing_and_names_each_row(
    forest_right_type: LicenceType, tmp_path: Path
) -> None:
    wrong_check = row("2019000126", "林志强", LIN_ID)
    wrong_check["ZZBS"] = wrong_check["ZZBS"][:-1] + ("A" if wrong_check["ZZBS"][-1] != "A" else "B")
    rows = [
        row("2019000125", "陈爱丽", "35020519850312002"),  # 17 digits
        wrong_check,
        row("2019000127", "林志强", LIN_ID, ZZYXQQSRQ="2020-01-01", ZZYXQJZRQ="2019-12-31"),
        row("2019000125", "林志强", LIN_ID),  # the identifier of row 2
        GOOD[0],
    ]
    path = write_csv(tmp_path / "wrong.csv", rows)

    with pytest.raises(CommandError, match="发现4处错误，未导入任何证照。"):
        run(path)
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_licences", str(path), stdout=io.StringIO(), stderr=err)

    assert err.getvalue().splitlines() == [
        "第2行 CZZTDM：身份证号码应为18位（或旧式15位），您输入了17位。",
        "第3行 ZZBS：证照标识校验位不正确，请核对是否输错。",
        "第4行 ZZYXQJZRQ：有效期截止日期 2019-12-31 早于有效期起始日期 2020-01-01。",
        "第5行 ZZBS：与第2行的证照标识重复。",
    ]
    assert not Licence.objects.exists()
    assert not AuditRecord.objects.filter(event="licences.imported").exists()


def test_an_xlsx_file_with_english_headers_and_date_cells_imports_too(
    forest_right_type: LicenceType, tmp_path: Path
) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(
        [
            "identifier",
            "type_code",
            "number",
            "issuer_name",
            "issuer_code",
            "issued_on",
            "valid_from",
            "valid_until",
            "holder_name",
            "holder_code",
            "holder_code_type",
            "status",
            "KZ_area_mu",
        ]
    )
    for values in GOOD[:2]:
        sheet.append(
            [
                values["ZZBS"],
                values["ZZLXDM"],
                values["ZZBH"],
                values["ZZBFJG"],
                values["ZZBFJGDM"],
                datetime.date(2019, 6, 12),
                20190612,
                datetime.date(2069, 6, 11) if values["CZZTDMLXDM"] == "111" else None,
                values["CZZT"],
                values["CZZTDM"],
                values["CZZTDMLXDM"],
                "01",
                86.5,
            ]
        )
    sheet.append([None] * 13)  # spreadsheets end with empty rows
    path = tmp_path / "licences.xlsx"
    workbook.save(path)

    out, err = run(path, "--progress")

    assert "新导入2本证照" in out
    assert "写入 [" in err and "2/2" in err
    alice_licence = Licence.objects.get(serial="2019000123")
    assert alice_licence.valid_from == datetime.date(2019, 6, 12)
    assert alice_licence.valid_until == datetime.date(2069, 6, 11)
    assert alice_licence.face == {"area_mu": 86.5}
    assert Licence.objects.get(serial="2019000124").valid_until is None


def test_a_held_imported_licence_is_offered_for_reuse(forest_right_type: LicenceType, tmp_path: Path) -> None:
    run(write_csv(tmp_path / "licences.csv", GOOD[2:]))

    lin = register_applicant(name="林志强", id_number=LIN_ID, phone="13800000002", password=PASSWORD)

    offered = reusable_licences(holder_keys(lin), [FOREST_RIGHT_TYPE])
    assert [licence.serial for licence in offered[FOREST_RIGHT_TYPE]] == ["2019000125"]


def test_a_missing_licence_type_is_created_from_its_name_or_else_refused(
    forest_right_type: LicenceType, tmp_path: Path
) -> None:
    rows = [
        row("2020000001", "林志强", LIN_ID, type_code=MINING_TYPE),
        row("2020000002", "陈爱丽", ALICE_ID, type_code=MINING_TYPE),
    ]
    with pytest.raises(CommandError, match="发现2处错误"):
        run(write_csv(tmp_path / "unnamed.csv", rows))
    assert not LicenceType.objects.filter(code=MINING_TYPE).exists()

    rows[1]["ZZMC"] = "采矿许可证"  # a later row names the type for the earlier one too
    out, _err = run(write_csv(tmp_path / "named.csv", rows))

    assert "新导入2本证照" in out and "新建证照类型1个" in out
    mining = LicenceType.objects.get(code=MINING_TYPE)
    assert (mining.name, mining.issued_here) == ("采矿许可证", False)
    assert mining.licences.count() == 2


def test_the_unnamed_type_error_says_what_to_do(forest_right_type: LicenceType, tmp_path: Path) -> None:
    report = imports.import_licences(
        write_csv(tmp_path / "unnamed.csv", [row("2020000001", "林志强", LIN_ID, type_code=MINING_TYPE)]),
        actor="system",
    )
    assert [str(error) for error in report.errors] == [
        f"第2行 ZZLXDM：证照类型 {MINING_TYPE} 不存在：请先建立该证照类型，或在 ZZMC 列填写证照名称以便导入时建立。"
    ]


def test_a_dry_run_validates_and_counts_but_writes_nothing(forest_right_type: LicenceType, tmp_path: Path) -> None:
    out, _err = run(write_csv(tmp_path / "licences.csv", GOOD), "--dry-run")

    assert "试运行，未写入任何数据：共3行，将新导入3本证照" in out
    assert not Licence.objects.exists()
    assert not AuditRecord.objects.filter(event="licences.imported").exists()


def test_a_wrong_header_is_reported_before_any_row(forest_right_type: LicenceType, tmp_path: Path) -> None:
    path = tmp_path / "header.csv"
    path.write_text("ZZBS,ZZLXDM,ZZBHX\n", encoding="utf-8")

    report = imports.import_licences(path, actor="system")

    assert [str(error) for error in report.errors] == [
        "第1行：无法识别的列：ZZBHX。列名应为 GB/T 36903 元素代码（如 ZZBS）；照面信息列以 KZ_ 开头。"
    ]


def test_only_the_first_200_errors_are_listed_with_a_count_of_the_rest(
    forest_right_type: LicenceType, tmp_path: Path
) -> None:
    rows = [row(f"2021{n:06d}", "林志强", "") for n in range(250)]
    err = io.StringIO()

    with pytest.raises(CommandError, match="发现250处错误，未导入任何证照。"):
        call_command("import_licences", str(write_csv(tmp_path / "empty.csv", rows)), stderr=err)

    lines = err.getvalue().splitlines()
    assert len(lines) == 201
    assert lines[0] == "第2行 CZZTDM：不能为空。" and lines[199] == "第201行 CZZTDM：不能为空。"
    assert lines[200] == "……另有50处错误未列出（只列出前200处）。"


def test_a_csv_in_another_encoding_is_refused_with_a_hint(forest_right_type: LicenceType, tmp_path: Path) -> None:
    path = tmp_path / "gbk.csv"
    with path.open("w", newline="", encoding="gb18030") as handle:
        writer = csv.DictWriter(handle, fieldnames=HEADER)
        writer.writeheader()
        writer.writerows(GOOD)

    report = imports.import_licences(path, actor="system")
    assert "请加 --encoding gb18030" in str(report.errors[0]) and not Licence.objects.exists()

    assert imports.import_licences(path, actor="system", encoding="gb18030").created == 3
