"""What a citizen and a clerk see in a real browser: Debian's Chromium driven by Playwright.

Each test gets a fresh browser context (no cookies) against pytest-django's ``live_server``;
the browser itself is started once per module. Screenshots of every main page at 360 px and
1280 px go to ``test-artifacts/`` for a human to look at.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Browser, Page, expect

from browser_testing import ARTIFACTS, DESKTOP, PHONE
from conftest import ALICE_ID, PASSWORD
from govhall.identity import actions as identity_actions
from govhall.identity.constants import Role
from govhall.identity.models import Department, LegalEntity, User

CONSENT = "我同意平台为办理政务服务事项收集和使用我的身份信息与联系方式。"

# Lists the visible form controls that no <label> names (input.labels is empty).
UNLABELLED_CONTROLS_JS = """() => {
  const controls = [...document.querySelectorAll('main input, main select, main textarea')]
    .filter((el) => el.type !== 'hidden' && el.getClientRects().length > 0);
  return {
    total: controls.length,
    unlabelled: controls.filter((el) => el.labels.length === 0).map((el) => el.name || el.outerHTML),
  };
}"""


@pytest.fixture
def page(browser: Browser, live_server: object, transactional_db: None) -> Iterator[Page]:
    """A new tab in a fresh context, like a Chinese-language browser opening the site for the first time."""
    context = browser.new_context(
        base_url=str(live_server), locale="zh-CN", viewport=DESKTOP, timezone_id="Asia/Shanghai"
    )
    context.set_default_timeout(10_000)
    tab = context.new_page()
    yield tab
    context.close()


def _root_font_size(page: Page) -> float:
    return float(page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)"))


def _page_width(page: Page) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth"))


def _look_at_both_widths(page: Page, name: str) -> dict[int, int]:
    """Screenshot the page at phone and desktop width; return the document width seen at each."""
    ARTIFACTS.mkdir(exist_ok=True)
    widths = {}
    for viewport in (PHONE, DESKTOP):
        page.set_viewport_size(viewport)
        widths[viewport["width"]] = _page_width(page)
        page.screenshot(path=ARTIFACTS / f"{name}-{viewport['width']}.png", full_page=True)
    return widths


def _label(text: str) -> re.Pattern[str]:
    """A field's label, with or without the colon Django appends (":" or a full-width "：")."""
    return re.compile(rf"^{re.escape(text)}[:：]?$")


def _log_in_as_alice(page: Page, password: str = PASSWORD) -> None:
    page.goto("/login/")
    page.get_by_label(_label("身份证号码或手机号码")).fill(ALICE_ID)
    page.get_by_label(_label("密码")).fill(password)
    page.get_by_role("button", name="登录", exact=True).click()


# 1. Landmarks and the skip link -----------------------------------------------------------


def test_it_shows_the_home_page_in_chinese_with_header_navigation_main_and_footer_landmarks(page: Page) -> None:
    page.goto("/")

    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    expect(page).to_have_title("首页 · 海沧区农林水政务服务平台")
    expect(page.get_by_role("banner")).to_contain_text("政务服务门户")
    expect(page.get_by_role("navigation", name="主导航")).to_contain_text("个人/企业登录")
    expect(page.get_by_role("main")).to_contain_text("网上办事，一网通办")
    expect(page.get_by_role("contentinfo")).to_contain_text("厦门市海沧区农林水利局 主办")
    expect(page.get_by_role("heading", level=1)).to_have_text("网上办事，一网通办")


def test_it_shows_the_skip_link_on_the_first_tab_and_moves_focus_to_main_on_enter(page: Page) -> None:
    page.goto("/")
    skip_link = page.get_by_role("link", name="跳到主要内容")
    box_before = skip_link.bounding_box()
    assert box_before is not None and box_before["x"] + box_before["width"] <= 0, "hidden until focused"

    page.keyboard.press("Tab")
    expect(skip_link).to_be_focused()
    box = skip_link.bounding_box()
    assert box is not None and box["x"] >= 0, "the focused skip link must be on screen"

    page.keyboard.press("Enter")
    expect(page.get_by_role("main")).to_be_focused()
    assert page.url.endswith("/#main")

    # The next Tab continues inside main, not back in the header:
    page.keyboard.press("Tab")
    assert page.evaluate("document.getElementById('main').contains(document.activeElement)")
    expect(page.get_by_label("搜索办事事项")).to_be_focused()


