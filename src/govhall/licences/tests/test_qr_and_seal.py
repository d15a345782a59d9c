"""The licence as a Chinese reader expects it: a QR code that scans from a poor print, and the authority's seal."""

from __future__ import annotations

import base64
import io
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import segno
from pypdf import PdfReader

from django.test import Client
from django.utils import timezone

from govhall.catalog.models import ItemVersion
from govhall.identity.models import User
from govhall.lib.credentials import sign_credential
from govhall.lib.pdf import find_line
from govhall.lib.signing import SignatureStatus, check_pdf_signatures
from govhall.licences import queries
from govhall.licences.actions import credential_payload, public_holder
from govhall.licences.documents import QR_LEFT, licence_qr_content, render_licence
from govhall.licences.models import Licence
from govhall.licences.payload import (
    _P256_ORDER,
    Tagged,
    cbor_decode,
    cbor_encode,
    decode_base64url,
    encode_base64url,
    sign_payload,
)

from .conftest import approved_case

pytestmark = pytest.mark.django_db

ZBAR = ["zbarimg", "-q", "--raw", "-Sdisable", "-Sqrcode.enable"]


def _issued(version: ItemVersion, alice: User, bob: User, grace: User) -> Licence:
    return Licence.objects.get(case_public_id=approved_case(version, alice, bob, grace).public_id)


def _offline(token: str) -> str:
    client = Client()
    jwks = client.get("/licences/keys.json").json()
    lists = {p: client.get(f"/licences/status/{p}/").content.decode() for p in ("revocation", "suspension")}
    verdict, _claims = queries.check_offline(token, jwks, lists, timezone.localdate())
    return verdict


