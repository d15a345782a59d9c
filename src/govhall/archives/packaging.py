"""Building the archival information package (归档信息包) of a closed case as a BagIt bag (RFC 8493).

What the bag holds (docs/archives.md lists it file by file and the metadata element by element):

    bagit.txt, bag-info.txt                    the bag's declaration and its description
    manifest-sha256.txt (and -sm3)             every payload file's digest
    tagmanifest-sha256.txt (and -sm3)          the digests of the tag files, the report included
    archive-check-report.json                  the four checks (四性检测) made at archiving
    data/metadata.xml                          the case's metadata, mapped to the archive elements
    data/events.xml                            the full event trail
    data/materials/NN-<name>                   every current material, byte for byte as received
    data/documents/acceptance-notice.pdf       the acceptance notice, signed
    data/documents/licence-<number>.pdf        the licence the decision issued, as signed at issue
    data/audit/audit-extract.jsonl             the audit chain's records about the case, with their hashes

A bag is built in a folder beside the archive (``<root>/.incoming/…``) and renamed into place
only when complete and checked: rename is atomic, so the archive never shows half a package,
and a worker killed while writing leaves only an ``.incoming`` folder that ``sweep_archives``
removes.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import re
import secrets
import shutil
import stat
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import bagit

from django.conf import settings
from django.utils import timezone

from govhall.archives.constants import METADATA_FILE

# bagit accepts the algorithms every Python guarantees; SM3 (GB/T 32905) comes with OpenSSL 3.
# The bag always carries SHA-256 manifests, so any BagIt validator checks it; SM3 is added beside:
if "sm3" in hashlib.algorithms_available:
    bagit.CHECKSUM_ALGOS = frozenset(set(bagit.CHECKSUM_ALGOS) | {"sm3"})

INCOMING = ".incoming"
_SAFE_NAME = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._-]{0,59}$")


def primary_root() -> Path:
    return Path(settings.ARCHIVES_PRIMARY_DIR)


def secondary_root() -> Path:
    return Path(settings.ARCHIVES_SECONDARY_DIR)


def algorithms() -> list[str]:
    """The manifests' digest algorithms: SHA-256 always first, SM3 too when configured."""
    chosen = ["sha256"]
    if settings.ARCHIVES_SM3:
        chosen.append("sm3")
    return chosen


def bag_path(root: Path, reference: str) -> Path:
    if not _SAFE_NAME.match(reference):
        raise ValueError(f"a case reference that cannot name a folder: {reference!r}")
    return root / reference


@dataclass
class PayloadFile:
    """One file of the payload: its path under data/, and its bytes or the storage file to copy."""

    path: str
    content: bytes | None = None
    source: Any = None  # a FieldFile (opened and copied in chunks)
    expected_sha256: str = ""  # what the platform recorded when it received the file
    content_type: str = ""
    signed: bool = False  # a PDF the platform signed: its signature must be valid at archiving


@dataclass
class Contents:
    """Everything a case's package will hold, gathered in one read."""

    reference: str
    bag_info: dict[str, str]
    files: list[PayloadFile] = field(default_factory=list)
    metadata: dict[str, str] = field(default_factory=dict)
    event_count: int = 0
    audit_count: int = 0


def _element(parent: ET.Element, name: str, value: str) -> ET.Element:
    child = ET.SubElement(parent, name)
    child.text = value
    return child


def metadata_xml(metadata: dict[str, str], files: list[PayloadFile], digests: dict[str, str]) -> bytes:
    """The metadata file: the archive elements (docs/archives.md), then one entry per file with its digest."""
    root = ET.Element("归档信息包", {"版本": "1.0", "标准": "GB/T 42727-2023"})
    described = ET.SubElement(root, "著录")
    for name, value in metadata.items():
        _element(described, name, value)
    listed = ET.SubElement(root, "文件清单")
    for item in files:
        entry = ET.SubElement(listed, "文件")
        _element(entry, "路径", f"data/{item.path}")
        _element(entry, "格式", item.content_type)
        _element(entry, "SHA256", digests[item.path])
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def events_xml(reference: str, events: list[dict[str, str]]) -> bytes:
    root = ET.Element("办理过程", {"办件编号": reference})
    for event in events:
        entry = ET.SubElement(root, "环节")
        for name, value in event.items():
            _element(entry, name, value)
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def audit_lines(records: list[dict[str, Any]]) -> bytes:
    return b"".join(
        json.dumps(values, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str).encode() + b"\n"
        for values in records
    )


