"""`manage.py verify_audit`: check the audit chain and name the first bad record."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from govhall.audit.queries import verify_chain, verify_seals


class Command(BaseCommand):
    help = "Verify the audit log's hash chain; exits 1 and names the first bad record if it was tampered with."

    def handle(self, *args: Any, **options: Any) -> None:
        report = verify_chain()
        if not report.is_intact:
            raise CommandError(f"Audit chain BROKEN after {report.checked} good records: {report.reason}.")
        sealed = verify_seals()
        if not sealed.is_intact:
            raise CommandError(f"Sealed audit entries BROKEN: {sealed.reason}.")
        self.stdout.write(
            self.style.SUCCESS(
                f"Audit chain intact: {report.checked} records verified, and {sealed.checked} sealed entries."
            )
        )
