"""Reads of the catalog: live guides, search, indicators, differences, and the access gates."""

from __future__ import annotations

import copy
import datetime
import math
import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Count, Max, OuterRef, Q, QuerySet, Subquery, Sum
from django.http import Http404
from django.utils import timezone

from govhall.catalog.constants import ENTERPRISE_TARGETS, PERSONAL_TARGET, ItemStatus, VersionState
from govhall.catalog.models import CONTENT_FIELDS, Dictionary, ItemVersion, Material, ServiceItem
from govhall.catalog.search import Vocabulary, query_terms
from govhall.identity.constants import Role
from govhall.identity.queries import has_role

LIVE_STATES = [VersionState.PUBLISHED, VersionState.SUPERSEDED]


def published_versions() -> QuerySet[ItemVersion]:
    """Every version ever published (in force, published for a later date, or superseded since)."""
    return ItemVersion.objects.filter(state__in=LIVE_STATES, published_at__isnull=False)


def live_versions(day: datetime.date | None = None) -> QuerySet[ItemVersion]:
    """The version of each item in use that the public sees on ``day`` (default today).

    That is the highest-numbered published version whose effective date has come; a
    version published for next month stays invisible until then.
    """
    day = day or timezone.localdate()
    live = ItemVersion.objects.filter(state__in=LIVE_STATES).filter(
        Q(effective_from__isnull=True) | Q(effective_from__lte=day)
    )
    newest = live.filter(item=OuterRef("item")).order_by("-number").values("number")[:1]
    return (
        live.filter(number=Subquery(newest))
        .exclude(item__status=ItemStatus.CANCELLED)
        .select_related("item", "item__department", "handling_department")
        .order_by("item__department__sort_order", "name")
    )


def list_guides(*, department: str = "", audience: str = "", theme: str = "", item_type: str = "") -> list[ItemVersion]:
    """Live guides filtered by department code, audience (personal/enterprise), theme, item type."""
    versions = live_versions()
    if department:
        versions = versions.filter(Q(item__department__code=department) | Q(handling_department__code=department))
    if item_type:
        versions = versions.filter(item_type=item_type)
    rows = list(versions)
    if audience == "personal":
        rows = [v for v in rows if PERSONAL_TARGET in v.service_targets]
    elif audience == "enterprise":
        rows = [v for v in rows if ENTERPRISE_TARGETS & set(v.service_targets)]
    if theme:
        rows = [v for v in rows if theme in (v.themes or [])]
    return rows


def get_guide(public_id: str) -> ItemVersion:
    """A published version by its public id (old versions stay readable), with its item, departments
    and materials, or 404.

    Every guide page and every application reads one, and building a version of 64 columns
    with its item and departments cost ~1.5 ms of CPU a time. A published version never
    changes (DESIGN §3.1), so each process keeps the ones it has read: under the live
    catalog's key (an item suspended, cancelled or resumed, or a publication, shows as fast as
    in the lists), and for at most PAGE_CACHE_SECONDS (a department renamed), as the cached
    guide pages are: for display. A gate that must be current (may one apply now?) asks the
    database itself, as ``cases.actions`` does. The caller gets its own copy of the version;
    the item, departments, materials and JSON values in it are shared and must not be changed.
    """
    try:
        wanted = str(uuid.UUID(str(public_id)))
    except ValueError:
        raise Http404 from None
    key = live_catalog_key()
    now = time.monotonic()
    with _live_lock:
        if _guides_key != [key]:
            _guides.clear()
            _guides_key[:] = [key]
        kept = _guides.get(wanted)
    if kept is not None and now - kept[0] < settings.PAGE_CACHE_SECONDS:
        return _copy(kept[1])
    version = (
        ItemVersion.objects.filter(public_id=wanted, state__in=LIVE_STATES)
        .select_related("item", "item__department", "handling_department")
        .prefetch_related("materials")
        .first()
    )
    if version is None:
        raise Http404
    with _live_lock:
        if _guides_key == [key]:
            _guides[wanted] = (now, version)
    return _copy(version)


def _copy(version: ItemVersion) -> ItemVersion:
    # The version's own fields and caches are the caller's; its item, departments, materials and
    # JSON values are shared and read-only (no caller changes them: published, DESIGN §3.1):
    mine = copy.copy(version)
    mine._prefetched_objects_cache = dict(version._prefetched_objects_cache)  # type: ignore[attr-defined]
    return mine


