"""Every write of the archives: scheduling and building packages, fixity, holds, retention, disposal."""

from __future__ import annotations

import csv
import datetime
import functools
import io
import json
import shutil
import tarfile
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from govhall.archives import fixity, packaging, queries
from govhall.archives.checks import run_checks
from govhall.archives.constants import (
    ARCHIVIST,
    AUDIT_FILE,
    DISPOSAL_TRANSITIONS,
    EVENTS_FILE,
    FEED_CONSUMER,
    REPORT_FILE,
    DisposalItemOutcome,
    DisposalStatus,
    FixityOutcome,
    HoldKind,
    PackageStatus,
    ReviewDecision,
    StartRule,
)
from govhall.archives.fixity import CopyState
from govhall.archives.models import (
    ArchivalPackage,
    DisposalItem,
    DisposalList,
    DisposalReview,
    FixityCheck,
    ItemRetention,
    LegalHold,
    RetentionClass,
)
from govhall.audit.actions import record
from govhall.audit.models import AuditOutcome
from govhall.cases import actions as case_actions
from govhall.cases.constants import CaseStatus
from govhall.cases.feed import consume
from govhall.cases.models import Case, CaseEvent
from govhall.identity.models import User
from govhall.identity.queries import has_role, is_staff_desk_user
from govhall.lib.errors import Conflict
from govhall.lib.storage import files_discarded_on_rollback, save_until_committed
from govhall.proactive.actions import notify_many


class InvalidTransition(Conflict):
    """The disposal list is not in a status from which this step is allowed."""


def _require_archivist(actor: Any) -> None:
    if not has_role(actor, ARCHIVIST):
        raise PermissionDenied(_("只有档案管理员可以进行这个操作。"))


# Scheduling: the reader of the case events ------------------------------------------------


def schedule_closed_cases(events: list[CaseEvent]) -> None:
    """The feed's handler: schedule a package for each case that an event closed (in the feed's transaction)."""
    for event in events:
        if event.to_status == CaseStatus.CLOSED:
            schedule_package(event.case)


def schedule_package(case: Case) -> ArchivalPackage | None:
    """Schedule the package of a closed case, once; None if it already has one (a case is archived once).

    It is built after ``ARCHIVES_BUILD_DELAY_SECONDS`` (time for the delivery and
    last notes) by ``build_due_packages``.
    """
    if case.status != CaseStatus.CLOSED or not case.reference:
        return None
    if ArchivalPackage.objects.filter(case=case).exists():
        return None
    version = case.item_version
    retention, rule = queries.retention_for(version.item.basic_code)
    closed_on = timezone.localdate(case.closed_at) if case.closed_at else timezone.localdate()
    start = closed_on if rule == StartRule.CASE_CLOSED else None
    package = ArchivalPackage.objects.create(
        case=case,
        reference=case.reference,
        title=f"{version.name}（{case.applicant_name}）"[:300],
        item_code=version.item.basic_code,
        department=case.department,
        year=closed_on.year,
        subject_key=queries.subject_key_of(case),
        build_after=timezone.now() + datetime.timedelta(seconds=settings.ARCHIVES_BUILD_DELAY_SECONDS),
        retention_class=retention,
        start_rule=rule,
        retention_start=start,
        disposal_on=queries.disposal_date(retention, start),
    )
    record("archives.package_scheduled", None, package, {"case": case.reference})
    return package


def read_case_events(batch: int = 500) -> int:
    """Read the case events this consumer has not seen, scheduling closed cases; return how many were read."""
    total = 0
    while True:
        handled = consume(FEED_CONSUMER, schedule_closed_cases, batch=batch)
        total += handled
        if handled == 0:
            return total


# Building ---------------------------------------------------------------------------------


def _notify_archivists(subject: str, body: str, link: str, *, security: bool = False) -> None:
    people = {user.pk: user for user in queries.list_archivists()}
    if security:
        people.update({user.pk: user for user in queries.list_security_admins()})
    notify_many([(user, subject, body, link) for user in people.values()])


def _link(package: ArchivalPackage) -> str:
    return f"/desk/archives/{package.public_id}/"


def _adopt(package: ArchivalPackage, target: Path) -> bool:
    """A bag already in place for a package not accepted: a worker that died after the rename.

    Taken as the package when it validates, names the case and carries a passing report;
    the second copy is completed. Returns False if it does not (the archivist is told).
    """
    import bagit

    try:
        bag = bagit.Bag(str(target))
        bag.validate()
        report = json.loads((target / REPORT_FILE).read_text(encoding="utf-8"))
    except (bagit.BagError, OSError, ValueError):
        return False
    if bag.info.get("External-Identifier") != package.reference or not report.get("passed"):
        return False
    secondary = packaging.bag_path(packaging.secondary_root(), package.reference)
    if not secondary.exists():
        packaging.copy_to(target, packaging.secondary_root(), package.reference)
    _accept(package, target, report)
    return True


def _accept(package: ArchivalPackage, target: Path, report: dict[str, Any]) -> None:
    files = list(packaging.walk_files(target / "data"))
    package.status = PackageStatus.ACCEPTED
    package.algorithms = packaging.algorithms()
    package.tagmanifest_digest = packaging.tagmanifest_digest(target)
    package.file_count = len(files)
    package.byte_count = sum(path.stat().st_size for path in files)
    package.check_report = report
    package.checked_at = package.accepted_at = timezone.now()
    package.last_error = ""
    package.save()
    record("archives.package_accepted", None, package, {"files": package.file_count, "bytes": package.byte_count})


