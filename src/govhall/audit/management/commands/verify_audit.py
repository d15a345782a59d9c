"""`manage.py verify_audit`: check the audit chain, its latest signed checkpoint and the batched entries."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from govhall.audit.queries import verify_chain, verify_checkpoint, verify_seals


class Command(BaseCommand):
    help = (
        "Verify the audit log's hash chain, hold it against the latest signed checkpoint and check every batched "
        "entry; exits 1 and names the first bad record or entry if it was tampered with."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        report = verify_chain()
        if not report.is_intact:
            raise CommandError(f"Audit chain BROKEN after {report.checked} good records: {report.reason}.")
        checkpoint = verify_checkpoint()
        if not checkpoint.is_intact:
            raise CommandError(f"Audit chain BROKEN against its checkpoint: {checkpoint.problem}.")
        entries = verify_seals()
        if not entries.is_intact:
            raise CommandError(f"Batched audit entries BROKEN: {entries.reason}.")
        self.stdout.write(
            self.style.SUCCESS(
                f"Audit chain intact: {report.checked} records verified, and {entries.checked} sealed entries."
            )
        )
        if checkpoint.checkpoint is None:
            self.stdout.write(
                self.style.WARNING("No signed checkpoint yet: run `manage.py seal_audit_entries` (the worker does).")
            )
        else:
            written = timezone.localtime(checkpoint.checkpoint.written_at)
            self.stdout.write(
                f"Latest checkpoint: record #{checkpoint.checkpoint.sequence} at {written:%Y-%m-%d %H:%M:%S} "
                f"({checkpoint.checkpoint.name}), matched."
            )
        if entries.unsealed:
            oldest = timezone.localtime(entries.oldest_unsealed) if entries.oldest_unsealed else None
            self.stdout.write(
                f"Unsealed entries: {entries.unsealed}, the oldest from {oldest:%Y-%m-%d %H:%M:%S}; "
                "each checked against its own hash."
            )
        else:
            self.stdout.write("Unsealed entries: 0.")