# The versions get_guide has read, by public id, with when (time.monotonic()); for one key of
# the live catalog (at most the published and superseded versions, a few hundred):
_guides: dict[str, tuple[float, ItemVersion]] = {}
_guides_key: list[tuple[Any, ...]] = []


def list_themes() -> list[str]:
    return _live_catalog().themes


@dataclass(frozen=True)
class _LiveCatalog:
    """The live catalog as the portal reads it on every request, with what search needs of it."""

    key: tuple[Any, ...]
    versions: list[ItemVersion]
    themes: list[str]
    words: list[frozenset[str]]  # the search words of each version, in the same order
    vocabulary: Vocabulary


_live_lock = threading.Lock()
_live: _LiveCatalog | None = None
_live_checked_at = -math.inf  # time.monotonic() of the last look at the database


def _live_key(day: datetime.date) -> tuple[Any, ...]:
    # Whatever changes the live set changes this, in one small query: a publication (a new
    # version, a new time), an item suspended or cancelled, the day (a version's effective
    # date coming). Published versions never change, so their content needs no part in it.
    not_in_use = ~Q(item__status=ItemStatus.IN_USE)
    row = ItemVersion.objects.filter(state__in=LIVE_STATES).aggregate(
        count=Count("pk"),
        top=Max("pk"),
        newest=Max("published_at"),
        items_not_in_use=Count("item_id", filter=not_in_use, distinct=True),
        items_not_in_use_sum=Sum("item_id", filter=not_in_use),
    )
    return (day, *row.values())


def _live_catalog() -> _LiveCatalog:
    """The process's copy of the live catalog, checked against the database at most every
    ``CATALOG_RECHECK_SECONDS`` (and at once after this process's own catalog actions)."""
    global _live, _live_checked_at
    day = timezone.localdate()
    with _live_lock:
        current = _live
        fresh = time.monotonic() - _live_checked_at < settings.CATALOG_RECHECK_SECONDS
    if current is not None and fresh and current.key[0] == day:
        return current
    key = _live_key(day)
    if current is not None and current.key == key:
        with _live_lock:
            _live_checked_at = time.monotonic()
        return current
    versions = list(live_versions(day))
    themes: set[str] = set()
    for version in versions:
        themes.update(version.themes or [])
    catalog = _LiveCatalog(
        key=key,
        versions=versions,
        themes=sorted(themes),
        words=[frozenset(v.search_text.split()) for v in versions],
        vocabulary=Vocabulary.build(v.search_text for v in versions),
    )
    with _live_lock:
        _live, _live_checked_at = catalog, time.monotonic()
    return catalog


def forget_live_catalog() -> None:
    """Make this process look at the database on its next read (the catalog actions call it)."""
    global _live_checked_at
    with _live_lock:
        _live_checked_at = -math.inf
        _listed.clear()
        _guides.clear()
        _licence_types.clear()


def live_catalog_key() -> tuple[Any, ...]:
    """What identifies the live catalog now: pages built from it are kept under this key."""
    return _live_catalog().key


# What lists of cases show of the live versions, one copy per process (below):
_listed: list[tuple[tuple[Any, ...], dict[int, ItemVersion]]] = []  # [(live catalog key, {pk: version})]


def _listed_copy() -> dict[int, ItemVersion]:
    """Every published and superseded version with what a list of cases shows of it (ids, name, number, item code).

    A version leaves draft only to be published, and a published version never changes
    (DESIGN §3.1), so the few hundred are read once per process and read again only when the
    live catalog's key changes (a publication, a version deleted with its item) or after
    ``forget_live_catalog``. Callers must not modify the versions.
    """
    key = live_catalog_key()
    with _live_lock:
        if _listed and _listed[0][0] == key:
            return _listed[0][1]
    versions = {v.pk: v for v in _LISTED_VERSIONS.filter(state__in=LIVE_STATES)}
    with _live_lock:
        _listed[:] = [(key, versions)]
    return versions


def listed_versions(ids: Iterable[int]) -> dict[int, ItemVersion]:
    """The versions ``ids`` as a list of cases shows them, from the process's copy; any other (a draft) is read."""
    wanted, kept = set(ids), _listed_copy()
    found = {pk: kept[pk] for pk in wanted if pk in kept}
    missing = wanted - found.keys()
    if missing:
        found.update((v.pk, v) for v in _LISTED_VERSIONS.filter(pk__in=missing))
    return found


