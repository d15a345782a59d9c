"""The guide's materials table on a phone: every column shown, as cards, with nothing in a sideways scroll."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from browser_testing import ARTIFACTS, DESKTOP, restore_migration_data
from govhall.catalog.demo import load_catalog_demo
from govhall.catalog.queries import live_versions
from govhall.identity.demo import load_demo
from govhall.identity.models import User

pytestmark = pytest.mark.browser
FELLING = "林木采伐许可证核发"
IPHONE = {"width": 390, "height": 844}
COLUMNS = ["序号", "材料名称", "要求", "来源"]


@pytest.fixture
def guide_url(django_db_serialized_rollback: None, transactional_db: None, migration_data: str) -> str:
    """The felling guide of the demo catalog (committed: the live server reads it)."""
    restore_migration_data(migration_data)
    load_demo()
    load_catalog_demo(editor=User.objects.get(username="helen"), approver=User.objects.get(username="grace"))
    return f"/items/{live_versions().get(name=FELLING).public_id}/"


def _open(browser: Browser, live_server: object, viewport: dict[str, int]) -> Iterator[Page]:
    context = browser.new_context(base_url=str(live_server), locale="zh-CN", viewport=viewport)
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


@pytest.fixture
def phone(browser: Browser, live_server: object) -> Iterator[Page]:
    yield from _open(browser, live_server, IPHONE)


@pytest.fixture
def desktop(browser: Browser, live_server: object) -> Iterator[Page]:
    yield from _open(browser, live_server, DESKTOP)


def test_on_a_phone_every_material_is_a_card_showing_every_column(phone: Page, guide_url: str) -> None:
    phone.goto(guide_url)
    table = phone.get_by_role("table", name="申请材料")
    expect(table).to_be_visible()
    # Nothing hides in a sideways scroll: not in the table, nor in any box around it, nor on the page:
    overflowing = table.evaluate(
        """t => { const out = [];
          for (let e = t; e; e = e.parentElement) if (e.scrollWidth > e.clientWidth) out.push([e.tagName, e.className]);
          return out; }"""
    )
    assert overflowing == []
    rows = table.locator("tbody tr")
    assert rows.count() == 5
    for index in range(rows.count()):
        cells = rows.nth(index).locator("td")
        assert cells.count() == len(COLUMNS)
        for column, cell in zip(COLUMNS, cells.all(), strict=True):
            expect(cell).to_be_visible()
            box = cell.bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= IPHONE["width"]
            assert cell.inner_text().strip()
            # Each cell is labelled with its column's name, shown before its content:
            label = cell.evaluate("c => getComputedStyle(c, '::before').content")
            assert label == f'"{column}"', label
    # Cells are stacked one above the other (a card), not side by side:
    first = [cell.bounding_box() for cell in rows.first.locator("td").all()]
    assert all(a is not None and b is not None and a["y"] < b["y"] for a, b in zip(first, first[1:], strict=False))
    # Screen readers still find a table with its column headers:
    expect(table.get_by_role("columnheader")).to_have_text(COLUMNS)
    ARTIFACTS.mkdir(exist_ok=True)
    table.screenshot(path=ARTIFACTS / "catalog-guide-materials-390.png")


def test_on_a_desktop_the_materials_stay_a_table(desktop: Page, guide_url: str) -> None:
    desktop.goto(guide_url)
    table = desktop.get_by_role("table", name="申请材料")
    for header in table.locator("thead th").all():
        expect(header).to_be_visible()
    cells = table.locator("tbody tr").first.locator("td")
    boxes = [cell.bounding_box() for cell in cells.all()]
    # One row, side by side, and no label drawn before the content:
    assert all(a is not None and b is not None and a["x"] < b["x"] for a, b in zip(boxes, boxes[1:], strict=False))
    assert cells.first.evaluate("c => getComputedStyle(c, '::before').content") == "none"
