"""The sweep keeps itself going on the worker: it queues its next run, never two waiting runs."""

from __future__ import annotations

from typing import Any

import pytest
from django_tasks import default_task_backend
from django_tasks.base import TaskResultStatus

from django.core.management import call_command

from govhall.complaints import actions, tasks

pytestmark = pytest.mark.django_db


def test_the_sweep_task_sweeps_and_queues_its_next_run(monkeypatch: pytest.MonkeyPatch) -> None:
    queued: list[Any] = []
    monkeypatch.setattr(actions, "sweep_supervision", lambda: {"urged": 0})
    monkeypatch.setattr(tasks, "sweep_supervision", lambda: {"urged": 0})
    monkeypatch.setattr(tasks, "schedule_sweep", lambda: queued.append(True))
    assert tasks.sweep_supervision_task.call() == {"urged": 0}
    assert queued == [True]


def test_scheduling_twice_leaves_one_waiting_run(settings: Any) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    from django_tasks_db.models import DBTaskResult

    if not default_task_backend.supports_defer:
        pytest.skip("the configured task backend cannot defer")
    assert actions.schedule_sweep() and actions.schedule_sweep()
    waiting = DBTaskResult.objects.filter(status=TaskResultStatus.READY, task_path__endswith="sweep_supervision_task")
    assert waiting.count() == 1


def test_the_command_sweeps_now(capsys: pytest.CaptureFixture[str]) -> None:
    call_command("sweep_supervision")
    assert "case_orders=0" in capsys.readouterr().out
