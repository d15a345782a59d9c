"""The benchmarks in their smoke size, so that they never rot: every figure is measured, none is judged.

Needs PostgreSQL (the generator and the import ceiling use COPY; the server runs several
processes against one database), so on SQLite it is skipped; CI runs it in its PostgreSQL
pass. It makes its own database (govhall_bench_smoke_<pid>) on the server of DATABASE_URL
and drops it afterwards. It asserts nothing about time.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATABASE_URL = os.environ.get("DATABASE_URL", "")
ON_POSTGRES = DATABASE_URL.startswith(("postgres://", "postgresql://"))


@pytest.mark.skipif(not ON_POSTGRES, reason="the benchmarks need PostgreSQL (COPY, a multi-process server)")
def test_every_figure_is_measured_in_the_smoke_size(tmp_path: Path) -> None:
    import bench.figures  # noqa: F401  (registers the figures)
    from bench.__main__ import drop_database
    from bench.runner import FIGURES

    url = urlunsplit(urlsplit(DATABASE_URL)._replace(path=f"/govhall_bench_smoke_{os.getpid()}"))
    env = {
        **os.environ,
        "GOVHALL_VAR_DIR": str(tmp_path / "var"),
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "src")]),
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "bench", "all", "--size", "smoke", "--regenerate", "--database-url", url]
            + ["--duration", "1", "--connections", "4", "--out", str(tmp_path / "report")],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        # Where the loads' requests spend their CPU, and their plans, on the same data:
        explained = subprocess.run(
            [sys.executable, "-m", "bench", "explain", "--requests", "3", "--plans", "--database-url", url],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
    finally:
        drop_database(url)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert explained.returncode == 0, explained.stdout[-3000:] + explained.stderr[-3000:]
    from bench.explain import PARTS

    for key, parts in PARTS.items():
        assert f"{key}: " in explained.stdout and "ms of CPU a request (mean of 3, in process)" in explained.stdout
        for label, *_rest in parts:
            assert label in explained.stdout, (label, explained.stdout[-2000:])
    # Every request's statements came with PostgreSQL's plans (the dossier's three record queries among them):
    assert explained.stdout.count("Execution Time:") >= 10, explained.stdout[-2000:]
    assert "WindowAgg" in explained.stdout
    report = json.loads((tmp_path / "report" / "report.json").read_text(encoding="utf-8"))
    assert report["failures"] == {}
    assert [f["key"] for f in report["figures"]] == [f.key for f in FIGURES]
    for measured in report["figures"]:
        assert measured["measured"] > 0, measured
        if measured["unit"] == "req/s":  # a load: its ceiling taken just before and after it
            assert len(measured["details"]["ceiling_rates"]) == 2, measured
            assert all(rate > 0 for rate in measured["details"]["ceiling_rates"]), measured
            # The server's CPU a request, for the load and its ceiling (read from /proc):
            assert measured["details"]["server_cpu_ms"] > 0, measured
            assert measured["details"]["ceiling_server_cpu_ms"] > 0, measured
    assert report["data_volume"]["cases"] >= 1000
    markdown = (tmp_path / "report" / "report.md").read_text(encoding="utf-8")
    header = "| figure | measured | ceiling (same run) | ratio | p95 | ceiling p95 | server CPU a request (ceiling's) |"
    assert header + " target | met |" in markdown
    judged = [f for f in report["figures"] if f["met"] is not None]
    assert f"Met: {sum(1 for f in judged if f['met'])} of {len(judged)} figures." in markdown
