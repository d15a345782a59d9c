"""A fee in a real browser: the clerk assesses it at the 缴费 step, the farmer pays on the finance
platform's page (the sandbox) from her phone and comes back to her receipt, and the case moves on.
Screenshots go to ``test-artifacts/``."""

from __future__ import annotations

import copy
import re
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from django.core.files.uploadedfile import SimpleUploadedFile

from browser_testing import PHONE, browser_tabs, log_in_at_desk, restore_migration_data, screenshot
from govhall.cases import actions as case_actions
from govhall.cases.models import Case
from govhall.cases.tests.conftest import pdf_bytes
from govhall.catalog.demo import load_catalog_demo
from govhall.catalog.queries import live_versions
from govhall.identity.demo import DEMO_PASSWORD, load_demo
from govhall.identity.models import User
from govhall.lib.sandbox import make_sandbox_server
from govhall.payments.sandbox_finance import FinanceSandbox

from .conftest import SECRET

FARMER_ID = "350205198503120020"  # 陈爱丽 (govhall.identity.demo)
LAND_USE = "临时使用林地审批"


@pytest.fixture
def at_the_fee_step(
    browser: Browser,
    live_server: Any,
    django_db_serialized_rollback: None,
    transactional_db: None,
    migration_data: str,
    settings: Any,
) -> Iterator[tuple[Callable[[], Page], Case, FinanceSandbox]]:
    restore_migration_data(migration_data)
    load_demo()
    load_catalog_demo(editor=User.objects.get(username="helen"), approver=User.objects.get(username="grace"))
    settings.STAFF_2FA_SKIP = True
    sandbox = FinanceSandbox(SECRET)
    # No callback here: the page she comes back to asks the platform itself. (The callbacks have
    # their own tests; on the tests' in-memory SQLite the live server's threads share one
    # connection, and a callback landing while her page is served can break the other's savepoint.)
    sandbox.callback_mode = "never"
    server = make_sandbox_server(sandbox)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    platform = f"http://127.0.0.1:{server.server_port}"
    settings.FINANCE_URL, settings.FINANCE_SECRET, settings.PUBLIC_URL = platform, SECRET, str(live_server)
    # As the settings do for a configured platform: a payment form may lead to its page:
    policy = copy.deepcopy(settings.CONTENT_SECURITY_POLICY)
    policy["DIRECTIVES"]["form-action"].append(platform)
    settings.CONTENT_SECURITY_POLICY = policy

    version = next(v for v in live_versions() if v.name == LAND_USE)
    farmer = User.objects.get(full_name="陈爱丽")
    bob, frank, grace = (User.objects.get(username=name) for name in ("bob", "frank", "grace"))
    files = {
        m.pk: SimpleUploadedFile(f"{m.name}.pdf", pdf_bytes(), content_type="application/pdf")
        for m in version.materials.filter(need="1")
    }
    form = {"applicant_name": "陈爱丽", "project_name": "鼎美村道路拓宽施工便道", "purpose": "施工便道",
            "location": "东孚街道鼎美村5林班3小班", "area_ha": 0.12, "start_date": "2027-01-10",
            "end_date": "2027-06-30", "restoration_plan": "工程结束后3个月内种植马尾松、木荷恢复植被。"}  # fmt: skip
    case = case_actions.submit_case(version, applicant=farmer, form_data=form, submit_key="fee", files=files)
    case = case_actions.accept_case(case, actor=bob)
    case = case_actions.complete_step(case, actor=frank, opinion="用地必要，面积属实。")
    case = case_actions.complete_step(case, actor=frank, opinion="现场核实：乔木林地1200平方米。")
    case = case_actions.decide_case(
        case, actor=grace, decision="approve", reason="符合条件。", legal_basis="《森林法》第三十八条"
    )
    with browser_tabs(browser, str(live_server)) as new_tab:
        yield new_tab, case, sandbox
    server.shutdown()
    server.server_close()


@pytest.mark.browser
def test_the_clerk_assesses_the_fee_and_the_farmer_pays_it_on_the_platforms_page(
    at_the_fee_step: tuple[Callable[[], Page], Case, FinanceSandbox],
) -> None:
    new_tab, case, sandbox = at_the_fee_step
    clerk = log_in_at_desk(new_tab(), "bob", DEMO_PASSWORD)
    clerk.goto(f"/desk/cases/{case.public_id}/")
    fees = clerk.locator("#fees")
    expect(fees.get_by_role("heading", name="缴费")).to_be_visible()
    # A third decimal is refused, in words, and nothing is issued:
    fees.get_by_label("核定金额（元）").fill("12000.005")
    fees.get_by_label("核定依据").fill("临时使用乔木林地1200平方米×10元")
    fees.get_by_role("button", name="核定并开具缴款通知").click()
    expect(clerk.get_by_text("金额须为不超过两位小数的元数")).to_be_visible()
    assert sandbox.orders == {}
    clerk.locator("#fees").get_by_label("核定金额（元）").fill("12000.00")
    clerk.locator("#fees").get_by_label("核定依据").fill("临时使用乔木林地1200平方米×10元")
    clerk.locator("#fees").get_by_role("button", name="核定并开具缴款通知").click()
    expect(clerk.get_by_text(re.compile(r"缴款通知已开具（缴款码 \d{20}）"))).to_be_visible()
    screenshot(clerk, "payments-issued")

    farmer = new_tab()
    farmer.set_viewport_size(PHONE)
    farmer.goto("/login/")
    farmer.get_by_label("身份证号码或手机号码", exact=True).fill(FARMER_ID)
    farmer.get_by_label("密码", exact=True).fill(DEMO_PASSWORD)
    farmer.get_by_role("button", name="登录").click()
    farmer.goto(f"/my/cases/{case.public_id}/")
    farmer.get_by_role("link", name="去缴费").click()
    expect(farmer.get_by_role("heading", level=1)).to_have_text(f"缴费：{LAND_USE}")
    farmer.get_by_role("button", name="去缴费").click()
    expect(farmer.get_by_role("heading", name="非税收入缴费")).to_be_visible()  # the platform's own page
    screenshot(farmer, "payments-platform-page")
    farmer.get_by_role("button", name="确认支付").click()
    expect(farmer.get_by_role("heading", name="缴费成功")).to_be_visible()
    receipt = next(iter(sandbox.orders.values()))["receipt"]["number"]
    expect(farmer.get_by_text(receipt).first).to_be_visible()
    screenshot(farmer, "payments-paid")

    clerk.reload()
    expect(clerk.locator("#fees .status")).to_have_text("已缴费")
    expect(clerk.get_by_text("当前环节：办结")).to_be_visible()