def versions_named(fragment: str) -> list[int]:
    """Primary keys of the published and superseded versions whose name contains ``fragment``.

    What a clerk's search matches an item by (cases are filed only under those versions),
    from the process's copy instead of a query on every search.
    """
    wanted = fragment.casefold()
    return [pk for pk, version in _listed_copy().items() if wanted in version.name.casefold()]


# The licence types each department's published items issue or accept, one copy per process (below):
_licence_types: list[tuple[tuple[Any, ...], dict[int, frozenset[str]]]] = []  # [(key, {department: codes})]


def licence_types_used_by(departments: Iterable[int]) -> frozenset[str]:
    """Codes of the licence types that items handled by ``departments`` issue or accept as a material.

    Counted over published and superseded versions, the ones cases are filed under (a draft
    gives no department a reason to see a licence). A published version and its materials
    never change, so the table is read once per process, again when the live catalog's key
    changes, as ``listed_versions`` is: a lookup instead of two subqueries in every query that
    limits licences to what a department needs (the dossier, bench: "dossier").
    """
    key = live_catalog_key()
    with _live_lock:
        kept = _licence_types[0][1] if _licence_types and _licence_types[0][0] == key else None
    if kept is None:
        codes: dict[int, set[str]] = {}
        live = ItemVersion.objects.filter(state__in=LIVE_STATES)
        issued = live.exclude(result_licence_type_code="").values_list(
            "handling_department_id", "result_licence_type_code"
        )
        accepted = (
            Material.objects.filter(version__state__in=LIVE_STATES)
            .exclude(licence_type_code="")
            .values_list("version__handling_department_id", "licence_type_code")
        )
        for department, code in [*issued, *accepted]:
            codes.setdefault(department, set()).add(code)
        kept = {department: frozenset(found) for department, found in codes.items()}
        with _live_lock:
            _licence_types[:] = [(key, kept)]
    return frozenset().union(*(kept.get(department, frozenset()) for department in departments))


_LISTED_VERSIONS = ItemVersion.objects.select_related("item").only(
    "public_id", "name", "number", "item__implementation_code"
)


def list_live_versions() -> list[ItemVersion]:
    """``live_versions()`` as a list, kept per process and reloaded when the live set changes.

    The portal searches and lists the whole catalog on every request; one small aggregate
    query tells whether the copy is still right, instead of loading every live version with
    its long texts (and re-segmenting them) each time. Every process checks for itself, so
    a publication shows in this process on the next request and in the others within
    ``CATALOG_RECHECK_SECONDS`` (one second unless configured). Callers must not modify the
    versions returned.
    """
    return _live_catalog().versions


def dictionary(kind: str) -> dict[str, str]:
    return dict(Dictionary.objects.filter(kind=kind).values_list("code", "name"))


# Search ----------------------------------------------------------------------------------


def search_guides(query: str, *, limit: int = 50) -> list[ItemVersion]:
    """Live guides matching every word of ``query`` (homophone and near-spelling tolerant).

    If no guide has every word, guides with the most words come back instead. Best first:
    more words matched, then a match in the name.
    """
    catalog = _live_catalog()
    groups = query_terms(query, catalog.vocabulary)
    if not groups:
        return []
    scored: list[tuple[int, int, str, ItemVersion]] = []
    for version, words in zip(catalog.versions, catalog.words, strict=True):
        matched = sum(1 for group in groups if group & words)
        if matched:
            in_name = sum(1 for group in groups if any(word in version.name.lower() for word in group))
            scored.append((matched, in_name, version.name, version))
    if not scored:
        return []
    best = max(s[0] for s in scored)
    scored = [s for s in scored if s[0] == len(groups)] or [s for s in scored if s[0] == best]
    scored.sort(key=lambda s: (-s[0], -s[1], s[2]))
    return [s[3] for s in scored[:limit]]


# Indicators ------------------------------------------------------------------------------


@dataclass(frozen=True)
class LevelShare:
    department: str
    items: int
    level_iii_or_above: int
    level_iv: int

    @property
    def share_iii(self) -> float:
        return self.level_iii_or_above / self.items if self.items else 0.0

    @property
    def share_iv(self) -> float:
        return self.level_iv / self.items if self.items else 0.0


