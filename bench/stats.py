"""`python -m bench.stats`: the indicators at ten years of data — the nightly day, a full recomputation, the dashboard, a drill-down.

    .venv/bin/python -m bench.stats [--requests 200] [--skip-full] [--database-url …]

Runs on the benchmarks' database (govhall_bench, ten years: 1,000,000 cases, materials,
ratings, complaints; built by `python -m bench generate --size full`, which `make bench`
also does) after applying any new migration. Measures:

1. the nightly computation of one day (``stats.actions.compute_day``) on a busy day of the
   last year: the median and the slowest of three runs (target ≤ 10 s);
2. a full recomputation of every day since the first case (``compute_days``; target ≤ 10 min);
   ``--skip-full`` leaves it out (the dashboard then reads whatever is computed);
3. the desk dashboard for the whole bureau, last month (target p95 ≤ 100 ms) and a
   drill-down list, first and a deep page (target p95 ≤ 150 ms), ``--requests`` each through
   Django's test client (the whole middleware stack, no network), as the supervisor dan.

Prints the figures and a JSON line; exits 1 if a target is missed.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def _time(client: Any, url: str, requests: int) -> dict[str, float]:
    for _ in range(5):  # warm-up: the template cache, the connection
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
    timings = []
    for _ in range(requests):
        started = time.perf_counter()
        client.get(url)
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return {
        "p50": round(statistics.median(timings), 2),
        "p95": round(timings[int(0.95 * (len(timings) - 1))], 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.stats", description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--skip-full", action="store_true", help="leave out the full recomputation")
    parser.add_argument("--database-url", default="")
    args = parser.parse_args(argv)
    os.environ["GOVHALL_DEV_SKIP_STAFF_2FA"] = "1"  # the desk's second factor is not what is measured
    from bench.__main__ import database_url, setup_django

    setup_django(database_url(args.database_url))
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from django.db.models import Count
    from django.db.models.functions import TruncDate
    from django.test import Client
    from django.utils import timezone

    from govhall.cases.models import Case
    from govhall.identity.models import User
    from govhall.stats import actions

    cases = Case.objects.count()
    if cases < 1000:
        print("no benchmark data: run `python -m bench generate --size full` first", file=sys.stderr)
        return 2
    today = timezone.localdate()
    busiest = (
        Case.objects.filter(closed_at__gte=timezone.now() - datetime.timedelta(days=365))
        .annotate(day=TruncDate("closed_at"))
        .values("day")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .first()
    )
    day = busiest["day"] if busiest else today - datetime.timedelta(days=30)
    print(
        f"stats bench: {cases:,} cases; the nightly day is {day} ({busiest['n'] if busiest else 0} closed)", flush=True
    )
    runs = []
    for _ in range(3):
        started = time.monotonic()
        rows = actions.compute_day(day)
        runs.append(time.monotonic() - started)
    nightly = {"median_s": round(statistics.median(runs), 3), "max_s": round(max(runs), 3), "rows": rows}
    print(f"  nightly day        median {nightly['median_s']:.3f} s   slowest {nightly['max_s']:.3f} s   ({rows} rows)")
    full: dict[str, Any] = {}
    if not args.skip_full:
        first = actions.first_day_with_data()
        assert first is not None
        started = time.monotonic()
        days = actions.compute_days(first, today)
        seconds = time.monotonic() - started
        full = {"days": len(days), "seconds": round(seconds, 1)}
        print(f"  full recomputation {len(days):,} days in {seconds:.1f} s", flush=True)
    dan = User.objects.get(username="dan")
    client = Client(HTTP_HOST="127.0.0.1", HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(dan)
    month = (today.replace(day=1) - datetime.timedelta(days=1)).strftime("%Y-%m")
    pages = {
        "dashboard": _time(client, f"/desk/indicators/?month={month}", args.requests),
        "dashboard_p90_trend": _time(client, f"/desk/indicators/?month={month}&measure=handling_p90", args.requests),
        "drill_first_page": _time(client, f"/desk/indicators/on_time/denominator/?month={month}", args.requests),
        "drill_deep_page": _time(
            client, f"/desk/indicators/on_time/denominator/?month={month}&page=100", args.requests
        ),
    }
    for name, figure in pages.items():
        print(f"  {name:<20} p50 {figure['p50']:7.2f} ms   p95 {figure['p95']:7.2f} ms")
    ok = (
        nightly["max_s"] <= 10
        and (not full or full["seconds"] <= 600)
        and max(pages["dashboard"]["p95"], pages["dashboard_p90_trend"]["p95"]) <= 100
        and max(pages["drill_first_page"]["p95"], pages["drill_deep_page"]["p95"]) <= 150
    )
    print(json.dumps({"bench": "stats", "cases": cases, "nightly": nightly, "full": full, **pages, "ok": ok}))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
