"""`manage.py register_hall_device <hall code> kiosk|board "<name>"`: register a device, print its key once."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from govhall.halls.actions import register_device
from govhall.halls.models import Hall


class Command(BaseCommand):
    help = "Register a kiosk or display board of a hall and print its key (shown only this once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("hall", help="the hall's code")
        parser.add_argument("kind", choices=["kiosk", "board"])
        parser.add_argument("name")

    def handle(self, *args: Any, **options: Any) -> None:
        hall = Hall.objects.filter(code=options["hall"]).first()
        if hall is None:
            raise CommandError(f"No hall with the code {options['hall']!r}.")
        device, key = register_device(hall, kind=options["kind"], name=options["name"], actor="manage.py")
        self.stdout.write(f"{device.get_kind_display()} {device.name}: open /hall/enrol/ on the device and enter")
        self.stdout.write(key)
