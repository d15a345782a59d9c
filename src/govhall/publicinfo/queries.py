"""Reads of 政务公开: public columns, an entry's versions, the disclosure clock, the desk's lists."""

from __future__ import annotations

import datetime
import hashlib
import math
import threading
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Count, Max, Min, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from govhall.catalog.models import ServiceItem
from govhall.holidays.queries import get_calendar
from govhall.identity.constants import Role
from govhall.identity.queries import departments_covered, has_role
from govhall.lib.workdays import WorkingCalendar
from govhall.publicinfo.constants import (
    APPROVER,
    DISCLOSURE_DAYS,
    EDITOR,
    WARNING_DAYS,
    AnswerKind,
    ApplicantKind,
    EntryKind,
    EntryStatus,
    QuestionKind,
    RequestStatus,
    Validity,
)
from govhall.publicinfo.models import DisclosureRequest, Entry, Question

# Who may do what ---------------------------------------------------------------------------


def editor_departments(user: Any) -> list[int]:
    return departments_covered(user, [EDITOR])


def approver_departments(user: Any) -> list[int]:
    """An approver approves the entries of their unit and every unit below it (the bureau's: all)."""
    return departments_covered(user, [APPROVER])


def reviewer_departments(user: Any) -> list[int]:
    """保密审查 is done by a content editor or an approver of the entry's unit (or above)."""
    return departments_covered(user, [EDITOR, APPROVER])


def can_use_desk(user: Any) -> bool:
    return bool(departments_covered(user, [EDITOR, APPROVER]))


def can_handle_requests(user: Any) -> bool:
    return has_role(user, Role.CONTENT_EDITOR) or has_role(user, Role.APPROVER)


# Public reads ------------------------------------------------------------------------------


def published() -> QuerySet[Entry]:
    return Entry.objects.filter(status=EntryStatus.PUBLISHED)


def current_notices(limit: int = 3) -> list[Entry]:
    """The newest published 通知公告 still in force (for the hall's board and kiosk)."""
    notices = (
        published()
        .filter(kind=EntryKind.NOTICE, validity=Validity.VALID)
        .exclude(repealed_on__lte=timezone.localdate())
    )
    return list(notices.order_by("-published_on", "-pk")[:limit])


def column(kind: str, limit: int | None = None) -> list[Entry]:
    entries = published().filter(kind=kind).order_by("-published_on", "-pk")
    return list(entries[:limit] if limit else entries)


def sections(limit: int = 8) -> list[tuple[str, str, list[Entry]]]:
    """Every column with its newest entries, in the order of the types."""
    return [(kind.value, str(kind.label), column(kind.value, limit)) for kind in EntryKind]


def get_public_entry(public_id: Any) -> Entry:
    """A published, superseded or withdrawn version (never a draft): its history is public."""
    entry = (
        Entry.objects.filter(public_id=public_id)
        .exclude(status__in=[EntryStatus.DRAFT, EntryStatus.REVIEWED])
        .select_related("interprets", "supersedes")
        .first()
    )
    if entry is None:
        raise Http404
    return entry


def history(entry: Entry) -> list[Entry]:
    """Every version of the entry's lineage that was ever public, newest first."""
    return list(Entry.objects.filter(lineage=entry.lineage, approved_at__isnull=False).order_by("-version"))


def current_version(lineage: Any) -> Entry | None:
    return Entry.objects.filter(lineage=lineage, status=EntryStatus.PUBLISHED).order_by("-version").first()


def interpretations_of(entry: Entry) -> list[Entry]:
    return list(published().filter(interprets__lineage=entry.lineage))


def policy_of(entry: Entry) -> Entry | None:
    """The current published version of the policy an interpretation explains."""
    if entry.interprets is None:
        return None
    return current_version(entry.interprets.lineage)


def linked_items(entry: Entry) -> list[dict[str, Any]]:
    """The catalog items an entry concerns, with their live guide (if any) to link to."""
    from govhall.catalog.queries import live_versions

    items = list(entry.items.all())
    guides = {v.item_id: v for v in live_versions().filter(item__in=items)}
    return [{"item": item, "guide": guides.get(item.pk)} for item in items]


def entries_for_item(item: ServiceItem) -> list[Entry]:
    """The published entries linked to a catalog item, laws and policies first: for the guide page."""
    order = {kind.value: n for n, kind in enumerate(EntryKind)}
    entries = list(published().filter(items=item).order_by("-published_on", "-pk"))
    return sorted(entries, key=lambda e: order.get(e.kind, 99))


