"""Suggestions, explained: from enough people's closed cases, by season and place, and switched off (PIPL Art. 24)."""

from __future__ import annotations

import datetime
import uuid
from typing import Any

import pytest

from django.utils import timezone

from govhall.audit.models import AuditRecord
from govhall.cases.models import Case
from govhall.catalog.models import ItemVersion
from govhall.catalog.tests.conftest import grace, helen  # noqa: F401 - fixtures
from govhall.catalog.tests.factories import create_draft, publish
from govhall.identity.models import Department, NaturalPerson, User
from govhall.proactive import suggestions
from govhall.proactive.models import ItemAffinity, SuggestionRule, SuggestionTally

pytestmark = pytest.mark.django_db


@pytest.fixture
def items(helen: User, grace: User, departments: dict[str, Department]) -> dict[str, ItemVersion]:  # noqa: F811
    made = {}
    for suffix, name in (("00001000", "林木采伐许可证核发"), ("00002000", "林木种子生产经营许可"),
                         ("00003000", "防汛抗旱信息查询")):  # fmt: skip
        made[name] = publish(create_draft(helen, departments["forestry"], code_suffix=suffix,
                                          overrides={"name": name}), helen, grace)  # fmt: skip
    return made


def _closed_cases(version: ItemVersion, people: list[NaturalPerson], applicant: User) -> None:
    """Closed cases of ``version`` for each person (the rows a decade of work leaves behind)."""
    Case.objects.bulk_create(
        [
            Case(
                item_version=version,
                department=version.handling_department,
                applicant=applicant,
                person=person,
                applicant_name=person.name,
                status="closed",
                decision="approve",
                reference=uuid.uuid4().hex,
                closed_at=timezone.now(),
            )  # fmt: skip
            for person in people
        ]
    )


def _people(count: int) -> list[NaturalPerson]:
    return NaturalPerson.objects.bulk_create(
        [
            NaturalPerson(
                name=f"办事人{n}",
                id_number_encrypted="x",
                id_number_hash=f"hash-{uuid.uuid4().hex}",
                id_number_masked="350211********0011",
            )  # fmt: skip
            for n in range(count)
        ]
    )


def test_a_pair_is_suggested_only_when_enough_people_support_it_and_says_why(
    items: dict[str, ItemVersion], alice: User, bob: User, settings: Any
) -> None:
    settings.SUGGESTION_MIN_SUPPORT = 3
    felling, seeds = items["林木采伐许可证核发"], items["林木种子生产经营许可"]
    both = _people(2)
    _closed_cases(felling, both, bob)
    _closed_cases(seeds, both, bob)
    assert suggestions.compute_affinities() == 0  # two people: not enough to say "usually"
    third = _people(1)
    _closed_cases(felling, third, bob)
    _closed_cases(seeds, third, bob)
    assert suggestions.compute_affinities() == 2  # both directions
    assert ItemAffinity.objects.get(from_item=felling.item, to_item=seeds.item).support == 3

    # Alice applied for the felling licence: she is told about the seeds licence, and why:
    Case.objects.create(item_version=felling, department=felling.handling_department, applicant=alice,
                        applicant_name="陈爱丽", status="submitted")  # fmt: skip
    shown = suggestions.suggestions_for(alice)
    assert [(s.version.name, s.source) for s in shown] == [("林木种子生产经营许可", "affinity")]
    assert "办理过“林木采伐许可证核发”的申请人中，有 3 位也办理了这一事项" in shown[0].why


def test_season_and_place_rules_apply_in_their_window_and_place(
    items: dict[str, ItemVersion], alice: User, settings: Any
) -> None:
    flood = items["防汛抗旱信息查询"]
    SuggestionRule.objects.create(item=flood.item, reason="汛期：查询水雨情。", start_month=4, start_day=15,
                                  end_month=10, end_day=15)  # fmt: skip
    SuggestionRule.objects.create(item=items["林木种子生产经营许可"].item, reason="海沧区：育苗季。", start_month=11,
                                  start_day=1, end_month=2, end_day=28, region_prefix="350205")  # fmt: skip
    SuggestionRule.objects.create(item=items["林木采伐许可证核发"].item, reason="集美区：采伐季。", start_month=11,
                                  start_day=1, end_month=2, end_day=28, region_prefix="350211")  # fmt: skip
    july = suggestions.suggestions_for(alice, today=datetime.date(2026, 7, 1))
    assert [(s.version.name, s.why) for s in july] == [("防汛抗旱信息查询", "汛期：查询水雨情。")]
    # Alice's ID number was issued in Haicang (350205): over the new year she gets Haicang's rule only:
    january = suggestions.suggestions_for(alice, today=datetime.date(2027, 1, 10))
    assert [(s.version.name, s.source) for s in january] == [("林木种子生产经营许可", "place")]


def test_switched_off_no_personal_data_is_used_and_the_choice_is_audited(
    items: dict[str, ItemVersion], alice: User, bob: User, client: Any, settings: Any
) -> None:
    settings.SUGGESTION_MIN_SUPPORT = 1
    felling, seeds = items["林木采伐许可证核发"], items["林木种子生产经营许可"]
    people = _people(1)
    _closed_cases(felling, people, bob)
    _closed_cases(seeds, people, bob)
    suggestions.compute_affinities()
    Case.objects.create(item_version=felling, department=felling.handling_department, applicant=alice,
                        applicant_name="陈爱丽", status="submitted")  # fmt: skip
    SuggestionRule.objects.create(item=items["防汛抗旱信息查询"].item, reason="汛期。", start_month=1, end_month=12)
    SuggestionRule.objects.create(item=seeds.item, reason="海沧区。", start_month=1, end_month=12, region_prefix="3502")
    client.force_login(alice)
    page = client.get("/my/").content.decode()
    assert "推荐办理" in page and "林木种子生产经营许可" in page and "关闭个性化推荐" in page
    assert SuggestionTally.objects.get(item=seeds.item, source="affinity").shown == 1

    answer = client.post("/my/suggestions/settings/", {"personalised": "0"}, follow=True).content.decode()
    assert "已关闭个性化推荐" in answer
    shown = suggestions.suggestions_for(alice)
    # Neither her cases (affinity) nor her region (place) are used: only what everyone is shown,
    # the season rule and the items most applied for:
    assert {s.source for s in shown} <= {"season", "popular"}
    assert "season" in {s.source for s in shown}
    assert AuditRecord.objects.filter(event="proactive.suggestions_personalised").count() == 1

    go = client.get(f"/my/suggestions/{items['防汛抗旱信息查询'].public_id}/?source=season")
    assert go.status_code == 302 and go.url.endswith(f"/items/{items['防汛抗旱信息查询'].public_id}/")
    assert SuggestionTally.objects.get(item=items["防汛抗旱信息查询"].item, source="season").taken == 1
