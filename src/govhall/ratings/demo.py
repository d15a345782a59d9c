"""Demo ratings (idempotent): the demo applicants rate their closed cases, one of them badly.

The demo has no closed cases of its own yet; when the demo command makes some, this gives
the first a bad rating (its rectification opens) and the others a good one. Run again, it
adds nothing: a case already rated is left alone. The reasons list comes with migration 0002.
"""

from __future__ import annotations

from django.db import transaction

from govhall.cases.models import Case
from govhall.ratings import actions
from govhall.ratings.constants import RATEABLE_STATUSES, RatingLevel
from govhall.ratings.models import Rating


@transaction.atomic
def load_ratings_demo(limit: int = 20) -> int:
    """Rate the demo's closed cases that have no rating yet; return how many ratings were made."""
    made = 0
    bad_given = Rating.objects.filter(level__in=[RatingLevel.DISSATISFIED, RatingLevel.VERY_DISSATISFIED]).exists()
    cases = (
        Case.objects.filter(status__in=RATEABLE_STATUSES)
        .exclude(pk__in=Rating.objects.filter(case__isnull=False).values("case_id"))
        .select_related("applicant")
        .order_by("pk")[:limit]
    )
    for case in cases:
        if not bad_given:
            actions.rate_case(
                case,
                rater=case.applicant,
                level=RatingLevel.DISSATISFIED,
                reason_codes=["slow", "many_visits"],
                comment="审批时间比承诺的长，还跑了两趟窗口。",
            )
            bad_given = True
        else:
            actions.rate_case(
                case,
                rater=case.applicant,
                level=RatingLevel.VERY_SATISFIED,
                indicator_scores={"efficiency": 5, "guide_accuracy": 5},
                comment="办理很快，工作人员很耐心。",
            )
        made += 1
    return made
