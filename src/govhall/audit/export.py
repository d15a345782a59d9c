"""The audit administrator's export: a date range of the chain as JSON Lines, verifiable outside the platform.

One line per chained record (``"type": "record"``: its sequence, content, predecessor's hash
and hash), then the batched entries their seals cover (``"type": "entry"``, with their own
hash), and last a signature line: a JWS (ES256, the bureau's published credential keys)
over the SHA-256 of every line before it and the range. Anyone with the public keys checks
the signature and that each record follows the one before; whoever holds the chain key
(offline, with the auditors) also recomputes every hash (``verify_export``;
docs/operations.md gives the rules).
"""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Iterable, Iterator
from typing import Any

from django.conf import settings
from django.utils import timezone

from govhall.audit.actions import ExportRange
from govhall.audit.hashing import content, digest_of, entry_hash_of, record_hash_of
from govhall.audit.models import AuditRecord, SealedEntry
from govhall.audit.queries import SEAL_EVENT
from govhall.lib.credentials import CredentialError, KeySet, sign_credential, verify_credential

EXPORT_TYPE = "govhall-audit-export"


def _line(values: dict[str, Any]) -> bytes:
    return json.dumps(values, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8") + b"\n"


def export_lines(exported: ExportRange) -> Iterator[bytes]:
    """The export of ``exported`` (``audit.actions.record_export`` made and audited it), line by line."""
    digest = hashlib.sha256()
    records = AuditRecord.objects.filter(
        sequence__gte=exported.first_sequence, sequence__lte=exported.last_sequence
    ).order_by("sequence")
    for entry in records.iterator(chunk_size=2000):
        line = _line(
            {
                "type": "record",
                "sequence": entry.sequence,
                **content(entry),
                "previous_hash": entry.previous_hash,
                "hash": entry.hash,
            }
        )
        digest.update(line)
        yield line
    # Only seals set ``sealed_by``, so the entries sealed within the range are those of its seals:
    entries = SealedEntry.objects.filter(
        sealed_by__gte=exported.first_sequence, sealed_by__lte=exported.last_sequence
    ).order_by("pk")
    for item in entries.iterator(chunk_size=2000):
        line = _line(
            {
                "type": "entry",
                "id": item.pk,
                **content(item),
                "entry_hash": item.entry_hash,
                "sealed_by": item.sealed_by,
            }
        )
        digest.update(line)
        yield line
    now = timezone.now()
    claims = {
        "typ": EXPORT_TYPE,
        "iss": settings.BUREAU_CREDIT_CODE,
        "first": exported.first_sequence,
        "last": exported.last_sequence,
        "start": exported.start.isoformat(),
        "end": exported.end.isoformat(),
        "sha256": digest.hexdigest(),
        "at": now.astimezone(datetime.UTC).isoformat(),
        "iat": int(now.timestamp()),
    }
    yield _line({"type": "signature", "jws": sign_credential(claims, typ=f"{EXPORT_TYPE}+jwt")})


def verify_export(lines: Iterable[bytes], *, chain_key: bytes | None = None, keys: KeySet | None = None) -> list[str]:
    """What is wrong with an export, or an empty list; needs no database.

    Checks the signature line with ``keys`` (a KeySet from the published JWKS; the
    platform's own by default), the SHA-256 of the lines before it, that each record
    follows the one before, and with ``chain_key`` every record's and entry's hash and each
    complete seal's digest.
    """
    digest = hashlib.sha256()
    problems: list[str] = []
    previous: dict[str, Any] | None = None
    signature: dict[str, Any] | None = None
    sealed: dict[int, list[dict[str, Any]]] = {}
    seals: dict[int, dict[str, Any]] = {}
    for number, raw in enumerate(lines, start=1):
        if signature is not None:
            problems.append(f"line {number} follows the signature")
            break
        try:
            values = json.loads(raw)
        except ValueError:
            problems.append(f"line {number} is not JSON")
            continue
        kind = values.get("type")
        if kind == "signature":
            signature = values
            continue
        digest.update(raw)
        if kind == "record":
            if previous is not None and (
                values["sequence"] != previous["sequence"] + 1 or values["previous_hash"] != previous["hash"]
            ):
                problems.append(f"record #{values['sequence']} does not follow record #{previous['sequence']}")
            if chain_key is not None and record_hash_of(values, chain_key) != values["hash"]:
                problems.append(f"record #{values['sequence']} was changed after it was written")
            if values["event"] == SEAL_EVENT:
                seals[values["sequence"]] = values["extra"]
            previous = values
        elif kind == "entry":
            if (
                chain_key is not None
                and values["entry_hash"]
                and entry_hash_of(values, chain_key) != values["entry_hash"]
            ):
                problems.append(f"entry #{values['id']} was changed after it was written")
            sealed.setdefault(values["sealed_by"], []).append(values)
        else:
            problems.append(f"line {number} is of no known type")
    if signature is None:
        return [*problems, "the export has no signature line: it is cut short"]
    try:
        claims, _kid = verify_credential(str(signature.get("jws", "")), keys)
    except CredentialError as exc:
        return [*problems, f"the signature is not the platform's ({exc})"]
    if claims.get("typ") != EXPORT_TYPE or claims.get("sha256") != digest.hexdigest():
        problems.append("the lines are not those the signature covers: the export was changed")
    if chain_key is not None:
        for sequence, seal in seals.items():
            batch = sorted(sealed.get(sequence, []), key=lambda values: values["id"])
            if digest_of(batch, chain_key) != seal.get("digest"):
                problems.append(f"the entries sealed by record #{sequence} do not match their seal")
    return problems
