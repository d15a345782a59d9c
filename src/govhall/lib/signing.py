"""PAdES signatures on PDFs (pyHanko): the bureau signs its documents, and signed uploads are checked.

Keys and certificates come from settings (GOVHALL_SIGNING_CERT / _KEY / _CHAIN, and
GOVHALL_TRUST_ROOTS for the certificates we accept signatures under). In development a
small CA — a root and a document-signing certificate issued by it — is generated on first
use into ``KEYS_DIR/pki`` (ignored by git), so a fresh clone signs and verifies with no set-up.
Production refuses to start without configured keys (conf/settings.py).
"""

from __future__ import annotations

import datetime
import enum
import io
import os
import secrets
import shutil
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import IO

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pyhanko.pdf_utils import content, layout
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.errors import SignatureValidationError
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko.stamp import StaticStampStyle
from pyhanko_certvalidator import ValidationContext
from pypdf import PdfReader
from reportlab.lib.units import mm

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from govhall.lib.pdf import SEAL_DIAMETER, find_line, seal_pdf


@dataclass(frozen=True)
class SigningFiles:
    cert: Path
    key: Path
    chain: tuple[Path, ...]
    trust_roots: tuple[Path, ...]
    credential_keys: tuple[Path, ...]


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, settings.BUREAU_NAME),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _pem_key(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _write_dev_pki(folder: Path) -> None:
    now = datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=1)
    root_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    root_name = _name("govhall development root CA (not for production)")
    root = (
        x509.CertificateBuilder()
        .subject_name(root_name)
        .issuer_name(root_name)
        .public_key(root_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(root_key.public_key()), critical=False)
        .sign(root_key, hashes.SHA256())
    )
    signer_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    signer = (
        x509.CertificateBuilder()
        .subject_name(_name(f"{settings.BUREAU_NAME} 电子证照签章（开发）"))
        .issuer_name(root_name)
        .public_key(signer_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1825))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()), critical=False)
        .sign(root_key, hashes.SHA256())
    )
    (folder / "root-ca.pem").write_bytes(root.public_bytes(serialization.Encoding.PEM))
    (folder / "signer.pem").write_bytes(signer.public_bytes(serialization.Encoding.PEM))
    (folder / "signer.key").write_bytes(_pem_key(signer_key))
    (folder / "credential-1.key").write_bytes(_pem_key(ec.generate_private_key(ec.SECP256R1())))
    for path in folder.iterdir():
        path.chmod(0o600)


def ensure_dev_pki(folder: Path) -> Path:
    """Create the development CA in ``folder`` once; concurrent first runs agree on one."""
    if (folder / "signer.key").exists():
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = folder.parent / f".pki.{os.getpid()}.{secrets.token_hex(4)}"
    tmp.mkdir(mode=0o700)
    try:
        _write_dev_pki(tmp)
        os.rename(tmp, folder)  # fails if another process already put its folder in place
    except OSError:
        if not (folder / "signer.key").exists():
            raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return folder


def _paths(values: list[str]) -> tuple[Path, ...]:
    return tuple(Path(v) for v in values)


@cache
def signing_files() -> SigningFiles:
    """The configured key material, or the development CA when none is configured."""
    if settings.SIGNING_CERT:
        return SigningFiles(
            cert=Path(settings.SIGNING_CERT),
            key=Path(settings.SIGNING_KEY),
            chain=_paths(settings.SIGNING_CHAIN),
            trust_roots=_paths(settings.TRUST_ROOTS),
            credential_keys=_paths(settings.CREDENTIAL_KEYS),
        )
    dev = ensure_dev_pki(Path(settings.KEYS_DIR) / "pki")
    return SigningFiles(
        cert=dev / "signer.pem",
        key=dev / "signer.key",
        chain=(dev / "root-ca.pem",),
        trust_roots=(dev / "root-ca.pem", *_paths(settings.TRUST_ROOTS)),
        credential_keys=_paths(settings.CREDENTIAL_KEYS) or (dev / "credential-1.key",),
    )


