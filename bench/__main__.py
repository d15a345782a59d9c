"""`python -m bench …`: generate the data, run the benchmarks, or both (`make bench` runs `all --size full`); explain a request.

    python -m bench all --size full        # data (if not there yet) + every figure + report
    python -m bench generate --size smoke  # a fresh database of the smoke size
    python -m bench run --size full --only inbox search
    python -m bench explain dossier verify_page --plans  # where a request's CPU goes (bench/explain.py)

The database is DATABASE_URL if it names a database called govhall_bench*, else
postgres://postgres@127.0.0.1:5432/govhall_bench (or --database-url). The report goes to
$GOVHALL_VAR_DIR/bench-report/ (report.md, report.json) unless --out says otherwise.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/govhall_bench"


def database_url(given: str) -> str:
    url = given or os.environ.get("BENCH_DATABASE_URL", "")
    if not url:
        env = os.environ.get("DATABASE_URL", "")
        url = env if urlsplit(env).path.lstrip("/").startswith("govhall_bench") else DEFAULT_URL
    name = urlsplit(url).path.lstrip("/")
    if not url.startswith(("postgres://", "postgresql://")) or not name.startswith("govhall_bench"):
        raise SystemExit(f"the benchmarks need a PostgreSQL database named govhall_bench*; got {url!r}")
    return url


def recreate_database(url: str) -> None:
    """Drop and create the bench database (only ever one named govhall_bench*)."""
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    assert name.startswith("govhall_bench")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    assert name.startswith("govhall_bench")
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def setup_django(url: str, settings: str = "bench.settings") -> None:
    root = Path(__file__).resolve().parent.parent
    for path in (str(root), str(root / "src")):
        if path not in sys.path:
            sys.path.append(path)
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = settings
    os.environ.setdefault("GOVHALL_VAR_DIR", str(root / "var" / "bench"))
    os.environ.setdefault("GOVHALL_LOG_LEVEL", "WARNING")
    import django

    django.setup()


def has_data(size_name: str) -> bool:
    """Does the database hold a whole generation of this size? The cases come first, the licences last."""
    from bench.generate import SIZES
    from govhall.cases.models import Case
    from govhall.licences.models import Licence

    size = SIZES[size_name]
    try:
        return Case.objects.count() >= size.cases and Licence.objects.count() >= size.licences
    except Exception:
        return False


def generate_fresh(url: str, size: str) -> None:
    from django.core.management import call_command
    from django.db import connections

    from bench.generate import generate, say

    connections.close_all()
    recreate_database(url)
    started = time.monotonic()
    call_command("migrate", verbosity=0)
    say(f"migrated in {time.monotonic() - started:.1f} s")
    generate(size)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("command", choices=["generate", "run", "all", "explain"])
    parser.add_argument("explained", nargs="*", help="explain: the requests (dossier verify_page verify_api bare_read)")
    parser.add_argument("--size", choices=["full", "smoke"], default="full")
    parser.add_argument("--database-url", default="")
    parser.add_argument("--duration", type=int, default=0, help="seconds of load per measurement (full 20, smoke 1)")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--only", nargs="*", default=None, help="keys of the figures to measure")
    parser.add_argument("--out", default="", help="folder of report.md and report.json")
    parser.add_argument("--regenerate", action="store_true", help="rebuild the data even if it is there")
    parser.add_argument("--requests", type=int, default=200, help="explain: requests measured after the warm-up")
    parser.add_argument("--plans", action="store_true", help="explain: the statements of one request and their plans")
    args = parser.parse_args(argv)
    if args.explained and args.command != "explain":
        parser.error(f"only explain takes the names of requests; {args.command} takes --only")
    url = database_url(args.database_url)
    if args.command == "explain":
        from bench.explain import serve_as_the_bench

        serve_as_the_bench()
    setup_django(url)
    from django.conf import settings

    if args.command == "explain":
        from bench.explain import PARTS, explain

        for key in args.explained or list(PARTS):
            print("\n".join(explain(key, requests=args.requests, plans=args.plans).lines()), flush=True)
        return 0
    if args.command == "generate" or (args.command == "all" and (args.regenerate or not has_data(args.size))):
        generate_fresh(url, args.size)
    if args.command in {"run", "all"}:
        from django.core.management import call_command

        from bench.runner import run

        # The platform may have gained migrations since the data was generated:
        call_command("migrate", verbosity=0)

        out = Path(args.out) if args.out else Path(settings.VAR_DIR) / "bench-report"
        duration = args.duration or (20 if args.size == "full" else 1)
        run(args.size, database_url=url, out=out, duration=duration, connections=args.connections, only=args.only)
    return 0


if __name__ == "__main__":
    sys.exit(main())
