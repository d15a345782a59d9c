from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, QuerySet

from govhall.cases.constants import FINISHED_STATUSES, CaseStatus
from govhall.cases.models import Case
from govhall.identity.models import User
from govhall.proactive.models import BundleCase, Notification


def list_notifications(user: User, limit: int = 20) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=user)[:limit]


@dataclass(frozen=True)
class Joined:
    """The cases filed together as one 一件事: delivered together and rated once (delivery, ratings read it)."""

    filing: uuid.UUID  # the filing's public id
    name: str  # the bundle's name
    case_ids: tuple[int, ...]  # every case of the filing, its own included, in filing order


def joined_of(case_ids: Iterable[int]) -> dict[int, Joined]:
    """Case id → the bundle filing it belongs to, for the cases filed as part of one (two queries)."""
    filings = dict(BundleCase.objects.filter(case_id__in=list(case_ids)).values_list("case_id", "filing_id").order_by())
    if not filings:
        return {}
    members: dict[int, list[int]] = {}
    names: dict[int, tuple[uuid.UUID, str]] = {}
    rows = BundleCase.objects.filter(filing_id__in=set(filings.values())).order_by("pk")
    for filing_id, case_id, public_id, name in rows.values_list(
        "filing_id", "case_id", "filing__public_id", "filing__bundle__name"
    ):
        members.setdefault(filing_id, []).append(case_id)
        names[filing_id] = (public_id, name)
    return {
        case_id: Joined(names[filing_id][0], names[filing_id][1], tuple(members[filing_id]))
        for case_id, filing_id in filings.items()
    }


def still_handled(joined: Joined) -> bool:
    """Whether a case of the 一件事 has not ended yet (its delivery and rating wait for the last one)."""
    return Case.objects.filter(pk__in=joined.case_ids).exclude(status__in=FINISHED_STATUSES).exists()


def joined_with(case_id: int) -> Joined | None:
    """The bundle filing a case belongs to, or None for a case filed alone."""
    return joined_of([case_id]).get(case_id)


def _same_filing() -> QuerySet[BundleCase]:
    """The cases of the 一件事 filing of the outer query's case (``OuterRef("pk")`` on a Case query)."""
    return BundleCase.objects.filter(filing__links__case_id=OuterRef("pk"))


def held_in_bundle() -> Exists:
    """For a Case query: the case was filed in a 一件事 one of whose cases has not ended yet."""
    return Exists(_same_filing().exclude(case__status__in=FINISHED_STATUSES))


def bundle_cases_ended_since(since: datetime.datetime) -> list[int]:
    """The cases of every 一件事 filing one of whose cases ended (closed, withdrawn, not accepted) since then
    (read from the filings' side: they are few beside all cases)."""
    ended = Q(case__closed_at__gte=since) | Q(
        case__status__in=[CaseStatus.WITHDRAWN, CaseStatus.NOT_ACCEPTED], case__updated_at__gte=since
    )
    filings = BundleCase.objects.filter(ended).values("filing_id")
    return list(BundleCase.objects.filter(filing_id__in=filings).values_list("case_id", flat=True).order_by())
