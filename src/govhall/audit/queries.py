"""Reading and verifying the audit log."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Min, Q
from django.utils import timezone

from govhall.audit.checkpoints import Checkpoint, CheckpointError, latest_checkpoint
from govhall.audit.hashing import compute_hash, content, entries_digest, entry_hash
from govhall.audit.models import GENESIS_HASH, AuditChainHead, AuditRecord, SealedEntry

PRUNE_EVENT = "audit.records_pruned"
SEAL_EVENT = "audit.entries_sealed"


@dataclass(frozen=True)
class ChainReport:
    """The result of checking the chain: ``first_bad`` is None when every record is intact."""

    checked: int
    first_bad: int | None = None
    reason: str = ""

    @property
    def is_intact(self) -> bool:
        return self.first_bad is None


@dataclass(frozen=True)
class ChainStart:
    """Where the kept chain begins: record #1, or the record after the last pruning."""

    sequence: int
    previous_hash: str


def chain_start() -> ChainStart | ChainReport:
    """Where verification starts; a ChainReport instead when the chain's start cannot be trusted.

    After a pruning, the first kept record must follow the pruned record that the pruning's
    own chained record (``audit.records_pruned``) names, with its hash.
    """
    first = AuditRecord.objects.order_by("sequence").only("sequence", "previous_hash").first()
    if first is None or first.sequence == 1:
        return ChainStart(1, GENESIS_HASH)
    pruning = AuditRecord.objects.filter(event=PRUNE_EVENT).order_by("-sequence").first()
    through = pruning.extra.get("through_sequence") if pruning else None
    if pruning is None or through != first.sequence - 1 or pruning.extra.get("through_hash") != first.previous_hash:
        return ChainReport(
            0,
            first.sequence - 1,
            f"the chain starts at record #{first.sequence}, but no pruning removed the records before it: "
            f"records #1–#{first.sequence - 1} are missing",
        )
    return ChainStart(first.sequence, first.previous_hash)


def walk_chain(records: Iterable[AuditRecord], start: ChainStart) -> tuple[ChainReport, str]:
    """Check ``records`` (in sequence order) as the chain from ``start``; also return the last hash seen."""
    expected_sequence = start.sequence
    previous_hash = start.previous_hash
    checked = 0
    for entry in records:
        if entry.sequence != expected_sequence:
            return ChainReport(
                checked,
                expected_sequence,
                f"record #{expected_sequence} is missing (the next one found is #{entry.sequence})",
            ), previous_hash
        if entry.previous_hash != previous_hash:
            return ChainReport(
                checked, entry.sequence, f"record #{entry.sequence} does not follow record #{entry.sequence - 1}"
            ), previous_hash
        if compute_hash(entry) != entry.hash:
            return ChainReport(
                checked, entry.sequence, f"record #{entry.sequence} was changed after it was written"
            ), previous_hash
        previous_hash = entry.hash
        expected_sequence += 1
        checked += 1
    return ChainReport(checked), previous_hash


def verify_chain() -> ChainReport:
    """Recompute the whole chain in order and name the first record that does not fit.

    Detects a changed record (its hash no longer matches), a deleted or reordered one (a gap
    in the sequence, or a predecessor hash that does not match) and a cut-off tail (the
    chain head remembers the last record; ``verify_checkpoint`` also holds it against the
    signed checkpoints outside the database). Reads in chunks; memory stays flat.
    """
    start = chain_start()
    if isinstance(start, ChainReport):
        return start
    records = AuditRecord.objects.filter(sequence__gte=start.sequence).order_by("sequence").iterator(chunk_size=2000)
    report, last_hash = walk_chain(records, start)
    if not report.is_intact:
        return report
    last_checked = start.sequence + report.checked - 1
    head = AuditChainHead.objects.filter(pk=1).first()
    last_sequence = head.last_sequence if head else 0
    if last_sequence != last_checked or (head.last_hash if head else GENESIS_HASH) != last_hash:
        return ChainReport(
            report.checked,
            last_checked + 1,
            f"the chain ends at record #{last_checked} but {last_sequence} records were written; "
            "records at the end were deleted or the chain head was changed",
        )
    return report