@transaction.atomic
def build_package(package: ArchivalPackage) -> ArchivalPackage:
    """Build, check and store the package of a scheduled case; accept it, or list it for the archivist.

    Locks the package row (one builder per package). The bag is written beside the archive,
    checked (the four checks), renamed into the primary location under the case reference,
    then copied to the secondary location the same way. A package that fails a check is
    not accepted: its report is kept and the archivists are told. Raises Conflict for a
    package already accepted or destroyed (a case is archived once).
    """
    package = (
        ArchivalPackage.objects.select_for_update(of=("self",)).select_related("retention_class").get(pk=package.pk)
    )
    if package.status in (PackageStatus.ACCEPTED, PackageStatus.DESTROYED):
        raise Conflict(_("办件 %(reference)s 已归档，不能再次归档。") % {"reference": package.reference})
    case = (
        Case.objects.select_related("item_version__item", "department", "person", "entity")
        .filter(pk=package.case_id or 0)
        .first()
    )
    if case is None:
        raise Conflict(_("办件已不存在，无法归档。"))
    if case.accepted_on is not None and not case.acceptance_notice:
        # The notice is kept once after acceptance; a case whose task has not run keeps it now:
        case_actions.keep_acceptance_notice(case.pk)
        case.refresh_from_db(fields=["acceptance_notice"])
    package.attempts += 1
    primary = packaging.primary_root()
    target = packaging.bag_path(primary, package.reference)
    if target.exists():
        if _adopt(package, target):
            return package
        return _reject(package, {}, _("档案库中已有同名归档信息包，但它不完整或未通过检测；请档案管理员核查。"))
    now = timezone.now()
    contents = packaging.Contents("", {})
    incoming = packaging.new_incoming(primary, package.reference)
    try:
        contents = queries.package_contents(case, package, archived_at=now)
        expected = dict(contents.metadata)
        digests = packaging.write_bag(contents, incoming)
        report = run_checks(
            incoming,
            contents.files,
            expected,
            digests,
            {EVENTS_FILE: contents.event_count, AUDIT_FILE: contents.audit_count},
        ).as_dict(now.isoformat())
        package.archival_code = contents.metadata["档号"]
        if not report["passed"]:
            return _reject(package, report, _("四性检测未通过。"))
        packaging.add_report(incoming, REPORT_FILE, report)
        packaging.put_in_place(incoming, primary, package.reference)
    finally:
        if incoming.exists():
            shutil.rmtree(incoming, ignore_errors=True)
    packaging.copy_to(target, packaging.secondary_root(), package.reference)
    _accept(package, target, report)
    return package


def _reject(package: ArchivalPackage, report: dict[str, Any], reason: str) -> ArchivalPackage:
    package.status = PackageStatus.REJECTED
    package.check_report = report
    package.checked_at = timezone.now()
    failed = [f"{f['subject']}: {f['detail']}" for f in report.get("findings", []) if not f["ok"]]
    package.last_error = "\n".join([reason, *failed])[:4000]
    package.save()
    record("archives.package_rejected", None, package, {"failed": failed[:20]})
    _notify_archivists(
        _("归档信息包 %(reference)s 未通过检测") % {"reference": package.reference},
        _("%(reason)s请在电子档案页面查看检测报告，处理后重新归档。") % {"reason": reason},
        _link(package),
    )
    return package


