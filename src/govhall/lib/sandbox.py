"""The HTTP server the sandboxes of outside platforms run in (SMS gateway, province, finance)."""

from __future__ import annotations

import logging
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
