"""The catalog in a real browser: a citizen finds and prints a guide, editors and approvers run a revision.

Follows the issue's "how it will be checked": a new user browses and searches the portal in
Chinese, prints a guide, an editor edits an item, an approver is refused a publication that
breaks a consistency rule and publishes a good one, and an editor imports a file with errors.
Every test starts from the demo catalog (14 items, published by Helen and Grace). Screenshots
go to ``test-artifacts/`` for a human to look at.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urljoin

import pytest
from playwright.sync_api import Browser, Page, expect

from django.utils import timezone

from browser_testing import ARTIFACTS, DESKTOP, PHONE, restore_migration_data
from govhall.catalog.demo import DEMO_FILE, load_catalog_demo
from govhall.catalog.models import ServiceItem
from govhall.identity.demo import DEMO_PASSWORD, load_demo
from govhall.identity.models import User

FELLING = "林木采伐许可证核发"
WATER_ITEMS = ["取水许可", "生产建设项目水土保持方案审批", "河道管理范围内建设项目工程建设方案审批", "防汛抗旱信息查询"]
WATER_ABSTRACTION = "取水许可"
SAME_PHONES = "咨询电话和监督投诉电话不能相同。"


@pytest.fixture
def demo_catalog(django_db_serialized_rollback: None, transactional_db: None, migration_data: str) -> int:
    """The demo bureau, its staff (password DEMO_PASSWORD) and its published catalog; the item count.

    The live server needs committed data (``transactional_db``); the flush after each such test
    also empties what the data migrations seeded, so that is put back first.
    """
    restore_migration_data(migration_data)
    load_demo()
    load_catalog_demo(editor=User.objects.get(username="helen"), approver=User.objects.get(username="grace"))
    return ServiceItem.objects.count()


@pytest.fixture
def page(browser: Browser, live_server: object, demo_catalog: int) -> Iterator[Page]:
    """A new tab in a fresh context, like a Chinese-language browser opening the site for the first time."""
    context = browser.new_context(
        base_url=str(live_server), locale="zh-CN", viewport=DESKTOP, timezone_id="Asia/Shanghai"
    )
    context.set_default_timeout(10_000)
    tab = context.new_page()
    yield tab
    context.close()


@pytest.fixture
def desk(settings: object) -> None:
    """Staff log in with a password only (the development shortcut; the page shows a banner)."""
    settings.STAFF_2FA_SKIP = True  # type: ignore[attr-defined]


def _screenshot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)


def _page_width(page: Page) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth"))


def _guide_titles(page: Page) -> list[str]:
    return [t.strip() for t in page.locator("ul.guide-list h2").all_inner_texts()]


def _fact(page: Page, term: str) -> str:
    """The value shown next to a term of the guide's 基本信息 list."""
    return (
        page.locator("dl.facts dt", has_text=re.compile(rf"^{re.escape(term)}$"))
        .locator("xpath=following-sibling::dd[1]")
        .inner_text()
    )


def _log_in_at_desk(page: Page, username: str) -> None:
    page.goto("/desk/login/")
    page.get_by_label("用户名", exact=True).fill(username)
    page.get_by_label("密码", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="下一步").click()
    expect(page).to_have_url(re.compile(r"/desk/$"))
    expect(page.locator(".dev-banner")).to_contain_text("跳过了二次验证")


def _log_out(page: Page) -> None:
    page.get_by_role("banner").get_by_role("button", name="退出").click()
    expect(page).to_have_url(re.compile(r"/desk/login/$"))
    expect(page.get_by_role("status").filter(has_text="您已安全退出。")).to_be_visible()


def _open_from_catalog(page: Page, name: str) -> None:
    page.goto("/desk/catalog/")
    page.get_by_role("region", name="全部事项").get_by_role("link", name=name, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)