def review_rules_for_item(item: ServiceItem) -> list[Entry]:
    """The published 审查细则 of an item (the printed guide carries them in full)."""
    return list(published().filter(items=item, kind=EntryKind.REVIEW_RULE).order_by("title", "pk"))


def intermediary_services_for_item(item: ServiceItem) -> list[dict[str, Any]]:
    """The published intermediary services an item needs, each with its institutions (item → service →
    institutions), for the guide."""
    from govhall.publicinfo import intermediaries

    services = list(published().filter(items=item, kind=EntryKind.INTERMEDIARY_SERVICE).order_by("title"))
    institutions = intermediaries.institutions_of(services)
    today = timezone.localdate()
    return [intermediaries.service_facts(service, institutions, today) for service in services]


# Desk reads --------------------------------------------------------------------------------


def desk_entries(user: Any) -> QuerySet[Entry]:
    return Entry.objects.filter(department__in=reviewer_departments(user)).select_related("department", "author")


def access_entry_for(user: Any, public_id: Any) -> Entry:
    entry = desk_entries(user).filter(public_id=public_id).first()
    if entry is None:
        raise Http404
    return entry


def disclosure_start(entry: Entry) -> datetime.date:
    """The day the 20-working-day proactive-disclosure clock starts: 成文 for a first version, the change for a correction."""
    if entry.supersedes_id:
        return timezone.localdate(entry.created_at)
    return entry.written_on or timezone.localdate(entry.created_at)


@dataclass(frozen=True)
class Warning:
    entry: Entry
    due_on: datetime.date
    days_left: int  # working days; negative when overdue


def disclosure_due(entry: Entry, calendar: WorkingCalendar | None = None) -> datetime.date:
    return (calendar or get_calendar()).add_working_days(disclosure_start(entry), DISCLOSURE_DAYS)


def disclosure_warnings(user: Any, today: datetime.date | None = None) -> list[Warning]:
    """Unpublished entries whose proactive-disclosure deadline is within WARNING_DAYS working days or past."""
    today = today or timezone.localdate()
    calendar = get_calendar()
    warnings = []
    for entry in desk_entries(user).filter(status__in=[EntryStatus.DRAFT, EntryStatus.REVIEWED]):
        due = disclosure_due(entry, calendar)
        left = calendar.working_days_between(today, due) if due >= today else -calendar.working_days_between(due, today)
        if left <= WARNING_DAYS:
            warnings.append(Warning(entry, due, left))
    return sorted(warnings, key=lambda w: w.due_on)


@dataclass(frozen=True)
class StaleColumn:
    kind: str
    label: str
    last: datetime.date | None
    days: int
    limit: int


def stale_columns(today: datetime.date | None = None) -> list[StaleColumn]:
    """Columns not updated within their limit (``PUBLICINFO_STALE_DAYS``, per column): flagged to the editors.

    One grouped query: the newest publication date of each column.
    """
    today = today or timezone.localdate()
    newest = dict(published().values("kind").annotate(last=Max("published_on")).values_list("kind", "last"))
    limits = settings.PUBLICINFO_STALE_DAYS
    flagged = []
    for kind, label in EntryKind.choices:
        limit = int(limits.get(kind, limits.get("*", 14)))
        if limit <= 0:
            continue  # a column with no freshness duty (0)
        last = newest.get(kind)
        days = (today - last).days if last else -1
        if last is None or days > limit:
            flagged.append(StaleColumn(kind, str(label), last, days, limit))
    return flagged


def awaiting_approval(user: Any) -> QuerySet[Entry]:
    return Entry.objects.filter(status=EntryStatus.REVIEWED, department__in=approver_departments(user)).exclude(
        author=user
    )


def open_requests() -> QuerySet[DisclosureRequest]:
    return DisclosureRequest.objects.exclude(status=RequestStatus.ANSWERED).order_by("due_on", "pk")


def find_request(number: str, code: str) -> DisclosureRequest | None:
    """A request by its acknowledgement number and query code (both must match)."""
    digest = hashlib.sha256(code.strip().upper().encode()).hexdigest()
    request = DisclosureRequest.objects.filter(number=number.strip().upper()).first()
    if request is None or request.query_code_hash != digest:
        return None
    return request


def open_questions() -> QuerySet[Question]:
    """Questions and error reports (我要纠错) not yet answered, nearest deadline first."""
    return Question.objects.filter(answered_at__isnull=True).select_related("item").order_by("due_on", "pk")


def open_error_reports_about_guides() -> QuerySet[Question]:
    """Error reports on guide pages not yet answered: the catalog editors' to check (shown on the catalog desk)."""
    return open_questions().filter(kind=QuestionKind.ERROR, item__isnull=False)


