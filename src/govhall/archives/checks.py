"""The four checks at archiving (四性检测, DA/T 70-2018): authenticity, integrity, usability, security.

Each check is a list of findings; a finding with ``ok`` False fails the package, which is then
not accepted (actions.build_package) and listed for the archivist with this report.

Formats: the platform's own documents are PDF with embedded TrueType CJK fonts and a PAdES
signature. They are not PDF/A: PDF/A would need an output intent and XMP metadata added
before signing, and no PDF/A validator (veraPDF) runs here to prove it. We check what can be
checked offline instead: the file opens, every font is embedded, nothing is encrypted, no
JavaScript or embedded file, and the signature is valid. Materials are kept as received
(PDF, JPEG, PNG, the formats uploads allow).
"""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import bagit
import filetype
from pypdf import PdfReader

from govhall.archives.constants import ALLOWED_FORMATS, METADATA_FILE
from govhall.archives.packaging import PayloadFile, file_digest
from govhall.lib.signing import SignatureStatus, check_pdf_signatures
from govhall.lib.uploads import image_dimensions

# The metadata elements every package must carry, with their type and longest length
# (docs/archives.md gives their meaning and source):
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}")
REQUIRED_ELEMENTS: dict[str, tuple[str, int]] = {
    "聚合层次": ("text", 4),
    "全宗号": ("text", 30),
    "全宗名称": ("text", 100),
    "档号": ("text", 120),
    "年度": ("year", 4),
    "保管期限": ("text", 10),
    "题名": ("text", 300),
    "责任者": ("text", 200),
    "责任者代码": ("credit_code", 18),
    "办件编号": ("text", 60),
    "事项名称": ("text", 200),
    "基本编码": ("text", 12),
    "实施编码": ("text", 31),
    "事项类型": ("text", 2),
    "申请人名称": ("text", 200),
    "申请人类型": ("text", 10),
    "承办部门": ("text", 100),
    "提交时间": ("datetime", 32),
    "办结时间": ("datetime", 32),
    "办理结果": ("text", 20),
    "密级": ("text", 10),
    "文件数": ("number", 6),
    "归档时间": ("datetime", 32),
}
CREDIT_CODE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")
# Compressed archives and executables have no place in a package (DA/T 70 安全性):
_FORBIDDEN_KINDS = {
    "application/zip",
    "application/x-rar-compressed",
    "application/x-7z-compressed",
    "application/gzip",
    "application/x-tar",
    "application/x-bzip2",
    "application/x-xz",
    "application/x-msdownload",
    "application/x-executable",
    "application/x-elf",
}


_STANDARD_14 = {"Helvetica", "Times", "Times-Roman", "Courier", "Symbol", "ZapfDingbats"}


@dataclass
class Finding:
    check: str
    ok: bool
    subject: str
    detail: str = ""


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)

    def add(self, check: str, ok: bool, subject: str, detail: str = "") -> None:
        self.findings.append(Finding(check, ok, subject, detail))

    @property
    def passed(self) -> bool:
        return all(f.ok for f in self.findings)

    def failures(self) -> list[Finding]:
        return [f for f in self.findings if not f.ok]

    def as_dict(self, checked_at: str) -> dict[str, Any]:
        summary = {}
        for name in ("authenticity", "integrity", "usability", "security"):
            mine = [f for f in self.findings if f.check == name]
            summary[name] = {"checked": len(mine), "failed": sum(1 for f in mine if not f.ok)}
        return {
            "standard": "DA/T 70-2018",
            "checked_at": checked_at,
            "passed": self.passed,
            "summary": summary,
            "findings": [f.__dict__ for f in self.findings],
        }


def _check_metadata(report: Report, root: ET.Element, expected: dict[str, str], files: list[PayloadFile]) -> None:
    described = root.find("著录")
    values = {child.tag: (child.text or "") for child in described} if described is not None else {}
    for name, (kind, longest) in REQUIRED_ELEMENTS.items():
        value = values.get(name, "")
        problem = ""
        if not value:
            problem = "missing"
        elif len(value) > longest:
            problem = f"longer than {longest}"
        elif kind == "year" and not (value.isdigit() and len(value) == 4):
            problem = "not a year"
        elif kind == "number" and not value.isdigit():
            problem = "not a number"
        elif kind == "datetime" and not DATETIME.match(value):
            problem = "not an ISO date and time"
        elif kind == "credit_code" and not CREDIT_CODE.match(value):
            problem = "not a unified social credit code"
        elif name in expected and expected[name] != value:
            problem = f"differs from the case ({expected[name]!r})"
        report.add("authenticity", not problem, f"metadata {name}", problem)
    listed = root.find("文件清单")
    count = len(listed) if listed is not None else 0
    # 文件数 counts the metadata file too, which does not list itself:
    report.add(
        "integrity",
        values.get("文件数") == str(len(files)) == str(count + 1),
        "metadata 文件数",
        f"metadata says {values.get('文件数')}, lists {count}, package holds {len(files)}",
    )


