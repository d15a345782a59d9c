"""A felling licence from application to closing, in a real browser, and its due dates across National Day.

Follows the issue's "how it will be checked": the farmer 陈爱丽 applies online for 林木采伐许可证核发
without the conditional material, the forestry clerk asks for it once, she supplies it, the case
is accepted, reviewed, inspected on site, countersigned in parallel by the water and agriculture
sections, approved and closed. Each person works in a browser of their own (Playwright contexts),
on the demo bureau and its published demo catalog. Screenshots go to ``test-artifacts/``.

The due dates across the 2026 National Day holiday are checked at the action level (the live
server's clock cannot be moved), with the case clock frozen on 2026-09-24.
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from browser_testing import browser_tabs, log_in_at_desk, restore_migration_data, screenshot
from govhall.cases import actions
from govhall.cases.constants import CaseStatus
from govhall.cases.models import Case, CaseMaterial
from govhall.catalog.constants import LimitUnit, MaterialNeed
from govhall.catalog.demo import DEMO_FILE, load_catalog_demo
from govhall.catalog.models import ItemVersion
from govhall.catalog.queries import live_versions
from govhall.holidays.models import Holiday
from govhall.holidays.queries import get_calendar
from govhall.identity.demo import DEMO_PASSWORD, load_demo
from govhall.identity.models import User
from govhall.identity.queries import find_person_by_id_number

from .conftest import pdf_bytes

FELLING = "林木采伐许可证核发"
FARMER_ID = "350205198503120020"  # 陈爱丽 (govhall.identity.demo.APPLICANTS)
MISSING = "上年度采伐迹地更新造林证明"
D = datetime.date.fromisoformat


def _demo_item() -> dict[str, Any]:
    items = json.loads(DEMO_FILE.read_text(encoding="utf-8"))["items"]
    return next(item for item in items if item["TASK_NAME"] == FELLING)


ITEM = _demo_item()
REQUIRED_MATERIALS = [m["MATERIAL_NAME"] for m in ITEM["MATERIALS"] if m["IS_NEED"] == MaterialNeed.REQUIRED]
CONDITIONAL_MATERIALS = [m["MATERIAL_NAME"] for m in ITEM["MATERIALS"] if m["IS_NEED"] == MaterialNeed.CONDITIONAL]
# Every field the form schema requires, as the farmer types it (labels are the schema's titles):
ANSWERS = {
    "applicant_name": "陈爱丽",
    "felling_location": "东孚镇鼎美村3林班12小班",
    "tree_species": "杉木、马尾松",
    "felling_type": "主伐",
    "felling_method": "择伐",
    "area_mu": "15.5",
    "volume_m3": "86.4",
    "regeneration_plan": "采伐后次年春季前完成杉木、木荷混交造林。",
}
# The events of the whole case, oldest first, as the timeline names them:
TIMELINE = [
    "提交申请",
    "一次性告知补正",
    "申请人补正",
    "受理",
    "完成环节",
    "完成环节",
    "发起会签",
    "会签答复",
    "会签答复",
    "作出决定",
    "办结",
]


# Fixtures ------------------------------------------------------------------------------------


@pytest.fixture
def private_files(tmp_path: Path) -> Iterator[Path]:
    """Uploaded materials go to a temporary folder, not the development ``var/private``.

    The storage caches its folder (``base_location`` and ``location``, cached properties); both
    are replaced for the test and the cache is put back exactly as it was afterwards.
    """
    storage = CaseMaterial._meta.get_field("file").storage
    cached = ("base_location", "location")
    before = {name: storage.__dict__[name] for name in cached if name in storage.__dict__}
    folder = tmp_path / "private"
    folder.mkdir()
    storage.__dict__.update(dict.fromkeys(cached, str(folder)))
    yield folder
    for name in cached:
        storage.__dict__.pop(name, None)
    storage.__dict__.update(before)


@pytest.fixture
def demo_bureau(
    django_db_serialized_rollback: None, transactional_db: None, migration_data: str, private_files: Path
) -> None:
    """The demo bureau, its staff and applicants (password DEMO_PASSWORD) and its published catalog.

    The live server needs committed data (``transactional_db``); the flush after each such test
    also empties what the data migrations seeded (the holiday calendar among them), so that is
    put back first.
    """
    restore_migration_data(migration_data)
    _load_demo()


def _load_demo() -> None:
    load_demo()
    load_catalog_demo(editor=User.objects.get(username="helen"), approver=User.objects.get(username="grace"))


@pytest.fixture
def open_browser(
    browser: Browser, live_server: object, demo_bureau: None, settings: Any
) -> Iterator[Callable[[], Page]]:
    """``open_browser()``: a new tab in a fresh context (its own cookies), one per person."""
    settings.STAFF_2FA_SKIP = True  # staff log in with a password only (the page shows a banner)
    with browser_tabs(browser, str(live_server)) as new_tab:
        yield new_tab


@pytest.fixture
def pdfs(tmp_path: Path) -> dict[str, Path]:
    """A small real PDF (one blank A4 page, pypdf) for every material of the item, by name."""
    folder = tmp_path / "scans"
    folder.mkdir()
    files = {}
    for number, material in enumerate(ITEM["MATERIALS"], start=1):
        path = folder / f"material-{number}.pdf"
        path.write_bytes(pdf_bytes())
        files[material["MATERIAL_NAME"]] = path
    return files


# Helpers -------------------------------------------------------------------------------------


def _log_in_at_desk(page: Page, username: str) -> None:
    log_in_at_desk(page, username, DEMO_PASSWORD)


def _staff(open_browser: Callable[[], Page], username: str) -> Page:
    return log_in_at_desk(open_browser(), username, DEMO_PASSWORD)


def _summary(page: Page, term: str) -> str:
    """The value next to a term of the case summary (办件编号, 状态, 承诺办结日期 …)."""
    return (
        page.locator("dl.facts dt", has_text=re.compile(rf"^{re.escape(term)}$"))
        .first.locator("xpath=following-sibling::dd[1]")
        .inner_text()
        .strip()
    )


def _expect_status(page: Page, status: str) -> None:
    expect(page.locator("dl.facts .badge").first).to_have_text(status)


def _done(page: Page) -> None:
    """A desk action went through: the page says so and shows no error."""
    expect(page.get_by_role("status").locator(".message-success")).to_be_visible()
    expect(page.get_by_role("alert")).to_have_count(0)


def _open_from_inbox(page: Page, reference: str) -> None:
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="待办件").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("待办件")
    inbox = page.get_by_role("region", name="待办件")
    row = inbox.get_by_role("row").filter(has_text=reference)
    expect(row).to_have_count(1)
    expect(row).to_contain_text(FELLING)
    expect(row).to_contain_text("陈爱丽")
    row.get_by_role("link", name=reference).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(FELLING)
    assert _summary(page, "办件编号") == reference


def _current_step(page: Page) -> Any:
    return page.locator("p", has=page.locator("strong", has_text="当前环节"))


def _countersign_answer(page: Page, section: str, opinion: str) -> None:
    form = page.locator("form", has=page.get_by_role("group", name=f"{section}会签意见"))
    expect(form).to_have_count(1)
    form.get_by_label("同意", exact=True).check()
    form.get_by_label("意见", exact=True).fill(opinion)
    form.get_by_role("button", name="提交会签意见").click()
    _done(page)


# The whole case in the browser ----------------------------------------------------------------


@pytest.mark.browser
def test_a_farmer_applies_for_a_felling_licence_and_the_bureau_handles_it_to_the_end(
    open_browser: Callable[[], Page], pdfs: dict[str, Path]
) -> None:
    assert MISSING in CONDITIONAL_MATERIALS and MISSING not in REQUIRED_MATERIALS
    assert len(REQUIRED_MATERIALS) == 3, REQUIRED_MATERIALS

    # The farmer finds the guide, clicks 在线申请 and is asked to log in first:
    farmer = open_browser()
    farmer.goto("/items/")
    farmer.get_by_role("link", name=FELLING, exact=True).click()
    expect(farmer.get_by_role("heading", level=1)).to_have_text(FELLING)
    farmer.get_by_role("link", name="在线申请").click()
    expect(farmer).to_have_url(re.compile(r"/login/\?next="))
    farmer.get_by_label("身份证号码或手机号码", exact=True).fill(FARMER_ID)
    farmer.get_by_label("密码", exact=True).fill(DEMO_PASSWORD)
    farmer.get_by_role("button", name="登录").click()
    expect(farmer).to_have_url(re.compile(r"/items/[0-9a-f-]+/apply/$"))
    expect(farmer.get_by_role("heading", level=1)).to_have_text(f"申请：{FELLING}")

    # Every required field of the form schema, labelled with its title:
    schema = ITEM["FORM_SCHEMA"]
    assert set(ANSWERS) == set(schema["required"])
    for name, value in ANSWERS.items():
        field = farmer.get_by_label(schema["properties"][name]["title"], exact=True)
        if "x-source" in schema["properties"][name]:
            # Her name is known to the platform: shown to be checked, not typed again:
            expect(field).to_have_value(value)
            expect(field).not_to_be_editable()
        elif "enum" in schema["properties"][name]:
            field.select_option(label=value)
        else:
            field.fill(value)
    for material in REQUIRED_MATERIALS:
        farmer.get_by_label(material, exact=True).set_input_files(pdfs[material])
    farmer.get_by_role("button", name="提交申请").click()

    expect(farmer).to_have_url(re.compile(r"/my/cases/[0-9a-f-]+/$"))
    case_url = farmer.url
    reference = _summary(farmer, "办件编号")
    # 办件编号 = 实施编码 + the day (yyyymmdd) + a 4-digit serial:
    assert re.fullmatch(rf"{ITEM['TASK_CODE']}\d{{8}}\d{{4}}", reference), reference
    expect(farmer.get_by_role("status").filter(has_text=f"申请已提交，办件编号 {reference}。")).to_be_visible()
    _expect_status(farmer, "待受理")
    materials = farmer.get_by_role("region", name="申请材料")
    for material in REQUIRED_MATERIALS:
        expect(materials).to_contain_text(material)
    expect(materials).not_to_contain_text(MISSING)

    # Bob (forestry clerk) finds it in his inbox and asks, once, for the missing proof:
    bob = _staff(open_browser, "bob")
    _open_from_inbox(bob, reference)
    _expect_status(bob, "待受理")
    desk_url = bob.url
    bob.get_by_label("需补正的材料（每行一项，一次列全）", exact=True).fill(MISSING)
    bob.get_by_role("button", name="一次性告知补正").click()
    _done(bob)
    _expect_status(bob, "待补正")

    # The farmer sees what to correct, and answers with the missing PDF:
    farmer.reload()
    _expect_status(farmer, "待补正")
    correction = farmer.get_by_role("region", name="需要您补正")
    expect(correction.get_by_role("listitem").filter(has_text=MISSING)).to_have_count(1)
    screenshot(farmer, "cases-farmer-correction-requested-1280")
    correction.get_by_label(MISSING, exact=True).set_input_files(pdfs[MISSING])
    correction.get_by_label("补正说明", exact=True).fill("已补交上年度采伐迹地更新造林证明（镇林业站出具）。")
    correction.get_by_role("button", name="提交补正").click()
    expect(farmer.get_by_role("status").filter(has_text="补正已提交。")).to_be_visible()
    _expect_status(farmer, "待受理")
    expect(farmer.get_by_role("region", name="需要您补正")).to_have_count(0)
    expect(farmer.get_by_role("region", name="申请材料")).to_contain_text(MISSING)

    # Bob accepts; the committed date is 3 working days after today on the bureau's calendar:
    bob.reload()
    _expect_status(bob, "待受理")
    expect(bob.get_by_role("region", name="申请材料")).to_contain_text(MISSING)
    bob.get_by_label("受理意见", exact=True).fill("材料齐全，符合法定形式，予以受理。")
    bob.get_by_role("button", name="受理", exact=True).click()
    _done(bob)
    _expect_status(bob, "办理中")
    today = timezone.localdate()
    assert _summary(bob, "受理日期") == today.isoformat()
    # A date counted into a year whose holiday notice is not out yet says it is provisional:
    for label, days in (("承诺办结日期", ITEM["PROMISE_DAY"]), ("法定办结日期", ITEM["ANTICIPATE_DAY"])):
        count = get_calendar().count_working_days(today, days)
        mark = "（预计，待国务院公布放假安排后确定）" if count.is_provisional else ""
        assert _summary(bob, label) == count.date.isoformat() + mark
    expect(_current_step(bob)).to_contain_text("审查")

    # Frank (forestry reviewer) completes 审查 and 伐区现场核查:
    frank = _staff(open_browser, "frank")
    _open_from_inbox(frank, reference)
    expect(_current_step(frank)).to_contain_text("审查")
    frank.get_by_label("审查意见", exact=True).fill("林木权属清楚，采伐量在年度限额内，上年度已完成更新。")
    frank.get_by_role("button", name="完成本环节").click()
    _done(frank)
    expect(_current_step(frank)).to_contain_text("伐区现场核查")
    frank.get_by_label("伐区现场核查意见", exact=True).fill("现场核实四至、树种、蓄积与申请一致。")
    frank.get_by_role("button", name="完成本环节").click()
    _done(frank)
    expect(_current_step(frank)).to_contain_text("会签")

    # Carol (water clerk) cannot open a forestry case she has not been asked about:
    carol = _staff(open_browser, "carol")
    response = carol.goto(desk_url)
    assert response is not None and response.status == 404
    expect(carol.get_by_role("heading", level=1)).to_have_text("页面不存在")
    carol.goto("/desk/cases/")
    expect(carol.get_by_role("region", name="待办件")).not_to_contain_text(reference)

    # Frank asks the water and agriculture sections to countersign, in parallel:
    departments = frank.get_by_role("group", name="请以下部门会签")
    departments.get_by_label("水利科", exact=True).check()
    departments.get_by_label("农业科", exact=True).check()
    frank.get_by_label("会签说明", exact=True).fill("采伐地点邻近河道管理范围和农田林网，请会签。")
    frank.get_by_role("button", name="发起会签").click()
    _done(frank)
    _expect_status(frank, "会签中")
    countersigns = frank.get_by_role("region", name="会签")
    expect(countersigns.get_by_role("listitem")).to_have_text(["水利科：等待答复", "农业科：等待答复"])

    # Carol now finds it in her inbox and answers for water; the case still waits for agriculture:
    _open_from_inbox(carol, reference)
    _countersign_answer(carol, "水利科", "不涉及河道管理范围，同意。")
    _expect_status(carol, "会签中")
    expect(carol.get_by_role("region", name="会签")).to_contain_text("农业科：等待答复")
    farmer.reload()
    _expect_status(farmer, "会签中")

    # Kate (agriculture reviewer) answers last; the case moves on to the decision:
    kate = _staff(open_browser, "kate")
    _open_from_inbox(kate, reference)
    _countersign_answer(kate, "农业科", "不影响农田林网，同意。")
    _expect_status(kate, "办理中")
    expect(kate.get_by_role("region", name="会签").get_by_role("listitem")).to_have_text(
        ["水利科：同意 — 不涉及河道管理范围，同意。", "农业科：同意 — 不影响农田林网，同意。"]
    )

    # Grace (approver at the bureau) approves with reasons and legal basis:
    grace = _staff(open_browser, "grace")
    _open_from_inbox(grace, reference)
    expect(_current_step(grace)).to_contain_text("决定")
    grace.get_by_role("group", name="决定").get_by_label("准予", exact=True).check()
    grace.get_by_label("理由", exact=True).fill("申请材料齐全，现场核查与申请一致，会签部门均同意。")
    grace.get_by_label("法律依据", exact=True).fill("《中华人民共和国森林法》第五十六条、第五十九条")
    grace.get_by_role("button", name="作出决定").click()
    _done(grace)
    _expect_status(grace, "准予许可")
    assert _summary(grace, "决定").startswith("准予：申请材料齐全")

    # Bob closes it:
    bob.reload()
    _expect_status(bob, "准予许可")
    bob.get_by_role("button", name="办结", exact=True).click()
    _done(bob)
    _expect_status(bob, "已办结")
    expect(bob.get_by_text("当前没有需要您办理的操作。")).to_be_visible()

    # The desk timeline lists every event in order:
    timeline = bob.get_by_role("region", name="办理过程")
    expect(timeline.locator("ol.timeline > li > strong")).to_have_text(TIMELINE)
    expect(timeline.locator("ol.timeline > li").nth(1)).to_contain_text(MISSING)
    screenshot(bob, "cases-desk-closed-1280")

    # The farmer's workspace lists the case and the messages about it:
    farmer.goto("/my/")
    cases = farmer.get_by_role("region", name="我的办件")
    expect(cases.get_by_role("listitem").filter(has_text=reference)).to_contain_text("已办结")
    news = farmer.get_by_role("region", name="消息")
    # Each message names the item, the outcome and what to do next:
    for told in ("已提交，正在等待窗口受理", "需要补正1项内容", "已受理，承诺于", "已准予", "已办结（准予许可）"):
        expect(news.get_by_role("link", name=re.compile(f"^您的“{FELLING}”申请{re.escape(told)}"))).to_have_count(1)
    expect(news.get_by_role("link", name=f"您对“{FELLING}”申请的补正已收到", exact=False)).to_have_count(1)
    news.get_by_role("link", name=re.compile(f"^您的“{FELLING}”申请已办结")).click()
    expect(farmer).to_have_url(case_url)
    _expect_status(farmer, "已办结")
    screenshot(farmer, "cases-farmer-closed-1280")

    case = Case.objects.get(reference=reference)
    assert case.status == CaseStatus.CLOSED
    assert list(case.events.values_list("kind", flat=True)) == [
        "submitted",
        "correction_requested",
        "correction_answered",
        "accepted",
        "step_completed",
        "step_completed",
        "countersign_requested",
        "countersign_answered",
        "countersign_answered",
        "decided",
        "closed",
    ]


# Due dates across National Day 2026 (action level) ----------------------------------------------


@pytest.mark.django_db
def test_bob_accepts_the_felling_case_on_24_september_2026_and_the_due_dates_skip_national_day(
    on_day: Callable[[str], None], private_files: Path
) -> None:
    # Non-transactional tests run before the browser ones (pytest-django orders them), so the
    # calendar the data migration seeded is still there:
    assert Holiday.objects.filter(date__year=2026).exists(), "the 2026 holiday calendar is missing"
    _load_demo()
    version = live_versions().get(name=FELLING)
    assert (version.committed_limit, version.committed_unit) == (ITEM["PROMISE_DAY"], LimitUnit.WORKING_DAYS)
    assert (version.statutory_limit, version.statutory_unit) == (ITEM["ANTICIPATE_DAY"], LimitUnit.WORKING_DAYS)
    person = find_person_by_id_number(FARMER_ID)
    farmer = User.objects.get(person=person)
    bob = User.objects.get(username="bob")
    case = actions.submit_case(
        version,
        applicant=farmer,
        form_data={**ANSWERS, "area_mu": 15.5, "volume_m3": 86.4},
        submit_key="national-day",
        files=_required_files(version),
    )

    on_day("2026-09-24")  # a Thursday
    case = actions.accept_case(case, actor=bob)

    # Committed limit: PROMISE_DAY = 3 working days; the day of acceptance is not counted.
    #   Fri 09-25, Sat 09-26, Sun 09-27: off (Mid-Autumn Festival);
    #   Mon 09-28 (1), Tue 09-29 (2), Wed 09-30 (3)                       → due 2026-09-30.
    # So the committed date falls before National Day (10-01..07 off) is reached.
    assert case.accepted_on == D("2026-09-24")
    assert case.due_on == D("2026-09-30")
    # Statutory limit: ANTICIPATE_DAY = 20 working days, counted the same way:
    #   09-28, 09-29, 09-30 (3); 10-01..10-07 off (National Day);
    #   Thu 10-08 (4), Fri 10-09 (5), Sat 10-10 make-up workday (6);
    #   10-12..10-16 (11), 10-19..10-23 (16), Mon 10-26 (17) .. Thu 10-29 (20) → due 2026-10-29.
    assert case.statutory_due_on == D("2026-10-29")
    assert case.status == CaseStatus.IN_PROGRESS
    assert case.events.get(kind="accepted").data == {
        "due_on": "2026-09-30",
        "statutory_due_on": "2026-10-29",
        "due_is_provisional": False,
        "statutory_due_is_provisional": False,
    }


def _required_files(version: ItemVersion) -> dict[int, SimpleUploadedFile]:
    return {
        m.pk: SimpleUploadedFile(f"{m.name}.pdf", pdf_bytes(), content_type="application/pdf")
        for m in version.materials.filter(need=MaterialNeed.REQUIRED)
    }