def _revise(page: Page, name: str) -> None:
    """From the item's newest (published) version, open a new draft version and land on its edit page."""
    _open_from_catalog(page, name)
    expect(page.locator("p.meta")).to_contain_text("第1版 · 已发布")
    page.get_by_role("button", name="修订（新建版本）").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"编辑草稿：{name}（第2版）")


def _save_and_check(page: Page) -> None:
    page.get_by_role("button", name="保存草稿").click()
    expect(page.get_by_role("status").filter(has_text="草稿已保存。")).to_be_visible()
    expect(page.locator("p.meta")).to_contain_text("第2版 · 草稿")


def _submit(page: Page) -> None:
    page.get_by_role("button", name="提交审核").click()
    expect(page.get_by_role("status").filter(has_text="已提交审核。")).to_be_visible()
    expect(page.locator("p.meta")).to_contain_text("第2版 · 待审核")


def _open_submitted(page: Page, name: str) -> None:
    page.goto("/desk/catalog/")
    page.get_by_role("region", name="待审核版本").get_by_role("link", name=f"{name}（第2版）").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    expect(page.locator("p.meta")).to_contain_text("第2版 · 待审核")


# Portal ------------------------------------------------------------------------------------


@pytest.mark.browser
def test_a_new_user_sees_all_14_items_and_narrows_them_to_the_water_section(page: Page) -> None:
    page.goto("/items/")

    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    expect(page.get_by_role("heading", level=1)).to_have_text("办事指南")
    expect(page.locator("p.result-count")).to_have_text("共 14 个事项")
    expect(page.locator("ul.guide-list > li.card")).to_have_count(14)

    page.get_by_label("部门", exact=True).select_option(label="水利科")
    page.get_by_role("button", name="筛选", exact=True).click()

    expect(page).to_have_url(re.compile(r"department=water"))
    expect(page.locator("p.result-count")).to_have_text("共 4 个事项")
    assert sorted(_guide_titles(page)) == sorted(WATER_ITEMS)
    for meta in page.locator("ul.guide-list p.meta").all_inner_texts():
        assert meta.startswith("水利科"), meta
    expect(page.get_by_label("部门", exact=True)).to_have_value("water")


