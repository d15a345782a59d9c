"""`manage.py finance_sandbox`: a local finance platform to point GOVHALL_FINANCE_URL at (docs/finance-platform.md)."""

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from govhall.lib.sandbox import make_sandbox_server
from govhall.payments.sandbox_finance import FinanceSandbox


class Command(BaseCommand):
    help = "Serve the sandbox finance platform: orders, a payment page, signed callbacks, refunds, statements."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
        parser.add_argument("--port", type=int, default=8027, help="port to listen on (default 8027; 0 picks one)")
        parser.add_argument(
            "--store",
            type=Path,
            default=settings.VAR_DIR / "finance-sandbox.json",
            help="file keeping orders, refunds and idempotency keys across restarts (default var/finance-sandbox.json)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.IS_PRODUCTION:
            raise CommandError("The finance sandbox is for development and tests; it does not run in production.")
        try:
            # The secret is the platform's own (GOVHALL_FINANCE_SECRET or its _FILE), never an argument:
            sandbox = FinanceSandbox(settings.FINANCE_SECRET, store=options["store"])
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        server = make_sandbox_server(sandbox, options["host"], options["port"])
        host, port = options["host"], server.server_port
        self.stdout.write(f"Finance sandbox listening on http://{host}:{port}/ (state in {options['store']})")
        self.stdout.write(f"Point the platform at it: GOVHALL_FINANCE_URL=http://{host}:{port}", ending="\n")
        self.stdout.flush()
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            self.stdout.write("Finance sandbox stopped.")
        finally:
            server.server_close()
