"""PAdES signing and checking: what pyHanko and poppler's pdfsig both say about our files."""

from __future__ import annotations

import datetime
import io
import subprocess
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import signers
from reportlab.pdfgen import canvas

from govhall.lib.signing import SignatureStatus, check_pdf_signatures, sign_notice, sign_pdf, signing_files


def _page(text: str = "forest licence hello") -> bytes:
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pageCompression=0)
    pdf.drawString(72, 700, text)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _flip_a_signed_byte(signed: bytes) -> bytes:
    data = bytearray(signed)
    at = data.find(b"hello")
    assert at > 0
    data[at] = ord("j")
    return bytes(data)


def _stranger_signs(pdf: bytes, tmp_path: Path) -> bytes:
    """Signed with a self-made certificate no trust root vouches for."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "某某自签名")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    (tmp_path / "k.pem").write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    (tmp_path / "c.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    signer = signers.SimpleSigner.load(str(tmp_path / "k.pem"), str(tmp_path / "c.pem"))
    assert signer is not None
    out = signers.sign_pdf(
        IncrementalPdfFileWriter(io.BytesIO(pdf)), signers.PdfSignatureMetadata(field_name="S"), signer=signer
    )
    return out.getvalue()


def _pdfsig(path: Path, nss: Path | None = None) -> str:
    command = ["pdfsig", *(["-nssdir", f"sql:{nss}"] if nss else []), str(path)]
    return subprocess.run(command, capture_output=True, text=True, timeout=60).stdout


@pytest.fixture
def nss_trusting_our_root(tmp_path: Path) -> Path:
    """An NSS certificate store (what pdfsig reads) that trusts the configured root."""
    store = tmp_path / "nss"
    store.mkdir()
    subprocess.run(["certutil", "-N", "-d", f"sql:{store}", "--empty-password"], check=True, timeout=60)
    root = signing_files().trust_roots[0]
    subprocess.run(
        ["certutil", "-A", "-d", f"sql:{store}", "-n", "govhall-root", "-t", "C,C,C", "-i", str(root)],
        check=True,
        timeout=60,
    )
    return store


def test_our_signature_is_valid_in_pyhanko_and_in_pdfsig(tmp_path: Path, nss_trusting_our_root: Path) -> None:
    signed = sign_pdf(_page(), reason="电子证照签发", location="厦门市海沧区")
    check = check_pdf_signatures(io.BytesIO(signed))
    assert check.status == SignatureStatus.VALID
    assert "电子证照签章" in check.signer

    (tmp_path / "signed.pdf").write_bytes(signed)
    report = _pdfsig(tmp_path / "signed.pdf", nss_trusting_our_root)
    assert "Signature is Valid." in report
    assert "Certificate is Trusted." in report
    assert "Total document signed" in report


def test_one_changed_byte_is_reported_by_both(tmp_path: Path) -> None:
    tampered = _flip_a_signed_byte(sign_pdf(_page(), reason="r", location="l"))
    assert check_pdf_signatures(io.BytesIO(tampered)).status == SignatureStatus.INVALID
    (tmp_path / "tampered.pdf").write_bytes(tampered)
    report = _pdfsig(tmp_path / "tampered.pdf")
    assert "Digest Mismatch" in report or "Signature is Invalid" in report


def test_content_added_after_signing_is_not_accepted_as_signed() -> None:
    signed = sign_pdf(_page(), reason="r", location="l")
    writer = IncrementalPdfFileWriter(io.BytesIO(signed))
    writer.root["/Lang"] = generic.TextStringObject("zh")  # an unsigned revision on top
    writer.update_root()
    appended = io.BytesIO()
    writer.write(appended)
    assert check_pdf_signatures(appended).status == SignatureStatus.INVALID


def test_a_signer_no_root_vouches_for_is_unknown(tmp_path: Path) -> None:
    check = check_pdf_signatures(io.BytesIO(_stranger_signs(_page(), tmp_path)))
    assert check.status == SignatureStatus.UNKNOWN_SIGNER
    assert check.signer == "某某自签名"


def test_an_unsigned_pdf_has_no_signature() -> None:
    assert check_pdf_signatures(io.BytesIO(_page())).status == SignatureStatus.NONE


def _seal_rect(signed: bytes) -> tuple[float, ...]:
    from pypdf import PdfReader

    (widget,) = [a.get_object() for a in PdfReader(io.BytesIO(signed)).pages[0]["/Annots"]]
    return tuple(float(v) for v in widget["/Rect"])


def test_a_notice_is_sealed_over_the_line_naming_its_authority_and_both_checkers_accept_it(
    tmp_path: Path, nss_trusting_our_root: Path
) -> None:
    signed = sign_notice(_page("Haicang bureau"), authority="Haicang bureau", title="业务受理专用章", reason="受理通知")
    assert check_pdf_signatures(io.BytesIO(signed)).status == SignatureStatus.VALID
    x1, y1, x2, y2 = _seal_rect(signed)
    assert x1 < 72 + 40 < x2 and y1 < 700 < y2
    (tmp_path / "notice.pdf").write_bytes(signed)
    report = _pdfsig(tmp_path / "notice.pdf", nss_trusting_our_root)
    assert "Signature is Valid." in report and "Certificate is Trusted." in report


def test_a_notice_without_its_authoritys_line_is_sealed_at_the_lower_right() -> None:
    signed = sign_notice(_page("no name here"), authority="Haicang bureau", title="业务受理专用章", reason="受理通知")
    assert check_pdf_signatures(io.BytesIO(signed)).status == SignatureStatus.VALID
    x1, y1, x2, y2 = _seal_rect(signed)
    assert x1 > 300 and y1 < 150  # A4 is 595 × 842 points
