"""`python -m bench.archives`: packaging rate (closed cases/s, with their PDFs) and fixity read rate vs the disk.

    .venv/bin/python -m bench.archives [--cases 40] [--workers 2] [--scan-kb 1024] [--database-url …]

Makes a fresh PostgreSQL database govhall_bench_archives (or --database-url, which must name a
govhall_bench* database), closes ``--cases`` licensed felling cases (each with two scanned
materials of about ``--scan-kb`` KB, a signed acceptance notice and a signed licence), then:

1. packaging: ``--workers`` processes build the scheduled packages (each a whole
   ``build_package``: gather, write, four checks, rename, second copy); closed cases per second
   over the wall time;
2. disk: the sequential read rate of one large file written beside the archive, read cold
   (its pages dropped from the cache with posix_fadvise), with 1 MiB reads;
3. fixity: ``run_fixity`` over every package, both copies, read cold the same way; MB/s and
   its share of the disk's rate (the issue asks ≥ 80 %). Steps 2 and 3 alternate ``--runs``
   times (3) and their medians are compared: one cold read of a virtual disk varies 2-3x
   from run to run here.

Prints the figures and a JSON line. The archive folders go to a temporary folder.
"""

from __future__ import annotations

import argparse
import io
import json
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/govhall_bench_archives"


