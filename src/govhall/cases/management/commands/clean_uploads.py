"""`manage.py clean_uploads`: remove the files of filings that never committed; run it hourly.

A filing's files are saved before its transaction commits, each with a ``pending/`` marker
(lib.storage). The marker goes at commit, and the file goes at once when the action fails;
what a killed process or an outer rollback left behind is settled here, after the grace
period (longer than any filing's transaction takes).
"""

import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from govhall.cases.models import CaseMaterial
from govhall.lib.storage import clean_pending_files


class Command(BaseCommand):
    help = (
        "Delete uploaded files still marked pending after the grace period that no committed row names; "
        "keep (and unmark) those a row names."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--grace-minutes", type=int, default=60, help="Leave younger markers alone (default 60).")

    def handle(self, *args: Any, **options: Any) -> None:
        cleaning = clean_pending_files(
            grace=datetime.timedelta(minutes=options["grace_minutes"]),
            # The materials' storage (the private one; a test points the field elsewhere):
            storage=CaseMaterial._meta.get_field("file").storage,
        )
        for name in cleaning.deleted:
            self.stdout.write(f"deleted {name}")
        self.stdout.write(
            self.style.SUCCESS(
                f"{len(cleaning.deleted)} files of filings that never committed deleted, "
                f"{len(cleaning.kept)} committed files unmarked, {cleaning.waiting} still within the grace period."
            )
        )
