"""Case changes become outbox messages after the fact, in the national field names, in order per case."""

from __future__ import annotations

from typing import Any

import pytest

from django.db import transaction

from govhall.cases import actions as cases
from govhall.cases.models import Case
from govhall.cases.tests.conftest import material_files
from govhall.catalog.models import ItemVersion
from govhall.identity.models import User
from govhall.sharing import actions
from govhall.sharing.constants import Adapter
from govhall.sharing.models import OutboxMessage, Platform

from .exchange_helpers import SECRET

pytestmark = pytest.mark.django_db
FORM = {"location": "东孚镇鼎美村3林班", "volume": 12.5}


@pytest.fixture
def province(db: None) -> Platform:
    return actions.save_platform(
        code="350000", name="福建省网上办事大厅", adapter=Adapter.PROVINCE, url="http://127.0.0.1:9", secret=SECRET
    )


def submit(version: ItemVersion, applicant: User, key: str) -> Case:
    return cases.submit_case(
        version, applicant=applicant, form_data=FORM, submit_key=key, files=material_files(version)
    )


def messages(case: Case) -> list[OutboxMessage]:
    return list(OutboxMessage.objects.filter(stream=f"case:{case.reference}").order_by("sequence"))


def test_each_case_change_becomes_its_messages_in_order(
    province: Platform, felling: ItemVersion, alice: User, bob: User, on_day: Any
) -> None:
    case = submit(felling, alice, "a")
    cases.accept_case(case, actor=bob)
    cases.request_correction(case, actor=bob, items=["采伐位置图不清晰"])
    assert OutboxMessage.objects.count() == 0  # nothing until the consumer runs: the case never waits for it
    actions.consume_case_events()
    sent = messages(case)
    assert [(m.message_type, m.flag, m.sequence) for m in sent] == [
        ("10", "I", 1),
        ("10", "U", 2),
        ("20", "I", 3),
        ("21", "I", 4),
        ("22", "I", 5),
    ]
    first = sent[0]
    assert first.target_code == "350000" and first.protocol_version == "1.0"
    assert first.payload["PROJID"] == case.reference
    assert first.payload["TASK_CODE"] == felling.item.implementation_code
    assert first.payload["APPLYER_NAME"] == "陈爱丽"
    # The ID number leaves masked, never in full:
    assert first.payload["APPLYER_PAGE_CODE"] == "350205********0020"
    assert sent[4].payload["CORRECTION_ITEMS"] == ["采伐位置图不清晰"]
    # Consuming again makes nothing new; the idempotency keys are unique and stable:
    actions.consume_case_events()
    assert len(messages(case)) == 5
    assert len({m.idempotency_key for m in sent}) == 5


def test_a_change_that_rolled_back_sends_nothing(
    province: Platform, felling: ItemVersion, alice: User, bob: User
) -> None:
    case = submit(felling, alice, "a")
    with pytest.raises(RuntimeError), transaction.atomic():
        cases.accept_case(case, actor=bob)
        raise RuntimeError("the server died before commit")
    actions.consume_case_events()
    assert [m.message_type for m in messages(case)] == ["10"]


def test_a_rating_goes_up_as_message_36_in_its_case_stream(
    province: Platform, felling: ItemVersion, alice: User, bob: User
) -> None:
    from govhall.ratings.actions import rate_case

    case = submit(felling, alice, "a")
    case.status = "closed"
    case.save(update_fields=["status"])
    rate_case(case, rater=alice, level="very_satisfied")  # queues it in the rating's own transaction
    actions.consume_case_events()
    rated = [m for m in messages(case) if m.message_type == "36"]
    assert len(rated) == 1
    assert rated[0].payload["case_number"] == case.reference
    assert "陈爱丽" not in str(rated[0].payload)  # the province gets the rating, not the rater


def test_a_published_item_and_a_year_of_licences_go_to_their_platforms(province: Platform, held: Any) -> None:
    felling = held.forestry_case.item_version
    # Each round queues the published versions not sent yet; the catalog itself knows nothing of it:
    assert actions.queue_published_items() >= 1
    assert actions.queue_published_items() == 0
    [item] = OutboxMessage.objects.filter(message_type="40", payload__TASK_NAME=felling.name)
    assert item.stream == f"item:{felling.item.implementation_code}"
    assert item.payload["TASK_NAME"] == felling.name and item.flag == "I"
    with pytest.raises(actions.ValidationError):
        actions.collect_licences(2026)  # no district platform yet: said, not silently skipped
    district = actions.save_platform(
        code="350205-DZZZ", name="区电子证照库", adapter=Adapter.DISTRICT, url="http://127.0.0.1:9", secret=SECRET
    )
    from govhall.licences.models import Licence

    year = Licence.objects.first().issued_on.year
    assert actions.collect_licences(year) == Licence.objects.filter(issued_on__year=year).count() >= 1
    assert actions.collect_licences(year) == 0  # once per licence version
    licence = OutboxMessage.objects.filter(platform=district).first()
    assert licence.message_type == "50" and licence.payload["ZZBS"].startswith("1.2.156.3005.2.")