# 2. Language ------------------------------------------------------------------------------


def test_it_switches_the_page_to_english_and_back_with_the_language_button(page: Page) -> None:
    page.goto("/login/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")

    page.get_by_role("button", name="English").click()

    expect(page).to_have_url(re.compile(r"/login/$"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("button", name="中文", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="English")).to_have_count(0)
    expect(page.get_by_role("button", name="Log in", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="登录", exact=True)).to_have_count(0)

    page.goto("/register/")
    expect(page.locator("html")).to_have_attribute("lang", "en")

    page.get_by_role("button", name="中文", exact=True).click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    expect(page.get_by_role("button", name="English")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("注册账户")


# 3. Large text ----------------------------------------------------------------------------


def test_it_enlarges_the_text_in_large_text_mode_and_keeps_it_on_the_next_page(page: Page) -> None:
    page.goto("/")
    normal = _root_font_size(page)
    normal_heading = page.get_by_role("heading", level=1).bounding_box()

    page.get_by_role("button", name="大字模式").click()

    expect(page.locator("html")).to_have_class("large-text")
    large = _root_font_size(page)
    assert large >= normal * 1.2, f"root font-size {normal}px -> {large}px"
    large_heading = page.get_by_role("heading", level=1).bounding_box()
    assert normal_heading is not None and large_heading is not None
    assert large_heading["height"] > normal_heading["height"]
    expect(page.get_by_role("button", name="标准字号")).to_have_attribute("aria-pressed", "true")

    page.get_by_role("navigation", name="主导航").get_by_role("link", name="注册").click()
    expect(page).to_have_url(re.compile(r"/register/$"))
    assert _root_font_size(page) == large

    page.get_by_role("button", name="标准字号").click()
    assert _root_font_size(page) == normal
    expect(page.get_by_role("button", name="大字模式")).to_have_attribute("aria-pressed", "false")


# 4. Phone width and screenshots -----------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "path", "heading"),
    [
        ("home", "/", "网上办事，一网通办"),
        ("login", "/login/", "个人/企业登录"),
        ("register", "/register/", "注册账户"),
    ],
)
def test_it_fits_the_page_into_a_360_pixel_phone_screen_without_sideways_scrolling(
    page: Page, name: str, path: str, heading: str
) -> None:
    page.goto(path)
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)

    widths = _look_at_both_widths(page, name)

    assert widths[360] <= 360, f"{path} is {widths[360]}px wide on a 360px screen"
    assert widths[1280] <= 1280


@pytest.mark.parametrize(("name", "path"), [("home", "/"), ("login", "/login/"), ("register", "/register/")])
def test_it_fits_the_page_into_a_360_pixel_phone_screen_in_large_text_mode_too(
    page: Page, name: str, path: str
) -> None:
    page.set_viewport_size(PHONE)
    page.goto(path)
    page.get_by_role("button", name="大字模式").click()
    expect(page.locator("html")).to_have_class("large-text")

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"{name}-large-text-360.png", full_page=True)
    assert _page_width(page) <= 360


# 5. Labels --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "labels"),
    [
        ("/login/", ["身份证号码或手机号码", "密码"]),
        ("/register/", ["姓名", "身份证号码", "手机号码", "密码", "再次输入密码", CONSENT]),
        ("/desk/login/", ["用户名", "密码"]),
    ],
)
def test_it_gives_every_visible_form_control_a_label(page: Page, path: str, labels: list[str]) -> None:
    page.goto(path)

    controls = page.evaluate(UNLABELLED_CONTROLS_JS)

    assert controls["total"] == len(labels)
    assert controls["unlabelled"] == []
    for label in labels:
        expect(page.get_by_label(_label(label))).to_be_visible()


def test_it_ties_the_help_text_to_its_field_on_the_register_page(page: Page) -> None:
    page.goto("/register/")

    expect(page.get_by_label(_label("身份证号码"))).to_have_accessible_description(
        "18位居民身份证号码，最后一位可能是X。"
    )
    expect(page.get_by_label(_label("密码"))).to_have_accessible_description(
        "至少8位，须包含小写字母、大写字母、数字、符号中的至少三类，不能包含身份证号码或手机号码。"
    )


# 6-7. Applicant login ---------------------------------------------------------------------


