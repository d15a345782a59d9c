"""Storing readings: de-duplication, late arrival, bad input kept as problems, rolling windows."""

from __future__ import annotations

import datetime
import json
import random

import pytest

from django.utils import timezone

from govhall.sensors.actions import _refresh_rainfall_windows, store_messages
from govhall.sensors.constants import RAIN_WINDOWS
from govhall.sensors.ingest import Message
from govhall.sensors.models import DailyValue, IngestProblem, LatestValue, RainfallWindow, Reading, Station
from govhall.sensors.tests.conftest import data, rain_series

pytestmark = pytest.mark.django_db(transaction=False)


def test_it_stores_each_reading_once_however_often_it_arrives(stations: dict[str, Station]) -> None:
    moment = timezone.now().replace(microsecond=0) - datetime.timedelta(minutes=10)
    message = data("hc-guoban-rain", moment, {"PJ": 1.5, "VT": 12.6})
    first = store_messages([message, message])
    again = store_messages([message])
    assert (first.stored, first.duplicates) == (2, 2)
    assert (again.stored, again.duplicates) == (0, 2)
    assert Reading.objects.filter(station=stations["hc-guoban-rain"]).count() == 2
    day = DailyValue.objects.get(station=stations["hc-guoban-rain"], element_id="PJ")
    assert (day.count, day.total) == (1, 1.5)


def test_a_late_reading_is_stored_but_never_replaces_a_newer_latest_value(stations: dict[str, Station]) -> None:
    now = timezone.now().replace(microsecond=0)
    store_messages([data("hc-guoban-river", now - datetime.timedelta(minutes=5), {"Z": 12.1})])
    store_messages([data("hc-guoban-river", now - datetime.timedelta(minutes=30), {"Z": 11.7})])
    latest = LatestValue.objects.get(station=stations["hc-guoban-river"], element_id="Z")
    assert latest.value == 12.1
    assert Reading.objects.filter(station=stations["hc-guoban-river"], element_id="Z").count() == 2


def test_rainfall_windows_follow_the_newest_reading_including_late_ones(stations: dict[str, Station]) -> None:
    end = timezone.now().replace(second=0, microsecond=0)
    series = rain_series("hc-guoban-rain", end, [2.0] * 36)  # 3 h of 2 mm every 5 minutes
    store_messages(series[:-1] + [])
    store_messages(series[-1:])
    window = RainfallWindow.objects.get(station=stations["hc-guoban-rain"])
    assert (window.h1, window.h3, window.h24) == (24.0, 72.0, 72.0)
    # A buffered reading of two hours ago arrives late: the windows that cover it grow.
    store_messages([data("hc-guoban-rain", end - datetime.timedelta(minutes=122), {"PJ": 5.0})])
    window.refresh_from_db()
    assert (window.h1, window.h3) == (24.0, 77.0)


