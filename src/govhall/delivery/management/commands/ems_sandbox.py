"""`manage.py ems_sandbox`: a local EMS logistics platform to point GOVHALL_EMS_URL at (docs/ems-platform.md)."""

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from govhall.delivery.sandbox_ems import EmsSandbox
from govhall.lib.sandbox import make_sandbox_server


class Command(BaseCommand):
    help = "Serve the sandbox EMS platform: waybills, tracking events and signed pushes."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
        parser.add_argument("--port", type=int, default=8028, help="port to listen on (default 8028; 0 picks one)")
        parser.add_argument(
            "--store",
            type=Path,
            default=settings.VAR_DIR / "ems-sandbox.json",
            help="file keeping waybills and order ids across restarts (default var/ems-sandbox.json)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.IS_PRODUCTION:
            raise CommandError("The EMS sandbox is for development and tests; it does not run in production.")
        try:
            sandbox = EmsSandbox(settings.EMS_SECRET, store=options["store"])
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        server = make_sandbox_server(sandbox, options["host"], options["port"])
        host, port = options["host"], server.server_port
        self.stdout.write(f"EMS sandbox listening on http://{host}:{port}/ (state in {options['store']})")
        self.stdout.write(f"Point the platform at it: GOVHALL_EMS_URL=http://{host}:{port}", ending="\n")
        self.stdout.flush()
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            self.stdout.write("EMS sandbox stopped.")
        finally:
            server.server_close()
