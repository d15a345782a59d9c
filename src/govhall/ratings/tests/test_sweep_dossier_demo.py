"""The sweep queues itself, the dossier's ratings section, and the demo loader."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from django.core.management import call_command

from govhall.cases.models import Case
from govhall.identity.models import User
from govhall.ratings import actions, queries
from govhall.ratings.constants import RatingLevel
from govhall.ratings.demo import load_ratings_demo
from govhall.ratings.models import Rating, RatingInvitation, Rectification

pytestmark = pytest.mark.django_db


def test_the_sweep_invites_gives_defaults_and_marks_deadlines_in_one_run(closed_case: Case) -> None:
    counts = actions.run_sweep()
    assert counts == {"invited": 1, "defaulted": 0, "red": 0, "yellow": 0, "escalated": 0}
    assert RatingInvitation.objects.count() == 1


def test_the_command_runs_the_sweep(closed_case: Case, capsys: pytest.CaptureFixture[str]) -> None:
    call_command("sweep_ratings")
    assert "invited=1" in capsys.readouterr().out


def test_the_dossier_section_lists_the_ratings_of_the_subjects_cases_in_scope(
    closed_case: Case, alice: User, departments: dict[str, object]
) -> None:
    actions.rate_case(closed_case, rater=alice, level=RatingLevel.SATISFIED)
    subject = SimpleNamespace(person=closed_case.person, entity=None)
    everything = SimpleNamespace(departments=None)
    forestry = SimpleNamespace(departments=frozenset({closed_case.department_id}))
    water = SimpleNamespace(departments=frozenset({departments["water"].pk}))  # type: ignore[attr-defined]
    assert queries.dossier_ratings(subject, everything).count() == 1
    assert list(queries.dossier_ratings(subject, forestry).values(*queries.DOSSIER_LISTED.values()))[0][
        "case__reference"
    ] == (closed_case.reference)
    assert not queries.dossier_ratings(subject, water).exists()


def test_the_demo_rates_closed_cases_once(closed_case: Case) -> None:
    assert load_ratings_demo() == 1
    assert load_ratings_demo() == 0
    rating = Rating.objects.get()
    assert rating.level == RatingLevel.DISSATISFIED and Rectification.objects.filter(rating=rating).exists()


def test_the_sweep_task_runs_on_the_worker_and_queues_its_next_run(committed: None, closed_case: Case) -> None:
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    from govhall.ratings.tasks import SWEEP_PATH

    assert actions.schedule_sweep(delay_seconds=0)
    assert actions.schedule_sweep(delay_seconds=0)  # a second call while one waits queues nothing more
    assert DBTaskResult.objects.filter(task_path=SWEEP_PATH, status=TaskResultStatus.READY).count() == 1
    call_command("db_worker", "--batch", "--no-startup-delay", "--queue-name", "*", verbosity=0)
    ran = DBTaskResult.objects.get(task_path=SWEEP_PATH, status=TaskResultStatus.SUCCESSFUL)
    assert ran.return_value["invited"] == 1
    assert DBTaskResult.objects.filter(task_path=SWEEP_PATH, status=TaskResultStatus.READY).count() == 1
