"""WCAG 2.1 AA, checked with axe-core in a real browser on the pages each kind of user opens:
the public portal, the applicant's workspace and case, the desk's lists and case page."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from django.core.files.uploadedfile import SimpleUploadedFile

from browser_testing import PHONE, axe_violations, browser_tabs, log_in_at_desk, restore_migration_data
from govhall.cases import actions as case_actions
from govhall.cases.models import Case
from govhall.cases.tests.conftest import pdf_bytes
from govhall.catalog.demo import load_catalog_demo
from govhall.catalog.queries import live_versions
from govhall.identity.demo import DEMO_PASSWORD, load_demo
from govhall.identity.models import User
from govhall.publicinfo.demo import load_publicinfo_demo

FARMER_ID = "350205198503120020"  # 陈爱丽 (govhall.identity.demo)


@pytest.fixture
def demo(
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
    load_publicinfo_demo()
    settings.STAFF_2FA_SKIP = True
    version = next(v for v in live_versions() if v.name == "林木采伐许可证核发")
    files = {
        m.pk: SimpleUploadedFile(f"{m.name}.pdf", pdf_bytes(), content_type="application/pdf")
        for m in version.materials.filter(need="1")
    }
    form = {
        key: spec["enum"][0] if "enum" in spec else 1 if spec.get("type") in {"number", "integer"} else "鼎美村3林班"
        for key, spec in version.form_schema["properties"].items()
        if key in version.form_schema.get("required", [])
    }
    farmer = User.objects.get(full_name="陈爱丽")
    case = case_actions.submit_case(version, applicant=farmer, form_data=form, submit_key="a11y", files=files)
    with browser_tabs(browser, str(live_server)) as new_tab:
        yield new_tab, case


def _check(page: Page, paths: list[str]) -> list[str]:
    problems = []
    for path in paths:
        page.goto(path)
        problems += [f"{path}: {line}" for line in axe_violations(page)]
    return problems


@pytest.mark.browser
def test_the_pages_each_user_opens_meet_wcag_2_1_aa(demo: tuple[Callable[[], Page], Case]) -> None:
    new_tab, case = demo
    version = case.item_version
    public = new_tab()
    problems = _check(public, ["/", "/items/", f"/items/{version.public_id}/", "/info/", "/login/", "/complaints/",
                               "/indicators/", "/service-report/", "/inspections/", "/data/"])  # fmt: skip
    phone = new_tab()
    phone.set_viewport_size(PHONE)
    problems += _check(phone, ["/", f"/items/{version.public_id}/"])

    farmer = new_tab()
    farmer.goto("/login/")
    farmer.get_by_label("身份证号码或手机号码", exact=True).fill(FARMER_ID)
    farmer.get_by_label("密码", exact=True).fill(DEMO_PASSWORD)
    farmer.get_by_role("button", name="登录").click()
    problems += _check(farmer, ["/my/", f"/my/cases/{case.public_id}/", "/my/dossier/", "/my/licences/",
                                "/my/entitlements/"])  # fmt: skip

    clerk = log_in_at_desk(new_tab(), "bob", DEMO_PASSWORD)
    problems += _check(clerk, ["/desk/", "/desk/cases/", f"/desk/cases/{case.public_id}/", "/desk/delivery/",
                               "/desk/payments/", "/desk/dossier/"])  # fmt: skip
    assert problems == [], "\n".join(problems)
