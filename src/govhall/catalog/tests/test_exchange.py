"""Import and export in the national exchange field names: all or nothing, idempotent, row and field named."""

from __future__ import annotations

import copy
import io

import pytest

from django.utils import translation

from govhall.catalog.constants import VersionState
from govhall.catalog.exchange import (
    ImportFailed,
    export_exchange,
    export_xlsx,
    import_exchange,
    read_xlsx,
)
from govhall.catalog.models import ItemVersion, ServiceItem
from govhall.catalog.tests.factories import create_draft, publish
from govhall.identity.models import Department, User

pytestmark = pytest.mark.django_db


@pytest.fixture
def document(helen: User, grace: User, departments: dict[str, Department]) -> dict:
    """An exchange document made by exporting one published item, then the item removed."""
    version = publish(create_draft(helen, departments["forestry"]), helen, grace)
    data = export_exchange([version])
    ServiceItem.objects.all().delete()
    return data


def test_export_uses_the_national_field_names(document: dict) -> None:
    row = document["items"][0]
    for name in (
        "TASK_NAME",
        "CATALOG_CODE",
        "TASK_CODE",
        "ANTICIPATE_DAY",
        "PROMISE_TYPE",
        "LIMIT_SCENE_NUM",
        "BY_LAW",
    ):
        assert name in row
    assert row["MATERIALS"][1]["SOURCE_TYPE"] == "2"
    assert row["MATERIALS"][1]["LICENCE_TYPE_CODE"] == "11100000000013338W003"


def test_an_exported_catalog_imports_as_drafts_with_everything(document: dict, helen: User) -> None:
    report = import_exchange(document, actor=helen)
    assert len(report.created) == 1
    version = ItemVersion.objects.get()
    assert version.state == VersionState.DRAFT
    assert version.name == "林木采伐许可证核发"
    assert version.materials.count() == 2 and version.steps.count() == 5 and version.questions.count() == 1
    assert version.legal_basis[0]["LAW_NAME"] == "中华人民共和国森林法"


def test_whether_a_case_waits_for_its_fee_goes_both_ways_and_a_file_that_does_not_say_means_it_waits(
    document: dict, helen: User
) -> None:
    row = document["items"][0]
    assert row["FEE_WAIT"] == "1"
    row["FEE_WAIT"] = "0"
    import_exchange(document, actor=helen)
    assert ItemVersion.objects.get().fee_waits is False
    ServiceItem.objects.all().delete()
    del row["FEE_WAIT"]  # written before the field existed
    import_exchange(document, actor=helen)
    assert ItemVersion.objects.get().fee_waits is True


def test_import_is_idempotent(document: dict, helen: User) -> None:
    import_exchange(document, actor=helen)
    report = import_exchange(document, actor=helen)
    assert report.unchanged == [document["items"][0]["TASK_CODE"]]
    assert ItemVersion.objects.count() == 1


def test_a_changed_item_becomes_a_new_draft_of_a_published_item(document: dict, helen: User, grace: User) -> None:
    import_exchange(document, actor=helen)
    publish(ItemVersion.objects.get(), helen, grace)
    changed = copy.deepcopy(document)
    changed["items"][0]["PROMISE_DAY"] = 3
    report = import_exchange(changed, actor=helen)
    assert report.updated
    assert list(ItemVersion.objects.order_by("number").values_list("number", "state", "committed_limit")) == [
        (1, "published", 5),
        (2, "draft", 3),
    ]


def test_every_problem_is_reported_with_row_and_field_and_nothing_is_imported(document: dict, helen: User) -> None:
    good = document["items"][0]
    second = copy.deepcopy(good)
    second["TASK_CODE"] = good["TASK_CODE"][:-1] + "9"
    second["CATALOG_CODE"] = good["CATALOG_CODE"][:-1] + "9"
    second["ANTICIPATE_DAY"] = "二十"
    second["IS_FEE"] = "maybe"
    second["MATERIALS"][0]["IS_NEED"] = "7"
    third = copy.deepcopy(good)
    third["TASK_CODE"] = "11350205MB0100001X4" + good["CATALOG_CODE"]
    third["HANDLING_DEPARTMENT"] = "nowhere"
    bad = {**document, "items": [good, second, third]}
    with translation.override("zh-hans"), pytest.raises(ImportFailed) as failed:
        import_exchange(bad, actor=helen)
    found = {(p.row, p.field) for p in failed.value.problems}
    assert ("第2条事项", "ANTICIPATE_DAY") in found
    assert ("第2条事项", "IS_FEE") in found
    assert ("第2条事项 MATERIALS 第1行", "IS_NEED") in found
    assert ("第3条事项", "TASK_CODE") in found
    assert ("第3条事项", "HANDLING_DEPARTMENT") in found
    assert ServiceItem.objects.count() == 0


def test_a_file_that_is_not_an_exchange_document_is_refused(helen: User) -> None:
    with pytest.raises(ImportFailed):
        import_exchange({"hello": "world"}, actor=helen)
    with pytest.raises(ImportFailed):
        import_exchange([1, 2, 3], actor=helen)


def test_xlsx_round_trip_and_sheet_rows_in_errors(document: dict, helen: User, grace: User) -> None:
    import_exchange(document, actor=helen)
    version = publish(ItemVersion.objects.get(), helen, grace)
    content = export_xlsx([version])
    data, locate = read_xlsx(content)
    assert data["items"][0]["TASK_NAME"] == "林木采伐许可证核发"
    assert len(data["items"][0]["MATERIALS"]) == 2
    assert import_exchange(data, actor=helen, locate=locate).unchanged

    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(content))
    sheet = workbook["MATERIALS"]
    header = [c.value for c in sheet[1]]
    sheet.cell(row=3, column=header.index("IS_NEED") + 1, value="9")
    broken = io.BytesIO()
    workbook.save(broken)
    data, locate = read_xlsx(broken.getvalue())
    with translation.override("zh-hans"), pytest.raises(ImportFailed) as failed:
        import_exchange(data, actor=helen, locate=locate)
    assert [(p.row, p.field) for p in failed.value.problems] == [("MATERIALS 第3行", "IS_NEED")]


def test_a_file_that_is_not_a_workbook_is_refused_clearly() -> None:
    with translation.override("zh-hans"), pytest.raises(ImportFailed) as failed:
        read_xlsx(b"PK\x03\x04 this is not really a zip")
    assert "无法读取 XLSX" in failed.value.problems[0].message
