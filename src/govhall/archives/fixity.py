"""Reading the packages' copies again for the fixity check: files only, no database.

A copy is intact when its tag manifest hashes to the anchor kept in the database, every file
the tag manifest and the manifest list is there and hashes to its entry, and nothing else is
in the bag. Each copy is walked once, and each file read once (the manifests are parsed from
the bytes that are hashed).

Many packages are checked at once (``verify_copies``) so the disk is never idle between
packages: a few threads hash files side by side (file reads and hashlib let go of the GIL),
and one more asks the kernel to read the next files before a hashing thread opens them
(``posix_fadvise(WILLNEED)``, a bounded window ahead), so the disk always has reads queued
instead of one small file's round trip at a time.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

# Files hashed at once: one per core and one more waiting on the disk (more only contend for the
# cores: measured on 2 cores, 3 threads read fastest, 8 a quarter slower):
THREADS = max(2, min(8, (os.cpu_count() or 1) + 1))
# Walking the copies and reading their manifests is mostly Python work: more threads than two
# only contend for the GIL (measured: 16 threads survey twice as slowly as 2):
SURVEY_THREADS = 2
# How far ahead of the hashing the kernel is asked to read (bytes asked for, not yet hashed):
WINDOW = 64 << 20
BLOCK = 1 << 20


@dataclass
class CopyState:
    """What reading one copy found: its problems (none: intact), the bytes read, each file's digest."""

    problems: list[str] = field(default_factory=list)
    bytes_read: int = 0
    digests: dict[str, str] = field(default_factory=dict)  # path -> digest read now


@dataclass
class _Read:
    """One file of one copy still to hash, and what its manifest says it must hash to."""

    state: CopyState
    name: str
    path: str
    expected: str


def _walk(folder: Path) -> set[str]:
    """Every file under ``folder``, as paths relative to it (one ``scandir`` per directory)."""
    found: set[str] = set()
    pending = [("", str(folder))]
    while pending:
        prefix, directory = pending.pop()
        with os.scandir(directory) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    pending.append((f"{prefix}{entry.name}/", entry.path))
                else:
                    found.add(prefix + entry.name)
    return found


def parse_manifest(text: str) -> dict[str, str]:
    """A BagIt manifest's entries, path -> digest (a line that is not "digest path" is left out:
    the manifest's own digest, or the anchor for the tag manifest, then no longer matches)."""
    entries = {}
    for line in text.splitlines():
        parts = line.split(maxsplit=1)
        if len(parts) == 2:
            entries[parts[1].strip()] = parts[0].lower()
    return entries


def _survey(folder: Path, algorithm: str, anchor: str) -> tuple[CopyState, list[_Read]]:
    """Walk one copy, check its manifests, and list the files still to hash."""
    try:
        return _survey_copy(folder, algorithm, anchor)
    except (FileNotFoundError, NotADirectoryError):
        return CopyState(problems=["the package is missing"]), []
    except OSError as exc:
        return CopyState(problems=[f"unreadable: {exc.__class__.__name__}"]), []


def _survey_copy(folder: Path, algorithm: str, anchor: str) -> tuple[CopyState, list[_Read]]:
    state = CopyState()
    on_disk = _walk(folder)
    tag_name, manifest_name = f"tagmanifest-{algorithm}.txt", f"manifest-{algorithm}.txt"
    if tag_name not in on_disk:
        state.problems.append(f"{tag_name}: missing")
        return state, []
    raw = (folder / tag_name).read_bytes()
    state.bytes_read += len(raw)
    _compare(state, tag_name, hashlib.new(algorithm, raw).hexdigest(), anchor)
    expected = parse_manifest(raw.decode("utf-8", "replace"))
    on_disk.discard(tag_name)
    if manifest_name in on_disk:
        # The manifest is read once: parsed for the payload's digests, and hashed as a tag file:
        raw = (folder / manifest_name).read_bytes()
        state.bytes_read += len(raw)
        listed = expected.pop(manifest_name, None)
        if listed is None:
            state.problems.append(f"{manifest_name}: not in the manifest")
        else:
            _compare(state, manifest_name, hashlib.new(algorithm, raw).hexdigest(), listed)
        expected.update(parse_manifest(raw.decode("utf-8", "replace")))
        on_disk.discard(manifest_name)
    reads, root = [], str(folder)
    for name in sorted(set(expected) | on_disk):
        if name not in expected:
            state.problems.append(f"{name}: not in the manifest")
        elif name not in on_disk:
            state.problems.append(f"{name}: missing")
        else:
            reads.append(_Read(state, name, os.path.join(root, name), expected[name]))
    return state, reads


