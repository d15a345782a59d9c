"""`manage.py sms_sandbox`: a local SMS gateway to point GOVHALL_SMS_URL at (docs/sms-gateway.md)."""

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from govhall.proactive.sandbox_sms import SmsSandbox, make_sandbox_server


class Command(BaseCommand):
    help = "Serve the sandbox SMS gateway: checks signatures, de-duplicates, and can fail on request."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
        parser.add_argument("--port", type=int, default=8025, help="port to listen on (default 8025; 0 picks one)")
        parser.add_argument(
            "--store",
            type=Path,
            default=settings.VAR_DIR / "sms-sandbox.jsonl",
            help="JSON-lines file of accepted messages (default var/sms-sandbox.jsonl)",
        )
        parser.add_argument("--fail-next", type=int, default=0, help="fail the first N valid messages")
        parser.add_argument("--fail-status", type=int, default=503, help="status of those failures (default 503)")

    def handle(self, *args: Any, **options: Any) -> None:
        # The sandbox keeps phone numbers in clear in its file, and its control routes are open:
        if settings.IS_PRODUCTION:
            raise CommandError("The SMS sandbox is for development and tests; it does not run in production.")
        try:
            # The secret is the platform's own (GOVHALL_SMS_SECRET or its _FILE), never an argument,
            # which other users of the machine could read in the process list:
            sandbox = SmsSandbox(
                settings.SMS_SECRET,
                store=options["store"],
                fail_next=options["fail_next"],
                fail_status=options["fail_status"],
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        server = make_sandbox_server(sandbox, options["host"], options["port"])
        host, port = options["host"], server.server_port
        self.stdout.write(f"SMS sandbox listening on http://{host}:{port}/send (messages in {options['store']})")
        self.stdout.write(f"Point the platform at it: GOVHALL_SMS_URL=http://{host}:{port}/send")
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            self.stdout.write("SMS sandbox stopped.")
        finally:
            server.server_close()
