"""The benchmark run: serve the platform as in production, load it from wrk, measure each figure and its ceiling.

Each figure is one function registered with ``@figure`` in ``FIGURES`` (in order); it gets
the run's ``Bench`` and returns a ``Result``. To add a figure, write one more such function
in ``bench/figures.py``; the report and the smoke test pick it up from the list.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from django.db import connection
from django.utils import timezone

ROOT = Path(__file__).resolve().parent.parent
LUA = Path(__file__).resolve().parent / "lua"


@dataclass
class Load:
    """What one wrk run measured."""

    requests: int
    seconds: float
    rate: float  # requests per second
    p50_ms: float
    p95_ms: float
    p99_ms: float
    errors: int  # connection errors, timeouts and non-2xx/3xx answers
    parts: tuple[float, ...] = ()  # for a mean of several loads (a bracketed ceiling): their rates
    # CPU the web server's processes spent a request during the load (user + system, all
    # workers): steadier than a rate on shared cores, and what a change to a view moves:
    server_cpu_ms: float | None = None

    @classmethod
    def mean(cls, *loads: Load) -> Load:
        """One load standing for several measured the same way: their mean rate and latencies."""
        n = len(loads)
        return cls(
            requests=sum(x.requests for x in loads),
            seconds=round(sum(x.seconds for x in loads), 2),
            rate=round(sum(x.rate for x in loads) / n, 1),
            p50_ms=round(sum(x.p50_ms for x in loads) / n, 1),
            p95_ms=round(sum(x.p95_ms for x in loads) / n, 1),
            p99_ms=round(sum(x.p99_ms for x in loads) / n, 1),
            errors=sum(x.errors for x in loads),
            parts=tuple(x.rate for x in loads),
            server_cpu_ms=_mean_of([x.server_cpu_ms for x in loads]),
        )

    @classmethod
    def parse(cls, output: str) -> Load:
        match = re.search(r"BENCH_RESULT (\{.*\})", output)
        if not match:
            raise RuntimeError(f"wrk gave no result:\n{output}")
        data = json.loads(match.group(1))
        seconds = data["duration_us"] / 1e6
        errors = sum(v for k, v in data.items() if k.startswith("errors_"))
        return cls(
            requests=data["requests"],
            seconds=round(seconds, 2),
            rate=round(data["requests"] / seconds, 1) if seconds else 0.0,
            p50_ms=round(data["p50_us"] / 1000, 1),
            p95_ms=round(data["p95_us"] / 1000, 1),
            p99_ms=round(data["p99_us"] / 1000, 1),
            errors=errors,
        )


def _mean_of(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return round(sum(known) / len(known), 2) if known else None


def process_group_cpu_seconds(group: int) -> float:
    """User + system CPU seconds of the live processes of process group ``group`` (Linux /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # a process that ended while we looked
        # After the command's ")": state, ppid, pgrp, …; utime and stime are the 12th and 13th:
        if int(fields[2]) == group:
            total += int(fields[11]) + int(fields[12])
    return total / ticks


@dataclass
class Result:
    """One figure of the report: the measured value, the ceiling of the same run, their ratio, the verdict."""

    key: str
    title: str
    target: str
    measured: float
    unit: str
    ceiling: float | None = None
    ceiling_what: str = ""
    ratio: float | None = None
    p95_ms: float | None = None
    # The ceiling's own p95 under the same load: what a latency target means on this machine
    # at this moment (when even the bare view misses it, the machine does):
    ceiling_p95_ms: float | None = None
    met: bool | None = None
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Figure:
    key: str
    title: str
    target: str
    measure: Callable[[Bench], Result]


FIGURES: list[Figure] = []


def figure(key: str, title: str, target: str) -> Callable[[Callable[[Bench], Result]], Callable[[Bench], Result]]:
    """Register a figure function (in the order of the report)."""

    def register(fn: Callable[[Bench], Result]) -> Callable[[Bench], Result]:
        FIGURES.append(Figure(key, title, target, fn))
        return fn

    return register


@dataclass
class Bench:
    """Everything a figure needs: the server, the load settings, the size, scratch space, the ceilings."""

    size: Any
    base_url: str
    duration: int
    connections: int
    threads: int
    work: Path
    database_url: str
    in_process_scale: float = 1.0
    ceilings: dict[str, Load] = field(default_factory=dict)  # in-process ceilings, measured once
    memo: dict[str, Any] = field(default_factory=dict)
    # The load ceiling measured last, if it closed the figure before this one (see ``around``):
    _carried: tuple[str, Load] | None = None
    _closing: tuple[str, Load] | None = None
    run_id: str = field(default_factory=lambda: secrets.token_hex(3))
    server_group: int | None = None  # the web server's process group, for its CPU a request

    def wrk(self, script: str, path: str, env: dict[str, str], *, duration: int | None = None) -> Load:
        """Run wrk against ``path`` for ``duration`` seconds (it stops by itself) and parse its result."""
        command = [
            "wrk",
            f"-t{self.threads}",
            f"-c{self.connections}",
            f"-d{duration or self.duration}s",
            "--timeout",
            "10s",
            "--latency",
            "-s",
            str(LUA / script),
            self.base_url + path,
        ]
        cpu_before = process_group_cpu_seconds(self.server_group) if self.server_group else None
        out = subprocess.run(
            command,
            env={**os.environ, "BENCH_LUA": str(LUA), **env},
            capture_output=True,
            text=True,
            timeout=(duration or self.duration) + 60,
        )
        if out.returncode != 0:
            raise RuntimeError(f"wrk failed: {out.stderr}{out.stdout}")
        load = Load.parse(out.stdout)
        if cpu_before is not None and self.server_group and load.requests:
            spent = process_group_cpu_seconds(self.server_group) - cpu_before
            load.server_cpu_ms = round(spent * 1000 / load.requests, 2)
        return load

    def get_paths(self, name: str, paths: list[str], *, cookie: str = "", forward: bool = False) -> Load:
        listing = self.work / f"{name}.paths"
        listing.write_text("\n".join(paths) + "\n", encoding="utf-8")
        env = {"BENCH_PATHS": str(listing), "BENCH_COOKIE": cookie, "BENCH_FORWARD": "1" if forward else ""}
        return self.wrk("paths.lua", paths[0], env)

    def post(self, name: str, path: str, body: bytes, content_type: str, cookie: str) -> Load:
        body_file = self.work / f"{name}.body"
        body_file.write_bytes(body)
        env = {
            "BENCH_BODY": str(body_file),
            "BENCH_PATH": path,
            "BENCH_COOKIE": cookie,
            "BENCH_CONTENT_TYPE": content_type,
            "BENCH_RUN": self.run_id + secrets.token_hex(2),
        }
        return self.wrk("post.lua", path, env)

    def ceiling(self, name: str, measure: Callable[[], Load]) -> Load:
        """An in-process ceiling measured once in the run and shared by the figures that compare with it."""
        if name not in self.ceilings:
            self.ceilings[name] = measure()
        return self.ceilings[name]

    def figure_starts(self) -> None:
        """Called by the runner before each figure: only the last figure's closing ceiling carries over."""
        self._carried, self._closing = self._closing, None

    def around(self, name: str, ceiling: Callable[[], Load], load: Callable[[], Load]) -> tuple[Load, Load]:
        """Measure ``load`` with its ceiling just before and just after it; return (ceiling, load).

        Two shared cores drift in speed during a run (the bare read gave 800–2,000 req/s over
        one evening, ±30 % within minutes), so a ceiling measured once would be compared with
        loads taken at other speeds. The ceiling returned is the mean of the two measurements
        (its ``parts`` are their rates). The closing measurement of one figure opens the next
        when that compares with the same ceiling.
        """
        carried, self._carried = self._carried, None
        before = carried[1] if carried is not None and carried[0] == name else ceiling()
        measured = load()
        after = ceiling()
        self._closing = (name, after)
        return Load.mean(before, after), measured


# The server ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


BENCH_REDIS_DEFAULT = "redis://127.0.0.1:6379/14"


def redis_url(log: Callable[[str], None] = print, *, empty: bool = True) -> str:
    """The Redis database the server keeps its cache in (sessions, rate limits), emptied first
    unless ``empty`` is False; "" if none answers.

    Production runs several workers per server, so its rate limits must be shared and it sets
    GOVHALL_REDIS_URL (docs/configuration.md); the bench serves the platform the same way, in
    a database of its own (``BENCH_REDIS_URL``, default 14 on 127.0.0.1).
    """
    import redis

    url = os.environ.get("BENCH_REDIS_URL", BENCH_REDIS_DEFAULT)
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=2)
        if empty:
            client.flushdb()
        else:
            client.ping()
    except redis.RedisError as exc:
        log(f"  no Redis at {url} ({exc}): the server keeps its cache per process, sessions in PostgreSQL only")
        return ""
    return url


