"""A realistic storm for demos, tests and the bench: rain rising through the 暴雨 levels, a river crossing 警戒.

Rain per 5 minutes follows a storm that builds over three hours (about 20, 45 and 65 mm an
hour: 3 h ≈ 130 mm, past the red signal's 100 mm), then eases; the river answers with a
lag, rising from its base past 设防 and 警戒. Observed times end at ``end`` (now by default),
so nothing is "from the future".
"""

from __future__ import annotations

import datetime
import json
import math
from collections.abc import Iterator

HOURLY_RAIN = [20.0, 45.0, 65.0, 15.0]


def storm(
    *,
    rain: tuple[str, str] | None,
    river: tuple[str, str] | None,
    end: datetime.datetime,
    step_minutes: int = 5,
    hours: int = 4,
    river_base: float = 11.6,
    river_rise: float = 1.6,
) -> Iterator[tuple[str, bytes]]:
    """Yield (topic, payload) for each report of the storm. ``rain``/``river`` are (region, station code)."""
    steps = hours * 60 // step_minutes
    start = end - datetime.timedelta(minutes=step_minutes * (steps - 1))
    total = 0.0
    for i in range(steps):
        moment = start + datetime.timedelta(minutes=step_minutes * i)
        hour = min(i * step_minutes // 60, len(HOURLY_RAIN) - 1)
        increment = round(HOURLY_RAIN[hour] * step_minutes / 60, 1)
        total += increment
        stamp = moment.isoformat()
        if rain:
            region, code = rain
            body = {"station": code, "time": stamp, "values": {"PJ": increment, "VT": 12.6, "ZT": 0}}
            yield f"govhall/{region}/{code}/data", json.dumps(body).encode()
        if river:
            region, code = river
            # The river follows the rain that fell, a little behind and smoothed:
            level = river_base + river_rise * (1 - math.exp(-total / 90))
            body = {"station": code, "time": stamp, "values": {"Z": round(level, 2), "VT": 12.5, "ZT": 0}}
            yield f"govhall/{region}/{code}/data", json.dumps(body).encode()
