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


def test_the_hourly_sensor_set_sums_rain_averages_levels_and_leaves_out_intakes(
    db: None, departments: dict[str, Any]
) -> None:
    import datetime

    from django.utils import timezone

    from govhall.sensors import actions as sensor_actions
    from govhall.sensors.actions import forget_registry
    from govhall.sensors.demo import load_sensors_demo
    from govhall.sensors.models import Reading, Station
    from govhall.sensors.tests.conftest import data, rain_series

    forget_registry()
    load_sensors_demo(departments["water"])
    forget_registry()
    hour = timezone.now().replace(minute=0, second=0, microsecond=0) - datetime.timedelta(hours=2)
    sensor_actions.store_messages(rain_series("hc-guoban-rain", hour + datetime.timedelta(minutes=55), [1.5] * 12))
    sensor_actions.store_messages(
        [data("hc-guoban-river", hour + datetime.timedelta(minutes=m), {"Z": z}) for m, z in ((5, 10.0), (35, 11.0))]
    )
    intake = Station.objects.get(station_type="intake")
    sensor_actions.store_messages([data(intake.code, hour + datetime.timedelta(minutes=10), {"WU": 12.0})])
    assert Reading.objects.filter(station=intake).exists()
    dataset = actions.define_default_datasets()[-1]
    assert dataset.slug == "sensor-hours" and dataset.update_frequency == UpdateFrequency.HOURLY
    rows = actions.refresh_dataset(dataset).rows
    local = timezone.localtime(hour).strftime("%Y-%m-%dT%H:00")
    [rain] = [r for r in rows if r["STCD"] == "hc-guoban-rain" and r["ELEMENT"] == "PJ" and r["HOUR"] == local]
    assert rain["VALUE"] == 18.0 and rain["READINGS"] == 12 and rain["MIN"] is None
    [level] = [r for r in rows if r["STCD"] == "hc-guoban-river" and r["ELEMENT"] == "Z"]
    assert (level["VALUE"], level["MIN"], level["MAX"]) == (10.5, 10.0, 11.0)
    assert not [r for r in rows if r["STCD"] == intake.code]
    assert "蓄电池" not in str(rows)
