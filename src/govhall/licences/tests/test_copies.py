"""加注件: a signed copy of a licence for one stated purpose, with its maker, time and expiry."""

from __future__ import annotations

import datetime
import io
import subprocess
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from conftest import ALICE_ID, PASSWORD
from govhall.audit.models import AuditRecord, SealedEntry
from govhall.identity import actions as identity_actions
from govhall.identity.models import User
from govhall.lib.signing import SignatureStatus, check_pdf_signatures
from govhall.licences import actions, queries
from govhall.licences.models import Licence, LicenceCopy, LicenceEvent, LicenceType

from .conftest import FORM

pytestmark = pytest.mark.django_db


@pytest.fixture
def licence(alice: User, grace: User, felling_type: LicenceType) -> Licence:
    """Alice's felling licence, issued and signed here, valid for a year."""
    return actions.issue_licence(felling_type, person=alice.person, entity=None, face=FORM, actor=grace)


@pytest.fixture
def alice_client(alice: User) -> Client:
    client = Client()
    client.post("/login/", {"account": ALICE_ID, "password": PASSWORD})
    return client


def _in(days: int) -> str:
    return (timezone.localdate() + datetime.timedelta(days=days)).isoformat()


def _post_copy(client: Client, licence: Licence, purpose: str, expires_on: str) -> Any:
    return client.post(f"/my/licences/{licence.public_id}/copies/", {"purpose": purpose, "expires_on": expires_on})


def _nothing_written(licence: Licence, tmp_path: Path) -> None:
    assert not LicenceCopy.objects.exists()
    assert not LicenceEvent.objects.filter(licence=licence, operation="copied").exists()
    assert not AuditRecord.objects.filter(event="licences.copied").exists()
    assert not (tmp_path / "private" / "licences" / str(licence.public_id) / "copies").exists()


