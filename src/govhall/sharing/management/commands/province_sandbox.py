"""`manage.py province_sandbox`: the provincial hall's receiver, locally, to point a platform at (docs/exchange.md)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from govhall.conf.env import dev_secret
from govhall.sharing.sandbox_province import ProvinceSandbox, make_sandbox_server


def sandbox_secret() -> str:
    """The secret the sandbox and the development platform share: GOVHALL_EXCHANGE_SANDBOX_SECRET or a dev key file."""
    return os.environ.get("GOVHALL_EXCHANGE_SANDBOX_SECRET") or dev_secret(
        settings.KEYS_DIR, "govhall_exchange_sandbox_secret"
    )


class Command(BaseCommand):
    help = (
        "Serve the provincial hall's sandbox receiver: signed, in order per case, de-duplicating, can fail on request."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
        parser.add_argument("--port", type=int, default=8026, help="port to listen on (default 8026; 0 picks one)")
        parser.add_argument(
            "--store",
            type=Path,
            default=settings.VAR_DIR / "province-sandbox.jsonl",
            help="JSON-lines file of what was applied (default var/province-sandbox.jsonl)",
        )
        parser.add_argument("--down", action="store_true", help="start down (every exchange request answered 503)")

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.IS_PRODUCTION:
            raise CommandError("The province sandbox is for development and tests; it does not run in production.")
        sandbox = ProvinceSandbox(sandbox_secret(), store=options["store"])
        sandbox.down = options["down"]
        server = make_sandbox_server(sandbox, options["host"], options["port"])
        self.stdout.write(
            f"Province sandbox listening on http://{options['host']}:{server.server_port} "
            f"(applied messages in {options['store']})",
        )
        self.stdout.flush()
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            self.stdout.write("Province sandbox stopped.")
        finally:
            server.server_close()
