"""The service hall in a real browser, walked as the issue checks it, on Tuesday 2026-12-08.

The farmer 陈爱丽 books a slot online for the felling licence (the ALTCHA widget solved in the
page), checks in at the kiosk with her code, two window clerks each press 叫下一位 and the one
whose call her booked ticket answers serves her, files her application at the window (一窗受理)
and accepts it on the spot; the display board shows and announces each call. The kiosk, the
board and each person have a browser context of their own. The live server's clock is the
``clock`` fixture's (time_machine travels the whole process); the browser keeps its own clock,
so the board's one-second poll runs in real time. Screenshots go to the test's ``tmp_path``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, ViewportSize, expect

from django.core.cache import cache

from browser_testing import browser_tabs, log_in_at_desk, restore_migration_data
from conftest import ALICE_ID, PASSWORD
from govhall.cases.constants import CaseStatus, Channel
from govhall.cases.models import Case
from govhall.cases.tests.conftest import pdf_bytes
from govhall.catalog.models import ItemVersion
from govhall.halls import actions
from govhall.halls.constants import BookingStatus, DeviceKind, TicketStatus
from govhall.halls.models import Booking, Ticket
from govhall.halls.tests.conftest import TUESDAY, District, at
from govhall.identity.models import User

FELLING = "林木采伐许可证核发"
KIOSK: ViewportSize = {"width": 1080, "height": 1920}  # a portrait touch screen
TV: ViewportSize = {"width": 1920, "height": 1080}
# Every call the board hands to GovhallVoice, and what came of it (played / skipped clips):
SPY_ON_THE_VOICE = """() => {
  const voice = window.GovhallVoice;
  const announce = voice.announce;
  window.announced = [];
  voice.announce = (ticket, win, options) => {
    const entry = {ticket, win};
    window.announced.push(entry);
    return announce(ticket, win, options).then((result) => { entry.result = result; return result; });
  };
}"""


@pytest.fixture(autouse=True)
def _committed_data(django_db_serialized_rollback: None, transactional_db: None, migration_data: str) -> None:
    # The live server sees committed rows only; the flush after the last such test also emptied
    # what the data migrations seeded (the holiday calendar, the audit chain's head), so that is
    # put back before any fixture writes. Board versions, cached devices, rate-limit counts and
    # used challenges in the shared cache belong to the test that made them:
    restore_migration_data(migration_data)
    cache.clear()


@pytest.fixture
def hall_day(
    clock: Any,
    browser: Browser,
    live_server: Any,
    district: District,
    felling: ItemVersion,
    alice: User,
    hank: User,
    ivy: User,
    bob: User,
    settings: Any,
) -> Iterator[Callable[[], Page]]:
    """The district hall on the Tuesday morning, taking bookings for the same day; ``new_tab()`` per person."""
    settings.STAFF_2FA_SKIP = True  # the clerks log in with a password only
    settings.CHALLENGE_MAX_NUMBER = 1000  # the widget solves its challenge at once
    district.hall.booking_from_days = 0
    district.hall.save()
    with browser_tabs(browser, str(live_server)) as new_tab:
        yield new_tab


def _shot(page: Page, folder: Path, name: str) -> None:
    page.screenshot(path=folder / f"{name}.png", full_page=True)


def _enrol(page: Page, path: str, key: str) -> None:
    """The hall's administrator types the device's key once, on the device."""
    page.goto(path)
    expect(page).to_have_url(re.compile(rf"/hall/enrol/\?next={re.escape(path)}$"))
    page.get_by_label("设备密钥").fill(key)
    page.get_by_role("button", name="登记本设备").click()
    expect(page).to_have_url(re.compile(rf"{re.escape(path)}$"))


def _sign_in_to_window(page: Page, window: str) -> None:
    page.goto("/desk/counter/")
    expect(page.get_by_role("heading", level=1)).to_have_text("窗口叫号：请选择您今天值守的窗口")
    page.get_by_role("listitem").filter(has_text=window).get_by_role("button", name="签入此窗口").click()
    expect(page.get_by_text(f"您已签入{window}。")).to_be_visible()
    expect(page.get_by_text("窗口空闲。")).to_be_visible()


def _call_next(clerk: Page, board: Page, ticket: str, window: str) -> float:
    """The clerk presses 叫下一位; the seconds until the board shows the call (at most 2 allowed)."""
    started = time.monotonic()
    clerk.get_by_role("button", name="叫下一位").click()
    expect(board.locator("#latest")).to_have_text(f"{ticket} 请到 {window}", timeout=2000)
    elapsed = time.monotonic() - started
    expect(clerk.locator("#current strong.code")).to_have_text(ticket)
    return elapsed


@pytest.mark.browser
def test_a_booked_farmer_checks_in_is_called_to_a_window_and_her_case_is_filed_there(
    hall_day: Callable[[], Page], district: District, felling: ItemVersion, alice: User, hank: User,
    clock: Any, tmp_path: Path,
) -> None:  # fmt: skip
    new_tab = hall_day

    # The farmer books a slot online, from the item's guide:
    farmer = new_tab()
    farmer.goto("/login/")
    farmer.get_by_label("身份证号码或手机号码", exact=True).fill(ALICE_ID)
    farmer.get_by_label("密码", exact=True).fill(PASSWORD)
    farmer.get_by_role("button", name="登录").click()
    expect(farmer).not_to_have_url(re.compile(r"/login/"))
    farmer.goto(f"/items/{felling.public_id}/")
    expect(farmer.get_by_role("heading", level=1)).to_have_text(FELLING)
    farmer.get_by_role("link", name="预约到大厅办理").click()
    expect(farmer.get_by_role("heading", level=1)).to_have_text(f"预约到大厅办理：{FELLING}")
    # Today is bookable; at 09:00 the first slot still open is 09:10 (ten minutes' lead):
    expect(farmer.get_by_role("heading", name="2026年12月8日 星期二 的时段")).to_be_visible()
    slots = farmer.get_by_role("radio")
    expect(slots.first).to_have_accessible_name(re.compile(r"^09:10—09:20"))
    slots.first.check()
    # The widget unticks itself while it works, and ticks again when solved (so click, not check()):
    farmer.locator("altcha-widget").get_by_role("checkbox").click()
    expect(farmer.locator("altcha-widget input[name='altcha']")).to_have_value(re.compile(r".+"), timeout=15_000)
    _shot(farmer, tmp_path, "1-booking")
    farmer.get_by_role("button", name="预约此时段").click()
    expect(farmer.get_by_role("heading", level=1)).to_have_text(f"预约：{FELLING}")
    expect(farmer.get_by_text("时段已为您保留到 09:30")).to_be_visible()
    farmer.get_by_role("button", name="确认预约").click()
    expect(farmer.get_by_text("预约成功。请记下预约码")).to_be_visible()
    code = farmer.locator("dl.facts strong.code").inner_text().strip()
    booking = Booking.objects.get()
    assert (code, booking.status, booking.starts_at) == (booking.code, BookingStatus.BOOKED, at(TUESDAY, "09:10"))
    _shot(farmer, tmp_path, "2-booked")

    # At the kiosk: a walk-in takes a ticket first, then she checks in with her code:
    _kiosk_device, kiosk_key = actions.register_device(district.hall, kind=DeviceKind.KIOSK, name="1号自助机",
                                                      actor="manage.py")  # fmt: skip
    kiosk = new_tab()
    kiosk.set_viewport_size(KIOSK)
    _enrol(kiosk, "/hall/kiosk/", kiosk_key)
    expect(kiosk.get_by_role("heading", level=1)).to_have_text("您好，请选择要办理的服务")
    kiosk.get_by_role("link", name=re.compile(r"^取号")).click()
    kiosk.get_by_role("link", name=re.compile(r"^林业业务")).click()
    kiosk.get_by_role("button", name="取号", exact=True).click()
    expect(kiosk.locator(".slip-number")).to_have_text("A001")
    kiosk.get_by_role("link", name="完成").click()
    kiosk.get_by_role("link", name=re.compile(r"^预约签到")).click()
    kiosk.get_by_label(re.compile(r"^预约码")).fill(code)
    kiosk.get_by_role("button", name="签到并取号").click()
    expect(kiosk.locator(".slip-number")).to_have_text("A002")
    expect(kiosk.locator(".slip-queue")).to_have_text("林业业务 · 预约")
    _shot(kiosk, tmp_path, "3-kiosk-ticket")
    kiosk.close()  # (left open, it would go back to its first screen after a minute)
    booked = Ticket.objects.get(number="A002")
    assert booked.booking == booking

    # Her slot begins: a checked-in booking whose time has come is called before the walk-in:
    clock.move_to(at(TUESDAY, "09:10"))

    # The board, enrolled in its own context before the calls (it announces only calls made after it
    # started):
    _board_device, board_key = actions.register_device(district.hall, kind=DeviceKind.BOARD, name="大厅屏",
                                                       actor="manage.py")  # fmt: skip
    board = new_tab()
    board.set_viewport_size(TV)
    voice_files: set[str] = set()  # every path the board fetched
    board.on("request", lambda request: voice_files.add(urlsplit(request.url).path))
    _enrol(board, "/hall/board/", board_key)
    expect(board.locator("#latest")).to_have_text("请留意叫号")
    board.wait_for_function("() => window.GovhallVoice && document.readyState === 'complete'")
    if not board.evaluate("GovhallVoice.unlock()"):
        # A browser that wants a gesture before sound: the board says so, and a click unlocks it:
        board.get_by_role("button", name="点击开启语音叫号").click()
        expect(board.get_by_role("button", name="点击开启语音叫号")).to_be_hidden()
    board.evaluate(SPY_ON_THE_VOICE)

    # Two clerks at two windows, each in their own browser, press 叫下一位; the board shows each call
    # within 2 seconds (it asks every second):
    clerks = {"hank": log_in_at_desk(new_tab(), "hank", PASSWORD), "ivy": log_in_at_desk(new_tab(), "ivy", PASSWORD)}
    _sign_in_to_window(clerks["hank"], "1号窗口")
    _sign_in_to_window(clerks["ivy"], "2号窗口")
    first = _call_next(clerks["hank"], board, "A002", "1号窗口")
    expect(clerks["hank"].locator("#current")).to_contain_text("预约")
    second = _call_next(clerks["ivy"], board, "A001", "2号窗口")
    assert first < 2 and second < 2, (first, second)
    expect(board.locator("#calls li").first).to_have_text(re.compile(r"A002\s*1号窗口"))
    _shot(board, tmp_path, "4-board")

    # Hank, who called her, serves her and files her application at the window:
    counter = clerks["hank"]
    counter.get_by_role("button", name="已到窗口，开始办理").click()
    expect(counter.locator("#current .status")).to_have_text("办理中")
    intake = counter.get_by_role("form", name="为申请人办件（一窗受理）")
    intake.get_by_label("身份证号码（刷卡或输入）").fill(ALICE_ID)
    intake.get_by_label("姓名", exact=True).fill("陈爱丽")
    _shot(counter, tmp_path, "5-counter")
    intake.get_by_role("button", name="核验身份并选择事项").click()
    expect(counter.get_by_role("heading", level=1)).to_have_text("窗口受理：选择要办理的事项")
    counter.get_by_label("事项").select_option(label=FELLING)
    counter.get_by_role("button", name="填写申请").click()
    expect(counter.get_by_role("heading", level=1)).to_have_text(f"窗口受理：{FELLING}")
    counter.get_by_label("采伐地点", exact=True).fill("东孚镇鼎美村3林班12小班")
    counter.get_by_label("采伐蓄积（立方米）", exact=True).fill("12.5")
    for number, material in enumerate(("林木采伐申请表", "林权证"), start=1):
        scan = tmp_path / f"material-{number}.pdf"
        scan.write_bytes(pdf_bytes())
        counter.get_by_label(material, exact=True).set_input_files(scan)
    counter.get_by_label("申请人已当面核对以上申请内容和材料，并签字确认").check()
    counter.get_by_label("材料齐全，当场受理").check()
    _shot(counter, tmp_path, "6-intake")
    counter.get_by_role("button", name="提交并受理").click()
    expect(counter).to_have_url(re.compile(r"/desk/counter/linked/[0-9a-f-]+/$"))
    case = Case.objects.get()
    expect(counter.get_by_role("heading", level=1)).to_have_text(f"办件 {case.reference} 已录入")
    counter.get_by_role("button", name="关联排队号 A002 与本办件").click()
    expect(counter.get_by_text("A002（已关联本办件）")).to_be_visible()
    _shot(counter, tmp_path, "7-linked")
    booked.refresh_from_db()
    assert (case.status, case.channel, case.filed_by, case.applicant) == (
        CaseStatus.IN_PROGRESS, Channel.WINDOW, hank, alice,
    )  # fmt: skip
    assert [link.case for link in booked.case_links.all()] == [case] and booked.status == TicketStatus.SERVING

    # Accepted, the case goes on as an online one: on the forestry clerk's desk, in her workspace:
    counter.get_by_role("link", name="打开办件（打印受理通知书）").click()
    expect(counter.get_by_role("heading", level=1)).to_have_text(FELLING)
    expect(counter.locator("dl.facts .badge").first).to_have_text("办理中")
    forestry = log_in_at_desk(new_tab(), "bob", PASSWORD)
    forestry.get_by_role("navigation", name="主导航").get_by_role("link", name="待办件").click()
    row = forestry.get_by_role("region", name="待办件").get_by_role("row").filter(has_text=case.reference)
    expect(row).to_contain_text(FELLING)
    expect(row).to_contain_text("陈爱丽")
    row.get_by_role("link", name=case.reference).click()
    expect(forestry.locator("dl.facts .badge").first).to_have_text("办理中")
    farmer.goto(f"/my/cases/{case.public_id}/")
    expect(farmer.locator("dl.facts .badge").first).to_have_text("办理中")

    # Back at the window, Hank finishes her ticket:
    counter.goto("/desk/counter/")
    expect(counter.locator("#current")).to_contain_text(f"窗口受理：{case.reference}")
    counter.get_by_role("button", name="办结").click()
    expect(counter.get_by_text("窗口空闲。")).to_be_visible()
    booked.refresh_from_db()
    assert booked.status == TicketStatus.DONE

    # By now the board has said both calls, each from its clips, one after the other:
    board.wait_for_function("() => window.announced.length === 2 && window.announced.every((a) => a.result)",
                            timeout=30_000)  # fmt: skip
    announced = board.evaluate("window.announced")
    assert [(a["ticket"], a["win"]) for a in announced] == [("A002", "1"), ("A001", "2")]
    for call, ticket, window in zip(announced, ("A002", "A001"), ("1", "2"), strict=True):
        clips = ["ding", "qing", "A", "0", "0", ticket[-1], "hao", "dao", window, "hao", "chuangkou", "banli"]
        assert board.evaluate("([t, w]) => GovhallVoice.clipsFor(t, w)", [ticket, window]) == clips
        assert (call["result"]["mode"], call["result"]["played"], call["result"]["skipped"]) == ("clips", clips, [])
        assert {f"/static/halls/voice/{clip}.opus" for clip in clips} <= voice_files
