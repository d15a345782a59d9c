"""Open data sets: downloaded as CSV and JSON and checked against the database; small counts suppressed."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from django.db.models import Count
from django.test import Client

from govhall.cases.models import Case
from govhall.catalog.models import ItemVersion
from govhall.identity.models import User
from govhall.sharing import actions
from govhall.sharing.constants import Openness, UpdateFrequency

from .test_outbox import submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def datasets(db: None) -> None:
    actions.define_default_datasets(actor="test")


def test_a_data_set_downloaded_says_what_the_database_says(
    datasets: None, felling: ItemVersion, alice: User, bob: User, on_day: Any
) -> None:
    for n in range(6):
        submit(felling, alice, f"k{n}")
    for dataset in actions.Dataset.objects.all():
        actions.refresh_dataset(dataset)
    client = Client()
    page = client.get("/data/")
    assert "按事项和月份的办件量" in page.content.decode()
    response = client.get("/data/cases-by-item-month.csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    expected = (
        Case.objects.exclude(status="draft")
        .values("item_version__item__implementation_code")
        .annotate(n=Count("pk"))
        .get()
    )
    [row] = rows
    assert row["TASK_CODE"] == expected["item_version__item__implementation_code"]
    assert int(row["FILED"]) == expected["n"] == 6
    body = client.get("/data/service-items.json").json()
    assert body["metadata"]["dct:publisher"] and body["metadata"]["fields"][0]["name"] == "TASK_CODE"
    assert [r["TASK_CODE"] for r in body["rows"]] == [felling.item.implementation_code]
    api = client.get("/api/v1/open-data/cases-by-item-month/").json()
    assert api["rows"][0]["FILED"] == 6
    assert {d["dct:identifier"] for d in client.get("/api/v1/open-data/").json()} >= {"cases-by-item-month", "ratings"}


def test_fewer_than_five_cases_are_not_published_as_a_number(
    datasets: None, felling: ItemVersion, alice: User, on_day: Any
) -> None:
    for n in range(4):
        submit(felling, alice, f"k{n}")
    dataset = actions.refresh_dataset(actions.Dataset.objects.get(slug="cases-by-item-month"))
    [row] = dataset.rows
    assert row["FILED"] is None and row["CLOSED"] is None


def test_a_closed_or_conditional_set_cannot_be_downloaded(db: None) -> None:
    import datetime

    closed = actions.define_dataset(
        slug="inner",
        title="内部",
        query="catalog",
        openness=Openness.CLOSED,
        update_frequency=UpdateFrequency.DAILY,
        reviewed_by="审查组",
        reviewed_on=datetime.date(2026, 1, 5),
        review_conclusion="涉及内部工作信息，不予开放。",
    )
    assert not closed.is_published
    conditional = actions.define_dataset(
        slug="on-request",
        title="申请开放",
        query="catalog",
        openness=Openness.CONDITIONAL,
        update_frequency=UpdateFrequency.DAILY,
        reviewed_by="审查组",
        reviewed_on=datetime.date(2026, 1, 5),
        review_conclusion="有条件开放。",
    )
    client = Client()
    assert client.get("/data/inner/").status_code == 404
    assert client.get("/data/on-request/").status_code == 200
    assert client.get("/data/on-request.csv").status_code == 404
    assert conditional.is_published
    with pytest.raises(actions.ValidationError) as refused:
        actions.define_dataset(
            slug="x",
            title="x",
            query="catalog",
            openness=Openness.UNCONDITIONAL,
            update_frequency=UpdateFrequency.DAILY,
            reviewed_by="",
            reviewed_on=datetime.date(2026, 1, 5),
            review_conclusion="",
        )
    assert "保密审查" in str(refused.value)
