"""A notice countersigned across sections in a real browser, as the issue says it will be checked.

The forestry section drafts a notice and sends it to the water and agriculture sections at
once; water signs in time; agriculture's deadline passes (moved into the past in the
database: the live server's clock cannot be moved), its late signing is refused, forestry
chases it (催办), the leader grants an extension, agriculture signs; the leader signs
(签发); forestry numbers and issues it and downloads the signed PDF. Screenshots go to
``test-artifacts/``.
"""

from __future__ import annotations

import datetime
import io
import subprocess
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from django.utils import timezone

from browser_testing import ARTIFACTS, browser_tabs, log_in_at_desk, restore_migration_data, screenshot
from govhall.identity.demo import DEMO_PASSWORD, load_demo
from govhall.lib.signing import SignatureStatus, check_pdf_signatures
from govhall.office.models import RouteStep

TITLE = "关于做好2026年秋季森林防火工作的通知"


@pytest.fixture
def demo_bureau(django_db_serialized_rollback: None, transactional_db: None, migration_data: str) -> None:
    restore_migration_data(migration_data)
    load_demo()


@pytest.fixture
def open_browser(
    browser: Browser, live_server: object, demo_bureau: None, settings: Any
) -> Iterator[Callable[[], Page]]:
    settings.STAFF_2FA_SKIP = True
    with browser_tabs(browser, str(live_server), accept_downloads=True) as new_tab:
        yield new_tab


def _staff(open_browser: Callable[[], Page], username: str) -> Page:
    return log_in_at_desk(open_browser(), username, DEMO_PASSWORD)


def _open_document(page: Page) -> None:
    page.goto("/desk/office/")
    page.get_by_role("link", name=TITLE).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)


def _sign(page: Page, opinion: str) -> None:
    page.get_by_label("意见", exact=True).fill(opinion)
    page.get_by_role("button", name="提交意见").click()


@pytest.mark.browser
def test_a_notice_is_countersigned_by_two_sections_one_late_and_chased_signed_off_and_issued(
    open_browser: Callable[[], Page],
) -> None:
    # Forestry drafts the notice and sends it: forestry leads, water and agriculture co-sign:
    bob = _staff(open_browser, "bob")
    bob.goto("/desk/office/")
    bob.get_by_role("link", name="拟稿").click()
    bob.get_by_label("拟稿（登记）单位").select_option(label="林业科")
    bob.get_by_label("标题", exact=True).fill(TITLE)
    bob.get_by_label("机关代字", exact=True).fill("厦海农林水")
    bob.get_by_label("主送机关", exact=True).fill("各镇（街）农业服务中心")
    bob.get_by_label("正文", exact=True).fill("为切实做好秋季森林防火工作，现将有关事项通知如下。\n一、压实防火责任。")
    bob.get_by_role("button", name="保存拟稿").click()
    expect(bob.locator("div.messages[role=status]")).to_contain_text("下一步：选择主办和会签单位，送会签。")
    bob.get_by_label("主办单位", exact=True).select_option(label="林业科")
    bob.get_by_label("水利科", exact=True).check()
    bob.get_by_label("农业科", exact=True).check()
    bob.get_by_role("button", name="送会签").click()
    expect(bob.locator("#document-status")).to_have_text("会签中")
    _sign(bob, "同意")
    expect(bob.locator("div.messages[role=status]")).to_contain_text("已会签")

    # Water signs in time:
    carol = _staff(open_browser, "carol")
    _open_document(carol)
    _sign(carol, "同意，水利科负责做好水源保障")
    expect(carol.locator("#step-water")).to_contain_text("已会签")

    # Agriculture lets its deadline pass; its late opinion is refused, saying what to do:
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    RouteStep.objects.filter(department__code="agriculture").update(due_on=yesterday)
    kate = _staff(open_browser, "kate")
    _open_document(kate)
    _sign(kate, "同意")
    expect(kate.locator(".form-errors")).to_contain_text("已过，不能再会签。请先向拟稿单位申请延期")

    # Forestry chases agriculture (催办); the leader grants two more working days:
    bob.reload()
    bob.locator("#step-agriculture").get_by_role("button", name="催办").click()
    expect(bob.locator("div.messages[role=status]")).to_contain_text("已催办 农业科。")
    expect(bob.locator("#step-agriculture")).to_contain_text("已催办 1 次")
    grace = _staff(open_browser, "grace")
    _open_document(grace)
    row = grace.locator("#step-agriculture")
    row.get_by_label("延长（工作日）").fill("2")
    row.get_by_label("延期理由").fill("农业科需征求镇街意见")
    row.get_by_role("button", name="批准延期").click()
    expect(grace.locator("div.messages[role=status]")).to_contain_text("已批准 农业科 延期会签。")

    # Agriculture signs within the extension; the draft waits for the leader, who signs it off:
    _open_document(kate)  # (her last page answered the refused POST)
    _sign(kate, "同意，建议增加值班安排")
    expect(kate.locator("#document-status")).to_have_text("待签发")
    grace.reload()
    grace.get_by_role("button", name="签发").click()
    expect(grace.locator("#document-signer")).to_have_text("吴佳慧")

    # Forestry numbers and issues it, and downloads the signed PDF:
    bob.reload()
    bob.get_by_role("button", name="编号并发文").click()
    year = timezone.localdate().year
    expect(bob.locator("#document-number")).to_have_text(f"厦海农林水〔{year}〕1号")
    screenshot(bob, "office-document-issued")
    with bob.expect_download() as download_info:
        bob.locator("#download-pdf").click()
    path = download_info.value.path()
    data = path.read_bytes()
    assert data.startswith(b"%PDF")
    (ARTIFACTS / "office-document.pdf").write_bytes(data)
    # pyHanko runs its own asyncio loop, which cannot run in Playwright's thread:
    with ThreadPoolExecutor(1) as pool:
        check = pool.submit(check_pdf_signatures, io.BytesIO(data)).result()
    assert check.status == SignatureStatus.VALID, check.detail
    pdfsig = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True).stdout
    assert "Signature is Valid." in pdfsig
