"""An outside platform's sandbox as its own process (``manage.py <command>``), for tests that kill it."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from django.conf import settings


class SandboxProcess:
    """``manage.py <command> --port P --store F`` on a free port, its state in a file; SIGKILL at will."""

    def __init__(self, command: str, store: Path, env: dict[str, str]) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.command, self.store, self.env = command, store, env
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        manage = Path(settings.BASE_DIR) / "manage.py"
        self.process = subprocess.Popen(
            [sys.executable, str(manage), self.command, "--port", str(self.port), "--store", str(self.store)],
            env={**os.environ, **self.env},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                self.state()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"{self.command} did not start")

    def kill(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)
            self.process = None

    def state(self) -> dict[str, Any]:
        with urllib.request.urlopen(self.url + "/state", timeout=2) as answer:
            result: dict[str, Any] = json.loads(answer.read())
            return result

    def control(self, route: str) -> None:
        urllib.request.urlopen(urllib.request.Request(self.url + route, data=b"", method="POST"), timeout=5).close()