def _setup(url: str, folder: Path) -> None:
    root = Path(__file__).resolve().parent.parent
    for path in (str(root), str(root / "src")):
        if path not in sys.path:
            sys.path.append(path)
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "govhall.conf.settings"
    os.environ.setdefault("GOVHALL_VAR_DIR", str(root / "var" / "bench"))
    os.environ.setdefault("GOVHALL_LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.conf import settings

    settings.ARCHIVES_PRIMARY_DIR = folder / "archive-a"
    settings.ARCHIVES_SECONDARY_DIR = folder / "archive-b"
    settings.ARCHIVES_BUILD_DELAY_SECONDS = 0
    settings.PRIVATE_MEDIA_ROOT = folder / "private"
    import logging

    logging.getLogger("bagit").setLevel(logging.WARNING)


def _scan(kb: int, seed: int) -> bytes:
    """A JPEG of noise of about ``kb`` KB: a scanned page as the hall's scanners make them."""
    import random

    from PIL import Image

    side = max(64, int((kb * 1024 / 1.2) ** 0.5))
    rng = random.Random(seed)
    image = Image.frombytes("L", (side, side), bytes(rng.getrandbits(8) for _ in range(side * side)))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


def _world(cases: int, scan_kb: int) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from govhall.archives import actions as archive_actions
    from govhall.cases import actions as case_actions
    from govhall.catalog.tests.factories import create_draft, publish
    from govhall.identity import actions as identity
    from govhall.identity.constants import Role
    from govhall.licences.models import LicenceType

    password = "Bench#Pass2026"
    bureau = identity.save_department(code="bureau", name="海沧区农林水利局", credit_code="11350205MB01000012")
    forestry = identity.save_department(code="forestry", name="林业科", credit_code="11350205MB01000038", parent=bureau)

    def staff(name: str, department: object, role: str) -> object:
        user = identity.create_staff(username=name, full_name=name, password=password)
        identity.grant_role(user, department, role)
        return user

    helen, grace = staff("helen", bureau, Role.CONTENT_EDITOR), staff("grace", bureau, Role.APPROVER)
    bob, frank = staff("bob", forestry, Role.CLERK), staff("frank", forestry, Role.REVIEWER)
    LicenceType.objects.create(
        code="11350205MB01000012001",
        name="林木采伐许可证",
        defining_body="厦门市海沧区农林水利局",
        issuer_name="厦门市海沧区农林水利局",
        issuer_code="11350205MB01000012",
        face_schema={"type": "object", "properties": {"location": {"type": "string", "title": "采伐地点"}}},
        validity_years=1,
        layout={"title": "林木采伐许可证", "number_prefix": "闽厦海采字"},
        issued_here=True,
    )
    steps = [
        {"order": n, "name": name, "kind": kind, "role": role, "department": forestry, "time_limit": 1}
        for n, (name, kind, role) in enumerate(
            [
                ("受理", "accept", "clerk"),
                ("审查", "review", "reviewer"),
                ("决定", "decision", "approver"),
                ("办结", "close", "clerk"),
                ("送达", "deliver", "clerk"),
            ],
            start=1,
        )
    ]
    materials = [
        {"order": 1, "name": "林木采伐申请表", "need": "1", "source": "1"},
        {"order": 2, "name": "林权证", "need": "1", "source": "1"},
    ]
    version = publish(
        create_draft(
            helen,
            forestry,
            steps=steps,
            materials=materials,
            overrides={"result_licence_type_code": "11350205MB01000012001"},
        ),
        helen,
        grace,
    )
    alice = identity.register_applicant(
        name="陈爱丽", id_number="350205198503120020", phone="13800000001", password=password
    )
    scans = [_scan(scan_kb, n) for n in range(4)]
    started = time.monotonic()
    for n in range(cases):
        files = {
            m.pk: SimpleUploadedFile(f"{m.name}.jpg", scans[(n + i) % len(scans)], content_type="image/jpeg")
            for i, m in enumerate(version.materials.all())
        }
        case = case_actions.submit_case(
            version,
            applicant=alice,
            form_data={"location": f"鼎美村{n}林班", "volume": 12.5},
            submit_key=f"b{n}",
            files=files,
        )
        case = case_actions.accept_case(case, actor=bob)
        # As the worker does after each acceptance: the signed notice is kept once, at acceptance:
        case_actions.keep_acceptance_notice(case.pk)
        case = case_actions.complete_step(case, actor=frank, opinion="符合。")
        case = case_actions.decide_case(
            case, actor=grace, decision="approve", reason="符合条件", legal_basis="《森林法》"
        )
        case_actions.close_case(case, actor=bob)
    archive_actions.read_case_events()
    print(f"  {cases} closed cases made in {time.monotonic() - started:.1f} s", flush=True)


def _build(ids: list[int]) -> int:
    from django.db import connections

    from govhall.archives import actions
    from govhall.archives.models import ArchivalPackage

    connections.close_all()  # a forked worker opens its own connection
    accepted = 0
    for pk in ids:
        accepted += actions.build_package(ArchivalPackage(pk=pk)).status == "accepted"
    return accepted


def _drop_cache(paths: list[Path]) -> None:
    for path in paths:
        descriptor = os.open(path, os.O_RDONLY)
        try:
            os.fdatasync(descriptor) if os.access(path, os.W_OK) else None
            os.posix_fadvise(descriptor, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(descriptor)


def _disk_rate(folder: Path, megabytes: int) -> float:
    """MB/s of reading one large file cold, in 1 MiB reads (what a sequential reader gets from this disk)."""
    path = folder / "sequential.bin"
    block = os.urandom(1 << 20)
    with open(path, "wb") as out:
        for _ in range(megabytes):
            out.write(block)
        out.flush()
        os.fsync(out.fileno())
    _drop_cache([path])
    buffer = bytearray(1 << 20)
    started = time.perf_counter()
    with open(path, "rb", buffering=0) as source:
        while source.readinto(buffer):
            pass
    elapsed = time.perf_counter() - started
    path.unlink()
    return megabytes * (1 << 20) / elapsed / 1e6


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.archives", description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=40)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--scan-kb", type=int, default=1024)
    parser.add_argument("--disk-mb", type=int, default=512)
    parser.add_argument("--runs", type=int, default=3, help="cold reads of the disk and fixity runs (medians compared)")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_ARCHIVES_DATABASE_URL", DEFAULT_URL))
    args = parser.parse_args(argv)
    from bench.__main__ import drop_database, recreate_database

    recreate_database(args.database_url)
    folder = Path(tempfile.mkdtemp(prefix="govhall-archives-bench-"))
    _setup(args.database_url, folder)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    print("archives bench", flush=True)
    _world(args.cases, args.scan_kb)

    from django.db import connections

    from govhall.archives import actions
    from govhall.archives.models import ArchivalPackage

    ids = list(ArchivalPackage.objects.filter(status="scheduled").order_by("pk").values_list("pk", flat=True))
    shares = [ids[n :: args.workers] for n in range(args.workers)]
    connections.close_all()
    started = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(args.workers) as pool:
        accepted = sum(pool.map(_build, shares))
    packaging_seconds = time.perf_counter() - started
    rate = len(ids) / packaging_seconds
    rejected = ArchivalPackage.objects.exclude(status="accepted").values_list("reference", "last_error")[:3]
    print(
        f"  packaging: {accepted}/{len(ids)} accepted in {packaging_seconds:.2f} s = {rate:.1f} closed cases/s "
        f"({args.workers} workers, {os.cpu_count()} cores){'; not accepted: ' + str(list(rejected)) if rejected else ''}"
    )

    files = [p for p in folder.rglob("*") if p.is_file() and "archive-" in str(p)]
    # Each measure taken ``--runs`` times, each read cold; the disk's and the fixity's runs
    # alternate so both see the same moments of the machine; medians are compared:
    disk_rates, fixity_rates = [], []
    for _ in range(args.runs):
        disk_rates.append(_disk_rate(folder, args.disk_mb))
        _drop_cache(files)
        started = time.perf_counter()
        counts = actions.run_fixity(sample=0)
        fixity_rates.append(counts["bytes"] / (time.perf_counter() - started) / 1e6)
    disk, fixity = statistics.median(disk_rates), statistics.median(fixity_rates)
    print(
        f"  disk sequential read (cold, 1 MiB reads): {disk:.0f} MB/s (runs: {', '.join(f'{r:.0f}' for r in disk_rates)})"
    )
    print(
        f"  fixity: {counts['checked']} packages, both copies, {counts['bytes'] / 1e6:.0f} MB each run: {fixity:.0f} MB/s "
        f"(runs: {', '.join(f'{r:.0f}' for r in fixity_rates)}) = {100 * fixity / disk:.0f} % of the disk's rate "
        f"({100 * fixity / max(disk_rates):.0f} % of its best run); "
        f"{counts['damaged']} damaged"
    )
    print(
        json.dumps(
            {
                "packaging_cases_per_second": round(rate, 2),
                "disk_mb_s": round(disk),
                "fixity_mb_s": round(fixity),
                "fixity_share": round(fixity / disk, 3),
                "disk_best_mb_s": round(max(disk_rates)),
                "fixity_share_of_best": round(fixity / max(disk_rates), 3),
                "cases": len(ids),
                "workers": args.workers,
            }
        )
    )
    import shutil

    for path in folder.rglob("*"):
        if path.is_file():
            path.chmod(0o600)
    shutil.rmtree(folder, ignore_errors=True)
    connections.close_all()
    drop_database(args.database_url)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