def test_windows_moved_batch_by_batch_equal_a_full_recount(stations: dict[str, Station]) -> None:
    # 30 hours of minute rain in batches of uneven size, a tenth of the readings arriving late
    # and out of order: the windows kept on write must equal a recount from all the readings.
    gauge = stations["hc-guoban-rain"]
    chance = random.Random(651)
    end = timezone.now().replace(second=0, microsecond=0)
    minutes = [end - datetime.timedelta(minutes=m) for m in range(30 * 60, -1, -1)]
    late = set(chance.sample(range(len(minutes)), len(minutes) // 10))
    on_time = [m for i, m in enumerate(minutes) if i not in late]
    held = [m for i, m in enumerate(minutes) if i in late]
    position = 0
    while position < len(on_time):
        size = chance.randint(1, 120)
        batch = [
            data("hc-guoban-rain", m, {"PJ": round(chance.uniform(0, 3), 1)})
            for m in on_time[position : position + size]
        ]
        if held and chance.random() < 0.5:  # a buffered reading from somewhere earlier
            batch.append(data("hc-guoban-rain", held.pop(chance.randrange(len(held))), {"PJ": 1.3}))
        store_messages(batch)
        position += size
    store_messages([data("hc-guoban-rain", m, {"PJ": 0.7}) for m in held])
    kept = RainfallWindow.objects.get(station=gauge)
    kept_sums = [round(kept.window(h), 3) for h in RAIN_WINDOWS]
    RainfallWindow.objects.all().delete()
    _refresh_rainfall_windows([gauge.pk])
    recount = RainfallWindow.objects.get(station=gauge)
    assert kept.as_of == recount.as_of == end
    assert kept_sums == [round(recount.window(h), 3) for h in RAIN_WINDOWS]
    assert kept_sums[0] > 0 and kept_sums[-1] > kept_sums[0]


def _problems() -> list[tuple[str, str]]:
    return list(IngestProblem.objects.order_by("pk").values_list("kind", "station_code"))


def test_bad_input_is_refused_with_a_clear_problem_and_nothing_silently_dropped(stations: dict[str, Station]) -> None:
    now = timezone.now().replace(microsecond=0)
    rain = "govhall/350205/hc-guoban-rain/data"
    result = store_messages(
        [
            Message(rain, b"{not json", now),
            Message(
                rain,
                json.dumps({"station": "hc-guoban-river", "time": now.isoformat(), "values": {"PJ": 99}}).encode(),
                now,
            ),
            data("hc-guoban-rain", now, {"Z": 3.0}),
            data("hc-guoban-rain", now, {"PJ": {"value": 3, "unit": "cm"}}),
            data("hc-guoban-rain", now + datetime.timedelta(hours=2), {"PJ": 1.0}),
            data("hc-nowhere", now, {"PJ": 1.0}),
            Message("govhall/other", b"{}", now),
        ]
    )
    assert result.stored == 0
    assert _problems() == [
        ("malformed", "hc-guoban-rain"),
        ("spoofed", "hc-guoban-rain"),
        ("unknown_element", "hc-guoban-rain"),
        ("wrong_unit", "hc-guoban-rain"),
        ("future", "hc-guoban-rain"),
        ("unknown_station", "hc-nowhere"),
        ("unknown_topic", ""),
    ]
    assert "与主题中的测站 hc-guoban-rain 不符" in IngestProblem.objects.get(kind="spoofed").detail
    assert Reading.objects.count() == 0


def test_payloads_that_could_break_storing_become_problems_beside_good_readings(stations: dict[str, Station]) -> None:
    # A 400-digit number, a time that cannot be stored, a binary frame with NUL bytes (on the data
    # and the state topic): each a problem, and the good reading of the same batch is stored.
    now = timezone.now().replace(microsecond=0)
    rain = "govhall/350205/hc-guoban-rain"
    huge = b'{"station": "hc-guoban-rain", "time": "%s", "values": {"PJ": 1%s}}' % (
        now.isoformat().encode(),
        b"0" * 400,
    )
    result = store_messages(
        [
            Message(f"{rain}/data", huge, now),
            data("hc-guoban-rain", now, {"PJ": 1.0}, time="0001-01-01T00:00:00+08:00"),
            Message(f"{rain}/data", b"\x68\x00\x01\x02binary SL651 frame\x00", now),
            Message(f"{rain}/state", b"off\x00line", now),
            data("hc-guoban-rain", now, {"PJ": 2.5}),
        ]
    )
    assert result.stored == 1
    assert [kind for kind, _code in _problems()] == ["malformed"] * 4
    assert Reading.objects.get().value == 2.5
    assert all("\x00" not in p.payload for p in IngestProblem.objects.all())


def test_a_message_that_cannot_be_stored_is_kept_as_a_problem_and_ingest_goes_on(
    stations: dict[str, Station], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Whatever goes wrong with one message (here: a bug met by the river's), the batch is stored
    # message by message, the failing one kept as a problem, and nothing waits for ever:
    from govhall.sensors import subscriber as module

    real = module.store_messages

    def failing(messages: list[Message], **kwargs: object) -> object:
        if any("river" in m.topic for m in messages):
            raise ValueError("a bug")
        return real(messages, **kwargs)

    monkeypatch.setattr(module, "store_messages", failing)
    # (the subscriber refreshes its connection between messages; inside the test's transaction it must not)
    monkeypatch.setattr(module, "close_old_connections", lambda: None)
    now = timezone.now().replace(microsecond=0)
    result = module.Subscriber()._store_each(
        [data("hc-guoban-rain", now, {"PJ": 1.5}), data("hc-guoban-river", now, {"Z": 11.0})], now
    )
    assert (result.stored, result.problems) == (1, 1)
    problem = IngestProblem.objects.get()
    assert problem.topic == "govhall/350205/hc-guoban-river/data" and "ValueError" in problem.detail


def test_an_impossible_value_is_kept_flagged_and_left_out_of_windows(stations: dict[str, Station]) -> None:
    now = timezone.now().replace(microsecond=0)
    store_messages([data("hc-guoban-rain", now - datetime.timedelta(minutes=5), {"PJ": 1.0})])
    store_messages([data("hc-guoban-rain", now, {"PJ": 900.0})])
    flagged = Reading.objects.get(station=stations["hc-guoban-rain"], element_id="PJ", value=900.0)
    assert flagged.quality == 1
    assert IngestProblem.objects.get().kind == "impossible"
    assert RainfallWindow.objects.get(station=stations["hc-guoban-rain"]).h1 == 1.0
