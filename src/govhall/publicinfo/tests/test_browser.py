"""An editor drafts a policy linked to the felling item, reviews it for secrecy, the approver publishes it,
and the public page shows it with the item. Screenshots go to ``test-artifacts/``."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from browser_testing import browser_tabs, log_in_at_desk, restore_migration_data, screenshot
from govhall.catalog.demo import load_catalog_demo
from govhall.identity.demo import DEMO_PASSWORD, load_demo
from govhall.identity.models import User

TITLE = "海沧区林木采伐管理补充规定"


@pytest.fixture
def open_browser(
    browser: Browser,
    live_server: object,
    django_db_serialized_rollback: None,
    transactional_db: None,
    migration_data: str,
    settings: Any,
) -> Iterator[Callable[[], Page]]:
    restore_migration_data(migration_data)
    load_demo()
    load_catalog_demo(editor=User.objects.get(username="helen"), approver=User.objects.get(username="grace"))
    settings.STAFF_2FA_SKIP = True
    with browser_tabs(browser, str(live_server)) as new_tab:
        yield new_tab


@pytest.mark.browser
def test_editor_review_approve_and_the_public_page(open_browser: Callable[[], Page]) -> None:
    editor = log_in_at_desk(open_browser(), "helen", DEMO_PASSWORD)
    editor.goto("/desk/info/")
    editor.get_by_role("link", name="新建公开信息").click()
    editor.get_by_label("信息类别", exact=True).select_option(label="规范性文件/政策文件")
    editor.get_by_label("标题", exact=True).fill(TITLE)
    editor.get_by_label("文号", exact=True).fill("厦海农林水〔2026〕12号")
    editor.get_by_label("发布机构", exact=True).fill("厦门市海沧区农林水利局")
    editor.get_by_label("成文日期", exact=True).fill("2026-03-02")
    editor.get_by_label("正文", exact=True).fill("第一条 为规范林木采伐，制定本规定。")
    items = editor.get_by_label("关联事项", exact=True)
    items.select_option(label=items.locator("option", has_text="林木采伐许可证核发").first.inner_text())
    editor.get_by_role("button", name="保存草稿").click()
    expect(editor.get_by_text("草稿已保存。下一步：保密审查。")).to_be_visible()
    editor.get_by_label("保密审查意见", exact=True).fill("不涉及国家秘密和工作秘密")
    editor.get_by_role("button", name="保密审查通过，送审批").click()
    expect(editor.get_by_text("保密审查通过，已送审批。")).to_be_visible()
    expect(editor.get_by_role("button", name="审批发布")).to_have_count(0)
    screenshot(editor, "publicinfo-reviewed")

    approver = log_in_at_desk(open_browser(), "grace", DEMO_PASSWORD)
    approver.goto("/desk/info/")
    approver.get_by_role("link", name=TITLE).first.click()
    approver.get_by_role("button", name="审批发布").click()
    expect(approver.get_by_text("已审批发布。")).to_be_visible()
    approver.get_by_role("link", name="查看公开页面").click()
    expect(approver.get_by_role("heading", level=1)).to_have_text(TITLE)

    public = open_browser()
    public.set_viewport_size({"width": 375, "height": 740})
    public.goto("/info/")
    public.get_by_role("link", name=TITLE).first.click()
    expect(public.get_by_text("厦海农林水〔2026〕12号")).to_be_visible()
    expect(public.get_by_role("link", name=re.compile("林木采伐许可证核发"))).to_be_visible()
    screenshot(public, "publicinfo-public-phone")
