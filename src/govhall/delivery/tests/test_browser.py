"""Delivery in a real browser: the farmer chooses how her result comes (a bad address refused in
words beside the form), the clerk closes the case, and hands the licence over at the window against
the pick-up code and her ID. Screenshots go to ``test-artifacts/``."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from django.core.files.uploadedfile import SimpleUploadedFile

from browser_testing import PHONE, axe_violations, browser_tabs, log_in_at_desk, restore_migration_data, screenshot
from govhall.cases import actions as case_actions
from govhall.cases.models import Case
from govhall.cases.tests.conftest import pdf_bytes
from govhall.catalog.demo import load_catalog_demo
from govhall.catalog.queries import live_versions
from govhall.delivery import actions
from govhall.delivery.models import Delivery
from govhall.identity.demo import DEMO_PASSWORD, load_demo
from govhall.identity.models import Department, User

FARMER_ID = "350205198503120020"  # 陈爱丽 (govhall.identity.demo)
FELLING = "林木采伐许可证核发"


@pytest.fixture
def approved(
    browser: Browser,
    live_server: Any,
    django_db_serialized_rollback: None,
    transactional_db: None,
    migration_data: str,
    settings: Any,
) -> Iterator[tuple[Callable[[], Page], Case]]:
    restore_migration_data(migration_data)
    load_demo()
    load_catalog_demo(editor=User.objects.get(username="helen"), approver=User.objects.get(username="grace"))
    settings.STAFF_2FA_SKIP = True
    version = next(v for v in live_versions() if v.name == FELLING)
    farmer = User.objects.get(full_name="陈爱丽")
    bob, carol, frank, grace = (User.objects.get(username=n) for n in ("bob", "carol", "frank", "grace"))
    files = {
        m.pk: SimpleUploadedFile(f"{m.name}.pdf", pdf_bytes(), content_type="application/pdf")
        for m in version.materials.filter(need="1")
    }
    form = {
        key: spec["enum"][0] if "enum" in spec else 1 if spec.get("type") in {"number", "integer"} else "鼎美村3林班"
        for key, spec in version.form_schema["properties"].items()
        if key in version.form_schema.get("required", [])
    }
    case = case_actions.submit_case(version, applicant=farmer, form_data=form, submit_key="deliver", files=files)
    case = case_actions.accept_case(case, actor=bob)
    while (step := case_actions.current_step(case)) is not None and step.kind not in {"decision", "close"}:
        if step.kind == "countersign":
            water = Department.objects.filter(memberships__user=carol).exclude(pk=case.department_id).first()
            case = case_actions.start_countersign(case, actor=frank, departments=[water])
            case = case_actions.answer_countersign(case.countersigns.get(), actor=carol, agrees=True, opinion="同意。")
        else:
            case = case_actions.complete_step(case, actor=frank, opinion="采伐地点与蓄积属实。")
    case = case_actions.decide_case(
        case, actor=grace, decision="approve", reason="符合采伐限额。", legal_basis="《森林法》"
    )
    with browser_tabs(browser, str(live_server)) as new_tab:
        yield new_tab, case


@pytest.mark.browser
def test_the_farmer_chooses_the_window_and_the_clerk_hands_the_result_over_against_the_code(
    approved: tuple[Callable[[], Page], Case],
) -> None:
    new_tab, case = approved
    farmer = new_tab()
    farmer.set_viewport_size(PHONE)
    farmer.goto("/login/")
    farmer.get_by_label("身份证号码或手机号码", exact=True).fill(FARMER_ID)
    farmer.get_by_label("密码", exact=True).fill(DEMO_PASSWORD)
    farmer.get_by_role("button", name="登录").click()
    farmer.goto(f"/my/cases/{case.public_id}/")
    panel = farmer.locator("#delivery")
    expect(panel.get_by_role("heading", name="结果送达")).to_be_visible()
    # EMS to a city's code: refused beside the form, nothing saved:
    panel.get_by_label("邮政EMS寄递").check()
    panel.get_by_label("收件人电话").fill("13800000001")
    panel.get_by_label("所在区县（6位行政区划代码）").fill("350200")
    panel.get_by_label("详细地址（街道、门牌号）").fill("东孚街道鼎美村128号")
    panel.get_by_role("button", name="保存送达方式").click()
    expect(farmer.locator("#delivery").get_by_text("省、市一级的代码不能用于投递")).to_be_visible()
    assert not Delivery.objects.exists()
    assert axe_violations(farmer) == []  # the refused form, its messages and the panel: WCAG 2.1 AA
    screenshot(farmer, "delivery-address-refused")
    farmer.locator("#delivery").get_by_label("窗口领取").check()
    farmer.locator("#delivery").get_by_role("button", name="保存送达方式").click()
    expect(farmer.get_by_text("送达方式已保存：窗口领取。")).to_be_visible()

    clerk = log_in_at_desk(new_tab(), "bob", DEMO_PASSWORD)
    clerk.goto(f"/desk/cases/{case.public_id}/")
    clerk.get_by_role("button", name="办结").click()
    expect(clerk.get_by_text("已办结").first).to_be_visible()
    # The worker's delivery round (in a thread of its own: pyHanko signs with asyncio, and
    # Playwright's loop runs in this one):
    worker = threading.Thread(target=actions.consume_case_events)
    worker.start()
    worker.join(60)
    code = Delivery.objects.get().pickup_code

    farmer.reload()
    expect(farmer.locator("#delivery strong.code")).to_have_text(code)
    screenshot(farmer, "delivery-pick-up-code")

    clerk.goto("/desk/delivery/")
    clerk.get_by_label("取件码（8位）").fill(code)
    clerk.get_by_label("领取人姓名").fill("王五")
    clerk.get_by_label("领取人身份证号码").fill("11010519491231002X")
    clerk.get_by_role("button", name="核验并交付").click()
    expect(clerk.get_by_text("领取人证件与申请人不一致").first).to_be_visible()
    expect(clerk.get_by_label("取件码（8位）")).to_have_value(code)  # kept, to correct
    assert axe_violations(clerk) == []
    clerk.get_by_label("领取人姓名").fill("陈爱丽")
    clerk.get_by_label("领取人身份证号码").fill(FARMER_ID)
    clerk.get_by_role("button", name="核验并交付").click()
    expect(clerk.get_by_text("送达时间已记录")).to_be_visible()
    screenshot(clerk, "delivery-handed-over")

    farmer.reload()
    expect(farmer.locator("#delivery .status")).to_have_text("已送达")