@dataclass(frozen=True)
class GuideFlag:
    """A catalog item whose live guide was published before a linked law or policy changed or ended."""

    item: ServiceItem
    guide: Any  # the live ItemVersion
    entry: Entry
    reason: str


def guides_to_review() -> list[GuideFlag]:
    """Items whose guide may cite a dead or changed rule: for the catalog editor (shown on the desk for now).

    A flag is raised by a law, rule or policy linked to the item that, after the guide's live
    version was published, was superseded by a correction, withdrawn, or published as 废止/失效/已修改.
    """
    from django.utils.translation import gettext as _

    from govhall.catalog.queries import live_versions
    from govhall.publicinfo.constants import Validity

    rules = [EntryKind.LAW, EntryKind.RULE, EntryKind.POLICY]
    changed = (
        Entry.objects.filter(kind__in=rules, items__isnull=False)
        .exclude(status__in=[EntryStatus.DRAFT, EntryStatus.REVIEWED])
        .exclude(status=EntryStatus.PUBLISHED, validity=Validity.VALID)
        .prefetch_related("items")
        .distinct()
    )
    guides = {v.item_id: v for v in live_versions()}
    flags = []
    for entry in changed:
        when = entry.ended_at if entry.status != EntryStatus.PUBLISHED else entry.approved_at
        if entry.status == EntryStatus.PUBLISHED:
            reason = _("关联的《%(title)s》已%(validity)s") % {
                "title": entry.title,
                "validity": entry.get_validity_display(),
            }
        elif entry.status == EntryStatus.SUPERSEDED:
            reason = _("关联的《%(title)s》已更正（新版本）") % {"title": entry.title}
        else:
            reason = _("关联的《%(title)s》已撤回") % {"title": entry.title}
        for item in entry.items.all():
            guide = guides.get(item.pk)
            if guide is not None and when is not None and (guide.published_at is None or guide.published_at < when):
                flags.append(GuideFlag(item, guide, entry, reason))
    return flags


_published_key: tuple[Any, ...] = ()
_published_checked_at = -math.inf
_published_lock = threading.Lock()


def published_key() -> tuple[Any, ...]:
    """What identifies the published public information now: the catalog's guide page, which
    lists ``entries_for_item``, is kept under this key beside the live catalog's.

    One small query, made at most every ``CATALOG_RECHECK_SECONDS`` per process (as the live
    catalog's key), so a guide served from the page cache costs no query for it.
    """
    global _published_key, _published_checked_at
    with _published_lock:
        if time.monotonic() - _published_checked_at < settings.CATALOG_RECHECK_SECONDS:
            return _published_key
    figures = Entry.objects.filter(approved_at__isnull=False).aggregate(
        approved=Max("approved_at"), ended=Max("ended_at"), count=Count("pk")
    )
    key = (figures["approved"], figures["ended"], figures["count"])
    with _published_lock:
        _published_key, _published_checked_at = key, time.monotonic()
    return key


def forget_published_key() -> None:
    """Make this process look at the database on its next ``published_key`` (the publishing actions call it)."""
    global _published_checked_at
    with _published_lock:
        _published_checked_at = -math.inf


# The annual disclosure report's figures (政府信息公开工作年度报告) --------------------------------


@dataclass(frozen=True)
class AnnualFigures:
    """The tables of the yearly report that the platform's own records fill (the 2019 template's 一 and 三).

    ``rules``: per kind (规章, 规范性文件), made this year, repealed this year, in force at the year's
    end. ``requests``: per row, the counts for persons, organisations and in total.
    """

    year: int
    rules: list[tuple[str, int, int, int]]
    requests: list[tuple[str, int, int, int]]


