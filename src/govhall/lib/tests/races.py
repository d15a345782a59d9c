"""Run workers at the same instant, each in its own thread and database connection (PostgreSQL only).

For the tests that two requests racing for one row end as the rules say: SQLite serialises every
writer, so there the race cannot happen and the test is skipped.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

from django.db import connection


def race(workers: list[Callable[[], Any]]) -> list[Any]:
    """Each worker's result (or the exception it raised), in the workers' order."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises every writer; the race only exists on PostgreSQL")
    barrier = threading.Barrier(len(workers))
    results: list[Any] = [None] * len(workers)

    def run(index: int) -> None:
        try:
            barrier.wait()
            results[index] = workers[index]()
        except Exception as exc:  # noqa: BLE001 - the outcome is what is compared
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(workers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results
