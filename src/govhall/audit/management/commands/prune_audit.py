"""`manage.py prune_audit --before DATE --reason TEXT`: delete audit records older than the retention period."""

import datetime
import getpass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from govhall.audit.actions import prune_audit_records


class Command(BaseCommand):
    help = (
        "Delete the audit records written before DATE, if all are older than GOVHALL_AUDIT_RETENTION_DAYS: first a "
        "signed checkpoint of the last one removed, then the deletion, recorded in the chain. Export them first."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--before", required=True, type=datetime.date.fromisoformat, help="YYYY-MM-DD")
        parser.add_argument("--reason", required=True, help="why, recorded with the pruning")

    def handle(self, *args: Any, before: datetime.date, reason: str, **options: Any) -> None:
        try:
            pruning = prune_audit_records(before, actor=f"command:{getpass.getuser()}", reason=reason)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(
            f"Pruned {pruning.records} records (through #{pruning.through_sequence}) and {pruning.entries} batched "
            f"entries; checkpoint {pruning.checkpoint}."
        )
