"""`python -m bench.publicinfo`: column page, home page and API list timings over many published entries.

    .venv/bin/python -m bench.publicinfo [--entries 20000] [--requests 200] [--database-url …]

Makes a fresh PostgreSQL database govhall_bench_publicinfo (or --database-url, which must name
a govhall_bench* database), publishes ``--entries`` entries spread over the seven columns
(bulk-inserted: the workflow is not what is measured), then times ``--requests`` requests each
through Django's test client (the whole middleware stack, no network): a column page (its
first page and a deep page), the /info/ home (a section per column), the API list and the
site-wide search (/search/, one word and two). Prints p50/p95 in ms and a JSON line. The issue
asks a column page p95 ≤ 30 ms and a site search p95 ≤ 50 ms.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import quote

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/govhall_bench_publicinfo"


def _setup(url: str) -> None:
    root = Path(__file__).resolve().parent.parent
    for path in (str(root), str(root / "src")):
        if path not in sys.path:
            sys.path.append(path)
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "govhall.conf.settings"
    os.environ.setdefault("GOVHALL_VAR_DIR", str(root / "var" / "bench"))
    os.environ.setdefault("GOVHALL_LOG_LEVEL", "WARNING")
    # The API's anonymous rate limit (120 a minute) is not what is measured; hundreds of timed
    # requests from one address would meet it:
    os.environ.setdefault("GOVHALL_API_ANON_RATE", "100000/minute")
    import django

    django.setup()


def _world(count: int) -> None:
    from django.utils import timezone

    from govhall.identity import actions
    from govhall.identity.constants import Role
    from govhall.publicinfo.constants import EntryKind, EntryStatus
    from govhall.publicinfo.models import Entry

    office = actions.save_department(code="office", name="办公室", credit_code="11350205MB01000025")
    editor = actions.create_staff(username="helen", full_name="许海伦", password="Bench#Pass2026")
    actions.grant_role(editor, office, Role.CONTENT_EDITOR)
    from govhall.catalog.search import tokenize

    kinds = list(EntryKind)
    start = datetime.date(2020, 1, 1)
    now = timezone.now()
    # Five subjects of this bureau, so that the site search has real words to find:
    topics = [
        ("林木采伐许可和采伐限额管理", "申请林木采伐许可应当提交采伐作业设计，采伐限额按年度下达。"),
        ("取水许可和水资源管理", "取水单位应当按许可水量取水，安装计量设施并按月报送取水量。"),
        ("耕地地力保护补贴发放", "补贴资金按确权面积发放到户，公示期七天，有异议的可向村委会反映。"),
        ("防汛防台和山洪灾害防御", "汛期各镇街落实值班制度，收到转移预警后立即组织群众转移。"),
        ("渔业捕捞许可和休渔期管理", "休渔期内禁止捕捞作业，捕捞许可证到期前三十日申请换证。"),
    ]
    body_words = [tokenize(subject + text) for subject, text in topics]
    rows = []
    for n in range(count):
        subject, text = topics[n % len(topics)]
        title = f"关于{subject}的通知（第{n}号）"
        words = tokenize(title) + body_words[n % len(topics)]
        rows.append(
            Entry(
                kind=kinds[n % len(kinds)],
                title=title,
                doc_number=f"厦海农林水〔{2020 + n % 6}〕{n}号",
                issuer="厦门市海沧区农林水利局",
                body=text * 20,
                written_on=start + datetime.timedelta(days=n % 2000),
                published_on=start + datetime.timedelta(days=n % 2000),
                status=EntryStatus.PUBLISHED,
                department=office,
                author=editor,
                approved_by=editor,
                approved_at=now,
                secrecy_reviewed_at=now,
                search_text=" ".join(dict.fromkeys(words)),
            )
        )
    Entry.objects.bulk_create(rows, batch_size=2000)


def _time(client: object, path: str, runs: int) -> dict[str, float]:
    times = []
    for _n in range(runs):
        started = time.perf_counter()
        response = client.get(path)  # type: ignore[attr-defined]
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    times.sort()
    return {"p50": round(statistics.median(times), 2), "p95": round(times[int(len(times) * 0.95) - 1], 2)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.publicinfo", description=__doc__.split("\n")[0])
    parser.add_argument("--entries", type=int, default=20000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_PUBLICINFO_DATABASE_URL", DEFAULT_URL))
    args = parser.parse_args(argv)
    from bench.__main__ import drop_database, recreate_database

    recreate_database(args.database_url)
    _setup(args.database_url)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    print("publicinfo bench", flush=True)
    _world(args.entries)
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1", HTTP_ACCEPT_LANGUAGE="zh-hans")
    figures = {
        "column_first_page": _time(client, "/info/policy/", args.requests),
        "column_deep_page": _time(client, "/info/policy/?page=100", args.requests),
        "home": _time(client, "/info/", args.requests),
        "site_search": _time(client, "/search/?q=" + quote("林木采伐"), args.requests),
        "site_search_two_words": _time(client, "/search/?q=" + quote("山洪 转移"), args.requests),
        "api_list": _time(client, "/api/v1/info/entries/?kind=notice", args.requests),
    }
    for name, figure in figures.items():
        print(f"  {name:<18} p50 {figure['p50']:7.2f} ms   p95 {figure['p95']:7.2f} ms")
    ok = (
        figures["column_first_page"]["p95"] <= 30
        and max(figures["site_search"]["p95"], figures["site_search_two_words"]["p95"]) <= 50
    )
    from django.db import connections

    connections.close_all()
    drop_database(args.database_url)
    print(json.dumps({"bench": "publicinfo", "entries": args.entries, **figures, "ok": ok}))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