# What the bench's server runs with besides its database and Redis (production's settings):
SERVER_SETTINGS = {"DJANGO_DEBUG": "0", "DATABASE_CONN_MAX_AGE": "60"}


class Server:
    """gunicorn with several workers serving bench.settings (DEBUG off, PostgreSQL), as production runs it."""

    def __init__(self, database_url: str, *, workers: int, threads: int, log: Path, redis: str = "") -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        # threads > 1 tries gunicorn's threaded workers instead of production's sync ones:
        self.workers, self.threads = workers, threads
        self.log = log
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "bench.settings",
            "DATABASE_URL": database_url,
            **SERVER_SETTINGS,
            "GOVHALL_LOG_LEVEL": "WARNING",
            "GOVHALL_REDIS_URL": redis,
            # A PYTHONPATH given first wins (a before/after comparison serves another copy of src/):
            "PYTHONPATH": os.pathsep.join(
                p for p in [os.environ.get("PYTHONPATH", ""), str(ROOT), str(ROOT / "src")] if p
            ),
        }
        self.process: subprocess.Popen[bytes] | None = None

    def command(self) -> list[str]:
        # Production's settings (govhall.conf.gunicorn), with the bench's address, shape and logs:
        shape = ["--worker-class", "gthread", "--threads", str(self.threads)] if self.threads > 1 else []
        return [
            str(Path(sys.executable).with_name("gunicorn")),
            "--config",
            "python:govhall.conf.gunicorn",
            "bench.wsgi:application",
            "--workers",
            str(self.workers),
            *shape,
            "--bind",
            f"127.0.0.1:{self.port}",
            "--chdir",
            str(ROOT),
            "--log-level",
            "warning",
            "--timeout",
            "60",
        ]

    def __enter__(self) -> Server:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                self.command(), env=self.env, stdout=log, stderr=log, start_new_session=True
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/items/", timeout=5) as answer:
                    if answer.status == 200:
                        # Every worker loads its code (and the search's word lists) on its first
                        # requests, once per process start; warm them all:
                        for _ in range(self.workers * 4):
                            urllib.request.urlopen(self.url + "/items/", timeout=10).read()
                            urllib.request.urlopen(self.url + "/items/?q=%E6%9E%97%E6%9C%A8", timeout=30).read()
                        return self
            except OSError:
                if self.process.poll() is not None:
                    raise RuntimeError(f"gunicorn exited; see {self.log}") from None
                time.sleep(0.3)
        raise RuntimeError(f"gunicorn did not answer within 60 s; see {self.log}")

    def drain(self) -> None:
        """Wait (at most a minute) until the server answers promptly: the previous load's requests are done."""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            started = time.monotonic()
            with contextlib.suppress(OSError):  # the 404 of an unknown identifier is an answer too
                urllib.request.urlopen(self.url + "/bench/bare-read/?id=-", timeout=5).read()
            if time.monotonic() - started < 0.5:
                return
            time.sleep(1)

    def __exit__(self, *exc: object) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