def build_due_packages(limit: int = 200) -> dict[str, int]:
    """Build every scheduled package whose time has come (at most ``limit``); each in its own transaction."""
    due = list(
        ArchivalPackage.objects.filter(status=PackageStatus.SCHEDULED, build_after__lte=timezone.now())
        .order_by("build_after", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    counts = {"accepted": 0, "rejected": 0, "failed": 0}
    for pk in due:
        package = ArchivalPackage(pk=pk)
        try:
            built = build_package(package)
        except Conflict:
            continue
        except Exception as exc:  # noqa: BLE001 - an unexpected fault stays listed, the rest go on
            _record_failure(pk, exc)
            counts["failed"] += 1
            continue
        counts["accepted" if built.status == PackageStatus.ACCEPTED else "rejected"] += 1
    return counts


@transaction.atomic
def _record_failure(pk: int, exc: Exception) -> None:
    package = ArchivalPackage.objects.select_for_update().get(pk=pk)
    package.attempts += 1
    package.last_error = f"{exc.__class__.__name__}: {exc}"[:4000]
    if package.attempts >= settings.ARCHIVES_MAX_ATTEMPTS:
        package.status = PackageStatus.REJECTED
    else:
        package.build_after = timezone.now() + datetime.timedelta(minutes=5 * package.attempts)
    package.save()
    record("archives.package_failed", None, package, {"error": package.last_error[:200]})


@transaction.atomic
def retry_package(package: ArchivalPackage, *, actor: User) -> ArchivalPackage:
    """The archivist has dealt with a failure: build the package again at the next run."""
    _require_archivist(actor)
    package = ArchivalPackage.objects.select_for_update().get(pk=package.pk)
    if package.status != PackageStatus.REJECTED:
        raise Conflict(_("只有未通过检测的归档信息包可以重新归档。"))
    package.status = PackageStatus.SCHEDULED
    package.build_after = timezone.now()
    package.attempts = 0
    package.save()
    record("archives.package_retried", actor, package)
    return package


# Fixity -----------------------------------------------------------------------------------


def verify_copy(folder: Path, package: ArchivalPackage) -> CopyState:
    """Re-hash one copy against the anchor kept in the database: tag manifest → manifests → files."""
    return fixity.verify_copy(folder, _algorithm(package), package.tagmanifest_digest)


def _algorithm(package: ArchivalPackage) -> str:
    return (package.algorithms or ["sha256"])[0]


def _copies(package: ArchivalPackage) -> dict[str, Path]:
    return {
        "primary": packaging.bag_path(packaging.primary_root(), package.reference),
        "secondary": packaging.bag_path(packaging.secondary_root(), package.reference),
    }


def check_fixity(package: ArchivalPackage) -> FixityCheck:
    """Re-hash both copies of one accepted package; a damaged copy alerts the archivists and the security administrator."""
    return _record_fixity(package, _verify_packages([package])[0])


def _verify_packages(packages: list[ArchivalPackage]) -> list[dict[str, CopyState]]:
    """Both copies of every package, read together (``fixity.verify_copies``); each package's states by copy."""
    wanted = [(package, name, path) for package in packages for name, path in _copies(package).items()]
    states = fixity.verify_copies(
        (path, _algorithm(package), package.tagmanifest_digest) for package, _name, path in wanted
    )
    found: dict[int, dict[str, CopyState]] = {}
    for (package, name, _path), state in zip(wanted, states, strict=True):
        found.setdefault(package.pk, {})[name] = state
    return [found[package.pk] for package in packages]


@transaction.atomic
def _record_fixity(package: ArchivalPackage, states: dict[str, CopyState]) -> FixityCheck:
    problems = {name: state.problems for name, state in states.items() if state.problems}
    check = FixityCheck.objects.create(
        package=package,
        outcome=FixityOutcome.DAMAGED if problems else FixityOutcome.INTACT,
        problems=problems,
        bytes_read=sum(state.bytes_read for state in states.values()),
    )
    ArchivalPackage.objects.filter(pk=package.pk).update(last_fixity_at=check.checked_at, is_damaged=bool(problems))
    if problems:
        record("archives.fixity_failed", None, package, {"problems": {k: v[:20] for k, v in problems.items()}})
        _notify_archivists(
            _("电子档案 %(reference)s 的副本受损") % {"reference": package.reference},
            _("固定性巡检发现：%(problems)s。请在电子档案页面用完好的副本修复。")
            % {"problems": "；".join(f"{k}: {', '.join(v[:5])}" for k, v in problems.items())},
            _link(package),
            security=True,
        )
    return check


def run_fixity(sample: int | None = None) -> dict[str, int]:
    """Check the accepted packages checked longest ago (``ARCHIVES_FIXITY_SAMPLE`` of them; 0 = all)."""
    size = settings.ARCHIVES_FIXITY_SAMPLE if sample is None else sample
    # The check reports are not needed here (and are the rows' largest field):
    packages = (
        ArchivalPackage.objects.filter(status=PackageStatus.ACCEPTED)
        .defer("check_report")
        .order_by("last_fixity_at", "pk")
    )  # never-checked first (NULLs first on SQLite; PostgreSQL puts them last: asked below)
    if size:
        never = list(packages.filter(last_fixity_at__isnull=True)[:size])
        packages_list = never + list(packages.filter(last_fixity_at__isnull=False)[: size - len(never)])
    else:
        packages_list = list(packages)
    counts = {"checked": 0, "damaged": 0, "bytes": 0}
    # A batch of packages is read at once (both copies, every file), so the disk is never idle
    # between packages; the intact ones are then recorded in one transaction, the damaged ones
    # one by one with their alerts:
    for start in range(0, len(packages_list), FIXITY_BATCH):
        batch = packages_list[start : start + FIXITY_BATCH]
        states = _verify_packages(batch)
        _record_intact([(p, s) for p, s in zip(batch, states, strict=True) if not _damaged(s)])
        for package, state in zip(batch, states, strict=True):
            counts["checked"] += 1
            counts["bytes"] += sum(x.bytes_read for x in state.values())
            if _damaged(state):
                _record_fixity(package, state)
                counts["damaged"] += 1
    return counts


FIXITY_BATCH = 200


def _damaged(states: dict[str, CopyState]) -> bool:
    return any(state.problems for state in states.values())


@transaction.atomic
def _record_intact(checked: list[tuple[ArchivalPackage, dict[str, CopyState]]]) -> None:
    if not checked:
        return
    now = timezone.now()
    FixityCheck.objects.bulk_create(
        [
            FixityCheck(
                package=package,
                outcome=FixityOutcome.INTACT,
                problems={},
                bytes_read=sum(x.bytes_read for x in state.values()),
            )
            for package, state in checked
        ]
    )
    ArchivalPackage.objects.filter(pk__in=[package.pk for package, _state in checked]).update(
        last_fixity_at=now, is_damaged=False
    )


@transaction.atomic
def restore_package(package: ArchivalPackage, *, actor: User) -> FixityCheck:
    """Repair the damaged copy of a package from the intact one, file by file; check both again.

    A copy is intact when its tag manifest matches the anchor and every file its digest.
    Raises Conflict when neither copy is intact (nothing good to restore from).
    """
    _require_archivist(actor)
    package = ArchivalPackage.objects.select_for_update().get(pk=package.pk)
    copies = _copies(package)
    states = {name: verify_copy(path, package) for name, path in copies.items()}
    good = [name for name, state in states.items() if not state.problems]
    bad = [name for name, state in states.items() if state.problems]
    if not bad:
        raise Conflict(_("两个副本都完好，无需修复。"))
    if not good:
        raise Conflict(_("两个副本都已受损，无法自动修复；请从离线备份或移交副本恢复。"))
    source, target = copies[good[0]], copies[bad[0]]
    if not target.exists():
        packaging.copy_to(source, target.parent, package.reference)
    else:
        packaging.make_writable(target)
        for path in packaging.walk_files(target):
            if not (source / path.relative_to(target)).is_file():
                path.unlink()  # a file that is not part of the package
        for path in packaging.walk_files(source):
            relative = path.relative_to(source)
            copy = target / relative
            if states[bad[0]].digests.get(str(relative)) != states[good[0]].digests.get(str(relative)):
                copy.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, copy)
        packaging.make_read_only(target)
    after = verify_copy(target, package)
    check = FixityCheck.objects.create(
        package=package,
        outcome=FixityOutcome.RESTORED if not after.problems else FixityOutcome.DAMAGED,
        problems={bad[0]: after.problems} if after.problems else {},
        bytes_read=after.bytes_read,
        restored_at=timezone.now(),
        restored_by=actor,
    )
    package.is_damaged = bool(after.problems)
    package.last_fixity_at = check.checked_at
    package.save(update_fields=["is_damaged", "last_fixity_at"])
    record(
        "archives.package_restored",
        actor,
        package,
        {"from": good[0], "to": bad[0], "repaired": states[bad[0]].problems[:20], "still": after.problems[:20]},
    )
    return check


# Retention and holds ----------------------------------------------------------------------


@transaction.atomic
def set_item_retention(basic_code: str, *, retention_code: str, start_rule: str, actor: User) -> ItemRetention:
    """Give an item's cases a retention class and start rule (for packages scheduled from now on)."""
    _require_archivist(actor)
    retention = RetentionClass.objects.filter(code=retention_code).first()
    if retention is None:
        raise ValidationError({"retention_code": _("没有这个保管期限。")})
    if start_rule not in StartRule.values:
        raise ValidationError({"start_rule": _("请选择起算规则。")})
    row, _created = ItemRetention.objects.update_or_create(
        basic_code=basic_code.strip(), defaults={"retention_class": retention, "start_rule": start_rule}
    )
    record("archives.retention_set", actor, row, {"class": retention.code, "rule": start_rule})
    return row


@transaction.atomic
def start_licence_retention(today: datetime.date | None = None) -> int:
    """Give a disposal date to the packages counted from their licence's end, once the licence has ended."""
    from govhall.licences.constants import LicenceStatus
    from govhall.licences.queries import licences_by_identifier

    today = today or timezone.localdate()
    waiting = list(
        ArchivalPackage.objects.filter(
            status=PackageStatus.ACCEPTED, start_rule=StartRule.LICENCE_EXPIRED, retention_start__isnull=True
        ).select_related("retention_class")
    )
    licences = licences_by_identifier([p.licence_identifier for p in waiting if p.licence_identifier])
    changed = 0
    for package in waiting:
        licence = licences.get(package.licence_identifier)
        ended = (
            licence is None
            or licence.status != LicenceStatus.VALID
            or (licence.valid_until and licence.valid_until < today)
        )
        if not ended:
            continue
        start = licence.valid_until if licence and licence.valid_until and licence.valid_until < today else today
        package.retention_start = start
        package.disposal_on = queries.disposal_date(package.retention_class, start)  # type: ignore[arg-type]
        package.save(update_fields=["retention_start", "disposal_on"])
        record("archives.retention_started", None, package, {"start": start.isoformat()})
        changed += 1
    return changed


@transaction.atomic
def place_hold(package: ArchivalPackage, *, actor: User, kind: str, reason: str) -> LegalHold:
    """Stop a package from being destroyed (litigation, an inspection, a complaint)."""
    _require_archivist(actor)
    problems = {}
    if kind not in HoldKind.values:
        problems["kind"] = _("请选择保全原因。")
    if not reason.strip():
        problems["reason"] = _("请写明保全的依据，例如案号或检查通知。")
    if problems:
        raise ValidationError(problems)
    hold = LegalHold.objects.create(package=package, kind=kind, reason=reason.strip(), placed_by=actor)
    record("archives.hold_placed", actor, package, {"kind": kind})
    return hold


@transaction.atomic
def lift_hold(hold: LegalHold, *, actor: User) -> LegalHold:
    _require_archivist(actor)
    hold = LegalHold.objects.select_for_update().get(pk=hold.pk)
    if hold.lifted_at is not None:
        raise Conflict(_("这项保全已经解除。"))
    hold.lifted_at, hold.lifted_by = timezone.now(), actor
    hold.save(update_fields=["lifted_at", "lifted_by"])
    record("archives.hold_lifted", actor, hold.package, {"kind": hold.kind})
    return hold


# Disposal (Open Archiefbeheer's workflow) -------------------------------------------------


def _move(disposal: DisposalList, to: str, actor: User | None, extra: dict[str, Any] | None = None) -> None:
    if to not in DISPOSAL_TRANSITIONS[disposal.status]:
        raise InvalidTransition(
            _("销毁清单当前为“%(status)s”，不能进行这个操作。") % {"status": disposal.get_status_display()},
            code="invalid_transition",
        )
    before = disposal.status
    disposal.status = to
    disposal.save()
    record(f"archives.disposal_{to}", actor, disposal, {"from": before, **(extra or {})})


def _lock_list(disposal: DisposalList) -> DisposalList:
    return DisposalList.objects.select_for_update().get(pk=disposal.pk)


@transaction.atomic
def create_disposal_list(*, actor: User, name: str, packages: list[ArchivalPackage]) -> DisposalList:
    """An archivist lists packages past their disposal date for destruction.

    Refuses (ValidationError, naming each) a package not yet due, kept for ever, on another
    open list, or under a hold.
    """
    _require_archivist(actor)
    if not name.strip():
        raise ValidationError({"name": _("请填写清单名称。")})
    if not packages:
        raise ValidationError({"packages": _("请至少选择一个到期的归档信息包。")})
    due = set(queries.list_due_for_disposal().values_list("pk", flat=True))
    problems = []
    for package in packages:
        if package.pk not in due:
            problems.append(_("%(reference)s 未到销毁日期或已在其他销毁清单中。") % {"reference": package.reference})
        elif holds := queries.holds_on(package):
            problems.append(
                _("%(reference)s 处于保全状态，不能列入销毁清单：%(why)s")
                % {"reference": package.reference, "why": "；".join(holds)}
            )
    if problems:
        raise ValidationError({"packages": problems})
    disposal = DisposalList.objects.create(name=name.strip()[:200], author=actor)
    DisposalItem.objects.bulk_create([DisposalItem(disposal_list=disposal, package=p) for p in packages])
    record("archives.disposal_created", actor, disposal, {"packages": [p.reference for p in packages]})
    return disposal


@transaction.atomic
def remove_from_disposal_list(disposal: DisposalList, package: ArchivalPackage, *, actor: User) -> DisposalList:
    """The author takes a package off a list that is new or sent back."""
    disposal = _lock_list(disposal)
    if disposal.author_id != actor.pk:
        raise PermissionDenied(_("只有清单的编制人可以修改清单。"))
    if disposal.status not in (DisposalStatus.NEW, DisposalStatus.CHANGES_REQUESTED):
        raise InvalidTransition(_("清单已提交审核，不能修改。"), code="invalid_transition")
    disposal.items.filter(package=package).delete()
    record("archives.disposal_item_removed", actor, disposal, {"package": package.reference})
    return disposal


@transaction.atomic
def submit_for_review(disposal: DisposalList, *, actor: User, reviewers: list[User]) -> DisposalList:
    """The author sends the list to its reviewers; none of them may be the author (no one disposes alone)."""
    disposal = _lock_list(disposal)
    if disposal.author_id != actor.pk:
        raise PermissionDenied(_("只有清单的编制人可以提交审核。"))
    if not reviewers:
        raise ValidationError({"reviewers": _("请至少指定一名审核人。")})
    if any(r.pk == actor.pk for r in reviewers):
        raise ValidationError({"reviewers": _("编制人不能审核自己的清单。")})
    if not all(is_staff_desk_user(r) for r in reviewers):
        raise ValidationError({"reviewers": _("审核人必须是本单位工作人员。")})
    if not disposal.items.exists():
        raise ValidationError({"packages": _("清单是空的。")})
    disposal.reviewers.set(reviewers)
    disposal.review_round += 1
    _move(disposal, DisposalStatus.READY_TO_REVIEW, actor, {"reviewers": [r.username for r in reviewers]})
    return disposal


@transaction.atomic
def review_disposal_list(disposal: DisposalList, *, actor: User, decision: str, comment: str = "") -> DisposalList:
    """A reviewer approves the list or asks for changes; when every reviewer approved, it is reviewed."""
    disposal = _lock_list(disposal)
    if not disposal.reviewers.filter(pk=actor.pk).exists():
        raise PermissionDenied(_("您不是这份清单的审核人。"))
    if disposal.status != DisposalStatus.READY_TO_REVIEW:
        raise InvalidTransition(_("清单当前不在审核中。"), code="invalid_transition")
    if decision not in ReviewDecision.values:
        raise ValidationError({"decision": _("请选择同意销毁或要求修改。")})
    if decision == ReviewDecision.CHANGES_REQUESTED and not comment.strip():
        raise ValidationError({"comment": _("要求修改时，请写明需要修改什么。")})
    if disposal.reviews.filter(reviewer=actor, round=disposal.review_round).exists():
        raise Conflict(_("您已审核过本轮清单。"))
    DisposalReview.objects.create(
        disposal_list=disposal, reviewer=actor, decision=decision, comment=comment.strip(), round=disposal.review_round
    )
    if decision == ReviewDecision.CHANGES_REQUESTED:
        _move(disposal, DisposalStatus.CHANGES_REQUESTED, actor, {"comment": comment.strip()[:200]})
    else:
        approved = disposal.reviews.filter(round=disposal.review_round, decision=ReviewDecision.APPROVED).count()
        if approved >= disposal.reviewers.count():
            _move(disposal, DisposalStatus.REVIEWED, actor)
        else:
            record("archives.disposal_review", actor, disposal, {"decision": decision})
    return disposal


@transaction.atomic
def send_to_archivist(disposal: DisposalList, *, actor: User) -> DisposalList:
    disposal = _lock_list(disposal)
    if disposal.author_id != actor.pk:
        raise PermissionDenied(_("只有清单的编制人可以提交档案管理员审批。"))
    _move(disposal, DisposalStatus.READY_FOR_ARCHIVIST, actor)
    return disposal


@transaction.atomic
def decide_disposal_list(disposal: DisposalList, *, actor: User, approve: bool, comment: str = "") -> DisposalList:
    """A second archivist — neither the author nor a reviewer — approves (the waiting period starts) or sends it back."""
    _require_archivist(actor)
    disposal = _lock_list(disposal)
    if disposal.author_id == actor.pk or disposal.reviewers.filter(pk=actor.pk).exists():
        raise PermissionDenied(_("审批人不能是清单的编制人或审核人：销毁须经不同人员把关。"))
    if approve:
        wait = datetime.timedelta(days=settings.ARCHIVES_DISPOSAL_WAIT_DAYS)
        disposal.archivist = actor
        disposal.approved_at = timezone.now()
        disposal.destroy_after = disposal.approved_at + wait
        _move(disposal, DisposalStatus.READY_TO_DELETE, actor, {"destroy_after": disposal.destroy_after.isoformat()})
    else:
        if not comment.strip():
            raise ValidationError({"comment": _("退回时，请写明原因。")})
        _move(disposal, DisposalStatus.CHANGES_REQUESTED, actor, {"comment": comment.strip()[:200]})
    return disposal


def destroy_due_lists(now: datetime.datetime | None = None) -> int:
    """Destroy every approved list whose waiting period is over; return how many."""
    now = now or timezone.now()
    due = DisposalList.objects.filter(status=DisposalStatus.READY_TO_DELETE, destroy_after__lte=now)
    done = 0
    for disposal in due:
        destroy_list(disposal, now=now)
        done += 1
    return done


def destroy_list(disposal: DisposalList, *, now: datetime.datetime | None = None) -> DisposalList:
    """Destroy the list's packages (both copies), except those held now; write the signed certificate.

    Each package keeps its row as the minimal record (reference, title, dates, retention,
    the list); its subject key is cleared. The audit chain is never touched. The folders go
    after the commit; ``sweep_archives`` removes any a dead process left behind.
    """
    with files_discarded_on_rollback(), transaction.atomic():
        disposal = _lock_list(disposal)
        now = now or timezone.now()
        if disposal.status != DisposalStatus.READY_TO_DELETE or (
            disposal.destroy_after and disposal.destroy_after > now
        ):
            raise InvalidTransition(_("清单未经审批或等待期未满，不能销毁。"), code="invalid_transition")
        destroyed, held = [], []
        for item in disposal.items.select_related("package", "package__retention_class").order_by("package__reference"):
            package = item.package
            reasons = queries.holds_on(package)
            if reasons:
                item.outcome, item.note = DisposalItemOutcome.HELD, "；".join(reasons)[:300]
                held.append(item)
            else:
                item.outcome = DisposalItemOutcome.DESTROYED
                package.status = PackageStatus.DESTROYED
                package.destroyed_at = now
                package.subject_key = ""
                package.save(update_fields=["status", "destroyed_at", "subject_key"])
                destroyed.append(item)
                transaction.on_commit(functools.partial(remove_package_files, package.reference))
            item.save(update_fields=["outcome", "note"])
        disposal.deleted_at = now
        pdf = render_certificate(disposal, destroyed, held)
        import hashlib

        disposal.certificate_sha256 = hashlib.sha256(pdf).hexdigest()
        name = disposal.certificate.field.generate_filename(disposal, "certificate.pdf")
        disposal.certificate = save_until_committed(name, ContentFile(pdf), storage=disposal.certificate.storage)
        _move(
            disposal,
            DisposalStatus.DELETED,
            None,
            {
                "destroyed": [i.package.reference for i in destroyed],
                "held": [i.package.reference for i in held],
                "certificate_sha256": disposal.certificate_sha256,
            },
        )
    return disposal


def remove_package_files(reference: str) -> None:
    for root in (packaging.primary_root(), packaging.secondary_root()):
        path = packaging.bag_path(root, reference)
        if path.exists():
            packaging.make_writable(path)
            shutil.rmtree(path)


def render_certificate(disposal: DisposalList, destroyed: list[DisposalItem], held: list[DisposalItem]) -> bytes:
    """The destruction certificate (销毁证明): what was destroyed, what was held back, who decided; signed."""
    from xml.sax.saxutils import escape

    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    from govhall.lib.pdf import cjk_font
    from govhall.lib.signing import sign_notice

    font = cjk_font()
    body = ParagraphStyle("body", fontName=font, fontSize=10, leading=16, wordWrap="CJK")
    title = ParagraphStyle("title", parent=body, fontSize=18, leading=28, alignment=1)
    cell = ParagraphStyle("cell", parent=body, fontSize=8, leading=11)
    reviewers = "、".join(r.full_name or r.username for r in disposal.reviewers.all())
    story: list[Any] = [
        Paragraph(escape(_("电子档案销毁证明")), title),
        Spacer(1, 4 * mm),
        Paragraph(escape(_("销毁清单：%(name)s") % {"name": disposal.name}), body),
        Paragraph(
            escape(
                _(
                    "编制人：%(author)s；审核人：%(reviewers)s；审批档案管理员：%(archivist)s；审批时间：%(approved)s；销毁时间：%(deleted)s"
                )
                % {
                    "author": disposal.author.full_name or disposal.author.username,
                    "reviewers": reviewers,
                    "archivist": disposal.archivist.full_name if disposal.archivist else "",
                    "approved": timezone.localtime(disposal.approved_at).strftime("%Y-%m-%d %H:%M")
                    if disposal.approved_at
                    else "",
                    "deleted": timezone.localtime(disposal.deleted_at).strftime("%Y-%m-%d %H:%M")
                    if disposal.deleted_at
                    else "",
                }
            ),
            body,
        ),
        Spacer(1, 4 * mm),
    ]

    def table(rows: list[DisposalItem], note: bool) -> Table:
        header = [_("档号（办件编号）"), _("题名"), _("年度"), _("保管期限"), _("到期日期")] + (
            [_("未销毁原因")] if note else []
        )
        data = [[Paragraph(escape(str(c)), cell) for c in header]]
        for item in rows:
            p = item.package
            cells = [
                p.reference,
                p.title,
                p.year,
                p.retention_class.name if p.retention_class else "",
                p.disposal_on or "",
            ]
            if note:
                cells.append(item.note)
            data.append([Paragraph(escape(str(c)), cell) for c in cells])
        widths = (
            [70 * mm, 44 * mm, 12 * mm, 14 * mm, 22 * mm]
            if not note
            else [64 * mm, 30 * mm, 12 * mm, 12 * mm, 20 * mm, 32 * mm]
        )
        grid = Table(data, colWidths=widths, repeatRows=1)
        grid.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, (0, 0, 0)), ("VALIGN", (0, 0), (-1, -1), "TOP")]))
        return grid

    story += [
        Paragraph(escape(_("已销毁（%(count)d 件，两份副本均已删除）") % {"count": len(destroyed)}), body),
        table(destroyed, False),
    ]
    if held:
        story += [
            Spacer(1, 4 * mm),
            Paragraph(escape(_("因保全未销毁（%(count)d 件）") % {"count": len(held)}), body),
            table(held, True),
        ]
    story += [
        Spacer(1, 6 * mm),
        Paragraph(escape(_("每件档案的目录记录和审计记录永久保留。")), body),
        Spacer(1, 10 * mm),
        Paragraph(escape(settings.BUREAU_NAME), ParagraphStyle("issuer", parent=body, alignment=2)),
    ]
    buffer = io.BytesIO()
    SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        title=f"销毁证明 {disposal.name}",
        author=settings.BUREAU_NAME,
        creator=settings.PLATFORM_NAME,
    ).build(story)
    return sign_notice(buffer.getvalue(), authority=settings.BUREAU_NAME, title="档案专用章", reason=_("档案销毁证明"))


