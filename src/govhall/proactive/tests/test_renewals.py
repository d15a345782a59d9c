"""Renewal reminders once per step, and the pre-filled renewal that approval turns into the renewed licence."""

from __future__ import annotations

import datetime

import pytest

from django.http import Http404
from django.test import Client
from django.utils import timezone

from conftest import PASSWORD
from govhall.cases import actions as case_actions
from govhall.cases.constants import CaseStatus
from govhall.cases.tests.conftest import frank, material_files  # noqa: F401 - fixtures
from govhall.catalog.models import ItemVersion
from govhall.catalog.tests.conftest import grace, helen  # noqa: F401 - fixtures
from govhall.identity import actions as identity_actions
from govhall.identity.models import User
from govhall.licences.constants import LicenceStatus
from govhall.licences.models import Licence
from govhall.licences.tests.conftest import (  # noqa: F401 - fixtures
    FORM,
    approved_case,
    felling_type,
    forest_right_type,
    licensed_felling,
)
from govhall.proactive.models import Notification, RenewalReminder
from govhall.proactive.renewals import send_renewal_reminders

pytestmark = pytest.mark.django_db


@pytest.fixture
def licence(licensed_felling: ItemVersion, alice: User, bob: User, grace: User) -> Licence:  # noqa: F811
    case = approved_case(licensed_felling, alice, bob, grace)
    return Licence.objects.get(case_public_id=case.public_id)


def _ending_in(licence: Licence, days: int) -> datetime.date:
    today = timezone.localdate()
    Licence.objects.filter(pk=licence.pk).update(valid_until=today + datetime.timedelta(days=days))
    return today


def _reminders(user: User) -> list[Notification]:
    return list(Notification.objects.filter(recipient=user, link__contains="/renew/"))


def test_each_step_is_sent_once_whatever_the_runs(licence: Licence, alice: User) -> None:
    today = _ending_in(licence, 10)
    assert send_renewal_reminders(today) == 1
    assert send_renewal_reminders(today) == 0  # run twice: nothing more
    assert send_renewal_reminders(today + datetime.timedelta(days=1)) == 0  # the 30- and 15-day steps are done
    (first,) = _reminders(alice)
    assert "还有 10 天到期" in first.body and first.link == f"/my/licences/{licence.public_id}/renew/"
    assert set(RenewalReminder.objects.values_list("days_before", flat=True)) == {30, 15}
    assert send_renewal_reminders(today + datetime.timedelta(days=3)) == 1  # 7 days left
    assert len(_reminders(alice)) == 2


def test_a_revoked_licence_is_never_reminded(licence: Licence, alice: User) -> None:
    today = _ending_in(licence, 5)
    Licence.objects.filter(pk=licence.pk).update(status=LicenceStatus.REVOKED)
    assert send_renewal_reminders(today) == 0 and not _reminders(alice)


def test_the_renewal_is_prefilled_linked_and_stops_the_reminders(
    licence: Licence,
    licensed_felling: ItemVersion,  # noqa: F811
    alice: User,  # noqa: F811
) -> None:
    draft = case_actions.start_renewal(licence.public_id, applicant=alice)
    assert draft.status == CaseStatus.DRAFT and draft.renews_licence == licence.public_id
    assert draft.form_data == FORM  # the answers of the case that issued the licence
    assert case_actions.start_renewal(licence.public_id, applicant=alice) == draft  # a double click
    case_actions.submit_case(
        licensed_felling,
        applicant=alice,
        form_data={**FORM, "volume": 8},
        submit_key="renew",
        draft=draft,
        files=material_files(licensed_felling),
    )
    today = _ending_in(licence, 5)
    assert send_renewal_reminders(today) == 0 and not _reminders(alice)


def test_someone_elses_licence_cannot_be_renewed(licence: Licence) -> None:
    bea = identity_actions.register_applicant(
        name="白雅", id_number="350205199001010010", phone="13800000002", password=PASSWORD
    )
    with pytest.raises(Http404):
        case_actions.start_renewal(licence.public_id, applicant=bea)
    client = Client()
    client.force_login(bea)
    assert client.get(f"/my/licences/{licence.public_id}/renew/").status_code == 404


def test_approving_the_renewal_renews_the_licence(
    licence: Licence,
    licensed_felling: ItemVersion,  # noqa: F811
    alice: User,
    bob: User,
    grace: User,  # noqa: F811
) -> None:
    client = Client()
    client.force_login(alice)
    assert f"/my/licences/{licence.public_id}/renew/" in client.get("/my/licences/").content.decode()
    page = client.get(f"/my/licences/{licence.public_id}/renew/")
    assert "开始填写换证申请" in page.content.decode()
    started = client.post(f"/my/licences/{licence.public_id}/renew/", follow=True)
    assert "已按原证照和上次的申请为您填好换证申请" in started.content.decode()
    draft = alice.cases.get(status=CaseStatus.DRAFT)  # type: ignore[attr-defined]
    case = case_actions.submit_case(
        licensed_felling,
        applicant=alice,
        form_data=draft.form_data,
        submit_key="renew",
        draft=draft,
        files=material_files(licensed_felling),
    )
    case = case_actions.accept_case(case, actor=bob)
    case = case_actions.complete_step(case, actor=User.objects.get(username="frank"), opinion="同意换证。")
    case_actions.decide_case(case, actor=grace, decision="approve", reason="符合换证条件", legal_basis="《森林法》")
    licence.refresh_from_db()
    renewed = Licence.objects.get(case_public_id=case.public_id)
    assert licence.status == LicenceStatus.CANCELLED
    assert renewed.status == LicenceStatus.VALID and renewed.version == licence.version + 1
    assert renewed.licence_type == licence.licence_type and renewed.holder_key == licence.holder_key


def test_the_indicators_count_the_licences_reminded_and_the_suggestions_taken(licence: Licence, alice: User) -> None:
    from govhall.proactive.models import SuggestionSource, SuggestionTally
    from govhall.stats import actions as stats_actions
    from govhall.stats import queries as stats_queries

    today = _ending_in(licence, 10)
    send_renewal_reminders(today)  # two steps (30 and 15 days) of one licence: one licence reminded
    from govhall.catalog.models import ServiceItem

    shown_item = ServiceItem.objects.first()
    assert shown_item is not None
    SuggestionTally.objects.create(day=today, item=shown_item, source=SuggestionSource.SEASON, shown=8, taken=2)
    stats_actions.compute_day(today)
    figures = stats_queries.month_figures(today.replace(day=1), stats_queries.Scope(None, "海沧区农林水利局"))
    assert figures.sums["reminded"] == 1 and figures.values["reminded"] == 1
    assert (figures.sums["suggestions_shown"], figures.sums["suggestions_taken"]) == (8, 2)
    assert figures.values["suggestions_taken"] == 25.0
