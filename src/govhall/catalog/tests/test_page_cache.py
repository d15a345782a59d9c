"""Public guide pages kept whole for anonymous visitors: always the live catalog, forms still post."""

from __future__ import annotations

import datetime
import re

import pytest

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from govhall.catalog import actions
from govhall.catalog.constants import ItemStatus
from govhall.catalog.models import ItemVersion, ServiceItem
from govhall.catalog.queries import forget_live_catalog
from govhall.catalog.tests.factories import create_draft, publish
from govhall.identity.models import Department, User

pytestmark = pytest.mark.django_db

NAME = "林木采伐许可证核发"


@pytest.fixture
def published(helen: User, grace: User, departments: dict[str, Department]) -> ItemVersion:
    return publish(create_draft(helen, departments["forestry"]), helen, grace)


def _water_draft(helen: User, departments: dict[str, Department]) -> ItemVersion:
    return create_draft(
        helen,
        departments["water"],
        code_suffix="00002000",
        overrides={"name": "取水许可", "result_name": "取水许可证", "result_sample": "取水许可证（样本）"},
        materials=[{"order": 1, "name": "取水许可申请书", "need": "1", "source": "1"}],
    )


def _token(page: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([A-Za-z0-9]{64})"', page)
    assert match, "the page has no CSRF field"
    return match.group(1)


def test_a_repeated_search_is_sent_from_the_kept_page_without_a_query(published: ItemVersion) -> None:
    first = Client().get("/items/?q=林木采伐").content.decode()
    assert NAME in first
    with CaptureQueriesContext(connection) as queries:
        again = Client().get("/items/?q=林木采伐").content.decode()
    assert len(queries.captured_queries) == 0
    assert NAME in again
    # Every visitor gets a CSRF token of their own, not the first visitor's:
    assert _token(again) != _token(first)


def test_the_language_switch_on_a_kept_page_still_posts(published: ItemVersion) -> None:
    Client().get("/items/")  # the page is kept
    visitor = Client(enforce_csrf_checks=True)
    page = visitor.get("/items/").content.decode()
    response = visitor.post(
        "/i18n/setlang/", {"language": "en", "next": "/items/", "csrfmiddlewaretoken": _token(page)}
    )
    assert response.status_code == 302
    english = visitor.get("/items/").content.decode()
    assert 'lang="en"' in english
    assert "Service guide" in english


def test_a_publication_shows_at_once_and_a_suspension_takes_the_guide_away(
    published: ItemVersion, helen: User, grace: User, departments: dict[str, Department]
) -> None:
    assert "取水许可" not in Client().get("/items/").content.decode()
    publish(_water_draft(helen, departments), helen, grace)
    assert "取水许可" in Client().get("/items/").content.decode()

    actions.set_item_status(published.item, ItemStatus.CANCELLED, actor=grace, reason="并入新事项")
    assert NAME not in Client().get("/items/").content.decode()
    assert Client().get(f"/items/{published.public_id}/").status_code == 200  # old guides stay readable


def test_a_change_made_by_another_server_shows_once_this_one_rechecks(published: ItemVersion, settings: object) -> None:
    settings.CATALOG_RECHECK_SECONDS = 3600  # type: ignore[attr-defined]
    assert NAME in Client().get("/items/").content.decode()
    # Another server cancels the item: this process has not been told.
    ServiceItem.objects.filter(pk=published.item_id).update(status=ItemStatus.CANCELLED)
    assert NAME in Client().get("/items/").content.decode()
    forget_live_catalog()  # what the re-check interval passing does
    assert NAME not in Client().get("/items/").content.decode()


def test_logged_in_visitors_and_pages_with_a_message_are_not_kept(published: ItemVersion, alice: User) -> None:
    Client().get("/items/")
    citizen = Client()
    citizen.force_login(alice)
    page = citizen.get("/items/").content.decode()
    assert alice.full_name in page  # her own frame, not the anonymous one kept
    anonymous = Client().get("/items/").content.decode()
    assert alice.full_name not in anonymous


def test_a_large_text_visitor_gets_the_large_text_page(published: ItemVersion) -> None:
    assert 'class="large-text"' not in Client().get("/items/").content.decode()
    large = Client()
    large.cookies["govhall_text"] = "large"
    assert 'class="large-text"' in large.get("/items/").content.decode()
    assert 'class="large-text"' not in Client().get("/items/").content.decode()


def test_a_guide_published_for_tomorrow_appears_on_its_day(
    published: ItemVersion,
    helen: User,
    grace: User,
    departments: dict[str, Department],
    settings: object,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings.CATALOG_RECHECK_SECONDS = 3600  # type: ignore[attr-defined]
    today = timezone.localdate()
    tomorrow = today + datetime.timedelta(days=1)
    publish(_water_draft(helen, departments), helen, grace, effective_from=tomorrow)
    assert "取水许可" not in Client().get("/items/").content.decode()
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: tomorrow)
    assert "取水许可" in Client().get("/items/").content.decode()
