"""`python -m bench.proactive`: the daily renewal-reminder run over 300,000 licences, run twice and killed halfway.

    .venv/bin/python -m bench.proactive [--licences 300000] [--holders 100000] [--database-url …]

Makes a fresh PostgreSQL database govhall_bench_proactive (or --database-url, which must name a
govhall_bench* database), the demo licence types, ``--holders`` persons with accounts and
``--licences`` valid licences of the types issued here, bulk-loaded with COPY; each licence ends
on a day spread evenly over the next four years and the year just past (about one in forty is
within the 45-day horizon of the longest reminder schedule). Then, with the clock at a fixed day:

1. **first run** — ``send_renewal_reminders``: every licence already within a step is reminded once
   (the backlog of the first day the platform runs);
2. **again** — the same day a second time: nothing is sent;
3. **next day** — the steady daily run: only the licences reaching a step that day;
4. **killed halfway** — the first day's run from scratch in a child process killed at half its
   time, then run again: every (licence, step) is recorded once and every holder got exactly one
   notification per reminded licence.

Prints the seconds of each run and a JSON line. The issue asks the daily run ≤ 30 s over 300,000
licences and each reminder sent once even if the task runs twice or is killed halfway.
"""

from __future__ import annotations

import argparse
import datetime
import json
import multiprocessing
import os
import random
import time
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/govhall_bench_proactive"
DAY = datetime.date(2026, 12, 8)


def _world(licences: int, holders: int) -> None:
    from django.db import transaction

    from bench.generate import Size, copy_rows, make_accounts, make_subjects, reset_sequence
    from govhall.lib.licence_ids import make_licence_identifier
    from govhall.licences.actions import reserve_status_indexes
    from govhall.licences.demo import load_licence_demo
    from govhall.licences.models import Licence, LicenceType

    load_licence_demo()
    rng = random.Random(25)
    size = Size("proactive", 0, holders, 0, holders, licences, 0, 0, 0, 0)
    persons, entities = make_subjects(size, rng)
    make_accounts(size, persons, entities)
    types = [t for t in LicenceType.objects.filter(issued_here=True) if t.validity_years]
    with transaction.atomic():
        first_index = reserve_status_indexes(licences)

    def rows() -> Iterable[Sequence[Any]]:
        for i in range(licences):
            licence_type = types[i % len(types)]
            valid_until = DAY + datetime.timedelta(days=rng.randrange(-365, 4 * 365))
            issued = valid_until - datetime.timedelta(days=365 * licence_type.validity_years - 1)
            person = persons[i % len(persons)]
            serial = f"{issued:%Y}{first_index + i + 1:08d}"
            yield (
                uuid.uuid4(), make_licence_identifier(licence_type.code, licence_type.issuer_code, serial, 1),
                licence_type.pk, f"{licence_type.layout.get('number_prefix', '')}{serial}", serial, 1,
                licence_type.issuer_name, licence_type.issuer_code, issued, issued, valid_until,
                person[1], "111", person[2], person[3], "{}", "01" if valid_until >= DAY else "05",
                first_index + i, None, "", True,
            )  # fmt: skip

    copy_rows(
        Licence,
        ["public_id", "identifier", "licence_type_id", "number", "serial", "version", "issuer_name", "issuer_code",
         "issued_on", "valid_from", "valid_until", "holder_name", "holder_code_type", "holder_key", "holder_masked",
         "face", "status", "status_index", "case_public_id", "case_reference", "imported"],
        rows(),
    )  # fmt: skip
    reset_sequence(Licence)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def _run(day: datetime.date) -> tuple[int, float]:
    import time_machine

    from govhall.proactive.renewals import send_renewal_reminders

    with time_machine.travel(datetime.datetime.combine(day, datetime.time(6, 0)), tick=True):
        started = time.monotonic()
        reminded = send_renewal_reminders(day)
        return reminded, time.monotonic() - started


def _child(day: datetime.date) -> None:
    from django.db import connections

    connections.close_all()  # the child's own connection
    _run(day)


def _forget_reminders() -> None:
    from govhall.proactive.models import Notification, RenewalReminder

    RenewalReminder.objects.all().delete()
    Notification.objects.all().delete()


def _sent_once() -> dict[str, Any]:
    """Every (licence, step) recorded once (the unique key), and one notification per holder per reminded licence."""
    from django.db.models import Count

    from govhall.proactive.models import Notification, RenewalReminder

    licences = RenewalReminder.objects.values("licence_id").distinct().count()
    duplicates = Notification.objects.values("recipient_id", "link").annotate(n=Count("pk")).filter(n__gt=1).count()
    return {
        "reminders": RenewalReminder.objects.count(),
        "licences_reminded": licences,
        "notifications": Notification.objects.count(),
        "holders_told_twice": duplicates,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.proactive", description=__doc__.split("\n")[0])
    parser.add_argument("--licences", type=int, default=300_000)
    parser.add_argument("--holders", type=int, default=100_000)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_PROACTIVE_DATABASE_URL", DEFAULT_URL))
    args = parser.parse_args(argv)
    from bench.__main__ import drop_database, recreate_database, setup_django

    recreate_database(args.database_url)
    setup_django(args.database_url, settings="govhall.conf.settings")
    from django.core.management import call_command
    from django.db import connections

    call_command("migrate", verbosity=0)
    print("proactive bench", flush=True)
    started = time.monotonic()
    _world(args.licences, args.holders)
    print(f"  world: {args.licences:,} licences, {args.holders:,} holders in {time.monotonic() - started:.0f} s")
    first, first_s = _run(DAY)
    once = _sent_once()
    again, again_s = _run(DAY)
    next_day, next_s = _run(DAY + datetime.timedelta(days=1))
    print(f"  first run        {first_s:6.1f} s   {first:,} licences reminded")
    print(f"  same day again   {again_s:6.1f} s   {again:,} reminded")
    print(f"  next day         {next_s:6.1f} s   {next_day:,} reminded")

    # Killed halfway through the first day's run, then run again:
    _forget_reminders()
    connections.close_all()
    child = multiprocessing.get_context("fork").Process(target=_child, args=(DAY,))
    child.start()
    child.join(timeout=first_s / 2)
    killed = child.is_alive()
    if killed:
        child.kill()
        child.join()
    partial = _sent_once()
    rerun, rerun_s = _run(DAY)
    after = _sent_once()
    print(f"  killed halfway   {partial['licences_reminded']:,} licences had been reminded; the rerun reminded "
          f"{rerun:,} more in {rerun_s:.1f} s")  # fmt: skip
    print(f"  after the rerun  {after['licences_reminded']:,} licences, {after['reminders']:,} reminders, "
          f"{after['notifications']:,} notifications, {after['holders_told_twice']} holders told twice")  # fmt: skip
    exactly_once = (
        after["licences_reminded"] == once["licences_reminded"]
        and after["reminders"] == once["reminders"]
        and after["notifications"] == once["notifications"]
        and after["holders_told_twice"] == 0
        and again == 0
    )
    ok = exactly_once and max(first_s, next_s) <= 30
    connections.close_all()
    drop_database(args.database_url)
    print(json.dumps({
        "bench": "proactive", "licences": args.licences, "holders": args.holders,
        "first_run_s": round(first_s, 2), "first_run_reminded": first, "again_s": round(again_s, 2),
        "again_reminded": again, "next_day_s": round(next_s, 2), "next_day_reminded": next_day,
        "killed_halfway": killed, "reminded_before_kill": partial["licences_reminded"], "rerun_reminded": rerun,
        "exactly_once": exactly_once, "ok": ok,
    }))  # fmt: skip
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
