"""A storm in a real browser: the farmer subscribes to her village, the gauge's readings raise the
warnings, she sees 准备转移 then 立即转移, the water clerk acknowledges the red alarm and opens
the station's chart, and the public page shows the warning with no personal data.
Screenshots go to ``test-artifacts/``."""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from django.utils import timezone

from browser_testing import browser_tabs, log_in_at_desk, restore_migration_data, screenshot
from govhall.identity.demo import DEMO_PASSWORD, load_demo
from govhall.identity.models import Department
from govhall.sensors.actions import forget_registry, store_messages
from govhall.sensors.demo import load_sensors_demo
from govhall.sensors.tests.conftest import rain_series

FARMER_ID = "350205198503120020"


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
    load_sensors_demo(Department.objects.get(code="water"))
    forget_registry()
    settings.STAFF_2FA_SKIP = True
    with browser_tabs(browser, str(live_server)) as new_tab:
        yield new_tab


@pytest.mark.browser
def test_a_storm_warns_the_farmer_and_the_water_clerk_acknowledges(open_browser: Callable[[], Page]) -> None:
    farmer = open_browser()
    farmer.goto("/login/")
    farmer.get_by_label(re.compile(r"^身份证号码或手机号码[:：]?$")).fill(FARMER_ID)
    farmer.get_by_label(re.compile(r"^密码[:：]?$")).fill(DEMO_PASSWORD)
    farmer.get_by_role("button", name="登录", exact=True).click()
    farmer.goto("/my/sensors/")
    farmer.get_by_label(re.compile(r"^村（社区）")).select_option("过坂村")
    farmer.get_by_role("button", name="保存订阅").click()
    expect(farmer.get_by_text("已订阅 过坂村 的预警")).to_be_visible()
    screenshot(farmer, "sensors-subscriptions")

    end = timezone.now().replace(second=0, microsecond=0)
    store_messages(rain_series("hc-guoban-rain", end - datetime.timedelta(minutes=60), [40 / 12] * 12))
    store_messages(rain_series("hc-guoban-rain", end, [70 / 12] * 12))
    farmer.goto("/my/")
    expect(farmer.get_by_text("【橙色预警】过坂村：准备转移").first).to_be_visible()
    expect(farmer.get_by_text("【红色预警】过坂村：立即转移").first).to_be_visible()

    clerk = log_in_at_desk(open_browser(), "carol", DEMO_PASSWORD)
    clerk.goto("/desk/sensors/")
    row = clerk.get_by_role("row").filter(has_text="山洪立即转移（过坂村）：1小时")
    row.get_by_role("button", name="签收").click()
    expect(clerk.get_by_text("已签收报警：山洪立即转移（过坂村）：1小时")).to_be_visible()
    screenshot(clerk, "sensors-desk")
    clerk.get_by_role("link", name="过坂村雨量站").first.click()
    clerk.get_by_role("link", name="7天（按小时）").click()
    expect(clerk.locator("#sensor-chart svg")).to_be_visible()
    screenshot(clerk, "sensors-station-chart")

    public = open_browser()
    public.goto("/sensors/")
    expect(
        public.get_by_text("暴雨红色预警信号：3小时降雨量≥100毫米").or_(public.get_by_text("山洪立即转移")).first
    ).to_be_visible()
    expect(public.get_by_text("陈爱丽")).to_have_count(0)
    screenshot(public, "sensors-public")
