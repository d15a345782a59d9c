"""The archivist in a real browser: finds Alice's archived felling case, a changed byte is found and restored."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from browser_testing import browser_tabs, log_in_at_desk, restore_migration_data, screenshot
from conftest import PASSWORD
from govhall.archives.models import ArchivalPackage


@pytest.fixture
def world(django_db_serialized_rollback: None, transactional_db: None, migration_data: str) -> None:
    restore_migration_data(migration_data)


@pytest.fixture
def open_browser(browser: Browser, live_server: object, world: None, settings: Any) -> Iterator[Callable[[], Page]]:
    settings.STAFF_2FA_SKIP = True
    with browser_tabs(browser, str(live_server)) as new_tab:
        yield new_tab


def _archived(licensed_felling: Any, alice: Any, bob: Any, grace: Any) -> ArchivalPackage:
    """Close and archive Alice's case in a thread of its own: signing runs an event loop, and
    Playwright's already runs in this one."""
    import threading

    from django.db import connections

    from govhall.archives import actions

    from .conftest import close_licensed

    made: list[ArchivalPackage] = []

    def work() -> None:
        try:
            case = close_licensed(licensed_felling, alice, bob, grace)
            actions.read_case_events()
            made.append(actions.build_package(ArchivalPackage.objects.get(case=case)))
        finally:
            connections.close_all()

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    return made[0]


@pytest.mark.browser
def test_the_archivist_finds_checks_and_restores_a_package(
    open_browser: Callable[[], Page],
    licensed_felling: Any,
    alice: Any,
    bob: Any,
    grace: Any,
    frank: Any,
    ada: Any,
    archive_folders: tuple[Path, Path],
) -> None:
    package = _archived(licensed_felling, alice, bob, grace)
    assert package.status == "accepted"
    page = log_in_at_desk(open_browser(), "ada", PASSWORD)
    page.goto("/desk/archives/")
    page.get_by_label("年度").fill(str(package.year))
    page.get_by_role("button", name="查找", exact=True).click()
    screenshot(page, "archives-search")
    page.get_by_role("link", name=package.reference).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(package.title)
    # Someone changes one byte of a scanned material in the second copy:
    material = next((archive_folders[1] / package.reference / "data" / "materials").iterdir())
    material.chmod(0o600)
    data = bytearray(material.read_bytes())
    data[100] ^= 0x01
    material.write_bytes(bytes(data))
    page.get_by_role("button", name="立即巡检").click()
    expect(page.locator(".messages")).to_contain_text("发现损坏")
    expect(page.get_by_text(f"data/materials/{material.name}: changed")).to_be_visible()
    screenshot(page, "archives-damaged")
    page.get_by_role("button", name="用完好副本修复").click()
    expect(page.locator(".messages")).to_contain_text("已从完好副本修复")
    screenshot(page, "archives-restored")
