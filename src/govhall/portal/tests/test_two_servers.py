"""Two web servers and two workers on one PostgreSQL and one Redis: no state that only one process knows.

The platform is run as production runs it with more than one machine: two gunicorn servers
(``govhall.conf.gunicorn``, one sync worker each, ports 8110 and 8111) and two
``manage.py db_worker`` processes, all on the test database and one Redis database of their
own (``GOVHALL_TEST_REDIS_URL``, by default ``redis://127.0.0.1:6379/11``, emptied first). The
test process writes through the actions and reads what the servers answer over HTTP, as a
citizen or a clerk would. The processes are started once for the module and always stopped.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from django.conf import settings
from django.db import connection, transaction
from django.test import Client

from govhall.audit.models import AuditRecord
from govhall.audit.queries import verify_chain
from govhall.catalog.tests.conftest import grace, helen  # noqa: F401 - fixtures
from govhall.catalog.tests.factories import create_draft, publish
from govhall.identity import actions as identity_actions
from govhall.identity.models import Department, User
from govhall.licences.views import VERIFY_LIMIT_PER_MINUTE
from govhall.proactive.actions import notify
from govhall.proactive.models import DeliveryStatus, Notification

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

PORTS = (8110, 8111)
REDIS_URL = os.environ.get("GOVHALL_TEST_REDIS_URL", "redis://127.0.0.1:6379/11")
RECHECK_SECONDS = 1
STARTUP_SECONDS = 30
PASSWORD = "Test#Pass2026"
CSRF = "a" * 32  # a CSRF secret of the visitor's own choosing: the cookie and the form field agree


@dataclass
class Platform:
    servers: list[str]  # base URLs, one per web server
    logs: Path
    processes: list[tuple[str, subprocess.Popen[bytes]]]

    def worker_log(self) -> str:
        return "".join(
            (self.logs / f"{name}.log").read_text(errors="replace")
            for name, _ in self.processes
            if name.startswith("worker")
        )


def _database_url() -> str:
    db = connection.settings_dict
    user = urllib.parse.quote(db["USER"] or "", safe="")
    password = ":" + urllib.parse.quote(db["PASSWORD"], safe="") if db["PASSWORD"] else ""
    return f"postgres://{user}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _redis_answers() -> bool:
    import redis

    try:
        client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
        client.flushdb()
        client.close()
    except redis.RedisError:
        return False
    return True


def _port_taken(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _get(url: str, **headers: str) -> tuple[int, str]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def _post(url: str, data: dict[str, str], cookies: dict[str, str]) -> int:
    cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())
    request = urllib.request.Request(
        url,
        data=urllib.parse.urlencode(data).encode(),
        headers={"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"},
    )
    # The language switch answers with a redirect; its status is what is wanted, not its target:
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def _stop(processes: list[tuple[str, subprocess.Popen[bytes]]]) -> None:
    for _, process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    for _, process in processes:
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


@pytest.fixture(scope="module")
def platform(django_db_setup: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    if connection.vendor != "postgresql":
        pytest.skip("two servers share one database only on PostgreSQL; SQLite is for one machine")
    if not _redis_answers():
        pytest.skip(f"no Redis answers at {REDIS_URL} (GOVHALL_TEST_REDIS_URL)")
    for port in PORTS:
        assert not _port_taken(port), f"port {port} is in use: another server would answer for ours"
    var = tmp_path_factory.mktemp("two-servers")
    env = {
        **os.environ,
        "PYTHONPATH": str(settings.BASE_DIR / "src"),
        "DJANGO_SETTINGS_MODULE": "govhall.conf.settings",
        "GOVHALL_ENV": "development",
        "DJANGO_DEBUG": "0",
        "DATABASE_URL": _database_url(),
        "DATABASE_CONN_MAX_AGE": "0",
        "GOVHALL_REDIS_URL": REDIS_URL,
        # The same keys as this process, so that the chain, the lookup hashes and encrypted
        # fields written here are read there and the other way round:
        "GOVHALL_KEYS_DIR": str(settings.KEYS_DIR),
        "GOVHALL_VAR_DIR": str(var),
        # Files on a storage that every process sees (production: an object store, docs/operations.md):
        "GOVHALL_PRIVATE_MEDIA_ROOT": str(var / "private"),
        "GOVHALL_CATALOG_RECHECK_SECONDS": str(RECHECK_SECONDS),
        "GOVHALL_NOTIFICATION_SENDER": "govhall.proactive.senders.ConsoleSender",
        "GOVHALL_LOG_LEVEL": "INFO",
        "GOVHALL_WEB_WORKERS": "1",
        "PYTHONUNBUFFERED": "1",
    }
    python = sys.executable
    commands = {
        **{
            f"web{n}": (
                [python, "-m", "gunicorn", "-c", "python:govhall.conf.gunicorn", "govhall.conf.wsgi"],
                {"GOVHALL_WEB_BIND": f"127.0.0.1:{port}"},
            )
            for n, port in enumerate(PORTS, start=1)
        },
        **{
            f"worker{n}": (
                [python, "manage.py", "db_worker", "--queue-name", "*", "--no-reload", "--no-startup-delay"]
                + ["--interval", "0.1"],
                {},
            )
            for n in (1, 2)
        },
    }
    processes: list[tuple[str, subprocess.Popen[bytes]]] = []
    try:
        for name, (command, extra) in commands.items():
            with open(var / f"{name}.log", "wb") as log:
                processes.append(
                    (
                        name,
                        subprocess.Popen(
                            command,
                            cwd=settings.BASE_DIR,
                            env={**env, **extra},
                            stdout=log,
                            stderr=subprocess.STDOUT,
                            start_new_session=True,  # its own process group: stopped whole, gunicorn's worker too
                        ),
                    )
                )
        servers = [f"http://127.0.0.1:{port}" for port in PORTS]
        deadline = time.monotonic() + STARTUP_SECONDS
        waiting = set(servers)
        while waiting:
            for name, process in processes:
                if process.poll() is not None:
                    pytest.fail(f"{name} ended at start:\n{(var / f'{name}.log').read_text(errors='replace')[-3000:]}")
            for server in list(waiting):
                try:
                    _get(server + "/verify/")
                    waiting.discard(server)
                except OSError:
                    pass
            if time.monotonic() > deadline:
                pytest.fail(f"{sorted(waiting)} did not answer within {STARTUP_SECONDS} s")
            time.sleep(0.2)
        yield Platform(servers=servers, logs=var, processes=processes)
    finally:
        _stop(processes)
        for port in PORTS:
            assert not _port_taken(port), f"port {port} still answers after the servers were stopped"


def test_the_public_check_limit_counts_requests_to_both_servers_together(platform: Platform) -> None:
    first, second = platform.servers
    half = VERIFY_LIMIT_PER_MINUTE // 2
    answers = [_get(f"{first}/verify/?id=NOT-A-LICENCE-{n}")[0] for n in range(half)]
    answers += [_get(f"{second}/verify/?id=NOT-A-LICENCE-{n}")[0] for n in range(VERIFY_LIMIT_PER_MINUTE - half)]
    assert answers == [200] * VERIFY_LIMIT_PER_MINUTE
    # Each server alone has seen half the limit; together the address has used all of it:
    for server in (first, second):
        status, page = _get(f"{server}/verify/?id=ONE-MORE")
        assert status == 429
        assert "查询过于频繁" in page


def test_a_publication_shows_on_both_servers_within_the_recheck_time(
    platform: Platform,
    helen: User,  # noqa: F811
    grace: User,  # noqa: F811
    departments: dict[str, Department],
) -> None:
    publish(create_draft(helen, departments["forestry"]), helen, grace)
    for server in platform.servers:
        status, page = _get(f"{server}/items/")
        assert status == 200 and "林木采伐许可证核发" in page
        assert "取水许可" not in page  # and the page is now kept by that server

    water = create_draft(
        helen,
        departments["water"],
        code_suffix="00002000",
        overrides={"name": "取水许可", "result_name": "取水许可证", "result_sample": "取水许可证（样本）"},
        materials=[{"order": 1, "name": "取水许可申请书", "need": "1", "source": "1"}],
    )
    publish(water, helen, grace)
    published = time.monotonic()
    seen: dict[str, float] = {}
    while len(seen) < len(platform.servers) and time.monotonic() - published < RECHECK_SECONDS + 5:
        for server in platform.servers:
            if server not in seen and "取水许可" in _get(f"{server}/items/")[1]:
                seen[server] = time.monotonic() - published
        time.sleep(0.1)
    assert set(seen) == set(platform.servers), f"the new item showed only on {seen}"
    # Within the recheck time, with a second for the request and the machine's load:
    assert max(seen.values()) < RECHECK_SECONDS + 1, seen


def test_audited_writes_sent_to_both_servers_at_once_leave_one_unbroken_chain(
    platform: Platform, departments: dict[str, Department]
) -> None:
    people = [
        identity_actions.create_staff(username=f"clerk{n}", full_name=f"林{n}", password=PASSWORD) for n in range(4)
    ]
    sessions = []
    for person in people:
        client = Client()
        client.force_login(person)
        sessions.append({settings.SESSION_COOKIE_NAME: client.cookies[settings.SESSION_COOKIE_NAME].value})
    switches = 8
    statuses: list[int] = []
    lock = threading.Lock()
    barrier = threading.Barrier(len(people))

    def switch_back_and_forth(index: int) -> None:
        # Two people on each server, each changing their language in turn: each change is one chained record.
        server = platform.servers[index % 2]
        cookies = {**sessions[index], settings.CSRF_COOKIE_NAME: CSRF}
        barrier.wait()
        for turn in range(switches):
            language = "en" if turn % 2 == 0 else "zh-hans"
            data = {"csrfmiddlewaretoken": CSRF, "language": language, "next": "/"}
            status = _post(f"{server}/i18n/setlang/", data, cookies)
            with lock:
                statuses.append(status)

    threads = [threading.Thread(target=switch_back_and_forth, args=(i,)) for i in range(len(people))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert statuses == [302] * len(people) * switches
    assert AuditRecord.objects.filter(event="identity.language_chosen").count() == len(people) * switches
    report = verify_chain()
    assert report.is_intact, report.reason
    assert report.checked == AuditRecord.objects.count()
    # No fork: no two records follow the same one.
    previous = list(AuditRecord.objects.values_list("previous_hash", flat=True))
    assert len(previous) == len(set(previous))


def test_two_workers_deliver_each_notification_of_a_batch_exactly_once(
    platform: Platform, departments: dict[str, Department]
) -> None:
    person = identity_actions.create_staff(username="recipient", full_name="林收信", password=PASSWORD)
    count = 30
    with transaction.atomic():  # queued on commit, as an action does
        batch = [notify(person, f"通知第{n:02d}号", body="您的申请已受理。") for n in range(count)]
    deadline = time.monotonic() + 20
    while Notification.objects.filter(pk__in=[n.pk for n in batch], delivery=DeliveryStatus.SENT).count() < count:
        assert time.monotonic() < deadline, "the workers did not deliver the batch within 20 s"
        time.sleep(0.2)
    time.sleep(0.5)  # a second delivery, were there one, would have had time to happen
    delivered = list(Notification.objects.filter(pk__in=[n.pk for n in batch]).values_list("delivery", "attempts"))
    assert delivered == [(DeliveryStatus.SENT, 1)] * count
    log = platform.worker_log()
    for n in range(count):
        assert log.count(f"notification to recipient: 通知第{n:02d}号\n") == 1, f"通知第{n:02d}号"
