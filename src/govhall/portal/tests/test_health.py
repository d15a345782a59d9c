"""/healthz tells an operator whether the database answers and a worker takes tasks."""

from __future__ import annotations

import datetime

import pytest
from django_tasks_db.models import DBTaskResult

from django.core.management import call_command
from django.test import Client
from django.utils import timezone

pytestmark = pytest.mark.django_db


def test_it_reports_the_database_and_a_starting_worker(zh_client: Client) -> None:
    response = zh_client.get("/healthz")
    body = response.json()
    assert response.status_code == 200
    assert body["database"]["status"] == "ok"
    assert body["worker"]["status"] == "starting"
    assert DBTaskResult.objects.count() == 1  # the heartbeat it queued


@pytest.mark.django_db(transaction=True)
def test_it_reports_ok_once_a_real_worker_ran_the_heartbeat(zh_client: Client) -> None:
    zh_client.get("/healthz")
    call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)
    body = zh_client.get("/healthz").json()
    assert body["worker"]["status"] == "ok"
    assert body["worker"]["last_heartbeat"] is not None


def test_it_reports_a_stale_worker_with_503(zh_client: Client) -> None:
    zh_client.get("/healthz")
    DBTaskResult.objects.update(enqueued_at=timezone.now() - datetime.timedelta(minutes=10))
    response = zh_client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["worker"]["status"] == "stale"
    assert response.json()["worker"]["oldest_ready_seconds"] >= 590


@pytest.mark.django_db(transaction=True)
def test_a_live_worker_is_not_stale_after_a_quiet_hour(zh_client: Client) -> None:
    # The worker ran a heartbeat an hour ago and nobody has asked since; it is still there:
    zh_client.get("/healthz")
    call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)
    an_hour_ago = timezone.now() - datetime.timedelta(minutes=59)
    DBTaskResult.objects.update(enqueued_at=an_hour_ago, started_at=an_hour_ago, finished_at=an_hour_ago)
    response = zh_client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["worker"]["status"] == "ok"
    # The check queued a fresh heartbeat; the worker takes it and the next check stays ok:
    call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)
    body = zh_client.get("/healthz").json()
    assert body["worker"]["status"] == "ok"
    assert body["worker"]["last_heartbeat"] > an_hour_ago.isoformat()


@pytest.mark.django_db(transaction=True)
def test_a_dead_worker_after_a_quiet_hour_is_stale_once_its_heartbeat_waits_too_long(zh_client: Client) -> None:
    zh_client.get("/healthz")
    call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)
    an_hour_ago = timezone.now() - datetime.timedelta(minutes=59)
    DBTaskResult.objects.update(enqueued_at=an_hour_ago, started_at=an_hour_ago, finished_at=an_hour_ago)
    zh_client.get("/healthz")  # queues a heartbeat that no worker takes
    DBTaskResult.objects.filter(status="READY").update(enqueued_at=timezone.now() - datetime.timedelta(minutes=5))
    response = zh_client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["worker"]["status"] == "stale"


def test_a_task_queued_for_later_has_waited_only_since_it_fell_due(zh_client: Client) -> None:
    from govhall.portal.tasks import heartbeat

    zh_client.get("/healthz")
    # A retry queued ten minutes ago to run a minute ago is one minute late, not ten:
    heartbeat.using(run_after=timezone.now() - datetime.timedelta(minutes=1)).enqueue()
    DBTaskResult.objects.update(enqueued_at=timezone.now() - datetime.timedelta(minutes=10))
    DBTaskResult.objects.exclude(run_after__lt=timezone.now()).delete()
    worker = zh_client.get("/healthz").json()["worker"]
    assert 55 <= worker["oldest_ready_seconds"] <= 75
    assert worker["overdue_tasks"] == 0