def check_against_checkpoint(checkpoint: Checkpoint) -> str:
    """Why the chain in the database does not reach ``checkpoint`` with its hash, or "" if it does.

    One indexed read. A record pruned since is accepted when a later pruning covers it.
    """
    found = AuditRecord.objects.filter(sequence=checkpoint.sequence).values_list("hash", flat=True).first()
    written = f"{timezone.localtime(checkpoint.written_at):%Y-%m-%d %H:%M:%S}"
    if found is None:
        last = AuditRecord.objects.order_by("-sequence").values_list("sequence", flat=True).first() or 0
        if last < checkpoint.sequence:
            return (
                f"the chain ends at record #{last}, but the checkpoint written at {written} ({checkpoint.name}) "
                f"recorded #{checkpoint.sequence}: records #{last + 1}–#{checkpoint.sequence} were cut off"
            )
        first = AuditRecord.objects.aggregate(first=Min("sequence"))["first"] or 0
        if checkpoint.sequence < first and not isinstance(chain_start(), ChainReport):
            return ""  # pruned, and the pruning is in the chain
        return f"record #{checkpoint.sequence}, recorded by the checkpoint written at {written}, is missing"
    if found != checkpoint.hash:
        return (
            f"record #{checkpoint.sequence} differs from the checkpoint written at {written} ({checkpoint.name}): "
            "the chain was rewritten from there"
        )
    return ""


@dataclass(frozen=True)
class CheckpointReport:
    checkpoint: Checkpoint | None
    problem: str = ""

    @property
    def is_intact(self) -> bool:
        return not self.problem


def verify_checkpoint() -> CheckpointReport:
    """Hold the chain against the latest signed checkpoint (signature, sequence and hash)."""
    try:
        checkpoint = latest_checkpoint()
    except CheckpointError as exc:
        return CheckpointReport(None, str(exc))
    if checkpoint is None:
        return CheckpointReport(None)
    return CheckpointReport(checkpoint, check_against_checkpoint(checkpoint))


@dataclass(frozen=True)
class EntriesReport:
    """The batched entries: how many were checked, the first bad one, and those waiting for a seal."""

    checked: int
    reason: str = ""
    bad_entry: int | None = None
    bad_seal: int | None = None
    unsealed: int = 0
    oldest_unsealed: datetime.datetime | None = None

    @property
    def is_intact(self) -> bool:
        return not self.reason

    @property
    def first_bad(self) -> int | None:
        return self.bad_seal


def _describe(entry: SealedEntry) -> str:
    moment = f"{timezone.localtime(entry.occurred_at):%Y-%m-%d %H:%M:%S}"
    return f"entry #{entry.pk} ({entry.event} at {moment}, {entry.target_label or entry.target_id or '-'})"


def _own_hash_problem(entry: SealedEntry, *, sealed: bool) -> str:
    if entry.entry_hash:
        if entry_hash(entry) != entry.entry_hash:
            return f"{_describe(entry)} was changed after it was written"
        return ""
    # Only entries written before per-entry hashes lack one, and all of those were sealed then:
    return "" if sealed else f"{_describe(entry)} carries no keyed hash: it was not written by the platform"


def verify_seals() -> EntriesReport:
    """Check every batched entry against its own hash and its seal; name the first bad entry.

    Run after ``verify_chain`` (the seals are chained records, so a changed seal is caught
    there). Detects an entry changed before or after its seal, and one removed or slipped in
    after sealing; counts the entries still waiting for a seal and checks their own hashes.
    """
    checked = 0
    seals = AuditRecord.objects.filter(event=SEAL_EVENT).order_by("sequence")
    for seal in seals.iterator(chunk_size=200):
        entries = list(SealedEntry.objects.filter(sealed_by=seal.sequence).order_by("pk"))
        for entry in entries:
            if problem := _own_hash_problem(entry, sealed=True):
                return EntriesReport(checked, f"{problem} (sealed by record #{seal.sequence})", entry.pk, seal.sequence)
        expected = seal.extra
        found = {
            "first": entries[0].pk if entries else None,
            "last": entries[-1].pk if entries else None,
            "count": len(entries),
            "digest": entries_digest(entries),
        }
        if any(found[key] != expected.get(key) for key in ("first", "last", "count", "digest")):
            ids = {entry.pk for entry in entries}
            outside = sorted(pk for pk in ids if not expected.get("first", 0) <= pk <= expected.get("last", 0))
            if outside:
                how = f"entry #{outside[0]} was added to them after sealing"
            elif len(entries) < expected.get("count", 0):
                how = f"{expected.get('count', 0) - len(entries)} of them were removed after sealing"
            else:
                how = "an entry among them was changed after sealing"
            reason = (
                f"the entries sealed by record #{seal.sequence} were changed, removed or added after sealing: {how}"
            )
            return EntriesReport(checked, reason, outside[0] if outside else None, seal.sequence)
        checked += len(entries)
    waiting = SealedEntry.objects.filter(sealed_by__isnull=True).order_by("pk")
    unsealed = 0
    oldest = None
    for entry in waiting.iterator(chunk_size=2000):
        if problem := _own_hash_problem(entry, sealed=False):
            return EntriesReport(checked, problem, entry.pk, None, unsealed)
        oldest = entry.occurred_at if oldest is None else min(oldest, entry.occurred_at)
        unsealed += 1
    return EntriesReport(checked, unsealed=unsealed, oldest_unsealed=oldest)


