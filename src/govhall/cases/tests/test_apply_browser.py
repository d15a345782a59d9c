"""The application form in a real browser: a held licence hides its upload box, errors stand at their fields.

Chromium through Playwright, against the live server, with the page's own script under the
Content-Security-Policy (no inline script). Screenshots go to ``test-artifacts/``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, expect

from django.db import transaction

from browser_testing import ARTIFACTS, DESKTOP, restore_migration_data
from conftest import ALICE_ID, PASSWORD
from govhall.cases.models import Case
from govhall.catalog.models import ItemVersion
from govhall.catalog.tests.conftest import grace, helen  # noqa: F401 - fixtures
from govhall.identity.models import User
from govhall.licences.models import Licence, LicenceType
from govhall.licences.tests.conftest import FOREST_RIGHT_TYPE, forest_right_of

from .test_form_errors import EVERYTHING_WRONG, EXPECTED, SCHEMA, item  # noqa: F401 - fixture

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def forest_right_type(transactional_db: None) -> LicenceType:
    return LicenceType.objects.create(code=FOREST_RIGHT_TYPE, name="林权证", defining_body="自然资源部")


@pytest.fixture
def held(alice: User, forest_right_type: LicenceType) -> Licence:
    assert alice.person is not None
    with transaction.atomic():
        return forest_right_of(alice.person, forest_right_type)


@pytest.fixture
def open_page(
    browser: Browser, live_server: object, transactional_db: None, migration_data: str
) -> Iterator[Callable[..., Page]]:
    """``open_page(viewport)``: Alice, logged in, in a fresh context; every policy violation is kept."""
    contexts: list[BrowserContext] = []
    violations: list[str] = []

    def open_as_alice(viewport: dict[str, int] = DESKTOP) -> Page:
        context = browser.new_context(base_url=str(live_server), locale="zh-CN", viewport=viewport)
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()

        def watch(message: ConsoleMessage) -> None:
            if "Content Security Policy" in message.text:
                violations.append(message.text)

        page.on("console", watch)
        page.goto("/login/")
        page.get_by_label("身份证号码或手机号码", exact=True).fill(ALICE_ID)
        page.get_by_label("密码", exact=True).fill(PASSWORD)
        page.get_by_role("button", name="登录").click()
        expect(page.get_by_role("heading", level=1)).not_to_have_text("登录")
        return page

    yield open_as_alice
    for context in contexts:
        context.close()
    restore_migration_data(migration_data)
    assert violations == []


def _screenshot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)


@pytest.mark.browser
def test_choosing_a_held_licence_hides_the_upload_box_and_upload_instead_shows_it_again(
    open_page: Callable[..., Page],
    item: ItemVersion,  # noqa: F811
    held: Licence,
) -> None:
    page = open_page()
    page.goto(f"/items/{item.public_id}/apply/")
    choices = page.get_by_role("group", name="林权证")
    licence = choices.get_by_role("radio", name=f"使用平台已有的电子证照：林权证 {held.number}", exact=False)
    upload_instead = choices.get_by_role("radio", name="不使用，自行上传文件")
    upload = page.get_by_label("林权证：上传文件", exact=True)
    # The licence the platform holds is chosen, so nothing is asked for:
    expect(licence).to_be_checked()
    expect(upload).to_be_hidden()
    upload_instead.check()
    expect(upload).to_be_visible()
    expect(upload).to_be_enabled()
    licence.check()
    expect(upload).to_be_hidden()
    # The other material has no licence to take its place; its box is always there:
    expect(page.get_by_label("林木采伐申请表", exact=True)).to_be_visible()
    _screenshot(page, "apply-held-licence")

    # Filed with the licence: nothing uploaded for it.
    page.get_by_label("林木采伐申请表", exact=True).set_input_files(
        files=[{"name": "申请表.pdf", "mimeType": "application/pdf", "buffer": _pdf()}]
    )
    answers = {"location": "东孚镇鼎美村", "volume": "12.5", "trees": "40", "start": "2026-12-20"}
    for name, value in answers.items():
        page.get_by_label(SCHEMA["properties"][name]["title"], exact=True).fill(value)
    page.get_by_label("树种", exact=True).select_option(label="杉木")
    page.get_by_label("更新措施", exact=True).fill("采伐后次年春季前完成杉木、木荷混交造林。")
    page.get_by_label("联系电话", exact=True).fill("0592-6050001")
    page.get_by_role("button", name="提交申请").click()
    expect(page).to_have_url(re.compile(r"/my/cases/[0-9a-f-]+/$"))
    case = Case.objects.get()
    assert case.materials.get(material__licence_type_code=FOREST_RIGHT_TYPE).licence == held


@pytest.mark.browser
@pytest.mark.parametrize(("viewport", "size"), [(DESKTOP, "desktop"), (PHONE, "phone")])
def test_every_error_stands_at_its_field_on_a_desktop_and_on_a_phone(
    open_page: Callable[..., Page],
    item: ItemVersion,  # noqa: F811
    held: Licence,
    viewport: dict[str, int],
    size: str,
) -> None:
    page = open_page(viewport)
    page.goto(f"/items/{item.public_id}/apply/")
    page.get_by_role("group", name="林权证").get_by_role("radio", name="不使用，自行上传文件").check()
    for name, value in EVERYTHING_WRONG.items():
        field = page.get_by_label(SCHEMA["properties"][name]["title"], exact=True)
        if name in ("species", "location"):
            # A select offers only its options and a text field stops at its maxlength; those
            # are the server's tests (test_form_errors), a browser cannot send them:
            continue
        if name in ("volume", "start"):
            # A number or date field takes only what the browser can read; post it as typed:
            field.evaluate("(element, value) => { element.type = 'text'; element.value = value; }", value)
        else:
            field.fill(value)
    page.get_by_role("button", name="提交申请").click()
    summary = page.get_by_role("alert")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("处需要更正")
    shown = {**EXPECTED, "species": ("请选择“树种”。", "")}
    shown.pop("location")
    for name, (message, _english) in shown.items():
        field = page.get_by_label(SCHEMA["properties"][name]["title"], exact=True)
        expect(field).to_have_attribute("aria-invalid", "true")
        expect(page.locator(f"#id_{name}_error")).to_have_text(message)
        expect(page.locator(f"#id_{name}_error")).to_be_visible()
    for upload in ("林木采伐申请表", "林权证：上传文件"):
        expect(page.get_by_label(upload, exact=True)).to_have_attribute("aria-invalid", "true")
    # The upload-instead choice was kept, so its box is still shown with its error:
    expect(page.get_by_label("林权证：上传文件", exact=True)).to_be_visible()
    # Nothing runs off the side of a phone:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    # A link of the summary takes the applicant to the field:
    summary.get_by_role("link", name="“株数”不能小于 1。").click()
    expect(page.get_by_label("株数", exact=True)).to_be_focused()
    _screenshot(page, f"apply-errors-{size}")
    assert not Case.objects.exists()


def _pdf() -> Any:
    from .conftest import pdf_bytes

    return pdf_bytes()