# The report ---------------------------------------------------------------------------------


def _version(command: list[str]) -> str:
    try:
        out = subprocess.run(command, capture_output=True, text=True, timeout=10)
    except OSError:
        return "not found"
    return (out.stdout or out.stderr).strip().splitlines()[0] if (out.stdout or out.stderr) else ""


def _redis_version() -> str:
    import redis

    try:
        info = redis.Redis.from_url(os.environ.get("BENCH_REDIS_URL", BENCH_REDIS_DEFAULT)).info("server")
    except redis.RedisError:
        return "not reachable"
    return str(info.get("redis_version", ""))


def environment() -> dict[str, Any]:
    """The versions and the machine the figures were measured with."""
    from importlib.metadata import version

    memory = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            memory = int(line.split()[1]) // 1024
    cpu = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgres = cursor.fetchone()[0]
        cursor.execute("SHOW shared_buffers")
        shared_buffers = cursor.fetchone()[0]
    packages = ["Django", "gunicorn", "psycopg", "cryptography", "PyJWT", "pyHanko", "reportlab", "pypdf"]
    return {
        "machine": {"cores": os.cpu_count(), "memory_mb": memory, "cpu": cpu, "kernel": platform.release()},
        "versions": {
            "python": platform.python_version(),
            "postgresql": postgres,
            "wrk": _version(["wrk", "-v"]),
            "redis": _redis_version(),
            **{name: version(name) for name in packages},
        },
        "postgresql": {"shared_buffers": shared_buffers},
        "date": timezone.now().isoformat(timespec="seconds"),
    }


