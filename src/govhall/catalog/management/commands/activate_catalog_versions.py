"""`manage.py activate_catalog_versions`: mark versions replaced by ones whose date has come.

The portal already shows the right version on every day (it asks for the newest version
in effect); this only brings the stored states up to date. Run it daily (cron or a timer).
"""

from typing import Any

from django.core.management.base import BaseCommand

from govhall.catalog.actions import activate_due_versions


class Command(BaseCommand):
    help = "Mark published versions superseded once a newer version's effective date has come."

    def handle(self, *args: Any, **options: Any) -> None:
        count = activate_due_versions()
        self.stdout.write(self.style.SUCCESS(f"{count} versions superseded."))