@cache
def _signer() -> signers.SimpleSigner:
    files = signing_files()
    signer = signers.SimpleSigner.load(
        str(files.key), str(files.cert), ca_chain_files=tuple(str(p) for p in files.chain)
    )
    if signer is None:
        raise RuntimeError(f"cannot load the signing key {files.key} or certificate {files.cert}")
    return signer


def _load_certs(paths: tuple[Path, ...]) -> list[asn1_x509.Certificate]:
    certs = []
    for path in paths:
        for cert in x509.load_pem_x509_certificates(path.read_bytes()):
            certs.append(asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER)))
    return certs


def trust_roots() -> list[asn1_x509.Certificate]:
    return _load_certs(signing_files().trust_roots)


@dataclass(frozen=True)
class Seal:
    """The electronic seal (电子印章) a signature shows: drawn at ``centre`` on ``page`` as the signature's appearance.

    ``authority`` runs along the rim, ``title`` (e.g. 行政许可专用章) under the star; ``centre``
    is in PDF points from the page's lower left corner.
    """

    authority: str
    title: str
    centre: tuple[float, float]
    page: int = 0
    diameter: float = SEAL_DIAMETER

    @property
    def name(self) -> str:
        """The seal's name (GB/T 36903 ZZQZMC), written as the signature's signer name."""
        return f"{self.authority}{self.title}"

    def box(self) -> tuple[int, int, int, int]:
        x, y = self.centre
        half = self.diameter / 2
        return (round(x - half), round(y - half), round(x + half), round(y + half))


class _SealPage(content.PdfContent):
    """A page of PDF bytes (the drawn seal) as a signature's appearance; pyHanko's own reads only files."""

    def __init__(self, pdf: bytes) -> None:
        super().__init__()
        self.pdf = pdf

    def render(self) -> bytes:
        xobject = self._ensure_writer.import_page_as_xobject(PdfFileReader(io.BytesIO(self.pdf)), page_ix=0)
        name = "/Seal"
        self.resources.xobject[name] = xobject
        x1, y1, x2, y2 = xobject.get_object()["/BBox"]
        self.box = layout.BoxConstraints(width=abs(x2 - x1), height=abs(y2 - y1))
        return name.encode() + b" Do"


def sign_pdf(
    pdf: bytes, *, reason: str, location: str, seal: Seal | None = None, field_name: str = "GovhallSignature"
) -> bytes:
    """Return ``pdf`` with a PAdES (B-B) signature of the bureau's key appended.

    Every document the platform issues is signed here: licences, 加注件, notices. With a
    ``seal`` the signature is visible as that seal: the seal is the signature field's
    appearance, added in the signed revision, so it cannot be moved, copied to another
    document or taken off without breaking the signature, and a PDF reader opens the
    signature's details from it. The seal's name is the signature's signer name.
    """
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    meta = signers.PdfSignatureMetadata(
        field_name=field_name,
        reason=reason,
        location=location,
        name=seal.name if seal else None,
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256",
    )
    if seal is None:
        return signers.sign_pdf(writer, meta, signer=_signer()).getvalue()
    style = StaticStampStyle(
        background=_SealPage(seal_pdf(seal.authority, seal.title, seal.diameter)),
        background_opacity=1.0,
        background_layout=layout.SimpleBoxLayoutRule(
            x_align=layout.AxisAlignment.ALIGN_MID, y_align=layout.AxisAlignment.ALIGN_MID, margins=layout.Margins()
        ),
        border_width=0,
    )
    spec = fields.SigFieldSpec(sig_field_name=field_name, on_page=seal.page, box=seal.box())
    return signers.PdfSigner(meta, _signer(), stamp_style=style, new_field_spec=spec).sign_pdf(writer).getvalue()


