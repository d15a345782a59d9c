"""What the sandboxes of outside platforms share: the HTTP server they run in (SMS gateway, province,
finance, EMS), and for the signing platforms the request check and the fault switches."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import logging
import re
import threading
import time
from collections.abc import Callable, Iterator
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

logger = logging.getLogger("govhall.sandbox")


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    request_queue_size = 64


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("sandbox: %s", format % args)


def make_sandbox_server(app: Any, host: str = "127.0.0.1", port: int = 0) -> WSGIServer:
    """Bind a threaded WSGI server for ``app``; port 0 picks a free port (``server.server_port``)."""
    return make_server(host, port, app, server_class=_ThreadingWSGIServer, handler_class=_QuietHandler)


# What every sandbox of a platform that signs its requests checks, and the faults it can be told
# to make. Standard library only: the sandboxes stay strangers to the platform they test.

TIMESTAMP_TOLERANCE_SECONDS = 300
NONCE_MEMORY_SECONDS = 600
_NONCE = re.compile(r"[0-9A-Za-z_-]{8,64}", re.ASCII)


def sign(secret: bytes, method: str, path: str, timestamp: str, nonce: str, body: bytes) -> str:
    """The platforms' signature: HMAC-SHA256 over ``timestamp.nonce.METHOD path.`` and the body."""
    head = f"{timestamp}.{nonce}.{method.upper()} {path}.".encode()
    return hmac.new(secret, head + body, hashlib.sha256).hexdigest()


class SignedRequests:
    """A platform's check of the signed requests it receives (headers ``X-<Name>-Timestamp`` …)."""

    def __init__(self, secret: bytes, name: str, clock: Callable[[], float]) -> None:
        self._secret, self._name, self._clock = secret, name, clock
        self._prefix = "HTTP_X_" + name.upper() + "_"
        self._nonces: dict[str, float] = {}
        self._lock = threading.Lock()

    def refusal(self, method: str, path: str, environ: dict[str, Any], body: bytes) -> str:
        """Why the request is refused (401), or "" if it is signed, fresh and not replayed."""
        timestamp = environ.get(self._prefix + "TIMESTAMP", "").strip()
        nonce = environ.get(self._prefix + "NONCE", "").strip()
        signature = environ.get(self._prefix + "SIGNATURE", "").strip().lower()
        if not timestamp.isdigit() or abs(self._clock() - int(timestamp)) > TIMESTAMP_TOLERANCE_SECONDS:
            return f"missing X-{self._name}-Timestamp, or more than {TIMESTAMP_TOLERANCE_SECONDS} s off"
        if not _NONCE.fullmatch(nonce):
            return f"missing or malformed X-{self._name}-Nonce"
        if not hmac.compare_digest(sign(self._secret, method, path, timestamp, nonce, body), signature):
            return "bad signature"
        now = self._clock()
        with self._lock:
            self._nonces = {n: t for n, t in self._nonces.items() if now - t < NONCE_MEMORY_SECONDS}
            if nonce in self._nonces:
                return "nonce already used (replay)"
            self._nonces[nonce] = now
        return ""


class Faults:
    """The switches ``fail-next`` and ``hang-next``: the next requests answered with an error, or late."""

    def __init__(self) -> None:
        self._fail = (0, 503)
        self._hang = (0, 0.0)
        self._lock = threading.Lock()

    def control(self, what: str, query: dict[str, str]) -> tuple[int, dict[str, Any]] | None:
        """Answer a ``/control/fail-next`` or ``/control/hang-next`` request; None for any other."""
        with self._lock:
            if what == "fail-next":
                self._fail = (int(query.get("count", "1")), int(query.get("status", "503")))
                return 200, {"fail_next": self._fail[0], "status": self._fail[1]}
            if what == "hang-next":
                self._hang = (int(query.get("count", "1")), float(query.get("seconds", "30")))
                return 200, {"hang_next": self._hang[0], "seconds": self._hang[1]}
        return None

    def take(self) -> tuple[int, dict[str, Any]] | None:
        """Wait if told to hang; the error answer if told to fail; None to go on."""
        with self._lock:
            hang_count, seconds = self._hang
            if hang_count:
                self._hang = (hang_count - 1, seconds)
            fail_count, status = self._fail
            if fail_count:
                self._fail = (fail_count - 1, status)
        if hang_count:
            time.sleep(seconds)
        return (status, {"error": "failing as asked (fail-next)"}) if fail_count else None


@contextlib.contextmanager
def serve_in_thread(app: Any) -> Iterator[str]:
    """Serve ``app`` on a free port of 127.0.0.1 in a thread of this process (tests); its base URL."""
    server = make_sandbox_server(app)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
