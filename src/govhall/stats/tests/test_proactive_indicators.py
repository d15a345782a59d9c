"""The proactive measures: a renewal filed after the platform's reminder counts as a service the government started."""

from __future__ import annotations

import datetime

import pytest

from django.utils import timezone

from govhall.cases import actions as case_actions
from govhall.cases.tests.conftest import frank, material_files  # noqa: F401 - fixtures
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


def test_a_renewal_after_the_reminder_is_a_proactive_start(
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
    renewal = case_actions.submit_case(
        licensed_felling, applicant=alice, form_data=FORM, submit_key="renew", draft=draft,
        files=material_files(licensed_felling),
    )  # fmt: skip
    actions.compute_day(today)
    figures = queries.month_figures(today.replace(day=1), queries.Scope(None, ""))
    # Two applications this month: the first one (no reminder) and the renewal after the reminder:
    assert (figures.sums["submitted"], figures.sums["renewals_reminded"]) == (2, 1)
    assert figures.values["reminded_renewals"] == 50.0
    assert list(rows_behind("renewals_reminded", today, today, departments=None)) == [renewal]