def sign_notice(pdf: bytes, *, authority: str, title: str, reason: str) -> bytes:
    """Sign a notice the platform prints as a licence is signed, its seal (``authority``, ``title``) stamped on it.

    The seal goes over the last line that reads ``authority`` (where the notice names its
    issuer above the date), or, if no line does, at the lower right of the last page.
    """
    found = find_line(pdf, authority)
    if found is None:
        pages = PdfReader(io.BytesIO(pdf)).pages
        right = float(pages[-1].mediabox.right)
        found = (len(pages) - 1, right - 25 * mm - SEAL_DIAMETER / 2, 40 * mm + SEAL_DIAMETER / 2)
    page, x, y = found
    # Centred a little below the line's baseline, so that it covers the name and the date under it:
    seal = Seal(authority, title, (x, y - 5 * mm), page=page)
    return sign_pdf(pdf, reason=reason, location=settings.BUREAU_NAME, seal=seal)


class SignatureStatus(enum.StrEnum):
    NONE = "none"
    VALID = "valid"
    INVALID = "invalid"
    UNKNOWN_SIGNER = "unknown_signer"


STATUS_LABELS = {
    SignatureStatus.NONE: _("无电子签名"),
    SignatureStatus.VALID: _("签名有效"),
    SignatureStatus.INVALID: _("签名无效（文件签名后被改动或签名损坏）"),
    SignatureStatus.UNKNOWN_SIGNER: _("签名完整，但签名人证书不受信任"),
}


@dataclass(frozen=True)
class SignatureCheck:
    status: SignatureStatus
    signer: str = ""
    signed_at: str = ""
    detail: str = ""


def check_pdf_signatures(data: IO[bytes]) -> SignatureCheck:
    """Validate every signature in a PDF against the trust roots, offline.

    The worst signature decides: a changed byte after signing, a signature that does not
    cover the whole file, or a broken signature is INVALID; an intact signature whose
    certificate does not chain to a trust root is UNKNOWN_SIGNER.
    """
    data.seek(0)
    try:
        reader = PdfFileReader(data, strict=False)
        signatures = reader.embedded_signatures
    except Exception as exc:  # pyHanko raises many kinds on a malformed file
        return SignatureCheck(SignatureStatus.INVALID, detail=f"{exc.__class__.__name__}: {exc}"[:300])
    if not signatures:
        return SignatureCheck(SignatureStatus.NONE)
    context = ValidationContext(trust_roots=trust_roots(), allow_fetching=False, revocation_mode="soft-fail")
    worst = SignatureCheck(SignatureStatus.VALID)
    for embedded in signatures:
        try:
            status = validate_pdf_signature(embedded, context)
        except (SignatureValidationError, ValueError, KeyError) as exc:
            return SignatureCheck(SignatureStatus.INVALID, detail=f"{exc.__class__.__name__}: {exc}"[:300])
        signer = str(status.signing_cert.subject.native.get("common_name", "")) if status.signing_cert else ""
        signed_at = status.signer_reported_dt.isoformat() if status.signer_reported_dt else ""
        whole = embedded is signatures[-1]
        # The last signature must cover the whole file; an earlier one its revision, with only
        # allowed changes (further signatures, form filling) after it:
        covers = status.coverage == SignatureCoverageLevel.ENTIRE_FILE or (
            not whole and status.coverage == SignatureCoverageLevel.ENTIRE_REVISION and status.docmdp_ok is not False
        )
        if not (status.intact and status.valid) or not covers:
            return SignatureCheck(SignatureStatus.INVALID, signer, signed_at, status.summary())
        if not status.trusted:
            worst = SignatureCheck(SignatureStatus.UNKNOWN_SIGNER, signer, signed_at, status.summary())
        elif worst.status == SignatureStatus.VALID:
            worst = SignatureCheck(SignatureStatus.VALID, signer, signed_at, status.summary())
    return worst