# Transfer to an archive (进馆) --------------------------------------------------------------


@transaction.atomic
def export_for_transfer(packages: list[ArchivalPackage], *, actor: User, out: IO[bytes]) -> int:
    """Write the packages and their transfer list (移交清单) as an uncompressed tar to ``out``; return how many.

    Each package is checked against its anchor first: a damaged one is refused (Conflict),
    never handed over. The transfer is audited.
    """
    _require_archivist(actor)
    if not packages:
        raise ValidationError({"packages": _("请选择要移交的归档信息包。")})
    rows = []
    with tarfile.open(fileobj=out, mode="w|", format=tarfile.PAX_FORMAT) as tar:
        for number, package in enumerate(packages, start=1):
            if package.status != PackageStatus.ACCEPTED:
                raise Conflict(_("%(reference)s 不是已归档状态，不能移交。") % {"reference": package.reference})
            folder = packaging.bag_path(packaging.primary_root(), package.reference)
            state = verify_copy(folder, package)
            if state.problems:
                folder = packaging.bag_path(packaging.secondary_root(), package.reference)
                if verify_copy(folder, package).problems:
                    raise Conflict(_("%(reference)s 两个副本均受损，不能移交。") % {"reference": package.reference})
            tar.add(str(folder), arcname=package.reference)
            rows.append(
                {
                    "序号": str(number),
                    "档号": package.archival_code,
                    "办件编号": package.reference,
                    "题名": package.title,
                    "年度": str(package.year),
                    "保管期限": package.retention_class.name if package.retention_class else "",
                    "文件数": str(package.file_count),
                    "字节数": str(package.byte_count),
                    "标签清单摘要": package.tagmanifest_digest,
                }
            )
        root = ET.Element(
            "移交清单",
            {
                "移交单位": settings.BUREAU_NAME,
                "移交时间": timezone.now().isoformat(timespec="seconds"),
                "件数": str(len(rows)),
            },
        )
        for row in rows:
            entry = ET.SubElement(root, "档案")
            for key, value in row.items():
                ET.SubElement(entry, key).text = value
        ET.indent(root)
        _add_bytes(tar, "transfer-list.xml", ET.tostring(root, encoding="utf-8", xml_declaration=True))
        text = io.StringIO()
        writer = csv.DictWriter(text, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
        _add_bytes(tar, "transfer-list.csv", text.getvalue().encode("utf-8-sig"))
    record("archives.transferred", actor, None, {"packages": [p.reference for p in packages]})
    return len(rows)


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(timezone.now().timestamp())
    tar.addfile(info, io.BytesIO(data))


# Upkeep ------------------------------------------------------------------------------------


def keep_archives() -> dict[str, Any]:
    """One run of the archives' upkeep: read the case events, build due packages, start licence
    retention, destroy lists past their wait, remove dead workers' half bags and destroyed leftovers."""
    grace = datetime.timedelta(hours=1)
    result: dict[str, Any] = {
        "events": read_case_events(),
        "built": build_due_packages(),
        "licence_retention": start_licence_retention(),
        "destroyed_lists": destroy_due_lists(),
        "materials_released": release_due_materials(),
        "stale": packaging.remove_stale_incoming(packaging.primary_root(), grace)
        + packaging.remove_stale_incoming(packaging.secondary_root(), grace),
    }
    lately = timezone.now() - datetime.timedelta(days=2)
    destroyed = ArchivalPackage.objects.filter(status=PackageStatus.DESTROYED, destroyed_at__gte=lately)
    for reference in destroyed.values_list("reference", flat=True):
        remove_package_files(reference)
    return result


# The live case's materials, released to the archive ---------------------------------------


@transaction.atomic
def release_live_materials(package: ArchivalPackage) -> int:
    """Point the case's materials at their copies in the package and delete the live files.

    Each copy in the first copy of the package is hashed and must match both the package's
    manifest and the hash the case took at upload; if one does not (or is missing, or the
    package is known damaged), nothing is released (audited as refused) and the fixity check
    finds the fault. Locks the package row; the live files are deleted only after the commit.
    Returns how many were released.
    """
    package = ArchivalPackage.objects.select_for_update(of=("self",)).select_related("case").get(pk=package.pk)
    case = package.case
    if package.status != PackageStatus.ACCEPTED or package.materials_released_at or case is None:
        return 0
    root = packaging.bag_path(packaging.primary_root(), package.reference)
    try:
        manifest = fixity.parse_manifest((root / "manifest-sha256.txt").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        manifest = {}
    materials = queries.material_paths(case)
    copies: dict[int, str] = {}
    for material, path in materials:
        copy = root / "data" / path
        digest = fixity.hash_file(str(copy), "sha256")[0] if copy.is_file() else ""
        if package.is_damaged or not digest or digest != manifest.get(f"data/{path}") or digest != material.sha256:
            record("archives.release_refused", None, package, {"file": path}, outcome=AuditOutcome.FAILURE)
            return 0
        copies[material.pk] = f"{package.reference}/data/{path}"
    # The case's materials now name their copy in the package (``CaseMaterial.archived_copy``,
    # on ``lib.storage.archive_storage``), and the case's pages serve that:
    released = case_actions.release_materials_to_archive(case, copies)
    package.materials_released_at = timezone.now()
    package.save(update_fields=["materials_released_at"])
    record("archives.materials_released", None, package, {"files": released})
    return released


def release_due_materials(now: datetime.datetime | None = None) -> int:
    """Release the live materials of packages archived longer ago than the setting (0: never)."""
    days = getattr(settings, "ARCHIVES_RELEASE_MATERIALS_AFTER_DAYS", 0)
    if days <= 0:
        return 0
    line = (now or timezone.now()) - datetime.timedelta(days=days)
    due = ArchivalPackage.objects.filter(
        status=PackageStatus.ACCEPTED, materials_released_at__isnull=True, accepted_at__lte=line
    ).order_by("pk")[:200]
    return sum(release_live_materials(package) for package in due)


# The archivist's search by subject ---------------------------------------------------------


def search_by_subject(viewer: User, identifier: str, *, request: Any = None) -> tuple[str, list[ArchivalPackage]]:
    """The packages of one subject, found through the keyed identifier; audited like a dossier look-up.

    Returns the identifier as shown (masked) and the packages. Raises ValidationError for a
    malformed identifier (nothing searched), PermissionDenied for anyone not an archivist.
    """
    from govhall.identity.queries import ID_NUMBER
    from govhall.lib.crypto import lookup_hash
    from govhall.lib.identifiers import mask_id_number, parse_credit_code, parse_resident_id

    _require_archivist(viewer)
    value = (identifier or "").strip().upper()
    try:
        number = parse_resident_id(value).number
        key, shown, kind = lookup_hash(number, purpose=ID_NUMBER), mask_id_number(number), "person"
    except ValidationError:
        try:
            key = shown = parse_credit_code(value).code
            kind = "entity"
        except ValidationError:
            raise ValidationError({"subject": _("请输入正确的公民身份号码或统一社会信用代码。")}) from None
    found = list(queries.search_packages(subject_key=key))
    record(
        "archives.subject_searched", viewer, None, {"kind": kind, "code": shown, "count": len(found)}, request=request
    )
    return shown, found
