"""Reads of ratings, and the gates that load a rating or a rectification for a user (404 if not theirs).

Privacy (issue 23): a clerk never learns who rated them. The rater of a rating is shown
only to the person handling its rectification and to the supervisors over the unit
(``rater_visible_to``); every list for staff is read without the rater.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from govhall.cases.models import Case
from govhall.cases.queries import access_case_for_staff
from govhall.identity.constants import RECORD_ROLES, Role, UserKind
from govhall.identity.models import User
from govhall.identity.queries import departments_covered
from govhall.proactive.queries import joined_with, still_handled
from govhall.ratings.constants import (
    BAD_LEVELS,
    OPEN_RECTIFICATION_STATUSES,
    RATEABLE_STATUSES,
    Channel,
)
from govhall.ratings.models import BadRatingReason, Rating, Rectification


def list_reasons() -> QuerySet[BadRatingReason]:
    """The reasons a rater may choose for a bad rating, in their order."""
    return BadRatingReason.objects.filter(is_active=True).order_by("sort_order", "code")


def list_ratings_of_applicant(user: Any) -> QuerySet[Rating]:
    """The ratings the applicant gave (default ratings of their cases included), newest first."""
    if not getattr(user, "is_authenticated", False):
        return Rating.objects.none()
    return (
        Rating.objects.filter(case__applicant=user)
        .select_related("case", "case__item_version")
        .prefetch_related("reasons")
        .order_by("-rated_at", "-pk")
    )


def list_ratings_of_case(case: Case) -> QuerySet[Rating]:
    return Rating.objects.filter(case=case).order_by("rated_at", "pk")


def can_rate(case: Case) -> dict[str, bool]:
    """For the applicant's rating page: may they give the first rating, or (after any first one) the follow-up?
    A case of a 一件事 waits for the bundle's other cases (``bundle_waiting``): the bundle is rated once."""
    ratings = list(Rating.objects.filter(case=case).values_list("channel", "is_follow_up"))
    finished = case.status in RATEABLE_STATUSES
    any_first = any(not follow_up for _channel, follow_up in ratings)
    joined = joined_with(case.pk)
    waiting = joined is not None and still_handled(joined)
    return {
        "first": finished and not any_first and not waiting,
        "follow_up": finished and any_first and (Channel.ONLINE, True) not in ratings,
        "bundle_waiting": finished and not any_first and waiting,
    }


@dataclass(frozen=True)
class JoinedCases:
    """The 一件事 a case was filed in, and its cases, for the rating page (rated once for all)."""

    name: str
    cases: list[Case]


def joined_cases(case: Case) -> JoinedCases | None:
    joined = joined_with(case.pk)
    if joined is None:
        return None
    cases = Case.objects.filter(pk__in=joined.case_ids).select_related("item_version", "department").order_by("pk")
    return JoinedCases(joined.name, list(cases))


def _staff_departments(user: Any) -> list[int]:
    return departments_covered(user, RECORD_ROLES)


def list_ratings_for_staff(user: Any, *, bad_only: bool = False) -> QuerySet[Rating]:
    """The ratings of the user's units (where they hold a business role), newest first, without the rater."""
    ratings = Rating.objects.filter(department_id__in=_staff_departments(user))
    if bad_only:
        ratings = ratings.filter(level__in=sorted(BAD_LEVELS))
    return (
        ratings.select_related("case", "case__item_version", "department")
        # Neither the rater nor the 12345 work order (which names the caller in the hotline's system):
        .defer("rater", "entered_by", "hotline_number")
        .order_by("-rated_at", "-pk")
    )


def list_rectifications_for(user: Any) -> QuerySet[Rectification]:
    """The open rectifications the user may act on: those of units they supervise or lead, and those they handle."""
    if not getattr(user, "is_authenticated", False) or user.kind != UserKind.STAFF:
        return Rectification.objects.none()
    leading = departments_covered(user, [Role.SUPERVISOR, Role.APPROVER])
    return (
        Rectification.objects.filter(Q(department_id__in=leading) | Q(handler=user))
        .filter(status__in=sorted(OPEN_RECTIFICATION_STATUSES))
        .select_related("rating", "rating__case", "rating__case__item_version", "department")
        .order_by("classify_due_on", "pk")
    )


