"""The office API: documents' metadata and status and tasks, for the staff of the units concerned."""

from __future__ import annotations

from typing import Any

import pytest

from django.test import Client

from govhall.identity.models import Department, User
from govhall.office import actions
from govhall.office.models import Document

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(settings: Any) -> Any:
    settings.STAFF_2FA_SKIP = True

    def login(user: User) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return login


def test_a_co_signer_reads_the_route_and_status(on_day: Any, api: Any, routed: Document, carol: User) -> None:
    body = api(carol).get(f"/api/v1/desk/office/documents/{routed.public_id}/").json()
    assert body["status"] == "routing" and body["classification"] == "none"
    assert {s["department"] for s in body["route"]} == {"water", "agriculture"}
    assert "body" not in body


def test_another_unit_gets_404_as_json(api: Any, draft: Document, carol: User) -> None:
    response = api(carol).get(f"/api/v1/desk/office/documents/{draft.public_id}/")
    assert response.status_code == 404 and "errors" in response.json()
    assert api(carol).get("/api/v1/desk/office/documents/").json()["count"] == 0


def test_an_applicant_is_refused(api: Any, alice: User) -> None:
    assert api(alice).get("/api/v1/desk/office/tasks/").status_code == 403


def test_tasks_list_each_units_progress(
    on_day: Any, api: Any, bob: User, carol: User, grace: User, departments: dict[str, Department]
) -> None:
    task = actions.create_task(
        actor=grace, title="排查", source="meeting", units=[departments["forestry"], departments["water"]], days=5
    )
    actions.report_progress(task.assignments.get(department__code="forestry"), actor=bob, text="过半", percent=50)
    body = api(carol).get("/api/v1/desk/office/tasks/").json()
    assert body["count"] == 1
    percents = {a["department"]: a["latest_percent"] for a in body["results"][0]["assignments"]}
    assert percents == {"forestry": 50, "water": None}
