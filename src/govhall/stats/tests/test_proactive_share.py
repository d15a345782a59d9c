"""主动服务发起占比: an application is counted as started by the government when a suggestion led to it, or a reminder."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from govhall.cases import actions as case_actions
from govhall.cases.constants import SESSION_INTAKE_PERSON, SESSION_STARTED_FROM, CaseOrigin, Channel
from govhall.cases.models import Case
from govhall.cases.tests.conftest import felling, frank, material_files, pdf_bytes  # noqa: F401 - fixtures
from govhall.catalog.models import ItemVersion
from govhall.catalog.tests.conftest import grace, helen  # noqa: F401 - fixtures
from govhall.identity.models import User
from govhall.licences.models import Licence
from govhall.licences.tests.conftest import (  # noqa: F401 - fixtures
    FORM,
    approved_case,
    felling_type,
    forest_right_type,
    licensed_felling,
)
from govhall.proactive.renewals import send_renewal_reminders
from govhall.stats import actions, queries
from govhall.stats.measures import rows_behind

pytestmark = pytest.mark.django_db


def _application(version: ItemVersion, key: str) -> dict[str, Any]:
    """What the online application page posts for ``version``: the answers, a scan per material, the key."""
    scans = {f"material_{m.pk}": SimpleUploadedFile("scan.pdf", pdf_bytes()) for m in version.materials.all()}
    return {"location": "东孚镇", "volume": "3", "submit_key": key, **scans}


def _alice(alice: User) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(alice)
    return client


def test_an_application_after_following_a_suggestion_is_marked_and_the_next_one_is_not(
    felling: ItemVersion,  # noqa: F811
    alice: User,
) -> None:
    client = _alice(alice)
    went = client.get(f"/my/suggestions/{felling.public_id}/?source=season")
    assert went.status_code == 302 and went.url.endswith(f"/items/{felling.public_id}/")

    filed = client.post(f"/items/{felling.public_id}/apply/", _application(felling, "first"))
    first = Case.objects.get(submit_key="first")
    assert filed["Location"] == f"/my/cases/{first.public_id}/"
    assert first.origin == CaseOrigin.SUGGESTION
    # The mark led to that one application; the next one she starts herself:
    assert str(felling.item_id) not in client.session[SESSION_STARTED_FROM]
    client.post(f"/items/{felling.public_id}/apply/", _application(felling, "second"))
    assert Case.objects.get(submit_key="second").origin == ""


def test_a_draft_started_from_a_suggestion_keeps_the_mark_when_it_is_submitted(
    felling: ItemVersion,  # noqa: F811
    alice: User,
) -> None:
    client = _alice(alice)
    client.get(f"/my/suggestions/{felling.public_id}/?source=popular")
    client.post(f"/items/{felling.public_id}/apply/", {"location": "东孚镇", "save_draft": "1"})
    draft = Case.objects.get()
    assert (draft.status, draft.origin) == ("draft", CaseOrigin.SUGGESTION)
    assert client.session[SESSION_STARTED_FROM] == {}

    client.post(f"/my/cases/{draft.public_id}/continue/", _application(felling, "from-draft"))
    draft.refresh_from_db()
    assert (draft.status, draft.origin) == ("submitted", CaseOrigin.SUGGESTION)


def test_an_unknown_mark_is_ignored(felling: ItemVersion, alice: User) -> None:  # noqa: F811
    client = _alice(alice)
    session = client.session
    session[SESSION_STARTED_FROM] = {str(felling.item_id): "advert"}
    session.save()
    client.post(f"/items/{felling.public_id}/apply/", _application(felling, "k"))
    assert Case.objects.get().origin == ""


def test_a_case_filed_at_the_window_never_takes_the_mark(
    felling: ItemVersion,  # noqa: F811
    alice: User,
    bob: User,
    desk: Any,
) -> None:
    client = desk(bob)
    person = alice.person
    session = client.session
    session[SESSION_INTAKE_PERSON] = str(person.public_id)
    session[SESSION_STARTED_FROM] = {str(felling.item_id): CaseOrigin.SUGGESTION.value}
    session.save()
    scans = {f"material_{pk}": upload for pk, upload in material_files(felling).items()}
    client.post(
        "/desk/cases/intake/",
        {"person": str(person.public_id), "item": felling.item.implementation_code, "submit_key": "window",
         "location": "东孚镇", "volume": "3", "confirmed": "on", **scans},
    )  # fmt: skip
    case = Case.objects.get()
    assert (case.channel, case.filed_by, case.origin) == (Channel.WINDOW, bob, "")


def test_the_share_counts_suggestions_and_reminded_renewals_once_each(
    licensed_felling: ItemVersion,  # noqa: F811
    alice: User,
    bob: User,
    grace: User,  # noqa: F811
) -> None:
    licence = Licence.objects.get(case_public_id=approved_case(licensed_felling, alice, bob, grace).public_id)
    today = timezone.localdate()
    Licence.objects.filter(pk=licence.pk).update(valid_until=today + datetime.timedelta(days=10))
    assert send_renewal_reminders(today) == 1
    draft = case_actions.start_renewal(licence.public_id, applicant=alice)
    # The renewal was also reached from a suggestion: it is still one proactive start, not two:
    Case.objects.filter(pk=draft.pk).update(origin=CaseOrigin.SUGGESTION)
    renewal = case_actions.submit_case(
        licensed_felling, applicant=alice, form_data=FORM, submit_key="renew", draft=draft,
        files=material_files(licensed_felling),
    )  # fmt: skip
    suggested = case_actions.submit_case(
        licensed_felling, applicant=alice, form_data=FORM, submit_key="suggested",
        files=material_files(licensed_felling), origin=CaseOrigin.SUGGESTION,
    )  # fmt: skip
    case_actions.submit_case(
        licensed_felling, applicant=alice, form_data=FORM, submit_key="own", files=material_files(licensed_felling)
    )
    assert renewal.origin == CaseOrigin.SUGGESTION

    actions.compute_day(today)
    figures = queries.month_figures(today.replace(day=1), queries.Scope(None, ""))
    # Four applications: the one that issued the licence and one more she started herself, the
    # renewal after the reminder, and the one from a suggestion:
    assert (figures.sums["submitted"], figures.sums["proactive_started"], figures.sums["renewals_reminded"]) == (
        4,
        2,
        1,
    )
    assert figures.values["proactive_share"] == 50.0
    assert set(rows_behind("proactive_started", today, today, departments=None)) == {renewal, suggested}
