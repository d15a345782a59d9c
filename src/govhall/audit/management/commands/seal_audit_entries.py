"""`manage.py seal_audit_entries`: seal the batched entries, checkpoint the head, and keep the upkeep scheduled."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from govhall.audit.actions import keep_audit_up, schedule_upkeep


class Command(BaseCommand):
    help = (
        "Seal the entries audited without the chain lock (public licence checks) into the audit chain, write a "
        "signed checkpoint of the chain's head, and make sure the worker repeats both on schedule."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        done = keep_audit_up()
        scheduled = schedule_upkeep()
        self.stdout.write(f"Sealed: {done['sealed']}")
        self.stdout.write(f"Checkpoint: {done['checkpoint'] or 'none needed (the head has not moved)'}")
        if not scheduled:
            self.stdout.write("The task backend cannot hold a task for later: run this command every minute.")
        if done["problem"]:
            raise CommandError(f"Checkpoint REFUSED: {done['problem']}.")