@pytest.mark.browser
def test_a_new_user_finds_the_felling_licence_despite_typing_a_homophone(page: Page) -> None:
    page.goto("/items/")

    page.get_by_label("搜索事项").fill("彩伐")
    page.get_by_role("button", name="搜索", exact=True).click()

    expect(page.locator("p.result-count")).to_contain_text("“彩伐”找到")
    titles = _guide_titles(page)
    assert titles and titles[0] == FELLING, titles
    page.get_by_role("link", name=FELLING, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(FELLING)
    expect(page.locator("p.meta")).to_contain_text("第1版")


@pytest.mark.browser
def test_a_new_user_reads_a_guide_and_prints_it_as_a_pdf(page: Page) -> None:
    page.goto("/items/")
    page.get_by_role("link", name=FELLING, exact=True).click()

    expect(page).to_have_title(f"{FELLING} · 海沧区农林水政务服务平台")
    expect(page.get_by_role("heading", level=1)).to_have_text(FELLING)
    for section in ("基本信息", "设定依据", "受理条件", "申请材料", "办理流程", "常见问题"):
        expect(page.get_by_role("heading", level=2, name=section, exact=True)).to_be_visible()
    assert _fact(page, "承办科室") == "林业科"
    assert _fact(page, "法定办结时限").startswith("20个工作日")
    assert _fact(page, "承诺办结时限").startswith("3个工作日")
    _screenshot(page, "catalog-guide-1280")

    link = page.get_by_role("link", name="打印办事指南（PDF）")
    expect(link).to_be_visible()
    href = link.get_attribute("href")
    assert href and href.endswith("/guide.pdf")
    response = page.request.get(urljoin(page.url, href))

    assert response.ok
    assert response.headers["content-type"] == "application/pdf"
    assert response.body().startswith(b"%PDF")


@pytest.mark.browser
def test_the_guide_list_and_a_guide_fit_a_360_pixel_phone_without_sideways_scrolling(page: Page) -> None:
    page.set_viewport_size(PHONE)

    page.goto("/items/")
    expect(page.locator("p.result-count")).to_have_text("共 14 个事项")
    _screenshot(page, "catalog-list-360")
    assert _page_width(page) <= 360, f"/items/ is {_page_width(page)}px wide on a 360px screen"

    page.get_by_role("link", name=FELLING, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(FELLING)
    _screenshot(page, "catalog-guide-360")
    assert _page_width(page) <= 360, f"the guide is {_page_width(page)}px wide on a 360px screen"


# Desk: a revision that breaks a rule is refused, then returned -------------------------------


@pytest.mark.browser
def test_an_approver_is_refused_publishing_a_version_whose_two_phones_are_the_same_and_returns_it(
    page: Page, desk: None
) -> None:
    _log_in_at_desk(page, "helen")
    _revise(page, FELLING)
    supervision = page.get_by_label("监督投诉方式", exact=True).input_value()
    assert supervision
    page.get_by_label("咨询方式", exact=True).fill(supervision)
    _save_and_check(page)

    rules = page.get_by_role("region", name="一致性检查")
    expect(rules.get_by_role("listitem")).to_have_text([f"必须修改：{SAME_PHONES}"])
    _submit(page)
    _log_out(page)

    _log_in_at_desk(page, "grace")
    _open_submitted(page, FELLING)
    expect(page.get_by_label("生效日期", exact=True)).to_have_value("")
    page.get_by_role("button", name="发布", exact=True).click()

    messages = page.locator(".messages")
    expect(messages).to_contain_text("不能发布，以下规则未通过：")
    expect(messages).to_contain_text(SAME_PHONES)
    expect(page.locator("p.meta")).to_contain_text("第2版 · 待审核")
    expect(page.get_by_role("region", name="版本历史")).to_contain_text("第1版 · 已发布")
    _screenshot(page, "catalog-publication-refused-1280")

    note = "咨询电话与监督投诉电话相同，请改回本科室的咨询电话。"
    page.get_by_label("审核意见", exact=True).fill(note)
    page.get_by_role("button", name="退回修改").click()

    expect(page.get_by_role("status").filter(has_text="已退回修改。")).to_be_visible()
    expect(page.locator("p.meta")).to_contain_text("第2版 · 草稿")
    expect(page.get_by_role("note")).to_have_text(f"审核意见：{note}")
    expect(page.get_by_role("button", name="发布", exact=True)).to_have_count(0)

    # The public still sees version 1 with its own consultation phone:
    page.goto("/items/?q=林木采伐")
    page.get_by_role("link", name=FELLING, exact=True).click()
    expect(page.locator("p.meta")).to_contain_text("第1版")
    assert _fact(page, "咨询电话") != supervision


# Desk: a good revision is published and reaches the portal -----------------------------------


@pytest.mark.browser
def test_an_approver_publishes_a_shorter_committed_limit_and_the_portal_shows_it_at_once(
    page: Page, desk: None
) -> None:
    _log_in_at_desk(page, "helen")
    _revise(page, WATER_ABSTRACTION)
    committed = page.get_by_label("承诺办结时限", exact=True)
    old_limit = int(committed.input_value())
    new_limit = old_limit - 5
    committed.fill(str(new_limit))
    _save_and_check(page)
    expect(page.get_by_role("region", name="一致性检查")).to_contain_text("全部规则通过。")
    _submit(page)
    _log_out(page)

    _log_in_at_desk(page, "grace")
    _open_submitted(page, WATER_ABSTRACTION)
    page.get_by_label("生效日期", exact=True).fill("")
    page.get_by_role("button", name="发布", exact=True).click()

    expect(page.get_by_role("status").filter(has_text="已发布。")).to_be_visible()
    today = timezone.localdate().isoformat()
    expect(page.locator("p.meta")).to_contain_text(f"第2版 · 已发布 · {today} 起施行")
    history = page.get_by_role("region", name="版本历史")
    expect(history).to_contain_text("第2版 · 已发布")
    expect(history).to_contain_text("第1版 · 已被替代")

    page.get_by_role("link", name="与第1版比较").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("第1版与第2版的差异")
    differences = page.get_by_role("region", name="版本比较")
    changed = differences.get_by_role("row").filter(has=page.get_by_role("rowheader", name="承诺办结时限", exact=True))
    expect(changed).to_have_count(1)
    expect(changed.locator("td.old")).to_have_text(str(old_limit))
    expect(changed.locator("td.new")).to_have_text(str(new_limit))
    _screenshot(page, "catalog-version-diff-1280")
    page.go_back()

    page.get_by_role("link", name="门户页面").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(WATER_ABSTRACTION)
    expect(page.locator("p.meta")).to_contain_text(f"第2版 · {today} 起施行")
    assert _fact(page, "承诺办结时限").startswith(f"{new_limit}个工作日")

    # …and so does the guide a citizen reaches from the list:
    page.goto("/items/?department=water")
    page.get_by_role("link", name=WATER_ABSTRACTION, exact=True).click()
    assert _fact(page, "承诺办结时限").startswith(f"{new_limit}个工作日")


@pytest.mark.browser
def test_saving_a_new_version_without_touching_the_acceptance_conditions_leaves_them_unchanged(
    page: Page, desk: None
) -> None:
    _log_in_at_desk(page, "helen")
    _revise(page, FELLING)
    expect(page.get_by_label("受理条件", exact=True)).to_have_value(re.compile("\n"))  # several lines
    _save_and_check(page)

    page.get_by_role("link", name="与第1版比较").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("第1版与第2版的差异")
    expect(page.get_by_role("rowheader", name="受理条件", exact=True)).to_have_count(0, timeout=2_000)


# Desk: import --------------------------------------------------------------------------------


@pytest.mark.browser
def test_an_editor_importing_a_file_with_errors_sees_each_problem_and_nothing_is_imported(
    page: Page, desk: None, demo_catalog: int, tmp_path: Path
) -> None:
    item = json.loads(DEMO_FILE.read_text(encoding="utf-8"))["items"][0]
    del item["TASK_CODE"]
    item["ANTICIPATE_DAY"] = "二十"
    upload = tmp_path / "catalog-with-errors.json"
    document = {"format": "govhall-catalog-exchange", "format_version": 1, "items": [item]}
    upload.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")

    _log_in_at_desk(page, "helen")
    page.goto("/desk/catalog/")
    page.get_by_role("link", name="导入", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("导入事项")
    page.get_by_label("事项交换文件", exact=True).set_input_files(upload)
    page.get_by_role("button", name="导入", exact=True).click()

    expect(page.get_by_role("alert")).to_contain_text("未导入任何内容")
    problems = page.get_by_role("region", name="问题清单").locator("tbody tr")
    expect(problems).to_have_count(2)
    cells = [row.get_by_role("cell").all_inner_texts() for row in problems.all()]
    assert {(where, field) for where, field, _ in cells} == {
        ("第1条事项", "TASK_CODE"),
        ("第1条事项", "ANTICIPATE_DAY"),
    }
    expect(problems.filter(has_text="ANTICIPATE_DAY")).to_contain_text("应为整数，实际为“二十”")
    expect(problems.filter(has_text="TASK_CODE")).to_contain_text("缺少实施编码")
    _screenshot(page, "catalog-import-errors-1280")

    assert ServiceItem.objects.count() == demo_catalog
    page.goto("/desk/catalog/")
    expect(page.get_by_role("region", name="全部事项").locator("tbody tr")).to_have_count(demo_catalog)
    expect(page.get_by_role("region", name="待审核版本")).to_have_count(0)