def access_rectification_for(user: Any, public_id: str) -> Rectification:
    """A rectification the user supervises, leads (approver of the unit) or handles; 404 otherwise.

    The clerk who was rated, and every other clerk of the unit, get 404 exactly as for a
    rectification that does not exist.
    """
    if not getattr(user, "is_authenticated", False) or user.kind != UserKind.STAFF:
        raise Http404
    leading = departments_covered(user, [Role.SUPERVISOR, Role.APPROVER])
    rectification = (
        Rectification.objects.filter(public_id=public_id)
        .filter(Q(department_id__in=leading) | Q(handler=user))
        .select_related("rating", "rating__case", "rating__case__item_version", "department", "handler")
        .first()
    )
    if rectification is None:
        raise Http404
    return rectification


def rater_visible_to(user: Any, rating: Rating) -> bool:
    """May ``user`` see who gave ``rating``? Only the handler of its rectification and the supervisors over the unit."""
    if not getattr(user, "is_authenticated", False) or user.kind != UserKind.STAFF:
        return False
    if rating.department_id in departments_covered(user, [Role.SUPERVISOR]):
        return True
    return Rectification.objects.filter(rating=rating, handler=user).exists()


def shown_in_full(user: Any, ratings: list[Rating]) -> set[int]:
    """The ratings of a unit-wide list whose case and comment ``user`` may see (the others show level and item only).

    A bad rating's case names its applicant, and its comment may: the clerk who served the
    case would learn who rated them badly. So a bad rating is shown in full only to whom
    ``rater_visible_to`` allows (supervisors over the unit, the rectification's handler);
    every other rating to all the unit. Two queries, whatever the number of ratings.
    """
    bad = [rating for rating in ratings if rating.is_bad]
    supervised = set(departments_covered(user, [Role.SUPERVISOR])) if bad else set()
    handled = (
        set(
            Rectification.objects.filter(
                rating__in=[r.pk for r in bad if r.department_id not in supervised], handler=user
            ).values_list("rating_id", flat=True)
        )
        if bad
        else set()
    )
    return {
        rating.pk
        for rating in ratings
        if not rating.is_bad or rating.department_id in supervised or rating.pk in handled
    }


def get_rater_for(user: Any, rating: Rating) -> User | None:
    """The rater of ``rating`` if ``user`` may see them (``rater_visible_to``); None otherwise."""
    if rating.rater_id is None or not rater_visible_to(user, rating):
        return None
    return User.objects.filter(pk=rating.rater_id).first()


def access_case_for_rating(user: Any, public_id: str) -> Case:
    """The applicant's own case to rate; 404 for a case that is not theirs (as for one that does not exist)."""
    case = (
        Case.objects.filter(public_id=public_id, applicant=user)
        .exclude(status="draft")
        .select_related("item_version", "department")
        .first()
        if getattr(user, "is_authenticated", False)
        else None
    )
    if case is None:
        raise Http404
    return case


def find_case_for_staff(user: Any, reference: str) -> Case | None:
    """The case with this number if it is one of the user's units' (``cases.queries.access_case_for_staff``); else None."""
    public_id = Case.objects.filter(reference=reference.strip()).values_list("public_id", flat=True).first()
    if public_id is None:
        return None
    try:
        return access_case_for_staff(user, str(public_id))
    except Http404:
        return None


# The dossier's section (``dossier.queries.SECTIONS``), plugged in by the dossier app:

DOSSIER_LISTED = {
    "public_id": "public_id",
    "case_reference": "case__reference",
    "item_name": "case__item_version__name",
    "department_name": "department__name",
    "channel": "channel",
    "level": "level",
    "is_follow_up": "is_follow_up",
    "is_default": "is_default",
    "is_removed": "is_removed",
    "rated_at": "rated_at",
}


def dossier_ratings(subject: Any, scope: Any) -> QuerySet[Rating]:
    """The ratings given of the subject's cases, in scope, newest first (the dossier's ratings section).

    ``subject`` has ``person`` / ``entity``, ``scope`` has ``departments`` (None: all), as
    ``dossier.queries.Subject`` and ``Scope`` (not imported: the dossier reads ratings, not the
    other way round). A company's ratings are those of the cases filed for it; a person's,
    those they filed for themselves.
    """
    if subject.entity is not None:
        condition = Q(case__entity=subject.entity)
    elif subject.person is not None:
        condition = Q(case__person=subject.person, case__entity__isnull=True)
    else:
        return Rating.objects.none()
    ratings = Rating.objects.filter(condition)
    if scope.departments is not None:
        ratings = ratings.filter(department_id__in=scope.departments)
    return ratings.select_related("case", "case__item_version", "department").order_by("-rated_at", "-pk")
