"""Register another department's system for the data-sharing API and print its credentials once."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from govhall.identity.models import Department
from govhall.sharing.actions import create_api_client
from govhall.sharing.constants import DEFAULT_RATE_PER_MINUTE, ClientScope


class Command(BaseCommand):
    help = "Create an OAuth2 client (client credentials) for the sharing API; prints the secret once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("organisation", help="the calling organisation, e.g. 厦门市公安局海沧分局")
        parser.add_argument("--scopes", required=True, help=f"comma-separated, of: {', '.join(ClientScope.values)}")
        parser.add_argument("--departments", required=True, help="comma-separated department codes, e.g. forestry")
        parser.add_argument("--rate", type=int, default=DEFAULT_RATE_PER_MINUTE, help="calls a minute")

    def handle(self, *args: Any, **options: Any) -> None:
        codes = [code.strip() for code in options["departments"].split(",") if code.strip()]
        departments = list(Department.objects.filter(code__in=codes))
        missing = sorted(set(codes) - {d.code for d in departments})
        if missing:
            raise CommandError(f"No such department: {', '.join(missing)}")
        try:
            access, secret = create_api_client(
                organisation=options["organisation"],
                scopes=[scope.strip() for scope in options["scopes"].split(",") if scope.strip()],
                departments=departments,
                rate_per_minute=options["rate"],
                actor="manage.py create_api_client",
            )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        self.stdout.write(f"client_id:     {access.application.client_id}")
        self.stdout.write(f"client_secret: {secret}")
        self.stdout.write("The secret is shown only now; the platform keeps its hash. Token URL: /o/token/")
