"""`manage.py setup_exchange_sandbox`: register the provincial hall and the district library at the local sandbox."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from govhall.sharing.actions import save_platform
from govhall.sharing.constants import Adapter
from govhall.sharing.management.commands.province_sandbox import sandbox_secret


class Command(BaseCommand):
    help = "Point the exchange at `manage.py province_sandbox` (development only; shares its secret)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--url", default="http://127.0.0.1:8026", help="the sandbox's address")

    def handle(self, *args: Any, **options: Any) -> None:
        secret = sandbox_secret()
        actor = "manage.py setup_exchange_sandbox"
        save_platform(
            code="350000",
            name="福建省网上办事大厅",
            adapter=Adapter.PROVINCE,
            url=options["url"],
            secret=secret,
            actor=actor,
        )
        save_platform(
            code="350205-DZZZ",
            name="海沧区数据共享平台（电子证照库）",
            adapter=Adapter.DISTRICT,
            url=options["url"],
            secret=secret,
            actor=actor,
        )
        self.stdout.write(f"Platforms 350000 and 350205-DZZZ point at {options['url']}.")
