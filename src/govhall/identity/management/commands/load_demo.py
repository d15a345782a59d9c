"""`manage.py load_demo`: the demo bureau, units and personas (safe to run again)."""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from govhall.identity.demo import DEMO_PASSWORD, load_demo


class Command(BaseCommand):
    help = "Create the demo bureau, its units, staff and applicant personas (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.IS_PRODUCTION:
            raise CommandError("Refusing to load demo accounts with a shared password into a production database.")
        logins = load_demo()
        self.stdout.write(self.style.SUCCESS("Demo data ready. Every demo login uses the password: " + DEMO_PASSWORD))
        for surface, login, description in logins:
            where = "/desk/login/" if surface == "desk" else "/login/     "
            self.stdout.write(f"  {where}  {login:<20} {description}")
