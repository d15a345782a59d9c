"""Signed checkpoints of the audit chain's head, kept outside the database.

A checkpoint says "the chain held record #N with hash H at time T", signed with the bureau's
credential key (ES256, ``lib.credentials``; the public keys are published at
``/licences/keys.json``, so anyone can check one). Someone who can write to the database but
not to this store cannot cut records off the end of the chain unnoticed: the chain must still
reach the latest checkpoint, with the same hash there.

The store is the ``audit_checkpoints`` storage (settings): by default a folder under
``GOVHALL_VAR_DIR`` where every checkpoint is a new read-only file, created exclusively and
never overwritten or deleted by the platform; an object store with a write-once lock can take
its place. Files are ``YYYY-MM-DD/<UTC time>-<sequence>-<kind>.json``: the names sort in the
order they were written, and the name must agree with the signed content, so an old
checkpoint copied under a newer name is refused.
"""

from __future__ import annotations

import datetime
import json
import re
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.utils import timezone

from govhall.lib.credentials import CredentialError, KeySet, sign_credential, verify_credential

CHECKPOINT_TYPE = "govhall-audit-checkpoint"


class CheckpointKind:
    HEAD = "head"  # written on the schedule: the head as it is
    PRUNE = "prune"  # the last record removed by a pruning: the chain verifies from there
    RESTORE = "restore"  # the head after a restore from a backup, which may have lost records


KINDS = frozenset({CheckpointKind.HEAD, CheckpointKind.PRUNE, CheckpointKind.RESTORE})


class CheckpointError(Exception):
    """A checkpoint that cannot be trusted, or one that may not be written."""


class AppendOnlyStorage(FileSystemStorage):
    """A folder where files are only ever added: created exclusively, read-only, never deleted."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("file_permissions_mode", 0o444)
        kwargs.setdefault("directory_permissions_mode", 0o755)
        kwargs.setdefault("base_url", None)
        super().__init__(**kwargs)

    def get_available_name(self, name: str, max_length: int | None = None) -> str:
        if self.exists(name):
            raise FileExistsError(f"checkpoint {name} exists; checkpoints are never overwritten")
        return name

    def delete(self, name: str) -> None:
        raise PermissionError("audit checkpoints are never deleted")


def checkpoint_storage() -> Storage:
    return storages["audit_checkpoints"]


@dataclass(frozen=True)
class Checkpoint:
    name: str
    sequence: int
    hash: str
    kind: str
    written_at: datetime.datetime
    note: str = ""


_NAME = re.compile(r"^(\d{4}-\d{2}-\d{2})/(\d{8}T\d{12}Z)-(\d{12})-([a-z]+)\.json$")


def _name_for(written_at: datetime.datetime, sequence: int, kind: str) -> str:
    moment = written_at.astimezone(datetime.UTC)
    return f"{moment:%Y-%m-%d}/{moment:%Y%m%dT%H%M%S%f}Z-{sequence:012d}-{kind}.json"


def write_checkpoint_file(sequence: int, hash_: str, kind: str, note: str = "") -> Checkpoint:
    """Sign ``sequence`` and ``hash_`` and store them as a new file; never replaces one.

    Callers go through ``audit.actions.write_checkpoint``, which checks the chain first.
    Raises FileExistsError if a checkpoint of the same microsecond exists.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown checkpoint kind {kind!r}")
    written_at = timezone.now()
    claims = {
        "typ": CHECKPOINT_TYPE,
        "iss": settings.BUREAU_CREDIT_CODE,
        "seq": sequence,
        "hash": hash_,
        "kind": kind,
        "at": written_at.astimezone(datetime.UTC).isoformat(),
        "iat": int(written_at.timestamp()),
        "note": note,
    }
    token = sign_credential(claims, typ=f"{CHECKPOINT_TYPE}+jwt")
    body = json.dumps({"checkpoint": claims, "jws": token}, ensure_ascii=False, indent=2) + "\n"
    name = checkpoint_storage().save(_name_for(written_at, sequence, kind), ContentFile(body.encode("utf-8")))
    return Checkpoint(name, sequence, hash_, kind, written_at, note)


def read_checkpoint(name: str, keys: KeySet | None = None) -> Checkpoint:
    """The checkpoint stored as ``name``, its signature and name checked; CheckpointError if not genuine."""
    match = _NAME.match(name)
    if match is None:
        raise CheckpointError(f"{name} is not the name of a checkpoint")
    try:
        with checkpoint_storage().open(name, "rb") as handle:
            token = json.loads(handle.read().decode("utf-8"))["jws"]
        claims, _kid = verify_credential(str(token), keys)
    except (CredentialError, ValueError, KeyError, TypeError) as exc:
        raise CheckpointError(f"checkpoint {name} is not signed by the platform's key ({exc})") from exc
    try:
        checkpoint = Checkpoint(
            name=name,
            sequence=int(claims["seq"]),
            hash=str(claims["hash"]),
            kind=str(claims["kind"]),
            written_at=datetime.datetime.fromisoformat(str(claims["at"])),
            note=str(claims.get("note", "")),
        )
    except (KeyError, ValueError) as exc:
        raise CheckpointError(f"checkpoint {name} does not say what it checks ({exc})") from exc
    if (
        claims.get("typ") != CHECKPOINT_TYPE
        or _name_for(checkpoint.written_at, checkpoint.sequence, checkpoint.kind) != name
    ):
        raise CheckpointError(f"checkpoint {name}: its name does not agree with its signed content")
    return checkpoint


def recent_checkpoint_names(limit: int) -> list[str]:
    """The names of the last ``limit`` checkpoints written, newest first (reads only the newest days)."""
    storage = checkpoint_storage()
    try:
        days, _files = storage.listdir("")
    except FileNotFoundError:
        return []
    names: list[str] = []
    for day in sorted((d for d in days if re.fullmatch(r"\d{4}-\d{2}-\d{2}", d)), reverse=True):
        _dirs, files = storage.listdir(day)
        for file in sorted(files, reverse=True):
            if _NAME.match(f"{day}/{file}"):
                names.append(f"{day}/{file}")
                if len(names) >= limit:
                    return names
    return names


def latest_checkpoint(keys: KeySet | None = None) -> Checkpoint | None:
    """The newest checkpoint, checked; None if none was ever written. CheckpointError if it is not genuine."""
    names = recent_checkpoint_names(1)
    return read_checkpoint(names[0], keys) if names else None
