"""`manage.py seal_audit_entries`: seal the batch-audited entries into the chain; run every minute."""

from typing import Any

from django.core.management.base import BaseCommand

from govhall.audit.actions import seal_entries


class Command(BaseCommand):
    help = "Seal the entries audited without the chain lock (public licence checks) into the audit chain."

    def handle(self, *args: Any, **options: Any) -> None:
        total = 0
        while sealed := seal_entries():
            total += sealed
        self.stdout.write(f"Sealed: {total}")
