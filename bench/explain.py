"""`python -m bench explain <figure> …`: where one request of a figure spends its CPU, and its plans.

The figure's own request (the same user, form and data as its load) goes through Django's
handler in this process (``django.test.Client``, the bench's settings and database), a few
times to warm up and then ``--requests`` times. The CPU of the whole request, and of the
parts of the view named in ``PARTS``, is read with ``time.process_time``; what the parts do
not cover is the middleware (session, user, second factor, CSRF) and Django's own handling.
The bare one-row read is explained alongside, as the figure's ceiling is. With ``--plans``,
the statements of one request and PostgreSQL's plan for each SELECT (EXPLAIN ANALYZE,
inside a transaction that is rolled back).

Nothing here is a figure: a figure is measured at load from another process. This says why
a figure is what it is.
"""

from __future__ import annotations

import functools
import importlib
import itertools
import time
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

# The parts of each explained request: (label, module, attribute, depth), or ("template",
# name) for an included template. A part is timed where its caller looks it up (the module's
# attribute is replaced for the run): a function a module imported by name is timed in that
# module, one called as ``queries.x`` in ``queries``. Depth 1 parts are inside the depth 0
# part above them.
PARTS: dict[str, list[tuple[str, str, str, int]]] = {
    "dossier": [
        ("the look-up", "govhall.dossier.actions", "look_up_subject", 0),
        ("records of the three kinds", "govhall.dossier.queries", "assemble_dossier", 1),
        ("chained audit record", "govhall.dossier.actions", "record", 1),
        ("supervisor's role check", "govhall.dossier.actions", "has_role", 1),
        ("finding the subject", "govhall.dossier.queries", "find_subject", 1),
        ("the viewer's scope", "govhall.dossier.queries", "scope_for_staff", 1),
        ("the tables' rows", "govhall.dossier.views", "_rows", 0),
        ("the page", "govhall.dossier.views", "render", 0),
        ("template _form.html (the look-up form)", "template", "_form.html", 1),
        ("template dossier/_sections.html", "template", "dossier/_sections.html", 1),
        ("template dossier/_show_all.html", "template", "dossier/_show_all.html", 1),
    ],
    "verify_page": [
        ("rate limit (Redis)", "govhall.licences.views", "_throttled", 0),
        ("the licence and its standing", "govhall.licences.queries", "verify_identifier", 0),
        ("audit entry", "govhall.licences.views", "log_entry", 0),
        ("the page", "govhall.licences.views", "render", 0),
    ],
    "verify_api": [
        ("rate limit (Redis)", "govhall.licences.api.views", "over_limit", 0),
        ("the licence and its standing", "govhall.licences.queries", "verify_identifier", 0),
        ("audit entry", "govhall.licences.views", "log_entry", 0),
    ],
    "bare_read": [],
}


def serve_as_the_bench() -> None:
    """Set this process up as the bench's server is, before Django starts: its settings, and its
    Redis for sessions and rate limits when one answers (not emptied: a run may be using it)."""
    import os

    from bench.runner import SERVER_SETTINGS, redis_url

    os.environ.update(SERVER_SETTINGS, GOVHALL_REDIS_URL=redis_url(empty=False))


@dataclass
class Explained:
    key: str
    requests: int
    cpu_ms: float
    parts: list[tuple[str, int, float]] = field(default_factory=list)  # label, depth, ms a request
    statements: list[tuple[str, str]] = field(default_factory=list)  # SQL, plan ("" if not a SELECT)

    @property
    def other_ms(self) -> float:
        return self.cpu_ms - sum(ms for _label, depth, ms in self.parts if depth == 0)

    def lines(self) -> list[str]:
        out = [f"{self.key}: {self.cpu_ms:.2f} ms of CPU a request (mean of {self.requests}, in process)"]
        out += [f"  {'  ' * depth}{label:<{44 - 2 * depth}} {ms:7.2f} ms" for label, depth, ms in self.parts]
        if self.parts:
            out.append(f"  {'the rest (middleware, Django, the answer)':<44} {self.other_ms:7.2f} ms")
        for number, (sql, plan) in enumerate(self.statements, 1):
            out.append(f"  statement {number}: {sql[:300]}")
            out += [f"      {line}" for line in plan.splitlines()]
        return out


@dataclass(frozen=True)
class Probe:
    """One figure's request, made again and again through ``client``."""

    method: str
    path: Callable[[int], str]
    body: Callable[[int], bytes] = lambda n: b""
    content_type: str = ""
    cookie: str = ""
    answer_contains: bytes = b""


