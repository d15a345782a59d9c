"""Private files: applicants' materials and licence documents, never served from a public folder.

A file that a row names is saved before the row commits, so a committed row always has its
file (moving it into place after commit would leave a committed row without its file when the
process dies between the two, and for a moment every time). What must not happen is the
opposite, a file left behind by a filing that did not commit. So each such file is saved
with a marker beside it, ``pending/<its name>``, written first:

- the transaction commits: the marker is deleted (``transaction.on_commit``);
- the transaction fails inside the action: ``discard_files_on_rollback`` deletes the file and
  its marker at once;
- the process dies, or a caller's outer transaction rolls back after the action's block
  ended: the marker stays, and ``clean_pending_files`` (``manage.py clean_uploads``, on a
  schedule) deletes every file still marked after a grace period that no committed row
  names, and keeps (dropping the marker) one that a row names.
"""

from __future__ import annotations

import contextlib
import datetime
import functools
import hashlib
import os
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

from django.apps import apps
from django.conf import settings
from django.core.files.base import ContentFile, File
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.db import models, transaction
from django.db.models.fields.files import FieldFile
from django.http import FileResponse
from django.utils import timezone
from django.utils.http import content_disposition_header

from govhall.lib.uploads import InspectedFile

PENDING = "pending/"

P = ParamSpec("P")
R = TypeVar("R")

# The files saved inside each open discard_files_on_rollback block, innermost last:
_saved_in_block: ContextVar[tuple[list[tuple[Storage, str]], ...]] = ContextVar("saved_in_block", default=())


def private_storage() -> Storage:
    """The storage outside any served folder (settings.STORAGES["private"])."""
    return storages["private"]


class _ArchiveStorage(FileSystemStorage):
    """The first copy of the archival packages, wherever ``settings.ARCHIVES_PRIMARY_DIR`` says now."""

    @property
    def base_location(self) -> str:
        return str(settings.ARCHIVES_PRIMARY_DIR)

    @property
    def location(self) -> str:
        return os.path.abspath(self.base_location)


_archive_storage = _ArchiveStorage()


def archive_storage() -> Storage:
    """Files kept inside archival packages (a live case's materials once released to the archive)."""
    return _archive_storage


def file_matches(file: FieldFile, sha256: str) -> bool:
    """Whether a stored file exists and its bytes hash to ``sha256``."""
    digest = hashlib.sha256()
    try:
        with file.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    except (FileNotFoundError, OSError):
        return False
    return digest.hexdigest() == sha256


