"""The dossier's complaints section, and the time-limit table in the admin."""

from __future__ import annotations

from typing import Any

import pytest

from govhall.audit.models import AuditRecord
from govhall.complaints import actions, queries
from govhall.complaints.constants import ComplaintKind
from govhall.complaints.models import ComplaintTimeLimit
from govhall.dossier.queries import Scope, subject_of_person
from govhall.identity.models import Department, User

pytestmark = pytest.mark.django_db


def test_a_persons_dossier_lists_their_named_complaints_in_scope(
    departments: dict[str, Department], alice: User
) -> None:
    named, _code = actions.submit_complaint(
        kind=ComplaintKind.SLOWNESS,
        title="慢",
        content="……",
        complainant=alice,
        is_anonymous=False,
        about_department=departments["forestry"],
    )
    actions.submit_complaint(kind=ComplaintKind.SLOWNESS, title="匿名", content="……", complainant=alice)
    assert alice.person is not None
    subject = subject_of_person(alice.person)
    everything = queries.dossier_complaints(subject, Scope(None))
    assert list(everything) == [named]
    assert list(everything.values(*queries.DOSSIER_LISTED.values()))[0]["tracking_number"] == named.tracking_number
    water = Scope(frozenset({departments["water"].pk}))
    assert not queries.dossier_complaints(subject, water).exists()


def test_the_system_administrator_changes_a_time_limit_and_it_is_audited(
    departments: dict[str, Department], erin: User, bob: User, desk: Any
) -> None:
    row = ComplaintTimeLimit.objects.get(key="consultation")
    client = desk(erin)
    page = client.get(f"/admin/complaints/complainttimelimit/{row.pk}/change/")
    assert page.status_code == 200
    saved = client.post(
        f"/admin/complaints/complainttimelimit/{row.pk}/change/", {"working_days": 3, "note": "地方规定3日"}
    )
    assert saved.status_code == 302
    row.refresh_from_db()
    assert row.working_days == 3
    assert AuditRecord.objects.filter(event="complaints.time_limit_saved").exists()
    assert desk(bob).get(f"/admin/complaints/complainttimelimit/{row.pk}/change/").status_code in (302, 403)
