"""The API (published entries, disclosure requests) and the Atom feed per column."""

from __future__ import annotations

import pytest

from django.test import Client

from conftest import ALICE_ID
from govhall.publicinfo.models import DisclosureRequest, Entry

pytestmark = pytest.mark.django_db


def test_the_api_lists_published_entries_only(client: Client, draft: Entry, zh_client: Client) -> None:
    assert client.get("/api/v1/info/entries/").json() == []
    assert client.get(f"/api/v1/info/entries/{draft.public_id}/").status_code == 404


def test_the_api_gives_a_published_entry_with_its_links(client: Client, published: Entry) -> None:
    rows = client.get("/api/v1/info/entries/?kind=policy").json()
    assert [r["doc_number"] for r in rows] == ["厦海农林水〔2026〕8号"]
    detail = client.get(f"/api/v1/info/entries/{published.public_id}/").json()
    assert detail["status"] == "published" and detail["interpretations"] == [] and detail["version"] == 1
    assert client.get("/api/v1/info/entries/?kind=nonsense").status_code == 400


def test_a_request_is_filed_and_followed_through_the_api(client: Client) -> None:
    body = {
        "applicant_kind": "person",
        "name": "陈爱丽",
        "id_number": ALICE_ID,
        "contact_phone": "13800000001",
        "description": "采伐限额",
        "form_wanted": "electronic",
    }
    bad = client.post(
        "/api/v1/info/requests/", {**body, "id_number": "350205198503120021"}, content_type="application/json"
    )
    assert bad.status_code == 400 and "身份证号码" in bad.json()["errors"]["id_number"][0]
    assert not DisclosureRequest.objects.exists()
    receipt = client.post("/api/v1/info/requests/", body, content_type="application/json").json()
    status = client.post(
        "/api/v1/info/requests/follow/",
        {"number": receipt["number"], "code": receipt["query_code"]},
        content_type="application/json",
    ).json()
    assert status["status"] == "received" and status["due_on"] == receipt["due_on"]
    wrong = client.post(
        "/api/v1/info/requests/follow/", {"number": receipt["number"], "code": "NOPE"}, content_type="application/json"
    )
    assert wrong.status_code == 404


def test_each_column_has_an_atom_feed(client: Client, published: Entry, draft: Entry) -> None:
    feed = client.get("/info/policy/feed/")
    text = feed.content.decode()
    assert feed["Content-Type"].startswith("application/atom+xml")
    assert "海沧区林木采伐管理实施办法" in text and f"/info/e/{published.public_id}/" in text
    assert client.get("/info/nonsense/feed/").status_code == 404
