"""Shared set-up of the browser tests: Debian's Chromium through Playwright's sync API.

Loaded as a pytest plugin by src/conftest.py. Test modules take ``browser`` (one Chromium
per module) and, when they use the live server with committed data, put back what the data
migrations seeded with ``restore_migration_data(migration_data)``.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

# Playwright's sync API keeps an asyncio loop running in this thread; Django would otherwise
# refuse the ORM calls the fixtures make ("You cannot call this from an async context").
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 800}
# Content types and permissions come back by themselves (the flush's post_migrate signal):
REBUILT_BY_POST_MIGRATE = {"contenttypes.contenttype", "auth.permission"}


@pytest.fixture(scope="module")
def migration_data(django_db_setup: None, django_db_blocker: Any) -> str:
    """The rows the data migrations seed (code lists, holidays, audit chain head), as Django saved them.

    Taken before the browser starts: once Playwright's sync API runs in this thread,
    ``connections["default"]`` is a fresh wrapper without the snapshot Django serialized when
    it created the test database, so pytest-django's serialized rollback restores nothing.
    """
    from django.db import connection

    # Django serializes the test database only when a collected test asks for it, so a run of
    # the browser tests alone (``pytest src/govhall/portal``) takes the snapshot here:
    snapshot = getattr(connection, "_test_serialized_contents", None)
    if snapshot is None:
        with django_db_blocker.unblock():
            snapshot = connection.creation.serialize_db_to_string()
    rows = json.loads(snapshot)
    return json.dumps([row for row in rows if row["model"] not in REBUILT_BY_POST_MIGRATE])


def restore_migration_data(migration_data: str) -> None:
    """Put back what the data migrations seeded; a live-server test's flush empties those tables."""
    from django.db import connection

    connection.creation.deserialize_db_from_string(migration_data)


@pytest.fixture(scope="module")
def browser(migration_data: str) -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        # CI installs Chromium itself (scripts/system-deps.sh), so there a missing browser is a failure:
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is not installed (apt-get install chromium)")
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@contextlib.contextmanager
def browser_tabs(browser: Browser, base_url: str, **options: Any) -> Iterator[Callable[[], Page]]:
    """``new_tab()``: a tab in a fresh context (its own cookies: one per person), in Chinese, on the desktop size.

    ``options`` go to every context (``accept_downloads=True``, another viewport …); the
    contexts are closed at the end.
    """
    contexts: list[BrowserContext] = []

    def new_tab() -> Page:
        settings = {"locale": "zh-CN", "viewport": DESKTOP, "timezone_id": "Asia/Shanghai", **options}
        context = browser.new_context(base_url=base_url, **settings)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    try:
        yield new_tab
    finally:
        for context in contexts:
            context.close()


def log_in_at_desk(page: Page, username: str, password: str) -> Page:
    """Log ``page`` in at the desk (the second factor skipped by the test's settings); return it on the desk home."""
    page.goto("/desk/login/")
    page.get_by_label("用户名", exact=True).fill(username)
    page.get_by_label("密码", exact=True).fill(password)
    page.get_by_role("button", name="下一步").click()
    expect(page).to_have_url(re.compile(r"/desk/$"))
    return page


def screenshot(page: Page, name: str) -> None:
    """Keep a full-page screenshot in test-artifacts/ for a person to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)


# axe-core (Deque, MPL-2.0), vendored for the tests: src/govhall/portal/tests/vendor/README.md
AXE = Path(__file__).resolve().parent / "govhall" / "portal" / "tests" / "vendor" / "axe-core" / "axe.min.js"
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def axe_violations(page: Page) -> list[str]:
    """What axe-core finds against WCAG 2.1 A and AA on the page as it is now: one line per rule, with where.

    The page's CSP allows no inline script, so axe is put in through the browser's own
    evaluation (as a person's assistive technology would read the page, not as the page runs).
    """
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8") + "\n;undefined")
    found = page.evaluate(
        """async (tags) => (await axe.run(document, {runOnly: {type: "tag", values: tags}})).violations
             .map(v => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map(n => n.target.join(" ")).join(", ")}`)""",
        WCAG_AA,
    )
    return [str(line) for line in found]