def test_a_copy_is_watermarked_with_its_purpose_and_expiry_and_signed_intact(
    licence: Licence, alice_client: Client, tmp_path: Path
) -> None:
    expires = _in(30)
    response = _post_copy(alice_client, licence, "  办理银行\n贷款  ", expires)
    copy = LicenceCopy.objects.get()
    # Post, redirect, get: a reload of the page does not make another copy.
    assert response.status_code == 302 and response["Location"] == f"/my/licences/#copy-{copy.public_id}"
    assert copy.purpose == "办理银行 贷款" and copy.maker == "陈爱丽" and copy.expires_on.isoformat() == expires

    data = b"".join(alice_client.get(f"/my/licences/copies/{copy.public_id}/copy.pdf").streaming_content)
    assert data == copy.document.read()
    assert check_pdf_signatures(io.BytesIO(data)).status == SignatureStatus.VALID
    pdf = tmp_path / "copy.pdf"
    pdf.write_bytes(data)
    report = subprocess.run(["pdfsig", str(pdf)], capture_output=True, text=True).stdout
    assert "Signature is Valid." in report and "Total document signed" in report
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    date = copy.expires_on.strftime("%Y年%m月%d日")
    assert "林木采伐许可证" in text and licence.number in text  # the licence page underneath
    assert "用途：办理银行 贷款" in text and f"有效期至：{date}" in text and "制作人：陈爱丽" in text
    assert f"加注件编号：{copy.public_id}" in text and f"/verify/copy/{copy.public_id}/" in text
    # pdftotext reads the diagonal watermark a character at a time; pypdf reads each drawn string whole:
    page = PdfReader(io.BytesIO(data)).pages[0]
    assert page.extract_text().count(f"仅供办理银行 贷款使用，有效期至{date}") >= 6  # repeated across the page
    assert any(state.get("/ca") == 0.18 for state in page["/Resources"]["/ExtGState"].values())  # see-through

    # Its QR code leads to the copy's own check (purpose and expiry), not to the licence's:
    subprocess.run(["pdftoppm", "-png", "-r", "150", str(pdf), str(tmp_path / "page")], check=True)
    scanned = subprocess.run(
        ["zbarimg", "-q", "--raw", "-Sdisable", "-Sqrcode.enable", str(tmp_path / "page-1.png")],
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout.strip()
    assert scanned.endswith(f"/verify/copy/{copy.public_id}/")

    # Taking the watermark off changes the signed bytes, and the signature no longer holds:
    tampered = bytearray(data)
    middle = len(tampered) // 3
    tampered[middle] ^= 0xFF
    assert check_pdf_signatures(io.BytesIO(bytes(tampered))).status == SignatureStatus.INVALID

    event = LicenceEvent.objects.get(licence=licence, operation="copied")
    assert event.reason == "办理银行 贷款"
    audit = AuditRecord.objects.get(event="licences.copied")
    assert audit.extra["copy"] == str(copy.public_id) and audit.extra["expires_on"] == expires
    assert ALICE_ID not in str(audit.extra)

    page = alice_client.get("/my/licences/").content.decode()
    assert "办理银行 贷款" in page and f"有效期至 {expires}" in page
    assert "已制作加注件" in page  # the message after the redirect


def test_a_copy_of_a_revoked_licence_cannot_be_made_and_nothing_is_written(
    licence: Licence, alice_client: Client, grace: User, tmp_path: Path
) -> None:
    actions.change_status(licence, "revoke", actor=grace, reason="以欺骗手段取得许可")
    assert "制作加注件" not in alice_client.get("/my/licences/").content.decode()  # no form offered
    response = _post_copy(alice_client, licence, "办理银行贷款", _in(30))
    assert response.status_code == 400
    assert "只有有效的证照可以制作加注件；这本证照当前为“撤销”。" in response.content.decode()
    _nothing_written(licence, tmp_path)


def test_an_expired_copy_and_a_copy_of_a_revoked_licence_are_reported_plainly(
    licence: Licence, alice: User, grace: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy = actions.make_licence_copy(
        licence, actor=alice, purpose="办理银行贷款", expires_on=timezone.localdate() + datetime.timedelta(days=10)
    )
    page = Client().get(f"/verify/copy/{copy.public_id}/").content.decode()
    assert "加注件真实有效" in page and "办理银行贷款" in page and licence.number in page
    assert "陈*丽" in page and "陈爱丽" not in page
    # The id typed into the public box finds it too:
    assert "加注件真实有效" in Client().get("/verify/", {"id": str(copy.public_id)}).content.decode()

    monkeypatch.setattr(queries, "_today", lambda: copy.expires_on + datetime.timedelta(days=1))
    page = Client().get(f"/verify/copy/{copy.public_id}/").content.decode()
    assert "加注件已到期" in page and f"加注件真实，但已于 {copy.expires_on.isoformat()} 到期，不能再使用。" in page
    monkeypatch.undo()

    actions.change_status(licence, "revoke", actor=grace, reason="以欺骗手段取得许可")
    page = Client().get(f"/verify/copy/{copy.public_id}/").content.decode()
    assert "加注件真实，但所依据的证照当前为“撤销”，加注件不能使用。" in page

    unknown = Client().get("/verify/copy/00000000-0000-4000-8000-000000000000/").content.decode()
    assert "本平台没有这份加注件" in unknown
    checks = SealedEntry.objects.filter(event="licences.verified", extra__by="copy")
    assert checks.count() == 5 and checks.filter(extra__genuine=False).count() == 1


def test_a_copy_check_is_rate_limited_with_the_other_checks(licence: Licence, alice: User) -> None:
    from django.core.cache import cache

    copy = actions.make_licence_copy(
        licence, actor=alice, purpose="办理银行贷款", expires_on=timezone.localdate() + datetime.timedelta(days=10)
    )
    cache.clear()
    client = Client()
    codes = [client.get("/verify/", {"id": licence.identifier}).status_code for _ in range(60)]
    assert codes == [200] * 60
    assert client.get(f"/verify/copy/{copy.public_id}/").status_code == 429
    cache.clear()


def test_someone_elses_licence_or_copy_is_not_found_and_nothing_is_written(
    alice_client: Client, grace: User, felling_type: LicenceType, tmp_path: Path
) -> None:
    other = identity_actions.register_applicant(
        name="李明", id_number="350205197809060038", phone="13900000001", password=PASSWORD
    )
    theirs = actions.issue_licence(felling_type, person=other.person, entity=None, face=FORM, actor=grace)
    assert _post_copy(alice_client, theirs, "办理银行贷款", _in(30)).status_code == 404
    _nothing_written(theirs, tmp_path)

    their_copy = actions.make_licence_copy(
        theirs, actor=other, purpose="办理银行贷款", expires_on=timezone.localdate() + datetime.timedelta(days=10)
    )
    assert alice_client.get(f"/my/licences/copies/{their_copy.public_id}/copy.pdf").status_code == 404
    assert "办理银行贷款" not in alice_client.get("/my/licences/").content.decode()


@pytest.mark.parametrize(
    ("purpose", "days", "message"),
    [
        ("   ", 30, "请写明加注件的用途。"),
        ("办理银行贷款", 0, "加注件的有效期须晚于今天。"),
        ("办理银行贷款", -3, "加注件的有效期须晚于今天。"),
        ("办理银行贷款", 91, "加注件的有效期最长 90 天，最晚到 "),
        ("办" * 51, 30, "用途最多写 50 个字。"),
    ],
)
def test_a_wrong_purpose_or_expiry_is_refused_with_its_message_and_nothing_is_written(
    licence: Licence, alice_client: Client, tmp_path: Path, purpose: str, days: int, message: str
) -> None:
    response = _post_copy(alice_client, licence, purpose, _in(days))
    assert response.status_code == 400 and message in response.content.decode()
    _nothing_written(licence, tmp_path)


def test_a_missing_expiry_date_is_asked_for(licence: Licence, alice_client: Client, tmp_path: Path) -> None:
    response = _post_copy(alice_client, licence, "办理银行贷款", "")
    assert response.status_code == 400 and "请选择加注件的有效期" in response.content.decode()
    assert 'value="办理银行贷款"' in response.content.decode()  # what was typed is kept
    _nothing_written(licence, tmp_path)


def test_a_copy_may_not_outlast_the_licence(licence: Licence, alice: User, tmp_path: Path) -> None:
    licence.valid_until = timezone.localdate() + datetime.timedelta(days=20)
    licence.save(update_fields=["valid_until"])
    with pytest.raises(ValidationError) as error:
        actions.make_licence_copy(
            licence, actor=alice, purpose="办理银行贷款", expires_on=timezone.localdate() + datetime.timedelta(days=21)
        )
    assert error.value.message_dict["expires_on"] == [
        f"加注件的有效期不能晚于证照本身的有效期（{licence.valid_until}）。"
    ]
    _nothing_written(licence, tmp_path)


def test_a_character_with_no_glyph_in_the_purpose_is_refused(
    licence: Licence, alice_client: Client, tmp_path: Path
) -> None:
    response = _post_copy(alice_client, licence, "办理𠀀村贷款", _in(30))
    assert response.status_code == 400
    assert "用途中有无法印在加注件上的字符：𠀀（U+20000）" in response.content.decode()
    _nothing_written(licence, tmp_path)


def test_the_desk_lists_the_copies_made(licence: Licence, alice: User, grace: User, settings: Any) -> None:
    copy = actions.make_licence_copy(
        licence, actor=alice, purpose="办理银行贷款", expires_on=timezone.localdate() + datetime.timedelta(days=10)
    )
    settings.STAFF_2FA_SKIP = True
    desk = Client()
    desk.post("/desk/login/", {"username": "grace", "password": PASSWORD})
    page = desk.get(f"/desk/licences/{licence.public_id}/").content.decode()
    assert "陈爱丽 · 用途：办理银行贷款" in page and str(copy.public_id) in page
    assert "制作加注件 · " in page  # the licence event
    file = desk.get(f"/desk/licences/copies/{copy.public_id}/copy.pdf")
    assert b"".join(file.streaming_content) == copy.document.read()
    assert AuditRecord.objects.filter(event="licences.copy_viewed").count() == 1


def test_the_api_checks_a_copy_as_the_page_does(licence: Licence, alice: User, grace: User) -> None:
    copy = actions.make_licence_copy(
        licence, actor=alice, purpose="办理银行贷款", expires_on=timezone.localdate() + datetime.timedelta(days=10)
    )
    answer = Client().get(f"/api/v1/licences/copies/{copy.public_id}/verify/").json()
    assert answer["genuine"] is True and answer["usable"] is True and answer["purpose"] == "办理银行贷款"
    assert answer["maker"] == "陈*丽" and answer["licence"]["status"] == "01"
    actions.change_status(licence, "revoke", actor=grace, reason="以欺骗手段取得许可")
    revoked = Client().get(f"/api/v1/licences/copies/{copy.public_id}/verify/").json()
    assert revoked["genuine"] is True and revoked["usable"] is False and revoked["licence"]["status"] == "03"
    unknown = Client().get("/api/v1/licences/copies/00000000-0000-4000-8000-000000000000/verify/").json()
    assert unknown["genuine"] is False and "本平台没有这份加注件" in unknown["message"]
    assert SealedEntry.objects.filter(event="licences.verified", extra__by="copy").count() == 3
