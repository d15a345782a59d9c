"""Reading and verifying the audit log."""

from __future__ import annotations

from dataclasses import dataclass

from govhall.audit.actions import compute_hash, entries_digest
from govhall.audit.models import GENESIS_HASH, AuditChainHead, AuditRecord, SealedEntry


@dataclass(frozen=True)
class ChainReport:
    """The result of checking the chain: ``first_bad`` is None when every record is intact."""

    checked: int
    first_bad: int | None = None
    reason: str = ""

    @property
    def is_intact(self) -> bool:
        return self.first_bad is None


def verify_chain() -> ChainReport:
    """Recompute the whole chain in order and name the first record that does not fit.

    Detects a changed record (its hash no longer matches), a deleted or reordered one (a gap
    in the sequence, or a predecessor hash that does not match) and a cut-off tail (the
    chain head remembers the last record). Reads in chunks; memory stays flat.
    """
    expected_sequence = 1
    previous_hash = GENESIS_HASH
    checked = 0
    for entry in AuditRecord.objects.order_by("sequence").iterator(chunk_size=2000):
        if entry.sequence != expected_sequence:
            return ChainReport(
                checked,
                expected_sequence,
                f"record #{expected_sequence} is missing (the next one found is #{entry.sequence})",
            )
        if entry.previous_hash != previous_hash:
            return ChainReport(
                checked, entry.sequence, f"record #{entry.sequence} does not follow record #{entry.sequence - 1}"
            )
        if compute_hash(entry) != entry.hash:
            return ChainReport(checked, entry.sequence, f"record #{entry.sequence} was changed after it was written")
        previous_hash = entry.hash
        expected_sequence += 1
        checked += 1
    head = AuditChainHead.objects.filter(pk=1).first()
    last_sequence = head.last_sequence if head else 0
    last_hash = head.last_hash if head else GENESIS_HASH
    if last_sequence != checked or last_hash != previous_hash:
        return ChainReport(
            checked,
            checked + 1,
            f"the chain ends at record #{checked} but {last_sequence} records were written; "
            "records at the end were deleted or the chain head was changed",
        )
    return ChainReport(checked)


def verify_seals() -> ChainReport:
    """Recompute every seal of the batch-sealed entries; name the first seal whose batch does not fit.

    Run after ``verify_chain`` (the seals are chained records, so a changed seal is caught
    there). Detects a sealed entry changed, removed or slipped in afterwards.
    """
    checked = 0
    seals = AuditRecord.objects.filter(event="audit.entries_sealed").order_by("sequence")
    for seal in seals.iterator(chunk_size=200):
        entries = list(SealedEntry.objects.filter(sealed_by=seal.sequence).order_by("pk"))
        expected = seal.extra
        found = {
            "first": entries[0].pk if entries else None,
            "last": entries[-1].pk if entries else None,
            "count": len(entries),
            "digest": entries_digest(entries),
        }
        if any(found[key] != expected.get(key) for key in ("first", "last", "count", "digest")):
            return ChainReport(
                checked,
                seal.sequence,
                f"the entries sealed by record #{seal.sequence} were changed, removed or added after sealing",
            )
        checked += len(entries)
    return ChainReport(checked)
