"""Suggestions, explained (推荐办理): what else a person may need, and why.

Three sources, each saying why it is shown:

- **Affinity** ("people who applied for A usually also need B"): from closed cases, the number
  of subjects (a person, or a company) who had both A and B. Computed nightly and kept only
  where at least ``SUGGESTION_MIN_SUPPORT`` (20) subjects support the pair, so that a
  suggestion never points at a handful of people. Shown to a person who applied for A and not B.
- **Season and place** rules, as data (``SuggestionRule``): the flood season, a planting
  subsidy's window; a rule with a region applies to people registered there (the region code
  of the ID number or the credit code).
- **Popular** items (the most applied for in the last 90 days, each by at least the minimum
  support): what a person sees who switched personalised suggestions off.

A person can switch personalised suggestions off (PIPL Art. 24); they then get only the
season rules without a place and the popular items, the same for everyone. Suggestions shown
and taken are counted per day, item and source, never per person (``SuggestionTally``).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, F
from django.utils import timezone
from django.utils.translation import gettext as _

from govhall.audit.actions import record
from govhall.cases.constants import CaseStatus
from govhall.cases.models import Case
from govhall.catalog.models import ItemVersion, ServiceItem
from govhall.catalog.queries import live_versions
from govhall.lib.schedule import queue_once
from govhall.proactive.models import (
    ItemAffinity,
    SuggestionPreference,
    SuggestionRule,
    SuggestionSource,
    SuggestionTally,
)

SHOWN = 4  # at most this many suggestions at a time
POPULAR_DAYS = 90

_PAIRS_SQL = """
WITH subjects AS (
    SELECT DISTINCT
        CASE WHEN c.entity_id IS NOT NULL THEN 'e' || c.entity_id ELSE 'p' || c.person_id END AS subject,
        v.item_id AS item
    FROM cases_case c JOIN catalog_itemversion v ON v.id = c.item_version_id
    WHERE c.status = %s AND (c.entity_id IS NOT NULL OR c.person_id IS NOT NULL)
)
SELECT a.item, b.item, COUNT(*) FROM subjects a JOIN subjects b ON a.subject = b.subject AND a.item <> b.item
GROUP BY a.item, b.item HAVING COUNT(*) >= %s
"""


@transaction.atomic
def compute_affinities() -> int:
    """Recount every pair of items from the closed cases; keep those with enough support; how many."""
    with connection.cursor() as cursor:
        cursor.execute(_PAIRS_SQL, [CaseStatus.CLOSED, settings.SUGGESTION_MIN_SUPPORT])
        pairs = cursor.fetchall()
    ItemAffinity.objects.all().delete()
    ItemAffinity.objects.bulk_create(
        [ItemAffinity(from_item_id=a, to_item_id=b, support=n) for a, b, n in pairs], batch_size=5000
    )
    return len(pairs)


@dataclass(frozen=True)
class Suggestion:
    version: ItemVersion
    source: str
    why: str


def is_personalised(user: Any) -> bool:
    preference = SuggestionPreference.objects.filter(user_id=user.pk).values_list("personalised", flat=True).first()
    return preference is not False


@transaction.atomic
def set_personalised(user: Any, personalised: bool) -> None:
    """Switch personalised suggestions on or off for ``user`` (audited: a choice about their data)."""
    SuggestionPreference.objects.update_or_create(user=user, defaults={"personalised": personalised})
    record("proactive.suggestions_personalised", user, user, {"personalised": personalised})


def _region(user: Any) -> str:
    person = getattr(user, "person", None)
    masked = getattr(person, "id_number_masked", "") or ""
    return masked[:6] if masked[:6].isdigit() else ""


def suggestions_for(user: Any, *, today: datetime.date | None = None) -> list[Suggestion]:
    """What to suggest to ``user`` now, each with why; personalised unless they switched it off.

    ``today`` is the day the season rules are read for (default today)."""
    today = today or timezone.localdate()
    live = {v.item_id: v for v in live_versions().select_related("item")}
    chosen: dict[int, Suggestion] = {}

    def offer(item_id: int, source: str, why: str) -> None:
        if item_id in live and item_id not in chosen and len(chosen) < SHOWN:
            chosen[item_id] = Suggestion(live[item_id], source, why)

    personalised = is_personalised(user)
    applied: set[int] = set()
    if personalised:
        applied = set(Case.objects.filter(applicant=user).values_list("item_version__item_id", flat=True))
        affinities = (
            ItemAffinity.objects.filter(from_item_id__in=applied, support__gte=settings.SUGGESTION_MIN_SUPPORT)
            .exclude(to_item_id__in=applied)
            .order_by("-support", "to_item_id")
        )
        for affinity in affinities[:20]:
            source = live.get(affinity.from_item_id)
            offer(
                affinity.to_item_id,
                SuggestionSource.AFFINITY,
                _("办理过“%(item)s”的申请人中，有 %(n)s 位也办理了这一事项。")
                % {"item": source.name if source else "", "n": affinity.support},
            )
    region = _region(user) if personalised else ""
    for rule in SuggestionRule.objects.filter(active=True).order_by("pk"):
        if not rule.applies_on(today) or rule.item_id in applied:
            continue
        if rule.region_prefix:
            if region.startswith(rule.region_prefix):
                offer(rule.item_id, SuggestionSource.PLACE, rule.reason)
        else:
            offer(rule.item_id, SuggestionSource.SEASON, rule.reason)
    since = timezone.now() - datetime.timedelta(days=POPULAR_DAYS)
    popular = (
        Case.objects.filter(submitted_at__gte=since)
        .values("item_version__item_id")
        .annotate(n=Count("id"))
        .filter(n__gte=settings.SUGGESTION_MIN_SUPPORT)
        .order_by("-n")[:10]
    )
    for row in popular:
        if row["item_version__item_id"] not in applied:
            offer(row["item_version__item_id"], SuggestionSource.POPULAR,
                  _("近 %(days)s 天有 %(n)s 件申请。") % {"days": POPULAR_DAYS, "n": row["n"]})  # fmt: skip
    return list(chosen.values())


def _tally(item_id: int, source: str, field: str) -> None:
    day = timezone.localdate()
    with transaction.atomic():
        tally, _created = SuggestionTally.objects.select_for_update().get_or_create(
            day=day, item_id=item_id, source=source
        )
        SuggestionTally.objects.filter(pk=tally.pk).update(**{field: F(field) + 1})


def count_shown(suggestions: list[Suggestion]) -> None:
    for suggestion in suggestions:
        _tally(suggestion.version.item_id, suggestion.source, "shown")


def count_taken(item: ServiceItem, source: str) -> None:
    if source in SuggestionSource.values:
        _tally(item.pk, source, "taken")


def schedule_affinities() -> bool:
    from govhall.proactive.tasks import compute_item_affinities

    return queue_once(compute_item_affinities, delay_seconds=24 * 3600)
