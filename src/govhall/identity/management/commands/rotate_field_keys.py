"""`manage.py rotate_field_keys`: re-encrypt personal identifiers under the newest key."""

from typing import Any

from django.core.management.base import BaseCommand

from govhall.identity.actions import rotate_personal_data_keys


class Command(BaseCommand):
    help = (
        "Re-encrypt every ID number and phone number under the first key of GOVHALL_FIELD_ENCRYPTION_KEYS "
        "and recompute their look-up hashes. Afterwards the older keys may be removed."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        count = rotate_personal_data_keys(actor="cli")
        self.stdout.write(self.style.SUCCESS(f"{count} people re-encrypted under the current key."))