def data_volume() -> dict[str, int]:
    """Rows in the tables the figures read (planner estimates would do; exact counts are cheap enough)."""
    tables = {
        "cases": "cases_case",
        "case_events": "cases_caseevent",
        "case_materials": "cases_casematerial",
        "natural_persons": "identity_naturalperson",
        "legal_entities": "identity_legalentity",
        "accounts": "identity_user",
        "licences": "licences_licence",
        "item_versions": "catalog_itemversion",
    }
    volume = {}
    with connection.cursor() as cursor:
        for name, table in tables.items():
            cursor.execute(f'SELECT count(*) FROM "{table}"')
            volume[name] = int(cursor.fetchone()[0])
        cursor.execute("SELECT count(*) FROM cases_case WHERE status = ANY(%s)", [_open_statuses()])
        volume["open_cases"] = int(cursor.fetchone()[0])
    return volume


def _open_statuses() -> list[str]:
    from govhall.cases.constants import OPEN_STATUSES

    return sorted(OPEN_STATUSES)


def _ms(value: float | None) -> str:
    return "—" if value is None else f"{_fmt(value)} ms"


def _fmt(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "—"
    return f"{value:,.{digits}f}"


def _cpu(details: dict[str, Any]) -> str:
    """The server's CPU a request under a load, and its ceiling's under theirs."""
    if details.get("server_cpu_ms") is None:
        return "—"
    ceiling = details.get("ceiling_server_cpu_ms")
    return f"{_ms(details['server_cpu_ms'])}" + (f" ({_ms(ceiling)})" if ceiling is not None else "")


def write_report(out: Path, report: dict[str, Any]) -> tuple[Path, Path]:
    """Write report.json (for tools) and report.md (for people) into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    json_path = out / "report.json"
    json_path.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    env = report["environment"]
    lines = [
        f"# govhall benchmarks — size {report['size']}, {env['date']}",
        "",
        f"Machine: {env['machine']['cores']} cores, {env['machine']['memory_mb']:,} MB, {env['machine']['cpu']}. "
        + ", ".join(f"{k} {v}" for k, v in env["versions"].items())
        + ".",
        f"Load: wrk, {report['load']['connections']} connections, {report['load']['duration_s']} s per measurement; "
        f"server: gunicorn {report['load']['server']}. A load's ceiling is measured just before and just "
        "after it, and is their mean (both rates in the details: `ceiling_rates`). Server CPU: what the "
        "server's processes spent a request during the load (user + system, all workers).",
        "",
        "Data: " + ", ".join(f"{v:,} {k.replace('_', ' ')}" for k, v in report["data_volume"].items()) + ".",
        "",
        "| figure | measured | ceiling (same run) | ratio | p95 | ceiling p95 | server CPU a request (ceiling's) | target | met |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in report["figures"]:
        ceiling = f"{_fmt(r['ceiling'])} {r['unit']} ({r['ceiling_what']})" if r["ceiling"] is not None else "—"
        met = "yes" if r["met"] else ("no" if r["met"] is False else "—")
        lines.append(
            f"| {r['title']} | {_fmt(r['measured'])} {r['unit']} | {ceiling} | "
            f"{_fmt(r['ratio'] * 100 if r['ratio'] is not None else None, 0)}{' %' if r['ratio'] is not None else ''} | "
            f"{_ms(r['p95_ms'])} | {_ms(r.get('ceiling_p95_ms'))} | {_cpu(r['details'])} | {r['target']} | {met} |"
        )
    judged = [r for r in report["figures"] if r["met"] is not None]
    lines += ["", f"Met: {sum(1 for r in judged if r['met'])} of {len(judged)} figures."]
    lines += ["", "Details:", ""]
    for r in report["figures"]:
        lines.append(f"- **{r['title']}**: " + json.dumps(r["details"], ensure_ascii=False))
    if report.get("failures"):
        lines += ["", "Figures that could not be measured:", ""]
        lines += [f"- {key}: {message}" for key, message in report["failures"].items()]
    md_path = out / "report.md"
    md_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return json_path, md_path


def run(
    size_name: str,
    *,
    database_url: str,
    out: Path,
    duration: int,
    connections: int = 16,
    only: list[str] | None = None,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Measure every registered figure (or ``only`` those) and write the report; return it."""
    from bench import figures  # noqa: F401  (registers the figures)
    from bench.generate import SIZES

    size = SIZES[size_name]
    cores = os.cpu_count() or 2
    # Production's shape (govhall.conf.gunicorn: 2 × cores + 1 sync workers); BENCH_WORKERS and
    # BENCH_THREADS (> 1: threaded workers) try another (docs/benchmarks.md):
    workers = int(os.environ.get("BENCH_WORKERS") or (2 if size_name == "smoke" else 2 * cores + 1))
    threads = int(os.environ.get("BENCH_THREADS") or 1)
    work = Path(tempfile.mkdtemp(prefix="govhall-bench-"))
    out.mkdir(parents=True, exist_ok=True)
    results: list[Result] = []
    failures: dict[str, str] = {}
    cache = redis_url(log)
    try:
        with Server(database_url, workers=workers, threads=threads, log=out / "server.log", redis=cache) as server:
            bench = Bench(
                size=size,
                base_url=server.url,
                duration=duration,
                connections=connections,
                threads=2,
                work=work,
                database_url=database_url,
                in_process_scale=1.0 if size_name == "full" else 0.05,
                server_group=server.process.pid if server.process else None,  # started in a session of its own
            )
            for fig in FIGURES:
                if only and fig.key not in only:
                    continue
                log(f"[bench {time.strftime('%H:%M:%S')}] {fig.title} …")
                server.drain()
                bench.figure_starts()
                started = time.monotonic()
                try:
                    result = fig.measure(bench)
                except Exception as exc:  # one broken figure must not lose the others' results
                    failures[fig.key] = f"{type(exc).__name__}: {exc}"
                    log(f"  FAILED: {failures[fig.key]}")
                    continue
                result.key, result.title, result.target = fig.key, fig.title, fig.target
                if result.details.get("requests") == 0:
                    result.met = False  # nothing answered within the load's duration
                result.details["wall_seconds"] = round(time.monotonic() - started, 1)
                results.append(result)
                log(
                    f"  {result.measured:,.1f} {result.unit}; ceiling {result.ceiling}; ratio {result.ratio}; "
                    f"p95 {result.p95_ms} ms; met {result.met}"
                    + (f"; server CPU {_cpu(result.details)} a request" if "server_cpu_ms" in result.details else "")
                )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    report = {
        "size": size_name,
        "environment": environment(),
        "data_volume": data_volume(),
        "load": {
            "tool": "wrk",
            "connections": connections,
            "duration_s": duration,
            "server": (f"{workers} workers × {threads} threads (gthread)" if threads > 1 else f"{workers} sync workers")
            + ", DEBUG off, PostgreSQL, "
            + ("sessions and rate limits in Redis" if cache else "no Redis: a cache per process"),
        },
        "figures": [asdict(r) for r in results],
        "failures": failures,
    }
    json_path, md_path = write_report(out, report)
    log(f"report: {md_path} and {json_path}")
    return report