def annual_figures(year: int) -> AnnualFigures:
    """Count the year's rules and disclosure requests as the annual report asks (a few grouped queries)."""
    first, last = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    rules = []
    for rule_kind in (EntryKind.RULE, EntryKind.POLICY):
        pieces = Entry.objects.filter(kind=rule_kind, published_on__isnull=False)
        # Made this year: a piece whose first published version came out this year (corrections are not new):
        made = (
            pieces.values("lineage")
            .annotate(first_published=Min("published_on"))
            .filter(first_published__gte=first, first_published__lte=last)
            .count()
        )
        repealed = pieces.filter(repealed_on__gte=first, repealed_on__lte=last).values("lineage").distinct().count()
        # In force at the year's end: the lineage's newest version published by then, valid then:
        newest = (
            pieces.filter(published_on__lte=last)
            .values("lineage")
            .annotate(last_published=Max("published_on"))
            .values_list("lineage", "last_published")
        )
        in_force = 0
        for lineage, published_on in newest:
            version = pieces.filter(lineage=lineage, published_on=published_on).order_by("-pk").first()
            if version is not None and not (version.repealed_on and version.repealed_on <= last):
                in_force += version.validity in (Validity.VALID, Validity.AMENDED)
        rules.append((str(rule_kind.label), made, repealed, in_force))
    requests = DisclosureRequest.objects.all()
    person, organisation = ApplicantKind.PERSON, ApplicantKind.ORGANISATION

    def split(rows: QuerySet[DisclosureRequest]) -> tuple[int, int, int]:
        counts = dict(rows.values("applicant_kind").annotate(n=Count("pk")).values_list("applicant_kind", "n"))
        return counts.get(person, 0), counts.get(organisation, 0), sum(counts.values())

    table = [
        (
            str(_("本年新收政府信息公开申请数量")),
            *split(requests.filter(received_on__gte=first, received_on__lte=last)),
        ),
        (
            str(_("上年结转政府信息公开申请数量")),
            *split(requests.filter(received_on__lt=first).exclude(answered_on__lt=first)),
        ),
    ]
    answered = requests.filter(answered_on__gte=first, answered_on__lte=last)
    for answer_kind, label in AnswerKind.choices:
        table.append((str(label), *split(answered.filter(answer_kind=answer_kind))))
    table.append((str(_("本年办结总计")), *split(answered)))
    table.append(
        (
            str(_("结转下年度继续办理")),
            *split(requests.filter(received_on__lte=last).exclude(answered_on__lte=last)),
        )
    )
    return AnnualFigures(year, rules, table)


# The site search's half over public information ------------------------------------------------


@dataclass(frozen=True)
class _EntryIndex:
    key: tuple[Any, ...]
    ids: list[int]
    words: list[frozenset[str]]
    titles: list[str]


_index: _EntryIndex | None = None
_index_lock = threading.Lock()


def _entry_index() -> _EntryIndex:
    """The published entries' words, kept per process under ``published_key`` (rebuilt after a publication)."""
    global _index
    key = published_key()
    with _index_lock:
        current = _index
    if current is not None and current.key == key:
        return current
    rows = list(published().order_by("-published_on", "-pk").values_list("pk", "search_text", "title"))
    index = _EntryIndex(
        key=key,
        ids=[pk for pk, _text, _title in rows],
        words=[frozenset(text.split()) for _pk, text, _title in rows],
        titles=[title.lower() for _pk, _text, title in rows],
    )
    with _index_lock:
        _index = index
    return index


def search_entries(query: str, *, limit: int = 20) -> list[Entry]:
    """Published entries having every word of ``query`` (the catalog's segmenter), newest first, title hits first.

    The words were segmented at publication (``Entry.search_text``); the scan runs over the
    process's copy, so a query is one small fetch of the entries found.
    """
    from govhall.catalog.search import tokenize

    terms = list(dict.fromkeys(tokenize(query)))[:10]
    if not terms:
        return []
    index = _entry_index()
    found = [
        (sum(term in title for term in terms), position)
        for position, (words, title) in enumerate(zip(index.words, index.titles, strict=True))
        if all(term in words for term in terms)
    ]
    found.sort(key=lambda hit: (-hit[0], hit[1]))
    ids = [index.ids[position] for _score, position in found[:limit]]
    entries = {entry.pk: entry for entry in published().filter(pk__in=ids)}
    return [entries[pk] for pk in ids if pk in entries]


# The register of the bureau's own rules (规范性文件清理) ---------------------------------------


def own_rules(user: Any) -> list[tuple[Entry, Any]]:
    """The bureau's own rules in force (published 规范性文件 of the user's units, not repealed), each
    with its latest review (or None), those never reviewed first, then the oldest review first."""
    from govhall.publicinfo.models import RuleReview

    rules = list(
        published()
        .filter(kind=EntryKind.POLICY, department__in=reviewer_departments(user))
        .exclude(validity__in=[Validity.REPEALED, Validity.EXPIRED])
        .order_by("written_on", "pk")
    )
    latest: dict[Any, Any] = {}
    for review in RuleReview.objects.filter(lineage__in=[r.lineage for r in rules]).select_related("reviewed_by"):
        if review.lineage not in latest or (review.reviewed_at, review.pk) > (latest[review.lineage].reviewed_at,
                                                                               latest[review.lineage].pk):  # fmt: skip
            latest[review.lineage] = review
    register = [(rule, latest.get(rule.lineage)) for rule in rules]
    return sorted(register, key=lambda pair: (pair[1] is not None, pair[1].reviewed_at if pair[1] else 0))
