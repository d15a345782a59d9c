"""`manage.py issue_enrolment_code USERNAME`: a one-time authenticator enrolment code, from the server.

For the first security administrator, who has nobody to issue theirs; everybody else gets
theirs from a security administrator at /desk/enrolment-codes/. Audited as issued by "cli".
"""

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from govhall.identity.actions import issue_enrolment_code
from govhall.identity.queries import find_staff_by_username


class Command(BaseCommand):
    help = "Issue a one-time authenticator enrolment code for a staff account and print it once."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        user = find_staff_by_username(options["username"])
        if user is None:
            raise CommandError(f"No staff account named {options['username']!r}.")
        try:
            code = issue_enrolment_code(user, actor="cli")
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        hours = settings.TOTP_ENROLMENT_CODE_HOURS
        self.stdout.write(f"{code}\n(valid {hours} hours, once; it is not stored in clear and is not shown again)")
