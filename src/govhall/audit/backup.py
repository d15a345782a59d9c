"""One archive with everything a platform needs to start again elsewhere, and its restore.

``manage.py backup`` writes a ``.tar.gz`` (mode 0600: it holds the keys) with:

- ``manifest.json``: when, which database, the audit chain's head, and every file's SHA-256;
- ``audit-checkpoints/``: the signed checkpoints, copied *before* the database, so that every
  checkpoint in the archive is of a head the dump holds;
- ``database.dump`` (``pg_dump --format=custom``) or ``database.sqlite3`` (SQLite's online
  backup API: a consistent copy while the platform runs);
- ``private/`` and ``media/``: applicants' materials, licences and copies, taken after the
  database, so every file a dumped row names is there;
- ``keys/``: the folder of generated keys (development CA, field and chain keys), and
  ``secrets/``: every key file the settings name (``*_FILE`` variables, signing and
  credential keys), with their original paths in the manifest.

``manage.py restore`` puts it back on a fresh machine: the database into the empty database
that ``DATABASE_URL`` names, the files into the configured folders, the keys into the keys
folder and missing secret files at their original paths; then checks the audit chain in a
new process that reads the restored keys. Neither needs the platform to be stopped for the
backup; the restore wants an empty database.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.base import File
from django.core.files.storage import Storage
from django.db import connection

from govhall.audit.checkpoints import checkpoint_storage
from govhall.audit.queries import get_head

FORMAT = "govhall-backup/1"
# The settings that name key files, beside the ``*_FILE`` variables of the environment:
KEY_FILE_SETTINGS = ("SIGNING_CERT", "SIGNING_KEY", "SIGNING_CHAIN", "TRUST_ROOTS", "CREDENTIAL_KEYS")


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why and what to do."""


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _copy_tree(source: Path, target: Path) -> None:
    if source.is_dir():
        shutil.copytree(source, target, symlinks=False, dirs_exist_ok=True)


def _walk_storage(storage: Storage, folder: str = "") -> Iterator[str]:
    try:
        folders, files = storage.listdir(folder)
    except FileNotFoundError:
        return
    for name in files:
        yield f"{folder}/{name}" if folder else name
    for sub in folders:
        yield from _walk_storage(storage, f"{folder}/{sub}" if folder else sub)


def _database() -> dict[str, Any]:
    return connection.settings_dict


def _pg_environment() -> dict[str, str]:
    database = _database()
    environment = {**os.environ}
    for variable, key in (("PGHOST", "HOST"), ("PGPORT", "PORT"), ("PGUSER", "USER"), ("PGPASSWORD", "PASSWORD")):
        if database.get(key):
            environment[variable] = str(database[key])
    return environment


def _run(command: list[str], environment: dict[str, str]) -> None:
    done = subprocess.run(command, env=environment, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"{command[0]} failed: {done.stderr.strip() or done.stdout.strip()}")


def _dump_database(folder: Path) -> str:
    if connection.vendor == "postgresql":
        target = folder / "database.dump"
        _run(
            ["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--file={target}", _database()["NAME"]],
            _pg_environment(),
        )
        return target.name
    if connection.vendor == "sqlite":
        target = folder / "database.sqlite3"
        connection.ensure_connection()
        copy = sqlite3.connect(target)
        try:
            connection.connection.backup(copy)  # consistent while others write (WAL)
        finally:
            copy.close()
        return target.name
    raise BackupError(f"backups of {connection.vendor} databases are not supported")


def _secret_files() -> dict[str, list[str]]:
    """Every key file the configuration names, by the variable or setting that names it."""
    named: dict[str, list[str]] = {}
    for variable, value in sorted(os.environ.items()):
        if variable.endswith("_FILE") and variable.startswith(("GOVHALL_", "DJANGO_", "OIDC_")) and value:
            named[variable] = [value]
    for setting in KEY_FILE_SETTINGS:
        configured = getattr(settings, setting, None)
        paths = configured if isinstance(configured, list | tuple) else [configured] if configured else []
        if paths:
            named[setting] = [str(path) for path in paths]
    return named


@dataclass
class BackupResult:
    archive: Path
    manifest: dict[str, Any] = field(default_factory=dict)


