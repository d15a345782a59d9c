"""What a rating becomes for the provincial 好差评 system: the service, the level, the channel, never the rater."""

from __future__ import annotations

import json

import pytest

from govhall.cases.models import Case
from govhall.identity.models import User
from govhall.ratings import actions
from govhall.ratings.exchange import provincial_rating

pytestmark = pytest.mark.django_db


def test_a_bad_rating_of_a_case_carries_the_case_item_channel_region_and_staff(closed_case: Case, alice: User) -> None:
    rating = actions.rate_case(
        closed_case, rater=alice, level="dissatisfied", reason_codes=["slow"], comment="陈爱丽：太慢了"
    )
    record = provincial_rating(rating)
    version = closed_case.item_version
    assert record["message_type"] == "36"
    assert record["region_code"] == "350205000000"
    assert record["case_number"] == closed_case.reference
    assert (record["item_code"], record["item_version"]) == (version.item.implementation_code, version.number)
    assert (record["level"], record["channel"], record["reasons"]) == (2, "1", ["slow"])
    assert record["case_status"] == "closed"
    assert "bob" in record["rated_staff"]
    # The province gets the rating, never the person who gave it or what they wrote:
    text = json.dumps(record, ensure_ascii=False)
    assert "陈爱丽" not in text and alice.username not in text