def test_it_logs_alice_in_with_her_id_number_and_lets_her_act_for_her_company(
    page: Page, alice: User, alice_company: LegalEntity
) -> None:
    _log_in_as_alice(page)

    expect(page).to_have_url(re.compile(r"/my/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("我的办事空间")
    expect(page.get_by_role("banner")).to_contain_text("陈爱丽")
    main = page.get_by_role("main")
    expect(main).to_contain_text("当前以个人身份办理：陈爱丽（350205********0020）")
    assert ALICE_ID not in page.content(), "the full ID number must never be shown"

    page.get_by_label("切换办事身份").select_option(label="绿源林业专业合作社")
    page.get_by_role("button", name="切换", exact=True).click()

    expect(main).to_contain_text("当前以企业身份办理：绿源林业专业合作社（93350205MA2Y4GL0XK）")
    expect(page.get_by_label("切换办事身份")).to_have_value(str(alice_company.public_id))
    assert _look_at_both_widths(page, "workspace")[360] <= 360

    page.get_by_label("切换办事身份").select_option(label="个人：陈爱丽")
    page.get_by_role("button", name="切换", exact=True).click()
    expect(main).to_contain_text("当前以个人身份办理：陈爱丽")


def test_it_shows_a_wrong_password_in_the_alert_region_and_stays_on_the_login_page(page: Page, alice: User) -> None:
    _log_in_as_alice(page, password="Wrong#Pass2026")

    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("账号或密码不正确。")
    expect(alert).to_contain_text("再失败4次，账户将被锁定。")
    expect(page.get_by_role("heading", level=1)).to_have_text("个人/企业登录")
    expect(page.get_by_label(_label("身份证号码或手机号码"))).to_have_value(ALICE_ID)
    expect(page.get_by_label(_label("密码"))).to_have_value("")
    expect(page.get_by_role("banner")).not_to_contain_text("陈爱丽")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "login-error-1280.png", full_page=True)


# 8. Staff login with a second factor -----------------------------------------------------


def test_it_takes_bob_through_authenticator_enrolment_to_the_desk_showing_his_role(
    page: Page, bob: User, departments: dict[str, Department]
) -> None:
    ivan = identity_actions.create_staff(username="ivan", full_name="蔡一凡", password=PASSWORD)
    identity_actions.grant_role(ivan, departments["bureau"], Role.SECURITY_ADMIN)
    code = identity_actions.issue_enrolment_code(bob, actor=ivan)
    page.goto("/desk/login/")
    assert _look_at_both_widths(page, "desk-login")[360] <= 360
    page.get_by_label(_label("用户名")).fill("bob")
    page.get_by_label(_label("密码")).fill(PASSWORD)
    page.get_by_role("button", name="下一步").click()

    # Bob has no authenticator: the security administrator's one-time code comes first.
    expect(page.get_by_role("heading", level=1)).to_have_text("绑定身份验证器")
    assert "/desk/verify/" in page.url
    page.get_by_label(_label("绑定码")).fill(code)
    page.get_by_role("button", name="下一步").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("二次验证")
    expect(page.get_by_role("heading", name="绑定身份验证器")).to_be_visible()
    qr = page.get_by_role("img", name="身份验证器二维码")
    expect(qr).to_be_visible()
    expect(qr.locator("svg")).to_be_visible()
    expect(page.locator(".dev-banner")).to_have_count(0)
    assert _look_at_both_widths(page, "desk-verify")[360] <= 360

    # Type the secret into an "authenticator", as Bob would if he could not scan the code:
    secret = page.locator("code.secret").inner_text().strip()
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    device = TOTPDevice.objects.get(user=bob)
    assert not device.confirmed and key == device.bin_key
    code = f"{totp(key, step=device.step, t0=device.t0, digits=device.digits):06d}"

    page.get_by_label(_label("动态验证码")).fill(code)
    page.get_by_role("button", name="验证").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("林建波，您好")
    assert page.url.endswith("/desk/")
    roles = page.get_by_role("table", name="我的岗位")
    expect(roles.get_by_role("row").nth(1)).to_contain_text("林业科")
    expect(roles.get_by_role("cell", name="窗口受理")).to_be_visible()
    expect(page.get_by_role("banner")).to_contain_text("工作人员工作台")
    device.refresh_from_db()
    assert device.confirmed
    assert _look_at_both_widths(page, "desk")[360] <= 360