def _check_pdf(report: Report, path: Path, name: str, item: PayloadFile) -> None:
    data = path.read_bytes()
    try:
        reader = PdfReader(io.BytesIO(data))
        encrypted = reader.is_encrypted
        pages = len(reader.pages) if not encrypted else 0
    except Exception as exc:  # pypdf raises many kinds on a broken file
        report.add("usability", False, name, f"does not open: {exc.__class__.__name__}")
        return
    report.add("security", not encrypted, name, "encrypted" if encrypted else "")
    if encrypted:
        return
    report.add("usability", pages > 0, name, f"{pages} pages")
    catalog: Any = reader.trailer["/Root"]
    names: Any = catalog.get("/Names", {})
    active = (
        "/JavaScript" in names
        or "/EmbeddedFiles" in names
        or "/OpenAction" in catalog
        and "/JS" in str(catalog.get("/OpenAction"))
    )
    report.add("security", not active, name, "holds JavaScript or an embedded file" if active else "")
    if item.signed:
        # The platform's own document: every font embedded (readable anywhere, for decades):
        missing = sorted(_unembedded_fonts(reader))
        other = [font for font in missing if font.lstrip("/").split("-")[0] not in _STANDARD_14]
        # The 14 standard fonts every PDF reader carries are accepted (PDF/A would want them embedded too):
        report.add("usability", not other, name, f"fonts not embedded: {', '.join(missing)}" if missing else "")
    signature = check_pdf_signatures(io.BytesIO(data))
    if item.signed:
        report.add(
            "authenticity",
            signature.status == SignatureStatus.VALID,
            f"{name} signature",
            f"{signature.status}: {signature.signer} {signature.detail}"[:300],
        )
    elif signature.status != SignatureStatus.NONE:
        # A signed material must still verify as it did when received:
        report.add(
            "authenticity",
            signature.status in (SignatureStatus.VALID, SignatureStatus.UNKNOWN_SIGNER),
            f"{name} signature",
            f"{signature.status}: {signature.signer}"[:300],
        )


def _unembedded_fonts(reader: PdfReader) -> set[str]:
    missing: set[str] = set()
    for page in reader.pages:
        fonts = page.get("/Resources", {}).get("/Font", {})
        for font in fonts.values():
            font = font.get_object()
            descendants = font.get("/DescendantFonts")
            inner = descendants[0].get_object() if descendants else font
            descriptor = inner.get("/FontDescriptor")
            if descriptor is None:
                if font.get("/Subtype") != "/Type3":
                    missing.add(str(font.get("/BaseFont", "?")))
                continue
            descriptor = descriptor.get_object()
            if not any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3")):
                missing.add(str(font.get("/BaseFont", "?")))
    return missing


def run_checks(
    folder: Path,
    files: list[PayloadFile],
    expected: dict[str, str],
    digests: dict[str, str],
    expected_counts: dict[str, int],
) -> Report:
    """Run the four checks over the bag in ``folder`` before it is accepted.

    ``files`` are the payload as gathered from the case (with what the platform recorded of
    each when received); ``expected`` the metadata values the case holds; ``digests`` the
    SHA-256 of each payload file as written; ``expected_counts`` the counts the event trail
    and audit extract must have.
    """
    report = Report()
    # 完整性 — the bag is complete and every digest holds (the bagit library's own validation):
    try:
        bagit.Bag(str(folder)).validate(fast=False)
        report.add("integrity", True, "bag", "BagIt validation passed")
    except bagit.BagError as exc:
        report.add("integrity", False, "bag", str(exc)[:300])
    # 真实性 — the metadata says what the case says, in the right types and lengths:
    try:
        root = ET.fromstring((folder / "data" / METADATA_FILE).read_bytes())
    except (OSError, ET.ParseError) as exc:
        report.add("authenticity", False, "metadata", f"unreadable: {exc}")
        return report
    _check_metadata(report, root, expected, files)
    listed = {entry.findtext("路径", ""): entry.findtext("SHA256", "") for entry in root.iter("文件")}
    for item in files:
        path = folder / "data" / item.path
        name = f"data/{item.path}"
        if not path.is_file():
            report.add("integrity", False, name, "missing")
            continue
        actual = file_digest(path)
        if item.path != METADATA_FILE:
            # 真实性 — the content matches the metadata, and what was received when it was received:
            report.add("authenticity", listed.get(name) == actual, name, "digest matches the metadata")
            if item.expected_sha256:
                report.add(
                    "authenticity",
                    item.expected_sha256 == actual,
                    name,
                    "" if item.expected_sha256 == actual else "differs from the file as received",
                )
        head = path.open("rb").read(8192)
        kind = filetype.guess(head)
        mime = kind.mime if kind else item.content_type
        report.add("security", mime not in _FORBIDDEN_KINDS, name, mime if mime in _FORBIDDEN_KINDS else "")
        report.add("usability", item.content_type in ALLOWED_FORMATS, name, f"format {item.content_type}")
        if item.content_type == "application/pdf":
            _check_pdf(report, path, name, item)
        elif item.content_type in ("image/jpeg", "image/png"):
            with path.open("rb") as image:
                opened = image_dimensions(image, item.content_type) is not None
            report.add("usability", opened and mime == item.content_type, name, "" if opened else "does not open")
        elif item.content_type == "application/xml":
            try:
                ET.parse(path)
                report.add("usability", True, name)
            except ET.ParseError as exc:
                report.add("usability", False, name, str(exc))
    # 完整性 — the whole event trail and audit extract are there (counted in the files themselves):
    for inner, count in expected_counts.items():
        found = _count_entries(folder / "data" / inner)
        report.add("integrity", found == count, f"data/{inner}", f"{found} entries, the case has {count}")
    return report


def _count_entries(path: Path) -> int:
    if not path.is_file():
        return -1
    if path.suffix == ".xml":
        return len(ET.parse(path).getroot())
    with path.open("rb") as lines:
        return sum(1 for line in lines if line.strip())