def _copy_into(item: PayloadFile, target: Path) -> str:
    """Write one payload file; return its SHA-256 (computed while writing, the file is read once)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    with open(target, "wb") as out:
        if item.content is not None:
            digest.update(item.content)
            out.write(item.content)
        else:
            with item.source.open("rb") as source:
                for chunk in iter(lambda: source.read(1 << 20), b""):
                    digest.update(chunk)
                    out.write(chunk)
        out.flush()
        os.fsync(out.fileno())
    return digest.hexdigest()


def new_incoming(root: Path, reference: str) -> Path:
    """A fresh folder beside the archive (same file system, so the final rename is atomic)."""
    folder = root / INCOMING / f"{reference}.{os.getpid()}.{secrets.token_hex(4)}"
    folder.mkdir(parents=True)
    return folder


def write_bag(contents: Contents, folder: Path) -> dict[str, str]:
    """Write the payload and the bag's tag files into ``folder``; return the payload's SHA-256 by path."""
    digests: dict[str, str] = {}
    for item in contents.files:
        try:
            digests[item.path] = _copy_into(item, folder / item.path)
        except FileNotFoundError:
            # A material gone from the live store: the package is written without it, and the
            # integrity check names it missing (the package is then not accepted):
            (folder / item.path).unlink(missing_ok=True)
            digests[item.path] = ""
    meta = PayloadFile(
        METADATA_FILE, metadata_xml(contents.metadata, contents.files, digests), content_type="application/xml"
    )
    digests[METADATA_FILE] = _copy_into(meta, folder / METADATA_FILE)
    contents.files.insert(0, meta)
    bagit.make_bag(str(folder), bag_info=contents.bag_info, checksums=algorithms())
    return digests


def add_report(folder: Path, name: str, report: dict[str, Any]) -> None:
    """Put the checks' report beside bag-info.txt and write the tag manifests again to cover it."""
    (folder / name).write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    bag = bagit.Bag(str(folder))
    bag.save(manifests=False)  # regenerates only the tag manifests (the payload's stay as made)


def tagmanifest_digest(folder: Path) -> str:
    return file_digest(folder / f"tagmanifest-{algorithms()[0]}.txt", algorithms()[0])


def file_digest(path: Path, algorithm: str = "sha256") -> str:
    digest = hashlib.new(algorithm)
    with open(path, "rb") as source:
        for chunk in iter(lambda: source.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _fsync_tree(folder: Path) -> None:
    for path in sorted(folder.rglob("*"), reverse=True):
        if path.is_file():
            with open(path, "rb") as handle:
                os.fsync(handle.fileno())
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def make_read_only(folder: Path) -> None:
    """Written once, never changed: the bag's files are made read-only once in place."""
    for path in folder.rglob("*"):
        if path.is_file():
            path.chmod(stat.S_IRUSR | stat.S_IRGRP)


def make_writable(folder: Path) -> None:
    for path in folder.rglob("*"):
        if path.is_file():
            path.chmod(stat.S_IRUSR | stat.S_IWUSR | stat.S_IRGRP)


class AlreadyInPlace(Exception):
    """A package of that name is already in the archive: it is never written over."""


def put_in_place(incoming: Path, root: Path, reference: str) -> Path:
    """Rename a complete bag into the archive under its case reference; never over an existing one."""
    target = bag_path(root, reference)
    _fsync_tree(incoming)
    if target.exists():
        raise AlreadyInPlace(str(target))
    os.rename(incoming, target)  # atomic on one file system; fails if the target appeared meanwhile
    descriptor = os.open(root, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
    make_read_only(target)
    return target


def copy_to(source: Path, root: Path, reference: str) -> Path:
    """The second copy: copied beside the other archive, then renamed into place (never half a copy)."""
    incoming = new_incoming(root, reference)
    shutil.rmtree(incoming)
    shutil.copytree(source, incoming)
    make_writable(incoming)
    return put_in_place(incoming, root, reference)


def remove_stale_incoming(root: Path, older_than: datetime.timedelta) -> list[str]:
    """Delete the half-written bags of workers that died (only those older than ``older_than``)."""
    folder = root / INCOMING
    if not folder.exists():
        return []
    cutoff = timezone.now().timestamp() - older_than.total_seconds()
    removed = []
    for path in folder.iterdir():
        if path.stat().st_mtime < cutoff:
            make_writable(path)
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path.name)
    return removed


def walk_files(folder: Path) -> Iterator[Path]:
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            yield path
