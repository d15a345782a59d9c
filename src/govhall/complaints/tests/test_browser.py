"""An anonymous complaint of 慢作为 in a real browser: filed from a guide, followed, answered late, supervised.

Follows the issue's "how it will be checked": someone files an anonymous complaint about the
felling licence from its guide page's 网上投诉 link, follows it with the query code, the
forestry unit accepts it and investigates, its deadline passes (moved into the past in the
database: the live server's clock cannot be moved), the sweep raises a red supervision order,
the unit answers the complainant late, and replies to the order with evidence; the supervisor
closes it. Screenshots go to ``test-artifacts/``.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from django.utils import timezone

from browser_testing import browser_tabs, log_in_at_desk, restore_migration_data, screenshot
from govhall.cases.tests.conftest import pdf_bytes
from govhall.catalog.demo import load_catalog_demo
from govhall.complaints import actions
from govhall.complaints.constants import ComplaintStatus, Level, ObjectKind, OrderStatus, Source
from govhall.complaints.models import Complaint, SupervisionEvidence, SupervisionOrder
from govhall.identity.demo import DEMO_PASSWORD, load_demo
from govhall.identity.models import User

FELLING = "林木采伐许可证核发"


@pytest.fixture
def evidence_folder(tmp_path: Path) -> Iterator[Path]:
    """Evidence goes to a temporary folder, not the development ``var/private`` (as cases' browser test does)."""
    storage = SupervisionEvidence._meta.get_field("file").storage
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
    django_db_serialized_rollback: None, transactional_db: None, migration_data: str, evidence_folder: Path
) -> None:
    restore_migration_data(migration_data)
    load_demo()
    load_catalog_demo(editor=User.objects.get(username="helen"), approver=User.objects.get(username="grace"))


@pytest.fixture
def open_browser(
    browser: Browser, live_server: object, demo_bureau: None, settings: Any
) -> Iterator[Callable[[], Page]]:
    settings.STAFF_2FA_SKIP = True
    with browser_tabs(browser, str(live_server)) as new_tab:
        yield new_tab


def _staff(open_browser: Callable[[], Page], username: str) -> Page:
    return log_in_at_desk(open_browser(), username, DEMO_PASSWORD)


def _act(page: Page, button: str, fill: dict[str, str] | None = None) -> None:
    form = page.locator("form.desk-action", has=page.get_by_role("button", name=button, exact=True))
    for label, value in (fill or {}).items():
        form.get_by_label(label, exact=True).fill(value)
    form.get_by_role("button", name=button, exact=True).click()
    expect(page.get_by_role("alert")).to_have_count(0)


@pytest.mark.browser
def test_an_anonymous_slow_service_complaint_is_followed_answered_late_and_supervised(
    open_browser: Callable[[], Page], tmp_path: Path
) -> None:
    # Someone reads the felling guide and follows its 网上投诉 link, without logging in:
    citizen = open_browser()
    citizen.goto("/items/")
    citizen.get_by_role("link", name=FELLING, exact=True).click()
    citizen.get_by_role("link", name="网上投诉").click()
    expect(citizen).to_have_url(re.compile(r"/complaints/new/\?item="))
    expect(citizen.get_by_label("被投诉单位")).to_have_value(re.compile(r"\d+"))
    citizen.get_by_label("慢作为", exact=True).check()
    citizen.get_by_label("标题", exact=True).fill("采伐证申请一个月没有受理")
    citizen.get_by_label("事情经过", exact=True).fill("九月初在网上提交采伐申请，至今没有受理，电话也无人接听。")
    expect(citizen.get_by_label("匿名投诉（不留姓名）")).to_be_checked()
    citizen.get_by_role("button", name="提交投诉").click()
    expect(citizen.get_by_role("heading", level=1)).to_have_text("投诉已提交")
    number = citizen.locator("#tracking-number").inner_text()
    code = citizen.locator("#query-code").inner_text()
    screenshot(citizen, "complaint-submitted")

    # Later, in another browser, the complainant follows it with the number and the code:
    follower = open_browser()
    follower.goto("/complaints/follow/")
    follower.get_by_label("投诉编号", exact=True).fill(number)
    follower.get_by_label("查询码", exact=True).fill("WRONG234")
    follower.get_by_role("button", name="查询").click()
    expect(follower.get_by_role("alert")).to_contain_text("投诉编号或查询码不正确，请核对后重新输入。")
    follower.get_by_label("查询码", exact=True).fill(code)
    follower.get_by_role("button", name="查询").click()
    expect(follower.locator("#complaint-status")).to_have_text("待受理")
    followed_at = follower.url

    # The forestry clerk accepts it, takes it on and starts investigating:
    bob = _staff(open_browser, "bob")
    bob.goto("/desk/complaints/")
    bob.get_by_role("link", name=number).click()
    _act(bob, "受理")
    _act(bob, "交办", {"承办人用户名": "bob"})
    _act(bob, "开始调查")
    complaint = Complaint.objects.get(tracking_number=number)
    assert complaint.status == ComplaintStatus.INVESTIGATING

    # Its deadline passes unanswered; the sweep raises a red supervision order to the unit:
    Complaint.objects.filter(pk=complaint.pk).update(due_on=timezone.localdate() - datetime.timedelta(days=1))
    counts = actions.sweep_supervision()
    assert counts["complaint_orders"] == 1
    order = SupervisionOrder.objects.get(object_kind=ObjectKind.COMPLAINT, object_id=complaint.public_id)
    assert (order.level, order.source, order.department.code) == (Level.RED, Source.LATE_COMPLAINT, "forestry")

    # The clerk sees the red marks, answers the complainant (late) …
    bob.goto("/desk/complaints/")
    row = bob.get_by_role("row", name=re.compile(number))
    expect(row).to_contain_text("已超期")
    expect(row).to_contain_text("红牌督办")
    row.get_by_role("link", name=number).click()
    _act(bob, "答复投诉人", {"答复内容": "经核查，申请材料已于今日受理，将在法定时限内办结。对延误深表歉意。"})

    # … who reads the answer on the follow page:
    follower.goto(followed_at)
    expect(follower.locator("#complaint-status")).to_have_text("已答复")
    expect(follower.locator("#complaint-answer")).to_contain_text("申请材料已于今日受理")
    screenshot(follower, "complaint-followed-answer")

    # The unit replies to the order with evidence:
    scan = tmp_path / "整改说明.pdf"
    scan.write_bytes(pdf_bytes())
    bob.goto("/desk/supervision/")
    bob.get_by_role("link", name=order.number).click()
    expect(bob.locator("#order-level")).to_have_text("红牌")
    bob.get_by_label("回复内容", exact=True).fill("已答复投诉人，并对受理环节积压件逐件清理。")
    bob.get_by_label("佐证材料（PDF、JPG、PNG）").set_input_files(str(scan))
    bob.get_by_role("button", name="提交回复").click()
    expect(bob.locator("#order-status")).to_have_text("已回复")
    expect(bob.get_by_role("link", name="整改说明.pdf")).to_be_visible()
    screenshot(bob, "supervision-order-replied")

    # The supervisor reads the reply and closes the order:
    dan = _staff(open_browser, "dan")
    dan.goto(f"/desk/supervision/{order.public_id}/")
    expect(dan.locator("#order-reply")).to_contain_text("逐件清理")
    dan.get_by_role("button", name="办结督办").click()
    expect(dan.locator("#order-status")).to_have_text("已办结")
    order.refresh_from_db()
    assert order.status == OrderStatus.CLOSED
