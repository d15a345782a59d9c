"""`manage.py audit_checkpoint`: sign the audit chain's head into the checkpoint store now."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from govhall.audit.actions import write_checkpoint
from govhall.audit.checkpoints import CheckpointError, CheckpointKind


class Command(BaseCommand):
    help = (
        "Write a signed checkpoint of the audit chain's head now. With --after-restore, accept that a restored "
        "chain ends before the latest checkpoint (the records after the backup are lost) and checkpoint it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--after-restore", action="store_true")
        parser.add_argument("--note", default="", help="why (kept in the signed checkpoint)")

    def handle(self, *args: Any, after_restore: bool, note: str, **options: Any) -> None:
        if after_restore and not note.strip():
            raise CommandError("Say why with --note: the checkpoint records that records after the backup are lost.")
        kind = CheckpointKind.RESTORE if after_restore else CheckpointKind.HEAD
        try:
            checkpoint = write_checkpoint(kind=kind, note=note.strip(), force=True)
        except CheckpointError as exc:
            raise CommandError(f"Checkpoint REFUSED: {exc}.") from exc
        if checkpoint is None:
            self.stdout.write("Nothing to checkpoint: the audit chain is empty.")
            return
        self.stdout.write(self.style.SUCCESS(f"Checkpoint {checkpoint.name}: record #{checkpoint.sequence}."))
