"""Every page carries a Content-Security-Policy that allows nothing inline and nothing from elsewhere,
and the pages work under it in a real browser."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page

from django.test import Client

from browser_testing import DESKTOP, restore_migration_data


@pytest.mark.parametrize("path", ["/", "/login/", "/desk/login/", "/verify/", "/healthz"])
def test_every_response_forbids_inline_and_foreign_scripts(db: None, zh_client: Client, path: str) -> None:
    policy = zh_client.get(path)["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    assert directives["script-src"] == "'self'"
    assert directives["object-src"] == "'none'" and directives["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy and "*" not in policy


@pytest.fixture
def page(browser: Browser, live_server: object, transactional_db: None, migration_data: str) -> Iterator[Page]:
    context = browser.new_context(base_url=str(live_server), locale="zh-CN", viewport=DESKTOP)
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()
    restore_migration_data(migration_data)


@pytest.mark.browser
def test_the_public_pages_break_no_rule_of_the_policy(page: Page) -> None:
    violations: list[str] = []

    def watch(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            violations.append(f"{page.url}: {message.text}")

    page.on("console", watch)
    for path in ["/", "/items/", "/login/", "/register/", "/desk/login/", "/verify/"]:
        response = page.goto(path)
        assert response is not None and response.status == 200, path
        # The stylesheet applied (a blocked one would leave the browser's default look):
        assert page.evaluate("document.styleSheets.length") >= 1, path
    assert violations == []
