"""Production's web server settings (govhall.conf.gunicorn), as gunicorn itself reads them."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[4]


def _gunicorn_config(**env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("GOVHALL_WEB_")}
    return subprocess.run(
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "--print-config",
            "--config",
            "python:govhall.conf.gunicorn",
            "govhall.conf.wsgi",
        ],
        cwd=ROOT,
        env={**clean, "PYTHONPATH": str(ROOT / "src"), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def _setting(output: str, name: str) -> str:
    match = re.search(rf"^{name}\s+= (.*)$", output, re.MULTILINE)
    assert match, output
    return match.group(1)


def test_it_serves_with_two_sync_workers_per_core_and_one_more() -> None:
    result = _gunicorn_config()
    assert result.returncode == 0, result.stderr
    assert _setting(result.stdout, "worker_class") == "sync"
    assert _setting(result.stdout, "workers") == str(2 * (os.cpu_count() or 1) + 1)
    assert _setting(result.stdout, "bind") == "['127.0.0.1:8000']"


def test_the_number_of_workers_and_the_address_come_from_the_environment() -> None:
    result = _gunicorn_config(GOVHALL_WEB_WORKERS="3", GOVHALL_WEB_BIND="0.0.0.0:9000")
    assert result.returncode == 0, result.stderr
    assert _setting(result.stdout, "workers") == "3"
    assert _setting(result.stdout, "bind") == "['0.0.0.0:9000']"


def test_a_number_of_workers_that_is_not_a_number_is_refused_with_the_reason() -> None:
    result = _gunicorn_config(GOVHALL_WEB_WORKERS="three")
    assert result.returncode != 0
    assert "GOVHALL_WEB_WORKERS must be a whole number; got 'three'" in result.stdout + result.stderr
