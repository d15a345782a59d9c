"""`manage.py restore ARCHIVE`: put a `manage.py backup` archive back, on a fresh machine and empty database."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from govhall.audit.backup import BackupError, restore, verify_restored


class Command(BaseCommand):
    help = (
        "Restore a backup into the empty database DATABASE_URL names and the configured folders (keys, files, audit "
        "checkpoints), then verify the audit chain with the restored keys."
    )
    # The database may not even have tables yet; nothing to check before the restore:
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("archive")

    def handle(self, *args: Any, archive: str, **options: Any) -> None:
        try:
            result = restore(Path(archive))
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        head = result.manifest["audit_head"]
        self.stdout.write(
            f"Restored the backup of {result.manifest['created_at']} (audit chain at #{head['sequence']})."
        )
        if result.replaced_keys:
            self.stdout.write(f"The keys this machine had generated were moved to {result.replaced_keys}.")
        for skipped in result.skipped_secrets:
            self.stdout.write(self.style.WARNING(skipped))
        self.stdout.write("Run `manage.py migrate` if this code is newer than the backup.")
        checked = verify_restored()
        self.stdout.write(checked.stdout.strip())
        if checked.returncode != 0:
            raise CommandError(
                f"{checked.stderr.strip()}\nIf the checkpoint store already held checkpoints newer than this backup, "
                "records written after the backup are lost: once that is understood, record it with "
                "`manage.py audit_checkpoint --after-restore --note WHY`."
            )
