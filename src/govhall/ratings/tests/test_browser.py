"""In a real browser: the farmer rates her closed felling case badly, and the rectification runs to its follow-up.

陈爱丽 rates the case 非常不满意 in her workspace; supervisor 郑德安 classifies it and hands it to
clerk 李一涵 (not one of the staff rated); she states the measures and records the follow-up
call; the supervisor closes it; the farmer reads the result and adds her follow-up rating.
Each person works in a browser context of their own. Screenshots go to ``test-artifacts/``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from browser_testing import browser_tabs, log_in_at_desk, screenshot
from conftest import ALICE_ID, PASSWORD
from govhall.cases.models import Case


@pytest.fixture
def open_browser(
    browser: Browser, live_server: object, django_db_serialized_rollback: None, committed: None, settings: Any
) -> Iterator[Callable[[], Page]]:
    # django_db_serialized_rollback makes Django keep the migrations' data when it creates the test
    # database, so that ``committed`` can put it back after another module's flush.
    settings.STAFF_2FA_SKIP = True
    with browser_tabs(browser, str(live_server)) as new_tab:
        yield new_tab


def _staff(open_browser: Callable[[], Page], username: str) -> Page:
    return log_in_at_desk(open_browser(), username, PASSWORD)


def _done(page: Page, text: str) -> None:
    expect(page.get_by_text(text)).to_be_visible()
    expect(page.locator(".form-errors")).to_have_count(0)


def _act(page: Page, title: str) -> Any:
    return page.locator("form.desk-action", has=page.get_by_role("heading", name=title, exact=True))


@pytest.mark.browser
def test_the_farmer_rates_badly_and_the_rectification_runs_to_its_follow_up(
    open_browser: Callable[[], Page], closed_case: Case, dan: Any, ivy: Any
) -> None:
    farmer = open_browser()
    farmer.goto(f"/my/cases/{closed_case.public_id}/")
    farmer.get_by_label("身份证号码或手机号码", exact=True).fill(ALICE_ID)
    farmer.get_by_label("密码", exact=True).fill(PASSWORD)
    farmer.get_by_role("button", name="登录").click()
    farmer.get_by_role("link", name="评价本次服务").click()
    expect(farmer.get_by_role("heading", level=1)).to_have_text("评价本次服务")
    farmer.get_by_label("非常不满意", exact=True).check()
    farmer.get_by_role("button", name="提交评价").click()
    # No reason chosen: the page says what is missing and keeps her choice:
    expect(farmer.get_by_text("请至少选择一项不满意的原因，以便我们有针对性地整改。").first).to_be_visible()
    expect(farmer.get_by_label("非常不满意", exact=True)).to_be_checked()
    farmer.get_by_label("工作人员态度差", exact=True).check()
    farmer.get_by_label("办事效率", exact=True).select_option("1")
    farmer.get_by_label("具体意见或建议", exact=True).fill("窗口人员不耐烦，审批也比承诺的慢。")
    farmer.get_by_role("button", name="提交评价").click()
    expect(farmer).to_have_url(re.compile(r"/my/ratings/$"))
    expect(farmer.get_by_role("row").filter(has_text=closed_case.reference)).to_contain_text("待分类")

    supervisor = _staff(open_browser, "dan")
    supervisor.goto("/desk/ratings/")
    supervisor.get_by_role("region", name="需要我处理的差评整改").get_by_role("link").first.click()
    expect(supervisor.get_by_role("heading", level=1)).to_contain_text("差评整改")
    classify = _act(supervisor, "分类认定")
    classify.get_by_role("group", name="差评是否合理").get_by_label("是").check()
    classify.get_by_role("group", name="反映的问题是否属实").get_by_label("是").check()
    classify.get_by_role("group", name="是否疑似恶意差评").get_by_label("否").check()
    classify.get_by_role("button", name="分类认定").click()
    _done(supervisor, "已完成分类认定。")
    assign = _act(supervisor, "交办整改")
    assign.get_by_label("整改责任人").select_option("ivy")
    assign.get_by_role("button", name="交办整改").click()
    _done(supervisor, "已交办，整改期限已开始计算。")
    url = supervisor.url

    clerk = _staff(open_browser, "ivy")
    clerk.goto(url)
    expect(clerk.locator("#rectification-status")).to_have_text("已交办")
    expect(clerk.get_by_text("陈爱丽")).to_be_visible()  # the handler may see who rated, to call her
    _act(clerk, "开始整改").get_by_label("整改措施").fill("组织窗口服务规范培训，压缩审查时间。")
    _act(clerk, "开始整改").get_by_role("button", name="开始整改").click()
    _done(clerk, "已开始整改。")
    follow_up = _act(clerk, "记录回访")
    follow_up.get_by_label("回访记录").fill("12月8日电话回访陈女士，说明整改措施，她表示认可。")
    follow_up.get_by_label("告知评价人的整改结果").fill("已对窗口人员开展服务规范培训，并优化审查流程。")
    follow_up.get_by_role("button", name="记录回访").click()
    _done(clerk, "回访已记录，请监督人员办结。")

    supervisor.reload()
    _act(supervisor, "办结").get_by_role("button", name="办结").click()
    _done(supervisor, "差评整改已办结，已告知评价人整改结果。")
    expect(supervisor.locator("#rectification-status")).to_have_text("已办结")
    screenshot(supervisor, "ratings-rectification-closed")

    farmer.goto("/my/ratings/")
    expect(farmer.get_by_role("row").filter(has_text=closed_case.reference)).to_contain_text(
        "已对窗口人员开展服务规范培训"
    )
    farmer.get_by_role("link", name=closed_case.item_version.name).click()
    expect(farmer.get_by_role("heading", level=1)).to_have_text("追加评价")
    farmer.get_by_label("满意", exact=True).check()
    farmer.get_by_role("button", name="提交评价").click()
    expect(farmer).to_have_url(re.compile(r"/my/ratings/$"))
    expect(farmer.get_by_text("（追加评价）")).to_be_visible()
    screenshot(farmer, "ratings-farmer-follow-up")
