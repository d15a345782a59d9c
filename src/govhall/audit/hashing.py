"""What the audit log's keyed hashes cover, in one place: writing, verifying and exports use it.

Every hash is an HMAC-SHA256 with ``AUDIT_CHAIN_KEY`` over canonical JSON (keys sorted, no
spaces, UTF-8), so a database-only attacker cannot recompute one. docs/operations.md states
the same rules for a verifier outside the platform.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings

from govhall.audit.models import AuditEntry, AuditRecord, SealedEntry


def canonical(fields: dict[str, Any]) -> bytes:
    return json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


CONTENT_FIELDS = (
    "occurred_at",
    "event",
    "outcome",
    "actor_id",
    "actor_label",
    "target_type",
    "target_id",
    "target_label",
    "ip_address",
    "extra",
)


def content_of(values: Mapping[str, Any]) -> dict[str, Any]:
    """What an entry's hash covers, from its field values (``occurred_at`` a datetime or its UTC ISO form)."""
    found = {name: values[name] for name in CONTENT_FIELDS}
    if isinstance(found["occurred_at"], datetime.datetime):
        found["occurred_at"] = found["occurred_at"].astimezone(datetime.UTC).isoformat()
    return found


def content(entry: AuditEntry) -> dict[str, Any]:
    """What an entry's hash covers, as the database gives it back."""
    return content_of(entry.__dict__)


def _key() -> bytes:
    return settings.AUDIT_CHAIN_KEY.encode("utf-8")


def record_hash_of(values: Mapping[str, Any], key: bytes) -> str:
    """The chain hash of a record given as values (an export's line): HMAC over content, sequence, predecessor."""
    fields = {"sequence": values["sequence"], **content_of(values), "previous_hash": values["previous_hash"]}
    return hmac.new(key, canonical(fields), hashlib.sha256).hexdigest()


def compute_hash(record: AuditRecord) -> str:
    """Return the chain hash of ``record``: an HMAC over its content and its predecessor's hash."""
    return record_hash_of(record.__dict__, _key())


def entry_hash_of(values: Mapping[str, Any], key: bytes) -> str:
    """A batched entry's own keyed hash, from its field values."""
    return hmac.new(key, b"sealed-entry\n" + canonical(content_of(values)), hashlib.sha256).hexdigest()


def entry_hash(entry: SealedEntry) -> str:
    """Return a batched entry's own keyed hash, written with it: a change before its seal shows."""
    return entry_hash_of(entry.__dict__, _key())


def digest_of(entries: Iterable[Mapping[str, Any]], key: bytes) -> str:
    """The HMAC of a batch of entries given as values (each with its ``id``), in id order."""
    mac = hmac.new(key, b"sealed-entries", hashlib.sha256)
    for values in entries:
        mac.update(canonical({"id": values["id"], **content_of(values)}) + b"\n")
    return mac.hexdigest()


def entries_digest(entries: list[SealedEntry]) -> str:
    """The HMAC of a batch of entries, in id order: what a seal records and verification recomputes."""
    return digest_of((entry.__dict__ for entry in entries), _key())