def _with_last_bits_set(token: str) -> str:
    """The same bytes, spelt with the unused low bits of the last base64url character set."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    # Characters in the last group of the last part (a JWS's signature) -> its unused bits:
    unused = {2: 4, 3: 2}[len(token.rpartition(".")[2]) % 4]
    last = alphabet.index(token[-1])
    assert last & ((1 << unused) - 1) == 0
    return token[:-1] + alphabet[last | 1]


def test_the_qr_payload_is_compact_binary_with_nothing_repeated(
    licensed_felling: ItemVersion, alice: User, bob: User, grace: User
) -> None:
    licence = _issued(licensed_felling, alice, bob, grace)
    raw = decode_base64url(licence.credential)
    # Chinese as UTF-8 bytes, no \uXXXX escapes; the identifier rebuilt, its parts written once:
    assert "林木采伐许可证".encode() in raw and b"\\u" not in raw
    assert licence.identifier.encode() not in raw and raw.count(licence.issuer_code.encode()) == 1
    assert raw.count(licence.serial.encode()) == 1 and b"********" not in raw and b"http" not in raw
    assert len(raw) < 210
    content = licence_qr_content(licence)
    qr = segno.make(content, error="m", micro=False)
    assert qr.version <= 13, (len(content), qr.version)  # it was 23 (109 × 109 modules) as a JWS
    claims = queries.verify_payload(content).claims
    assert claims["jti"] == licence.identifier and claims["no"] == licence.number
    assert claims["hd"] == public_holder(licence) == "陈*丽（350205********0020）"
    assert claims["vu"] == licence.valid_until.isoformat()  # type: ignore[union-attr]


@pytest.mark.skipif(shutil.which("zbarimg") is None, reason="zbarimg (Debian zbar-tools) is not installed")
def test_the_licence_page_printed_at_80_dpi_scans_and_what_it_reads_verifies(
    licensed_felling: ItemVersion, alice: User, bob: User, grace: User, tmp_path: Path, settings: Any
) -> None:
    licence = _issued(licensed_felling, alice, bob, grace)
    (tmp_path / "licence.pdf").write_bytes(licence.document.read())
    subprocess.run(["pdftoppm", "-r", "80", "-png", str(tmp_path / "licence.pdf"), str(tmp_path / "page")], check=True)
    scanned = subprocess.run(
        [*ZBAR, str(tmp_path / "page-1.png")], capture_output=True, text=True, timeout=60
    ).stdout.strip()
    assert scanned == f"{settings.PUBLIC_URL}/verify/?p={licence.credential}"
    result = queries.verify_payload(scanned)
    assert result.usable and result.licence == licence
    assert _offline(scanned) == "valid"
    # What a phone camera opens:
    page = Client().get(scanned.removeprefix(settings.PUBLIC_URL)).content.decode()
    assert "证照真实有效。" in page and licence.number in page


def test_the_qr_link_leads_to_the_configured_public_address(
    licensed_felling: ItemVersion, alice: User, bob: User, grace: User, settings: Any
) -> None:
    settings.PUBLIC_URL = "https://zwfw.haicang.example.gov.cn"
    licence = _issued(licensed_felling, alice, bob, grace)
    assert licence_qr_content(licence).startswith("https://zwfw.haicang.example.gov.cn/verify/?p=")
    text = PdfReader(io.BytesIO(licence.document.read())).pages[0].extract_text()
    assert "核验：https://zwfw.haicang.example.gov.cn/verify/" in text


def test_a_payload_whose_last_character_differs_only_in_unused_bits_is_refused(
    licensed_felling: ItemVersion, alice: User, bob: User, grace: User
) -> None:
    licence = _issued(licensed_felling, alice, bob, grace)
    token = licence.credential
    if len(token) % 4 == 0:
        # A whole number of 3-byte groups leaves no unused bits; the same licence with a farther
        # status-list position (2 bytes longer) is as genuine and does:
        token = sign_payload({**credential_payload(licence), "sl": licence.status_index + 4096})
    assert queries.verify_payload(token).usable and _offline(token) == "valid"
    twin = _with_last_bits_set(token)
    assert base64.urlsafe_b64decode(twin + "=" * (-len(twin) % 4)) == decode_base64url(token)
    result = queries.verify_payload(twin)
    assert not result.genuine and result.message == "这不是本平台签发的证照二维码内容（格式无法识别）。"
    assert _offline(twin) == "malformed"
    for spelling in (token + "=" * (-len(token) % 4), token.replace("-", "+").replace("_", "/"), token + "*"):
        assert spelling != token and not queries.verify_payload(spelling).genuine


def test_the_other_ecdsa_signature_of_the_same_payload_is_refused(
    licensed_felling: ItemVersion, alice: User, bob: User, grace: User
) -> None:
    licence = _issued(licensed_felling, alice, bob, grace)
    envelope = cbor_decode(decode_base64url(licence.credential))
    protected, unprotected, payload, signature = envelope.value
    s = int.from_bytes(signature[32:], "big")
    twin = signature[:32] + (_P256_ORDER - s).to_bytes(32, "big")  # also a valid ECDSA signature
    token = encode_base64url(cbor_encode(Tagged(18, [protected, unprotected, payload, twin])))
    result = queries.verify_payload(token)
    assert not result.genuine and result.message == "二维码签名不正确：内容被篡改或伪造。"


def test_a_payload_with_a_changed_fact_is_refused_as_forged(
    licensed_felling: ItemVersion, alice: User, bob: User, grace: User
) -> None:
    licence = _issued(licensed_felling, alice, bob, grace)
    envelope = cbor_decode(decode_base64url(licence.credential))
    protected, unprotected, payload, signature = envelope.value
    claims = cbor_decode(payload)
    claims[11] += 3650  # ten more years of validity
    token = encode_base64url(cbor_encode(Tagged(18, [protected, unprotected, cbor_encode(claims), signature])))
    assert queries.verify_payload(token).message == "二维码签名不正确：内容被篡改或伪造。"
    assert _offline(token) == "forged"
    # Nothing may ride outside the signature either:
    token = encode_base64url(cbor_encode(Tagged(18, [protected, {99: "x"}, payload, signature])))
    assert not queries.verify_payload(token).genuine


def test_a_jws_payload_printed_before_still_verifies_online_and_offline(
    licensed_felling: ItemVersion, alice: User, bob: User, grace: User, settings: Any
) -> None:
    licence = _issued(licensed_felling, alice, bob, grace)
    # The JWS claims as licences printed before the compact payload carried them:
    facts = credential_payload(licence)
    old = sign_credential(
        {
            "iss": facts["iss"],
            "jti": licence.identifier,
            "typ": facts["typ"],
            "nm": facts["nm"],
            "no": facts["no"],
            "hd": public_holder(licence),
            "vf": facts["vf"],
            "vu": facts["vu"],
            "sl": facts["sl"],
            "url": f"{settings.PUBLIC_URL}/verify/?id={licence.identifier}",
        }
    )
    printed = f"{settings.PUBLIC_URL}/verify/?payload={old}"
    assert queries.verify_payload(printed).usable
    assert _offline(printed) == "valid"
    page = Client().get("/verify/", {"payload": old}).content.decode()
    assert "证照真实有效。" in page
    # Its signature part, too, has exactly one spelling:
    assert not queries.verify_payload(_with_last_bits_set(old)).genuine
    assert _offline(_with_last_bits_set(old)) == "malformed"


def _widgets(pdf: bytes) -> list[dict[str, Any]]:
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    return [a.get_object() for a in page.get("/Annots", []) if a.get_object().get("/FT") == "/Sig"]


def test_the_seal_is_the_signatures_appearance_over_the_issuer_line_and_pdfsig_validates_it(
    licensed_felling: ItemVersion, alice: User, bob: User, grace: User, tmp_path: Path
) -> None:
    licence = _issued(licensed_felling, alice, bob, grace)
    data = licence.document.read()
    assert check_pdf_signatures(io.BytesIO(data)).status == SignatureStatus.VALID
    (tmp_path / "licence.pdf").write_bytes(data)
    report = subprocess.run(["pdfsig", str(tmp_path / "licence.pdf")], capture_output=True, text=True).stdout
    assert "Signature is Valid." in report and "Total document signed" in report
    # The signature's one widget is the seal, round, over the issuing authority's name, clear of the QR code:
    (widget,) = _widgets(data)
    x1, y1, x2, y2 = (float(v) for v in widget["/Rect"])
    assert abs((x2 - x1) - 119) <= 1 and abs((y2 - y1) - 119) <= 1  # 42 mm across
    page, name_x, name_y = find_line(data, licence.issuer_name) or (None, 0.0, 0.0)
    assert page == 0 and x1 < name_x < x2 and y1 < name_y < y2
    assert x2 < QR_LEFT
    signature = PdfReader(io.BytesIO(data)).trailer["/Root"]["/AcroForm"]["/Fields"][0].get_object()["/V"]
    assert signature["/Name"] == "厦门市海沧区农林水利局行政许可专用章" and signature["/Reason"] == "电子证照签发"
    # The seal is drawn: red where it stands on the page printed at 80 dpi, and nowhere on the unsigned page:
    subprocess.run(["pdftoppm", "-r", "80", "-png", str(tmp_path / "licence.pdf"), str(tmp_path / "page")], check=True)
    assert _red_pixels(tmp_path / "page-1.png", (x1, y1, x2, y2)) > 400
    (tmp_path / "unsigned.pdf").write_bytes(render_licence(licence))
    subprocess.run(["pdftoppm", "-r", "80", "-png", str(tmp_path / "unsigned.pdf"), str(tmp_path / "bare")], check=True)
    assert _red_pixels(tmp_path / "bare-1.png", (x1, y1, x2, y2)) == 0


def _red_pixels(png: Path, box: tuple[float, float, float, float]) -> int:
    """Seal-red pixels of an 80 dpi page image inside ``box`` (PDF points from the lower left)."""
    from PIL import Image

    image = Image.open(png).convert("RGB")
    scale = 80 / 72
    x1, y1, x2, y2 = box
    height = image.height
    crop = image.crop((int(x1 * scale), int(height - y2 * scale), int(x2 * scale), int(height - y1 * scale)))
    data = crop.tobytes()
    return sum(1 for i in range(0, len(data), 3) if data[i] > 180 and data[i + 1] < 120 and data[i + 2] < 120)


def test_in_development_the_qr_link_follows_the_port_the_server_was_started_on() -> None:
    script = Path(__file__).resolve().parents[4] / "scripts" / "run-dev.sh"

    def public_url(**env: str) -> str:
        base = {k: v for k, v in os.environ.items() if k not in {"HOST", "PORT", "GOVHALL_PUBLIC_URL"}}
        result = subprocess.run(
            [str(script), "--public-url"], env={**base, **env}, capture_output=True, text=True, timeout=30, check=True
        )
        return result.stdout.strip()

    assert public_url(PORT="8105") == "http://127.0.0.1:8105"
    assert public_url(HOST="localhost", PORT="9000") == "http://localhost:9000"
    assert public_url(PORT="8105", GOVHALL_PUBLIC_URL="https://zwfw.example.gov.cn") == "https://zwfw.example.gov.cn"
