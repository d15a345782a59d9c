"""The readings table: partitioned by month on PostgreSQL, a plain table on SQLite.

PostgreSQL: ``sensors_reading`` is ``PARTITION BY RANGE (observed_at)``, one partition a month
(``sensors_reading_p202606``) plus a DEFAULT partition so that a reading of a month without
its partition is still stored, never refused. The primary key (station, element, observed
time) is a B-tree per partition — the de-duplication and every station's chart read it —
and a BRIN index on the observed time serves scans across stations by time, at a few pages
per partition. ``ensure_partitions`` makes the partitions of the months around now; the
subscriber calls it when it starts and the sweep once a run, so the current month always has
its own. A month whose rows already sit in the default partition is left there (creating
the partition would fail) and logged.
"""

from __future__ import annotations

import datetime
import logging
from typing import Any

from django.db import connection
from django.utils import timezone

log = logging.getLogger("govhall.sensors")

TABLE = "sensors_reading"

POSTGRES_DDL = [
    f"""CREATE TABLE {TABLE} (
        station_id bigint NOT NULL,
        element_id varchar(8) NOT NULL,
        observed_at timestamp with time zone NOT NULL,
        value double precision NOT NULL,
        quality smallint NOT NULL DEFAULT 0 CHECK (quality >= 0),
        PRIMARY KEY (station_id, element_id, observed_at)
    ) PARTITION BY RANGE (observed_at)""",
    f"CREATE INDEX sensors_reading_observed_brin ON {TABLE} USING brin (observed_at)",
    f"CREATE TABLE {TABLE}_default PARTITION OF {TABLE} DEFAULT",
]


def _month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def _next_month(day: datetime.date) -> datetime.date:
    return (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)


def _months(first: datetime.date, last: datetime.date) -> list[datetime.date]:
    months, month = [], _month_start(first)
    while month <= last:
        months.append(month)
        month = _next_month(month)
    return months


def create_readings_table(apps: Any, schema_editor: Any) -> None:
    """Migration step: the partitioned table on PostgreSQL, the model's plain table elsewhere."""
    if schema_editor.connection.vendor == "postgresql":
        for statement in POSTGRES_DDL:
            schema_editor.execute(statement)
        today = timezone.localdate()
        ensure_partitions(
            today - datetime.timedelta(days=62), today + datetime.timedelta(days=95), schema_editor.connection
        )
    else:
        schema_editor.create_model(apps.get_model("sensors", "Reading"))


def drop_readings_table(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP TABLE IF EXISTS {TABLE} CASCADE")
    else:
        schema_editor.delete_model(apps.get_model("sensors", "Reading"))


def ensure_partitions(first: datetime.date, last: datetime.date, using: Any = None) -> list[str]:
    """Make the monthly partitions from ``first``'s month to ``last``'s; return those made. PostgreSQL only."""
    conn = using or connection
    if conn.vendor != "postgresql":
        return []
    made = []
    tz = timezone.get_current_timezone()
    with conn.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = %s",
            [TABLE],
        )
        existing = {row[0] for row in cursor.fetchall()}
        for month in _months(first, last):
            name = f"{TABLE}_p{month:%Y%m}"
            if name in existing:
                continue
            start = datetime.datetime.combine(month, datetime.time(), tzinfo=tz)
            end = datetime.datetime.combine(_next_month(month), datetime.time(), tzinfo=tz)
            cursor.execute(
                f"SELECT 1 FROM {TABLE}_default WHERE observed_at >= %s AND observed_at < %s LIMIT 1", [start, end]
            )
            if cursor.fetchone():
                log.warning("sensors: readings of %s are in the default partition; its own partition is not made", name)
                continue
            # (DDL takes no bound parameters; both bounds are our own timestamps:)
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {name} PARTITION OF {TABLE} "
                f"FOR VALUES FROM ('{start.isoformat()}') TO ('{end.isoformat()}')"
            )
            made.append(name)
    if made:
        log.info("sensors: made reading partitions %s", ", ".join(made))
    return made


def ensure_current_partitions() -> list[str]:
    """The partitions of last month to three months ahead (the subscriber and the sweep call this)."""
    today = timezone.localdate()
    return ensure_partitions(today - datetime.timedelta(days=31), today + datetime.timedelta(days=92))
