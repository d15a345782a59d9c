"""`python -m bench.sensor_charts`: a station's chart queries over a year of minute data.

    .venv/bin/python -m bench.sensor_charts [--stations 200] [--days 365] [--repeat 50] [--database-url …]

Makes a fresh PostgreSQL database govhall_bench_charts (or --database-url, which must name a
govhall_bench* database), with the month partitions of the readings table for the period, then
writes ``--stations`` rain gauges' minute rainfall for ``--days`` days straight into the table
(``generate_series``; the issue's size is 200 stations × a year = 105 million readings, which
takes a long while: a smaller ``--stations`` measures the same per-station queries on smaller
partitions) and their day table as ingest keeps it, runs ANALYZE, then times what the desk's
chart asks for (`sensors.queries.chart_series`): 7 days by hour from the readings and a year by
day from the day table, ``--repeat`` times each for stations picked at random.

Prints the figures and a JSON line. Targets (issue 28): 7 days p95 ≤ 50 ms, a year p95 ≤ 200 ms.
"""

from __future__ import annotations

import argparse
import datetime
import json
import random
import statistics
import time
from typing import Any

from bench.sensors import _fresh_database, _setup

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/govhall_bench_charts"


def _p95(values: list[float]) -> float:
    return round(sorted(values)[max(0, int(len(values) * 0.95) - 1)], 2)


def run(stations: int, days: int, repeat: int, url: str) -> dict[str, Any]:
    _fresh_database(url)
    _setup(url)
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    call_command("migrate", verbosity=0)
    from govhall.identity import actions as identity
    from govhall.sensors.constants import StationType
    from govhall.sensors.demo import load_sensors_demo
    from govhall.sensors.models import Element, Station
    from govhall.sensors.partitions import ensure_partitions
    from govhall.sensors.queries import chart_series

    bureau = identity.save_department(code="bureau", name="海沧区农林水利局", credit_code="11350205MB01000012")
    load_sensors_demo(bureau)
    made = Station.objects.bulk_create(
        [
            Station(
                code=f"chart-rain-{i:04d}",
                name=f"压测雨量站{i}",
                station_type=StationType.RAIN,
                department=bureau,
                interval_minutes=1,
            )  # fmt: skip
            for i in range(stations)
        ]
    )
    rain = Element.objects.get(code="PJ")
    now = timezone.now().replace(second=0, microsecond=0)
    first = now - datetime.timedelta(days=days)
    ensure_partitions(timezone.localdate(first), timezone.localdate(now))
    began = time.monotonic()
    with connection.cursor() as cursor:
        for station in made:  # one statement per station keeps each transaction's memory small
            cursor.execute(
                "INSERT INTO sensors_reading (station_id, element_id, observed_at, value, quality) "
                "SELECT %s, 'PJ', %s + make_interval(mins => m), (m %% 7) * 0.1, 0 "
                "FROM generate_series(0, %s) m",
                [station.pk, first, days * 24 * 60],
            )
        cursor.execute(
            "INSERT INTO sensors_dailyvalue (station_id, element_id, day, count, total, minimum, maximum, last_at, last_value) "
            "SELECT station_id, element_id, (observed_at AT TIME ZONE 'Asia/Shanghai')::date, count(*), sum(value), "
            "min(value), max(value), max(observed_at), 0 FROM sensors_reading GROUP BY 1, 2, 3"
        )
        cursor.execute("ANALYZE")
        cursor.execute("SELECT count(*) FROM sensors_reading")
        total = cursor.fetchone()[0]
    filled = round(time.monotonic() - began, 1)
    chance = random.Random(28)
    timings: dict[str, list[float]] = {"7d": [], "year": []}
    for span in timings:
        for _ in range(repeat):
            station = chance.choice(made)
            start = time.perf_counter()
            points = chart_series(station, rain, span, now=now)
            timings[span].append((time.perf_counter() - start) * 1000)
            assert points, f"no points for {span}"
    result = {
        "stations": stations,
        "days": days,
        "readings": total,
        "fill_seconds": filled,
        "week_by_hour_p50_ms": round(statistics.median(timings["7d"]), 2),
        "week_by_hour_p95_ms": _p95(timings["7d"]),
        "year_by_day_p50_ms": round(statistics.median(timings["year"]), 2),
        "year_by_day_p95_ms": _p95(timings["year"]),
    }
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stations", type=int, default=200)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--database-url", default=DEFAULT_URL)
    options = parser.parse_args()
    result = run(options.stations, options.days, options.repeat, options.database_url)
    print(
        f"{result['readings']:,} readings ({result['stations']} stations × {result['days']} days of minute data, "
        f"written in {result['fill_seconds']} s)\n"
        f"  7 days by hour:  p50 {result['week_by_hour_p50_ms']} ms, p95 {result['week_by_hour_p95_ms']} ms (target ≤ 50)\n"
        f"  a year by day:   p50 {result['year_by_day_p50_ms']} ms, p95 {result['year_by_day_p95_ms']} ms (target ≤ 200)"
    )
    print(json.dumps({"bench": "sensor_charts", **result}))


if __name__ == "__main__":
    main()