def private_download(file: FieldFile, *, content_type: str, filename: str) -> FileResponse:
    """Serve a private file to someone an access gate has already let through: no caching, no sniffing."""
    response = FileResponse(file.open("rb"), content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def save_until_committed(name: str, content: File[Any], *, storage: Storage | None = None) -> str:
    """Save a file that a row written in the current transaction will name; return the name it got.

    Must be called inside ``transaction.atomic`` (a RuntimeError otherwise): the file is kept
    only if that transaction commits. See the module's docstring for how it is removed if
    not. ``name`` should be unique (a random part): the marker is written under it first.
    """
    storage = storage or private_storage()
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("save_until_committed must run inside the transaction that writes the row")
    marker = storage.save(PENDING + name, ContentFile(b""))
    saved = storage.save(name, content)
    if marker != PENDING + saved:  # the storage chose another name (one was taken): mark that one
        storage.save(PENDING + saved, ContentFile(b""))
        storage.delete(marker)
        marker = PENDING + saved
    for block in _saved_in_block.get()[-1:]:
        block.append((storage, saved))
    transaction.on_commit(functools.partial(storage.delete, marker))
    return saved


M = TypeVar("M", bound=models.Model)


def keep_inspected_files(model: type[M], files: list[Any], inspected: list[InspectedFile], **fields: Any) -> list[M]:
    """Save each inspected upload as a row of ``model`` — its ``file``, and the inspection's name, type, size and hash.

    ``model`` has those fields (``file``, ``original_name``, ``content_type``, ``size``,
    ``sha256``); ``fields`` are the row's others (its owner, who uploaded it). Inside the
    transaction that writes the rows: each file is kept only if it commits.
    """
    rows = []
    for upload, info in zip(files, inspected, strict=True):
        upload.name = f"file.{info.extension}"  # the stored name says nothing the uploader chose
        row = model(
            original_name=info.safe_name, content_type=info.content_type, size=info.size, sha256=info.sha256, **fields
        )
        file = row.file  # type: ignore[attr-defined]
        row.file = save_until_committed(  # type: ignore[attr-defined]
            file.field.generate_filename(row, upload.name), upload, storage=file.storage
        )
        row.save()
        rows.append(row)
    return rows


@contextlib.contextmanager
def _discarding() -> Iterator[None]:
    saved: list[tuple[Storage, str]] = []
    blocks = _saved_in_block.get()
    token = _saved_in_block.set((*blocks, saved))
    try:
        yield
    except BaseException:
        for storage, name in saved:
            # The row that would have named it was rolled back with the transaction:
            storage.delete(name)
            storage.delete(PENDING + name)
        raise
    finally:
        _saved_in_block.reset(token)
    if blocks:  # an enclosing block that fails later must remove these too
        blocks[-1].extend(saved)


def discard_files_on_rollback(function: Callable[P, R]) -> Callable[P, R]:
    """Put above ``@transaction.atomic``: a file saved by ``save_until_committed`` inside is deleted if it raises."""

    @functools.wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with _discarding():
            return function(*args, **kwargs)

    return wrapper


def files_discarded_on_rollback() -> contextlib.AbstractContextManager[None]:
    """``with files_discarded_on_rollback(), transaction.atomic():`` — the block's saved files go if it raises."""
    return _discarding()


@dataclass(frozen=True)
class Cleaning:
    """What ``clean_pending_files`` did: files deleted, files kept (a committed row names them), markers left."""

    deleted: list[str]
    kept: list[str]
    waiting: int


def _walk(storage: Storage, folder: str) -> Iterator[str]:
    try:
        folders, files = storage.listdir(folder)
    except FileNotFoundError:
        return
    for name in files:
        yield f"{folder}{name}"
    for inner in folders:
        yield from _walk(storage, f"{folder}{inner}/")


def _on(field: models.FileField, storage: Storage) -> bool:
    # A field given a callable (private_storage) keeps it; the storage it resolved when the model
    # was loaded may since have been replaced (settings changed), the callable names the current one:
    callable_storage = getattr(field, "_storage_callable", None)
    return field.storage is storage or (callable_storage is not None and callable_storage() is storage)


def _named_by_a_row(storage: Storage, name: str) -> bool:
    """Whether any model's file field on ``storage`` names ``name`` in a committed row."""
    for model in apps.get_models():
        for field in model._meta.get_fields():
            if (
                isinstance(field, models.FileField)
                and _on(field, storage)
                and model._default_manager.filter(**{field.name: name}).exists()
            ):
                return True
    return False


def clean_pending_files(*, grace: datetime.timedelta, storage: Storage | None = None) -> Cleaning:
    """Settle every file still marked pending for longer than ``grace``; return what was done.

    A file no committed row names is deleted (its filing never committed: a crash, an outer
    rollback); one a row names is kept and only its marker goes (the process died between the
    commit and the marker's removal). Markers younger than ``grace`` belong to transactions
    that may still be running and are left alone.
    """
    storage = storage or private_storage()
    cutoff = timezone.now() - grace
    deleted: list[str] = []
    kept: list[str] = []
    waiting = 0
    for marker in _walk(storage, PENDING):
        try:
            marked_at = storage.get_created_time(marker)
        except (FileNotFoundError, NotImplementedError):
            marked_at = storage.get_modified_time(marker)
        if marked_at > cutoff:
            waiting += 1
            continue
        name = marker[len(PENDING) :]
        if _named_by_a_row(storage, name):
            kept.append(name)
        else:
            storage.delete(name)
            deleted.append(name)
        storage.delete(marker)
    return Cleaning(deleted, kept, waiting)
