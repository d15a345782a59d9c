"""The provincial sandbox for tests: in this process on a real socket, or as its own process (manage.py)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.conf import settings

from govhall.sharing.sandbox_province import ProvinceSandbox, make_sandbox_server

SECRET = "province-sandbox-shared-secret-for-tests"


def call(url: str, method: str = "GET", body: bytes | None = None, timeout: float = 5) -> Any:
    request = urllib.request.Request(url, data=body, method=method)
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read() or b"{}")


@contextmanager
def sandbox_in_thread(store: Path | None = None) -> Iterator[tuple[ProvinceSandbox, str]]:
    """A sandbox on 127.0.0.1 in this process, and its address."""
    sandbox = ProvinceSandbox(SECRET, store=store)
    server = make_sandbox_server(sandbox, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield sandbox, f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class SandboxProcess:
    """``manage.py province_sandbox`` as its own process, killed and restarted at will; its state in a file."""

    def __init__(self, store: Path, port: int | None = None) -> None:
        self.store = store
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        manage = Path(settings.BASE_DIR) / "manage.py"
        env = {**os.environ, "GOVHALL_EXCHANGE_SANDBOX_SECRET": SECRET}
        self.process = subprocess.Popen(
            [sys.executable, str(manage), "province_sandbox", "--port", str(self.port), "--store", str(self.store)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                call(self.url + "/state", timeout=1)
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("the province sandbox did not start")

    def kill(self) -> None:
        """SIGKILL: no clean-up, no last words, as a crash or a pulled plug."""
        if self.process is not None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)
            self.process = None

    def control(self, route: str) -> Any:
        return call(self.url + route, method="POST", body=b"")

    def received(self) -> list[dict[str, Any]]:
        return list(call(self.url + "/received")["received"])