def online_level_indicators() -> list[LevelShare]:
    """Share of live items at level III or above and at level IV, per handling unit and overall.

    The plan's targets are 90 % and 60 %.
    """
    per_department: dict[str, list[str]] = {}
    for version in live_versions().exclude(item__status=ItemStatus.SUSPENDED):
        per_department.setdefault(version.handling_department.name, []).append(version.online_level)
    rows = [
        LevelShare(name, len(levels), sum(lv in {"III", "IV"} for lv in levels), levels.count("IV"))
        for name, levels in sorted(per_department.items())
    ]
    all_levels = [lv for levels in per_department.values() for lv in levels]
    rows.append(LevelShare("", len(all_levels), sum(lv in {"III", "IV"} for lv in all_levels), all_levels.count("IV")))
    return rows


# Staff side ------------------------------------------------------------------------------


def can_edit_catalog(user: Any) -> bool:
    return has_role(user, Role.CONTENT_EDITOR)


def can_publish_catalog(user: Any) -> bool:
    return has_role(user, Role.APPROVER)


def list_items_for_desk() -> list[dict[str, Any]]:
    """Every item with its newest version and the version in progress, for editors and approvers."""
    items = ServiceItem.objects.select_related("department").annotate(
        newest=Max("versions__number"),
        open_versions=Count("versions", filter=Q(versions__state__in=["draft", "submitted"])),
    )
    newest = {
        (v.item_id, v.number): v
        for v in ItemVersion.objects.filter(
            number=Subquery(ItemVersion.objects.filter(item=OuterRef("item")).order_by("-number").values("number")[:1])
        )
    }
    return [{"item": item, "newest": newest.get((item.pk, item.newest))} for item in items]


def access_version_for_staff(user: Any, public_id: str) -> ItemVersion:
    """Load any version for an editor or approver; 404 for everybody else."""
    if not (can_edit_catalog(user) or can_publish_catalog(user)):
        raise Http404
    version = ItemVersion.objects.select_related("item", "handling_department").filter(public_id=public_id).first()
    if version is None:
        raise Http404
    return version


def list_submitted_versions() -> list[ItemVersion]:
    return list(ItemVersion.objects.filter(state=VersionState.SUBMITTED).select_related("item", "submitted_by"))


@dataclass(frozen=True)
class Change:
    label: str
    old: str
    new: str


def _children_text(version: ItemVersion) -> dict[str, str]:
    return {
        "materials": "\n".join(
            f"{m.order}. {m.name}（{m.get_need_display()}，{m.get_source_display()}）" for m in version.materials.all()
        ),
        "steps": "\n".join(
            f"{s.order}. {s.name}（{s.get_kind_display()}，{s.get_role_display()}，{s.time_limit}）"
            for s in version.steps.all()
        ),
        "fees": "\n".join(f"{f.name}：{f.standard}" for f in version.fees.all()),
        "questions": "\n".join(f"{q.question} — {q.answer}" for q in version.questions.all()),
    }


def diff_versions(old: ItemVersion, new: ItemVersion) -> list[Change]:
    """Every guide element that differs between two versions, with both values."""
    changes: list[Change] = []
    for name in CONTENT_FIELDS:
        field = ItemVersion._meta.get_field(name)
        assert not field.is_relation or field.concrete
        before, after = getattr(old, name), getattr(new, name)
        if name == "handling_department":
            before, after = old.handling_department.name, new.handling_department.name
        if before != after:
            changes.append(Change(str(getattr(field, "verbose_name", name)), _display(before), _display(after)))
    from django.utils.translation import gettext as _

    labels = {"materials": _("申请材料"), "steps": _("办理流程"), "fees": _("收费项目"), "questions": _("常见问题")}
    old_children, new_children = _children_text(old), _children_text(new)
    for key, label in labels.items():
        if old_children[key] != new_children[key]:
            changes.append(Change(label, old_children[key], new_children[key]))
    return changes


def _display(value: Any) -> str:
    if isinstance(value, list | dict):
        import json

        return json.dumps(value, ensure_ascii=False, indent=1)
    return "" if value is None else str(value)


def licence_types_issued_online() -> set[str]:
    """The licence type codes that a live item results in (so a holder can apply here to renew one)."""
    return set(
        live_versions()
        .filter(item__status=ItemStatus.IN_USE)
        .exclude(result_licence_type_code="")
        .values_list("result_licence_type_code", flat=True)
    )
