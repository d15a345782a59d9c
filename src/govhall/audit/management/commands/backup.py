"""`manage.py backup [ARCHIVE]`: the database, files, keys and audit checkpoints in one archive."""

import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from govhall.audit.backup import BackupError, back_up


class Command(BaseCommand):
    help = (
        "Back up everything the platform needs to start again elsewhere (database, private and media files, keys, "
        "audit checkpoints) into one .tar.gz, readable only by its owner: it holds the keys."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("archive", nargs="?", help="where to write it (default: var/backups/govhall-<time>.tar.gz)")

    def handle(self, *args: Any, archive: str | None, **options: Any) -> None:
        moment = datetime.datetime.now(datetime.UTC)
        path = (
            Path(archive) if archive else Path(settings.VAR_DIR) / "backups" / f"govhall-{moment:%Y%m%dT%H%M%SZ}.tar.gz"
        )
        try:
            result = back_up(path)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        head = result.manifest["audit_head"]
        self.stdout.write(
            self.style.SUCCESS(
                f"Backed up to {result.archive} ({len(result.manifest['files'])} files; "
                f"{result.manifest['database']['vendor']} database; audit chain at record #{head['sequence']})."
            )
        )