def _compare(state: CopyState, name: str, digest: str, expected: str) -> None:
    state.digests[name] = digest
    if digest != expected:
        state.problems.append(f"{name}: changed")


class _Prefetcher(threading.Thread):
    """Asks the kernel to read the next files before the hashing threads open them.

    Keeps at most ``window`` bytes asked for and not yet hashed; skips the files a thread has
    already started. Linux (``posix_fadvise``); elsewhere ``verify_copies`` goes without.
    """

    def __init__(self, paths: list[str], window: int) -> None:
        super().__init__(daemon=True)
        self.paths, self.window = paths, window
        self.asked = self.hashed = 0
        self.started = -1
        self.stopped = False
        self.turn = threading.Condition()

    def run(self) -> None:
        for index, path in enumerate(self.paths):
            with self.turn:
                while self.asked - self.hashed > self.window and not self.stopped:
                    self.turn.wait()
                if self.stopped:
                    return
                if index <= self.started:
                    continue
            size = _advise(path, self.window)
            with self.turn:
                self.asked += min(size, self.window)

    def starting(self, index: int) -> None:
        with self.turn:
            self.started = max(self.started, index)

    def finished(self, size: int) -> None:
        with self.turn:
            self.hashed += size
            self.turn.notify()

    def stop(self) -> None:
        with self.turn:
            self.stopped = True
            self.turn.notify()
        self.join()


def _advise(path: str, length: int = 0) -> int:
    """Ask the kernel to start reading a file (its first ``length`` bytes; 0: all) now; return its size."""
    try:
        descriptor = os.open(path, os.O_RDONLY)
    except OSError:
        return 0
    try:
        size = os.fstat(descriptor).st_size
        os.posix_fadvise(descriptor, 0, length, os.POSIX_FADV_WILLNEED)
        return size
    finally:
        os.close(descriptor)


def hash_file(path: str, algorithm: str) -> tuple[str, int]:
    """The file's digest and size, read in 1 MiB blocks into one buffer."""
    digest = hashlib.new(algorithm)
    size = 0
    with open(path, "rb", buffering=0) as source:
        buffer = bytearray(BLOCK)
        view = memoryview(buffer)
        while read := source.readinto(buffer):
            digest.update(view[:read])
            size += read
    return digest.hexdigest(), size


def verify_copies(copies: Iterable[tuple[Path, str, str]], threads: int = THREADS) -> list[CopyState]:
    """Re-hash many copies at once: ``copies`` are (folder, algorithm, anchor digest); states in order."""
    wanted = list(copies)
    advise = hasattr(os, "posix_fadvise")
    if advise:
        # The manifests are read first, each a small read waiting on the disk: all asked for at once:
        for folder, algorithm, _ in wanted:
            for name in (f"tagmanifest-{algorithm}.txt", f"manifest-{algorithm}.txt"):
                _advise(os.path.join(folder, name))
    with ThreadPoolExecutor(max_workers=SURVEY_THREADS) as pool:
        surveyed = list(pool.map(lambda copy: _survey(*copy), wanted))
    with ThreadPoolExecutor(max_workers=threads) as pool:
        reads = [(read, algorithm) for (_, algorithm, _), (_, rs) in zip(wanted, surveyed, strict=True) for read in rs]
        ahead = _Prefetcher([read.path for read, _ in reads], WINDOW) if advise else None
        if ahead:
            ahead.start()

        def work(index: int) -> tuple[str, int] | None:
            read, algorithm = reads[index]
            if ahead:
                ahead.starting(index)
            try:
                result: tuple[str, int] | None = hash_file(read.path, algorithm)
            except OSError:
                result = None
            if ahead:
                ahead.finished(result[1] if result else 0)
            return result

        try:
            results = list(pool.map(work, range(len(reads))))
        finally:
            if ahead:
                ahead.stop()
    # The states are filled in here, in one thread:
    for (read, _), result in zip(reads, results, strict=True):
        if result is None:
            read.state.problems.append(f"{read.name}: unreadable")
            continue
        digest, size = result
        read.state.bytes_read += size
        _compare(read.state, read.name, digest, read.expected)
    return [state for state, _ in surveyed]


def verify_copy(folder: Path, algorithm: str, anchor: str) -> CopyState:
    """Re-hash one copy against the anchor (the tag manifest's digest kept in the database)."""
    return verify_copies([(folder, algorithm, anchor)], threads=2)[0]
