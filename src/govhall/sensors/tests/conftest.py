from __future__ import annotations

import datetime
import json
from typing import Any

import pytest

from django.utils import timezone

from govhall.identity.models import Department
from govhall.sensors.actions import forget_registry
from govhall.sensors.demo import load_sensors_demo
from govhall.sensors.ingest import Message
from govhall.sensors.models import Station


@pytest.fixture
def stations(departments: dict[str, Department]) -> dict[str, Station]:
    """The demo stations (water section) and rules."""
    forget_registry()
    load_sensors_demo(departments["water"])
    forget_registry()
    return {s.code: s for s in Station.objects.all()}


def data(
    code: str, moment: datetime.datetime, values: dict[str, Any], *, region: str = "350205", **extra: Any
) -> Message:
    """A data message as a station sends it."""
    body = {"station": code, "time": moment.isoformat(), "values": values, **extra}
    return Message(f"govhall/{region}/{code}/data", json.dumps(body).encode(), timezone.now())


def rain_series(code: str, end: datetime.datetime, per_5_min: list[float]) -> list[Message]:
    start = end - datetime.timedelta(minutes=5 * (len(per_5_min) - 1))
    return [data(code, start + datetime.timedelta(minutes=5 * i), {"PJ": v}) for i, v in enumerate(per_5_min)]