def _probe(key: str) -> Probe:
    from bench.figures import dossier_look_up
    from govhall.licences.models import Licence

    if key == "dossier":
        look_up = dossier_look_up()
        return Probe(
            "POST",
            lambda n: "/desk/dossier/",
            lambda n: look_up.body.replace(b"@@KEY@@", f"explain{n}".encode()),
            "application/x-www-form-urlencoded",
            look_up.cookie,
            b'id="dossier-result"',
        )
    identifiers = list(Licence.objects.order_by("pk").values_list("identifier", flat=True)[:500])
    if not identifiers:
        raise SystemExit("no licences in the bench database: run `python -m bench generate` first")
    prefix = {
        "verify_page": "/verify/?id=",
        "verify_api": "/api/v1/licences/verify/?id=",
        "bare_read": "/bench/bare-read/?id=",
    }[key]
    return Probe(
        "GET",
        lambda n: prefix + urllib.parse.quote(identifiers[n % len(identifiers)]),
        answer_contains=b'"genuine":true' if key == "verify_api" else b"",
    )


@contextmanager
def _timed_parts(key: str, spent: dict[str, float]) -> Iterator[None]:
    """Time every part of ``PARTS[key]`` into ``spent`` (seconds by label) while the block runs."""
    from django.template import loader_tags

    undo: list[Callable[[], None]] = []
    templates: dict[str, str] = {}
    for label, module_name, attribute, _depth in PARTS[key]:
        if module_name == "template":
            templates[attribute] = label
            continue
        owner = importlib.import_module(module_name)
        original = getattr(owner, attribute)
        setattr(owner, attribute, _timing(original, label, spent))
        undo.append(functools.partial(setattr, owner, attribute, original))
    if templates:
        include = loader_tags.IncludeNode.render

        def render(node: Any, context: Any) -> Any:
            label = templates.get(str(node.template.var).strip("'\""))
            if label is None:
                return include(node, context)
            started = time.process_time()
            try:
                return include(node, context)
            finally:
                spent[label] = spent.get(label, 0.0) + time.process_time() - started

        loader_tags.IncludeNode.render = render  # type: ignore[assignment,method-assign]
        undo.append(functools.partial(setattr, loader_tags.IncludeNode, "render", include))
    try:
        yield
    finally:
        for step in reversed(undo):
            step()


def _timing(function: Callable[..., Any], label: str, spent: dict[str, float]) -> Callable[..., Any]:
    def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.process_time()
        try:
            return function(*args, **kwargs)
        finally:
            spent[label] = spent.get(label, 0.0) + time.process_time() - started

    return timed


def explain(key: str, *, requests: int = 200, warm_up: int = 20, plans: bool = False) -> Explained:
    """Make ``key``'s request ``warm_up`` + ``requests`` times in process; its CPU by part (and plans)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    if key not in PARTS:
        raise SystemExit(f"explain knows {', '.join(PARTS)}; not {key!r}")
    if requests < 1:
        raise SystemExit("explain needs --requests of 1 or more")
    probe = _probe(key)
    client = Client(HTTP_HOST="127.0.0.1")
    for part in probe.cookie.split("; ") if probe.cookie else []:
        name, _, value = part.partition("=")
        client.cookies[name] = value
    counter = itertools.count()

    def once() -> Any:
        n = next(counter)
        # Each request from its own address, as the load's are (a rate limit per address):
        address = f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"
        if probe.method == "POST":
            return client.post(probe.path(n), probe.body(n), content_type=probe.content_type, REMOTE_ADDR=address)
        return client.get(probe.path(n), REMOTE_ADDR=address)

    answer = once()
    if answer.status_code != 200 or probe.answer_contains not in answer.content:
        raise SystemExit(f"{key}: the request did not answer as its figure expects: {answer.status_code}")
    for _ in range(warm_up):
        once()
    spent: dict[str, float] = {}
    with _timed_parts(key, spent):
        started = time.process_time()
        for _ in range(requests):
            once()
        total = time.process_time() - started
    result = Explained(key, requests, 1000 * total / requests)
    result.parts = [(label, depth, 1000 * spent.get(label, 0.0) / requests) for label, _m, _a, depth in PARTS[key]]
    if plans:
        with CaptureQueriesContext(connection) as captured:
            once()
        result.statements = [(query["sql"], _plan(query["sql"])) for query in captured.captured_queries]
    return result


def _plan(sql: str) -> str:
    """PostgreSQL's plan of a SELECT as it ran (EXPLAIN ANALYZE, rolled back); "" for anything else."""
    from django.db import connection, transaction

    text = sql.lstrip().upper()
    if not text.startswith(("SELECT", "WITH")) or " FOR UPDATE" in text or connection.vendor != "postgresql":
        return ""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
            plan = "\n".join(row[0] for row in cursor.fetchall())
            transaction.set_rollback(True)
    except Exception as error:  # a statement that cannot be re-run alone: say so, go on
        return f"(no plan: {error})"
    return plan