def count_unsealed() -> tuple[int, datetime.datetime | None]:
    """How many batched entries wait for a seal, and when the oldest was written."""
    waiting = SealedEntry.objects.filter(sealed_by__isnull=True)
    return waiting.count(), waiting.aggregate(oldest=Min("occurred_at"))["oldest"]


def get_head() -> tuple[int, str]:
    head = AuditChainHead.objects.filter(pk=1).values_list("last_sequence", "last_hash").first()
    return head if head else (0, GENESIS_HASH)


def retention_cutoff(now: datetime.datetime | None = None) -> datetime.datetime:
    """Records at or after this moment are within the retention period and are never deleted."""
    return (now or timezone.now()) - datetime.timedelta(days=settings.AUDIT_RETENTION_DAYS)


@dataclass(frozen=True)
class CheckpointRow:
    name: str
    checkpoint: Checkpoint | None
    problem: str = ""


@dataclass(frozen=True)
class AuditOverview:
    """What the audit administrator's page shows: the head, the checkpoints, sealing, retention."""

    head_sequence: int
    head_hash: str
    last_written: datetime.datetime | None
    latest: CheckpointReport
    recent: list[CheckpointRow]
    unsealed: int
    oldest_unsealed: datetime.datetime | None
    next_upkeep: datetime.datetime | None
    last_upkeep_problem: str
    retention_days: int
    retention_cutoff: datetime.datetime
    first_kept: datetime.datetime | None

    @property
    def is_checkpoint_stale(self) -> bool:
        """The head moved and no checkpoint followed for three intervals: the upkeep is not running."""
        checkpoint = self.latest.checkpoint
        if self.head_sequence == 0 or (checkpoint is not None and checkpoint.sequence == self.head_sequence):
            return False
        since = checkpoint.written_at if checkpoint else self.last_written
        limit = datetime.timedelta(seconds=3 * settings.AUDIT_UPKEEP_SECONDS)
        return since is not None and timezone.now() - since > limit


def get_audit_overview(recent: int = 20) -> AuditOverview:
    """Everything on the audit administrator's page; one indexed read per figure and ``recent`` small files."""
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    from govhall.audit.checkpoints import read_checkpoint, recent_checkpoint_names
    from govhall.audit.tasks import UPKEEP_PATH

    sequence, hash_ = get_head()
    rows = []
    for name in recent_checkpoint_names(recent):
        try:
            rows.append(CheckpointRow(name, read_checkpoint(name)))
        except CheckpointError as exc:
            rows.append(CheckpointRow(name, None, str(exc)))
    unsealed, oldest = count_unsealed()
    runs = DBTaskResult.objects.filter(task_path=UPKEEP_PATH)
    waiting = runs.filter(status=TaskResultStatus.READY).order_by("run_after").values_list("run_after", flat=True)
    last_run = runs.filter(status=TaskResultStatus.SUCCESSFUL).order_by("-finished_at").first()
    last_problem = (last_run.return_value or {}).get("problem", "") if last_run else ""
    return AuditOverview(
        head_sequence=sequence,
        head_hash=hash_,
        last_written=AuditRecord.objects.filter(sequence=sequence).values_list("occurred_at", flat=True).first(),
        latest=verify_checkpoint(),
        recent=rows,
        unsealed=unsealed,
        oldest_unsealed=oldest,
        next_upkeep=waiting.first(),
        last_upkeep_problem=last_problem,
        retention_days=settings.AUDIT_RETENTION_DAYS,
        retention_cutoff=retention_cutoff(),
        first_kept=AuditRecord.objects.order_by("sequence").values_list("occurred_at", flat=True).first(),
    )


def records_about(targets: Iterable[tuple[str, str]]) -> list[dict[str, object]]:
    """The chained audit records about some objects, as ``(target_type, target_id)`` pairs, in chain order.

    Each with its content and both hashes, so that an extract (an archival package's) can be
    checked against the chain without the database.
    """
    condition = Q()
    for target_type, target_id in targets:
        condition |= Q(target_type=target_type, target_id=str(target_id))
    if not condition:
        return []
    return [
        {"sequence": r.sequence, **content(r), "previous_hash": r.previous_hash, "hash": r.hash}
        for r in AuditRecord.objects.filter(condition).order_by("sequence")
    ]