def back_up(archive: Path) -> BackupResult:
    """Write the archive (see the module's docstring); raises BackupError on a failing dump."""
    archive = archive.resolve()
    archive.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="govhall-backup-") as temporary:
        folder = Path(temporary)
        storage = checkpoint_storage()
        checkpoints = folder / "audit-checkpoints"
        for name in _walk_storage(storage):
            target = checkpoints / name
            target.parent.mkdir(parents=True, exist_ok=True)
            with storage.open(name, "rb") as source:
                target.write_bytes(source.read())
        sequence, hash_ = get_head()
        database = _dump_database(folder)
        _copy_tree(Path(settings.PRIVATE_MEDIA_ROOT), folder / "private")
        _copy_tree(Path(settings.MEDIA_ROOT), folder / "media")
        _copy_tree(Path(settings.KEYS_DIR), folder / "keys")
        secrets: dict[str, list[dict[str, str]]] = {}
        for name, paths in _secret_files().items():
            for number, path in enumerate(paths):
                source_path = Path(path)
                if not source_path.is_file():
                    raise BackupError(f"{name} names {path}, which is not a file")
                stored = f"secrets/{name}-{number}-{source_path.name}"
                (folder / "secrets").mkdir(exist_ok=True)
                shutil.copyfile(source_path, folder / stored)
                secrets.setdefault(name, []).append({"path": str(source_path.resolve()), "stored": stored})
        manifest = {
            "format": FORMAT,
            "created_at": datetime.datetime.now(datetime.UTC).isoformat(),
            "database": {"vendor": connection.vendor, "file": database},
            "audit_head": {"sequence": sequence, "hash": hash_},
            "secrets": secrets,
            "files": {
                str(path.relative_to(folder)): _sha256(path)
                for path in sorted(folder.rglob("*"))
                if path.is_file() and not path.is_symlink()
            },
        }
        (folder / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
        partial = archive.with_name(f".{archive.name}.partial")
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
            for member in sorted(folder.iterdir()):
                tar.add(member, arcname=member.name)
        partial.replace(archive)
    return BackupResult(archive, manifest)


@dataclass
class RestoreResult:
    manifest: dict[str, Any]
    replaced_keys: Path | None = None
    skipped_secrets: list[str] = field(default_factory=list)


def _database_is_empty() -> bool:
    with connection.cursor() as cursor:
        return not connection.introspection.table_names(cursor)


def _load_database(folder: Path, manifest: dict[str, Any]) -> None:
    vendor = manifest["database"]["vendor"]
    if vendor != connection.vendor:
        raise BackupError(
            f"the backup is of a {vendor} database and DATABASE_URL names a {connection.vendor} one; "
            "restore into the same kind"
        )
    if not _database_is_empty():
        raise BackupError(
            f"the database {_database()['NAME']} is not empty; restore into a new, empty database "
            "(createdb, or a new SQLite file through DATABASE_URL)"
        )
    source = folder / manifest["database"]["file"]
    if vendor == "postgresql":
        _run(
            [
                "pg_restore",
                "--no-owner",
                "--no-privileges",
                "--exit-on-error",
                f"--dbname={_database()['NAME']}",
                str(source),
            ],
            _pg_environment(),
        )
        return
    connection.ensure_connection()
    dump = sqlite3.connect(source)
    try:
        dump.backup(connection.connection)
    finally:
        dump.close()


def _restore_files(source: Path, target: Path) -> None:
    if not source.is_dir():
        return
    for path in sorted(source.rglob("*")):
        if not path.is_file():
            continue
        destination = target / path.relative_to(source)
        if destination.exists() and _sha256(destination) != _sha256(path):
            raise BackupError(f"{destination} exists and differs from the backup's; restore onto empty folders")
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, destination)


def restore(archive: Path) -> RestoreResult:
    """Restore the archive into the configured database and folders; raises BackupError saying what stopped it."""
    with tempfile.TemporaryDirectory(prefix="govhall-restore-") as temporary:
        folder = Path(temporary)
        try:
            with tarfile.open(archive, "r:gz") as tar:
                tar.extractall(folder, filter="data")
            manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        except (OSError, tarfile.TarError, ValueError, KeyError) as exc:
            raise BackupError(f"{archive} is not a govhall backup: {exc}") from exc
        if manifest.get("format") != FORMAT:
            raise BackupError(f"{archive} is a backup of format {manifest.get('format')!r}; expected {FORMAT}")
        for name, digest in manifest["files"].items():
            path = folder / name
            if not path.is_file() or _sha256(path) != digest:
                raise BackupError(f"{archive} is damaged: {name} is missing or differs from the manifest")
        _load_database(folder, manifest)
        _restore_files(folder / "private", Path(settings.PRIVATE_MEDIA_ROOT))
        _restore_files(folder / "media", Path(settings.MEDIA_ROOT))
        result = RestoreResult(manifest)
        # The keys of the backup decrypt its data; keys this machine generated on its first start
        # are moved aside, not lost:
        keys = Path(settings.KEYS_DIR)
        if (folder / "keys").is_dir():
            if keys.is_dir() and any(keys.iterdir()):
                result.replaced_keys = keys.with_name(
                    f"{keys.name}.replaced-{datetime.datetime.now(datetime.UTC):%Y%m%dT%H%M%SZ}"
                )
                keys.rename(result.replaced_keys)
            shutil.copytree(folder / "keys", keys)
        for name, stored in manifest["secrets"].items():
            for entry in stored:
                target = Path(entry["path"])
                if target.exists():
                    if _sha256(target) != _sha256(folder / entry["stored"]):
                        result.skipped_secrets.append(f"{name}: {target} exists and differs; the backup's is kept")
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(folder / entry["stored"], target)
                target.chmod(0o600)
        storage = checkpoint_storage()
        checkpoints = folder / "audit-checkpoints"
        for path in sorted(checkpoints.rglob("*.json")) if checkpoints.is_dir() else []:
            name = str(path.relative_to(checkpoints))
            if not storage.exists(name):
                with path.open("rb") as handle:
                    storage.save(name, File(handle))
    return result


def verify_restored() -> subprocess.CompletedProcess[str]:
    """``verify_audit`` in a new process, which reads the restored keys (this one read the old ones at start)."""
    return subprocess.run(
        [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), "verify_audit"],
        capture_output=True,
        text=True,
        check=False,
        timeout=3600,
    )
