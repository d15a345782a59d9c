"""In Chromium: the forestry and the water clerk look the farmer up; the audit administrator reads the trail."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from browser_testing import ARTIFACTS
from govhall.cases.tests.test_browser import (  # noqa: F401 - fixtures
    _log_in_at_desk,
    demo_bureau,
    open_browser,
    private_files,
)
from govhall.licences.demo import load_licence_demo

pytestmark = pytest.mark.browser
FARMER = "350205198503120020"


def _look_up(page: Page, identifier: str, purpose: str) -> None:
    page.get_by_role("link", name="一码查询").click()
    page.get_by_label("公民身份号码或统一社会信用代码").fill(identifier)
    page.get_by_label("查询目的").select_option(label=purpose)
    page.get_by_role("button", name="查询").click()


@pytest.fixture
def demo_licences(demo_bureau: None) -> None:  # noqa: F811
    """The licence library of the demo: the farmer's forest-right certificate, the cooperative's licence."""
    load_licence_demo()


def test_each_clerk_sees_their_own_units_records_of_the_farmer(
    open_browser: Callable[[], Page],  # noqa: F811
    demo_licences: None,
) -> None:
    forestry = open_browser()
    _log_in_at_desk(forestry, "bob")
    _look_up(forestry, FARMER, "咨询答复")
    result = forestry.locator("#dossier-result")
    expect(result).to_contain_text("陈爱丽")
    expect(result).to_contain_text("350205********0020")
    # The forest-right certificate: the forestry unit's felling item accepts it as a material:
    expect(result.get_by_role("table").filter(has_text="林权证")).to_be_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    forestry.screenshot(path=str(ARTIFACTS / "dossier-forestry.png"), full_page=True)

    water = open_browser()
    _log_in_at_desk(water, "carol")
    _look_up(water, FARMER, "咨询答复")
    expect(water.locator("#dossier-result")).not_to_contain_text("林权证")

    # A mistyped number is named, next to the field:
    _look_up(water, "350205198503120021", "咨询答复")
    expect(water.get_by_role("alert")).to_contain_text("身份证号码校验位不正确")

    auditor = open_browser()
    _log_in_at_desk(auditor, "judy")
    auditor.goto("/admin/audit/auditrecord/?event=dossier.looked_up")
    expect(auditor.locator("#result_list tbody tr")).to_have_count(2)
    expect(auditor.locator("#result_list")).to_contain_text("bob")
    expect(auditor.locator("#result_list")).to_contain_text("carol")
