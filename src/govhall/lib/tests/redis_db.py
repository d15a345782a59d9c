"""The Redis database the tests may empty (``cache.clear()`` is FLUSHDB): 15 unless the run names another.

CI runs the SQLite and the PostgreSQL suites at once on one Redis; each names its own database
(``GOVHALL_TEST_REDIS_CACHE_URL``), so that one suite's clearing never empties the other's keys.
"""

from __future__ import annotations

import os

TEST_REDIS_CACHE_URL = os.environ.get("GOVHALL_TEST_REDIS_CACHE_URL", "redis://127.0.0.1:6379/15")
