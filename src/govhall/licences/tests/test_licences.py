"""Electronic licences: issued with the decision, signed, verifiable online and offline, revocable, reused."""

from __future__ import annotations

import datetime
import io
import subprocess
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from conftest import ALICE_ID, PASSWORD
from govhall.audit.models import AuditRecord, SealedEntry
from govhall.cases import actions as case_actions
from govhall.cases.models import CaseMaterial
from govhall.catalog.models import ItemVersion
from govhall.identity.models import User
from govhall.lib import credentials
from govhall.lib.licence_ids import parse_licence_identifier
from govhall.lib.signing import SignatureStatus, check_pdf_signatures, signing_files
from govhall.licences import actions, queries
from govhall.licences.models import Licence, LicenceType
from govhall.licences.payload import Tagged, cbor_decode, cbor_encode, decode_base64url, encode_base64url

from .conftest import FORM, approved_case, forest_right_of, reusing_case

pytestmark = pytest.mark.django_db


def _offline(token: str) -> str:
    """What an offline verifier concludes from the keys and lists it fetched over HTTP earlier."""
    client = Client()
    jwks = client.get("/licences/keys.json").json()
    lists = {p: client.get(f"/licences/status/{p}/").content.decode() for p in ("revocation", "suspension")}
    verdict, _claims = queries.check_offline(token, jwks, lists, timezone.localdate())
    return verdict


def test_approval_issues_a_signed_licence_with_the_decision(
    licensed_felling: ItemVersion, alice: User, bob: User, grace: User, tmp_path: Path
) -> None:
    case = approved_case(licensed_felling, alice, bob, grace)
    licence = Licence.objects.get(case_public_id=case.public_id)
    assert case.events.get(kind="decided").data["licence"] == licence.identifier
    parsed = parse_licence_identifier(licence.identifier)
    assert (parsed.type_code, parsed.issuer_code, parsed.version) == ("11350205MB01000012001", "11350205MB01000012", 1)
    assert licence.holder_name == "陈爱丽" and licence.holder_masked == alice.person.id_number_masked  # type: ignore[union-attr]
    assert licence.face == FORM
    assert licence.valid_until == licence.issued_on.replace(year=licence.issued_on.year + 1) - datetime.timedelta(1)

    data = licence.document.read()
    assert check_pdf_signatures(io.BytesIO(data)).status == SignatureStatus.VALID
    (tmp_path / "licence.pdf").write_bytes(data)
    report = subprocess.run(["pdfsig", str(tmp_path / "licence.pdf")], capture_output=True, text=True).stdout
    assert "Signature is Valid." in report and "Total document signed" in report
    fonts = subprocess.run(["pdffonts", str(tmp_path / "licence.pdf")], capture_output=True, text=True).stdout
    assert "TrueType" in fonts and " yes yes " in fonts  # embedded, subset
    text = subprocess.run(["pdftotext", str(tmp_path / "licence.pdf"), "-"], capture_output=True, text=True).stdout
    assert "林木采伐许可证" in text and "东孚镇鼎美村3林班" in text and licence.identifier in text


def test_the_document_is_rendered_once_and_served_as_stored(
    licensed_felling: ItemVersion, alice: User, bob: User, grace: User
) -> None:
    case = approved_case(licensed_felling, alice, bob, grace)
    licence = Licence.objects.get(case_public_id=case.public_id)
    client = Client()
    client.post("/login/", {"account": ALICE_ID, "password": PASSWORD})
    first = b"".join(client.get(f"/my/licences/{licence.public_id}/licence.pdf").streaming_content)
    second = b"".join(client.get(f"/my/licences/{licence.public_id}/licence.pdf").streaming_content)
    import hashlib

    assert first == second and hashlib.sha256(first).hexdigest() == licence.document_sha256
    page = client.get("/my/licences/").content.decode()
    assert licence.number in page and "有效" in page
    assert Client().get(f"/my/licences/{licence.public_id}/licence.pdf").status_code == 302  # not logged in


def test_a_case_issues_at_most_one_licence(
    licensed_felling: ItemVersion, alice: User, bob: User, grace: User, felling_type: LicenceType
) -> None:
    case = approved_case(licensed_felling, alice, bob, grace)
    with pytest.raises(IntegrityError), transaction.atomic():
        actions.issue_licence(
            felling_type, person=alice.person, entity=None, face=FORM, actor=grace, case_public_id=case.public_id
        )
    assert Licence.objects.filter(case_public_id=case.public_id).count() == 1


def test_a_character_the_font_cannot_draw_is_refused_and_nothing_is_issued(
    alice: User, grace: User, felling_type: LicenceType
) -> None:
    with pytest.raises(ValidationError) as error:
        actions.issue_licence(felling_type, person=alice.person, entity=None, face={"location": "𠀀家村"}, actor=grace)
    assert "U+20000" in error.value.messages[0]
    assert not Licence.objects.exists()


def test_revocation_shows_online_and_offline(
    licensed_felling: ItemVersion, alice: User, bob: User, grace: User, django_capture_on_commit_callbacks: Any
) -> None:
    licence = Licence.objects.get(case_public_id=approved_case(licensed_felling, alice, bob, grace).public_id)
    assert queries.verify_payload(licence.credential).usable
    assert _offline(licence.credential) == "valid"

    def change(operation: str, reason: str) -> None:
        # The lists are republished once the change commits:
        with django_capture_on_commit_callbacks(execute=True):
            actions.change_status(licence, operation, actor=grace, reason=reason)

    change("suspend", "涉嫌超范围采伐，调查期间暂停")
    assert _offline(licence.credential) == "suspended"
    change("restore", "调查结束")
    assert _offline(licence.credential) == "valid"
    change("revoke", "以欺骗手段取得许可")
    online = queries.verify_identifier(licence.identifier)
    assert online.genuine and not online.usable and online.status_label == "撤销"
    assert _offline(licence.credential) == "revoked"
    with pytest.raises(ValidationError):
        actions.change_status(licence, "restore", actor=grace, reason="再恢复")  # revoked is final
    operations = list(licence.events.values_list("operation", flat=True))
    assert operations == ["issued", "suspend", "restore", "revoke"]


def test_forgeries_are_named_for_what_they_are(
    licensed_felling: ItemVersion, alice: User, bob: User, grace: User
) -> None:
    licence = Licence.objects.get(case_public_id=approved_case(licensed_felling, alice, bob, grace).public_id)
    protected, unprotected, claims, signature = cbor_decode(decode_base64url(licence.credential)).value
    changed = claims.replace("林木".encode(), "竹木".encode())
    forged = encode_base64url(cbor_encode(Tagged(18, [protected, unprotected, changed, signature])))
    assert "篡改或伪造" in queries.verify_payload(forged).message
    assert _offline(forged) == "forged"

    foreign_key = cbor_encode({1: -7, 4: b"\x00\x01\x02\x03"})
    foreign = encode_base64url(cbor_encode(Tagged(18, [foreign_key, {}, claims, signature])))
    assert "未知的密钥" in queries.verify_payload(foreign).message
    stranger = ec.generate_private_key(ec.SECP256R1())
    import jwt

    foreign = jwt.encode({"jti": licence.identifier}, stranger, algorithm="ES256", headers={"kid": "someone-else"})
    assert "未知的密钥" in queries.verify_payload(foreign).message  # as the JWS payloads printed before
    assert "格式无法识别" in queries.verify_payload("not a payload").message

    wrong_check = licence.identifier[:-1] + ("A" if licence.identifier[-1] != "A" else "B")
    result = queries.verify_identifier(wrong_check)
    assert not result.genuine and "校验位不正确" in result.message


def test_a_retired_key_still_verifies_after_rotation(
    licensed_felling: ItemVersion, alice: User, bob: User, grace: User, tmp_path: Path, settings: Any
) -> None:
    licence = Licence.objects.get(case_public_id=approved_case(licensed_felling, alice, bob, grace).public_id)
    new_key = tmp_path / "credential-2.key"
    new_key.write_bytes(
        ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    old = signing_files()
    settings.CREDENTIAL_KEYS = [str(new_key), *(str(p) for p in old.credential_keys)]
    signing_files.cache_clear()
    credentials.credential_keys.cache_clear()
    try:
        keys = Client().get("/licences/keys.json").json()["keys"]
        assert len(keys) == 2 and keys[1]["kid"] == licence.credential_kid
        assert queries.verify_payload(licence.credential).usable  # signed with the retired key
        assert credentials.verify_credential(credentials.sign_credential({"x": 1}))[1] == keys[0]["kid"]
    finally:
        settings.CREDENTIAL_KEYS = []
        signing_files.cache_clear()
        credentials.credential_keys.cache_clear()


def test_the_public_page_shows_a_masked_holder_and_audits_the_check(
    licensed_felling: ItemVersion, alice: User, bob: User, grace: User
) -> None:
    licence = Licence.objects.get(case_public_id=approved_case(licensed_felling, alice, bob, grace).public_id)
    page = Client().get("/verify/", {"id": licence.identifier.lower()}).content.decode()
    assert "证照真实有效" in page and "陈*丽" in page and "陈爱丽" not in page
    api = Client().get("/api/v1/licences/verify/", {"id": licence.identifier}).json()
    assert api["usable"] is True and api["holder"].startswith("陈*丽")
    by_payload = (
        Client()
        .post("/api/v1/licences/verify/", {"payload": licence.credential}, content_type="application/json")
        .json()
    )
    assert by_payload["identifier"] == licence.identifier
    assert SealedEntry.objects.filter(event="licences.verified").count() == 3


def test_a_public_check_reads_one_row_and_writes_one_audit_entry(
    licensed_felling: ItemVersion, alice: User, bob: User, grace: User
) -> None:
    licence = Licence.objects.get(case_public_id=approved_case(licensed_felling, alice, bob, grace).public_id)
    client = Client()
    for path in ("/verify/", "/api/v1/licences/verify/"):
        with CaptureQueriesContext(connection) as queries_made:
            answer = client.get(path, {"id": licence.identifier})
        assert answer.status_code == 200 and "陈*丽" in answer.content.decode()
        # The licence with its type in one query, the sealed audit entry in another; no field
        # left out of the read is fetched afterwards one by one:
        statements = [q["sql"].split()[0] for q in queries_made.captured_queries]
        assert statements == ["SELECT", "INSERT"], statements


def test_the_public_check_is_rate_limited(alice: User) -> None:
    from django.core.cache import cache

    cache.clear()
    client = Client()
    codes = [client.get("/verify/", {"id": "1.2.156.3005.2.X"}).status_code for _ in range(62)]
    assert codes[:60] == [200] * 60 and codes[-1] == 429
    cache.clear()


def test_the_api_check_is_rate_limited_per_address_and_a_refused_check_is_not_audited(alice: User) -> None:
    from django.core.cache import cache

    cache.clear()
    client = Client()
    codes = [client.get("/api/v1/licences/verify/", {"id": "1.2.156.3005.2.X"}).status_code for _ in range(60)]
    audited = SealedEntry.objects.filter(event="licences.verified").count()
    refused = client.get("/api/v1/licences/verify/", {"id": "1.2.156.3005.2.X"})
    assert codes == [200] * 60 and refused.status_code == 429 and refused["Retry-After"]
    assert SealedEntry.objects.filter(event="licences.verified").count() == audited == 60
    other = client.get("/api/v1/licences/verify/", {"id": "1.2.156.3005.2.X"}, REMOTE_ADDR="10.0.0.9")
    assert other.status_code == 200  # another address has its own minute
    cache.clear()


def test_expiry_marks_licences_and_the_offline_check_says_so(
    licensed_felling: ItemVersion, alice: User, bob: User, grace: User, django_capture_on_commit_callbacks: Any
) -> None:
    licence = Licence.objects.get(case_public_id=approved_case(licensed_felling, alice, bob, grace).public_id)
    assert licence.valid_until is not None
    after = licence.valid_until + datetime.timedelta(days=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert actions.expire_licences(after) == 1
    licence.refresh_from_db()
    assert licence.status == "05"
    jwks = Client().get("/licences/keys.json").json()
    lists = {p: Client().get(f"/licences/status/{p}/").content.decode() for p in ("revocation", "suspension")}
    assert queries.check_offline(licence.credential, jwks, lists, after)[0] == "expired"


def test_a_held_licence_is_offered_and_nothing_is_uploaded(
    licensed_felling: ItemVersion, alice: User, bob: User, forest_right_type: LicenceType, settings: Any
) -> None:
    assert alice.person is not None
    held = forest_right_of(alice.person, forest_right_type)
    client = Client()
    client.post("/login/", {"account": ALICE_ID, "password": PASSWORD})
    page = client.get(f"/items/{licensed_felling.public_id}/apply/").content.decode()
    assert "使用平台已有的电子证照：林权证" in page and held.number in page

    case = reusing_case(licensed_felling, alice, held)
    provided = case.materials.get(material__licence_type_code=forest_right_type.code)
    assert provided.licence == held and not provided.file
    assert AuditRecord.objects.filter(event="cases.licence_reused").count() == 1

    settings.STAFF_2FA_SKIP = True
    clerk = Client()
    clerk.post("/desk/login/", {"username": "bob", "password": PASSWORD})
    desk = clerk.get(f"/desk/cases/{case.public_id}/").content.decode()
    assert "复用电子证照（免提交）" in desk and held.identifier in desk and "证照真实有效" in desk


@pytest.fixture
def theirs(forest_right_type: LicenceType) -> Licence:
    """A valid forest right held by another applicant (李明)."""
    from govhall.identity import actions as identity_actions

    other = identity_actions.register_applicant(
        name="李明", id_number="350205197809060038", phone="13900000001", password=PASSWORD
    )
    assert other.person is not None
    return forest_right_of(other.person, forest_right_type, serial="2019000999")


def test_a_licence_that_is_not_yours_or_not_valid_cannot_be_reused(
    licensed_felling: ItemVersion, alice: User, forest_right_type: LicenceType, theirs: Licence
) -> None:
    assert alice.person is not None
    revoked = forest_right_of(alice.person, forest_right_type, serial="2019000555", status="03")
    material = licensed_felling.materials.get(licence_type_code=forest_right_type.code)
    for licence in (theirs, revoked):
        # Read by the filing, or handed to it in a list of "reusable" licences that holds it:
        for reusable in (None, {forest_right_type.code: [licence]}):
            with pytest.raises(ValidationError) as error:
                case_actions.submit_case(
                    licensed_felling,
                    applicant=alice,
                    form_data=FORM,
                    submit_key=f"x{licence.pk}",
                    files={},
                    licences={material.pk: str(licence.public_id)},
                    reusable=reusable,
                )
            assert "所选证照不能用于" in error.value.messages[0]
    assert not CaseMaterial.objects.exists()


def test_the_application_page_takes_only_a_licence_the_applicant_holds(
    licensed_felling: ItemVersion, alice: User, forest_right_type: LicenceType, theirs: Licence
) -> None:
    """Through the page: the licences it offered are the ones the filing checks against."""
    from govhall.cases.models import Case
    from govhall.cases.tests.conftest import material_files

    assert alice.person is not None
    mine = forest_right_of(alice.person, forest_right_type, serial="2019000777")
    material = licensed_felling.materials.get(licence_type_code=forest_right_type.code)
    client = Client()
    client.post("/login/", {"account": ALICE_ID, "password": PASSWORD})

    def apply(key: str, licence: Licence) -> Any:
        uploads = {f"material_{pk}": f for pk, f in material_files(licensed_felling).items() if pk != material.pk}
        data = {**FORM, "submit_key": key, f"licence_{material.pk}": str(licence.public_id), **uploads}
        return client.post(f"/items/{licensed_felling.public_id}/apply/", data)

    refused = apply("theirs", theirs)
    assert refused.status_code == 400 and 'role="alert"' in refused.content.decode()
    assert not Case.objects.filter(submit_key="theirs").exists()
    assert apply("mine", mine).status_code == 302
    assert Case.objects.get(submit_key="mine").materials.get(material=material).licence == mine


def test_staff_see_the_full_record_and_change_its_status_with_a_reason(
    licensed_felling: ItemVersion, alice: User, bob: User, grace: User, settings: Any
) -> None:
    licence = Licence.objects.get(case_public_id=approved_case(licensed_felling, alice, bob, grace).public_id)
    settings.STAFF_2FA_SKIP = True
    desk = Client()
    desk.post("/desk/login/", {"username": "grace", "password": PASSWORD})
    desk.post(f"/desk/licences/{licence.public_id}/suspend/", {"reason": ""})
    licence.refresh_from_db()
    assert licence.status == "01"  # no reason, no change
    desk.post(f"/desk/licences/{licence.public_id}/suspend/", {"reason": "调查期间暂停"})
    page = desk.get(f"/desk/licences/{licence.public_id}/").content.decode()
    assert "陈爱丽" in page and "采伐地点" in page and "东孚镇鼎美村3林班" in page
    assert "暂停 · grace · 调查期间暂停" in page
    assert "/restore/" in page and "/suspend/" not in page  # only what the status allows
    # The public verification page links staff with a role to this record; applicants get no link:
    verify = desk.get("/verify/", {"id": licence.identifier}).content.decode()
    assert f"/desk/licences/{licence.public_id}/" in verify
    assert Client().get(f"/desk/licences/{licence.public_id}/").status_code == 302


def test_the_qr_code_scanned_from_the_printed_page_verifies(
    licensed_felling: ItemVersion, alice: User, bob: User, grace: User, tmp_path: Path, settings: Any
) -> None:
    licence = Licence.objects.get(case_public_id=approved_case(licensed_felling, alice, bob, grace).public_id)
    (tmp_path / "licence.pdf").write_bytes(licence.document.read())
    subprocess.run(["pdftoppm", "-png", "-r", "150", str(tmp_path / "licence.pdf"), str(tmp_path / "page")], check=True)
    scanned = subprocess.run(
        ["zbarimg", "-q", "--raw", "-Sdisable", "-Sqrcode.enable", str(tmp_path / "page-1.png")],
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout.strip()
    # A phone camera opens the verification page; an offline app takes the payload out of the address:
    assert scanned == f"{settings.PUBLIC_URL}/verify/?p={licence.credential}"
    assert queries.payload_of(scanned) == licence.credential
    result = queries.verify_payload(scanned)
    assert result.usable and result.licence == licence


def test_only_the_issuing_units_staff_change_a_licence_and_others_change_nothing(
    licensed_felling: ItemVersion, alice: User, bob: User, carol: User, grace: User
) -> None:
    from django.core.exceptions import PermissionDenied

    licence = Licence.objects.get(case_public_id=approved_case(licensed_felling, alice, bob, grace).public_id)
    assert licence.department is not None and licence.department.code == "forestry"
    with pytest.raises(PermissionDenied, match="只有证照颁发部门的工作人员可以变更证照状态"):
        actions.change_status(licence, "revoke", actor=carol, reason="水利科不该能撤销")  # water clerk
    with pytest.raises(PermissionDenied):
        actions.renew_licence(licence, actor=carol, reason="换发")
    licence.refresh_from_db()
    assert licence.status == "01" and not licence.events.filter(operation="revoke").exists()
    actions.change_status(licence, "cancel", actor=bob, reason="持证人申请注销")  # forestry clerk
    licence.refresh_from_db()
    assert licence.status == "04" and licence.events.get(operation="cancel").from_status == "01"


def test_a_licence_another_authority_issued_is_not_changed_here(
    alice: User, grace: User, forest_right_type: Any
) -> None:
    from django.core.exceptions import PermissionDenied

    assert alice.person is not None
    imported = forest_right_of(alice.person, forest_right_type)
    with pytest.raises(PermissionDenied, match="由其他机关颁发"):
        actions.change_status(imported, "revoke", actor=grace, reason="试图撤销")
    imported.refresh_from_db()
    assert imported.status == "01"


def test_renewal_links_to_the_licence_it_replaces_and_records_its_status_before(
    licensed_felling: ItemVersion, alice: User, bob: User, grace: User
) -> None:
    old = Licence.objects.get(case_public_id=approved_case(licensed_felling, alice, bob, grace).public_id)
    actions.change_status(old, "suspend", actor=grace, reason="调查期间暂停")
    new = actions.renew_licence(old, actor=grace, reason="调查结束，换发")
    old.refresh_from_db()
    assert new.replaces == old and new.version == old.version + 1 and new.department == old.department
    assert parse_licence_identifier(new.identifier).version == old.version + 1
    assert new.status == "01" and old.status == "04"
    renewed = old.events.get(operation="renewed")
    assert (renewed.from_status, renewed.to_status, renewed.reason) == ("02", "04", "调查结束，换发")
    assert queries.verify_identifier(old.identifier).usable is False
    assert queries.verify_identifier(new.identifier).usable is True


def test_a_failure_to_publish_the_status_lists_leaves_the_revocation_standing_and_is_retried(
    licensed_felling: ItemVersion,
    alice: User,
    bob: User,
    grace: User,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    from django_tasks_db.models import DBTaskResult

    from govhall.licences import tasks

    licence = Licence.objects.get(case_public_id=approved_case(licensed_felling, alice, bob, grace).public_id)
    before = queries.status_list("revocation")

    def broken(*args: Any, **kwargs: Any) -> str:
        raise OSError("signing key store unreachable")

    monkeypatch.setattr(actions, "sign_credential", broken)
    with django_capture_on_commit_callbacks(execute=True):  # the lists are published after the commit
        actions.change_status(licence, "revoke", actor=grace, reason="以欺骗手段取得")
    licence.refresh_from_db()
    assert licence.status == "03"  # the revocation stands
    assert queries.status_list("revocation") == before  # not yet republished
    waiting = DBTaskResult.objects.get(task_path="govhall.licences.tasks.publish_status_lists_later")
    assert waiting.args_kwargs["args"] == [1]

    monkeypatch.undo()
    assert tasks.publish_status_lists_later.call(1) == "published"
    jwks = credentials.published_keys()
    lists = {p: queries.status_list(p) or "" for p in ("revocation", "suspension")}
    verdict, _claims = queries.check_offline(licence.credential, jwks, lists, timezone.localdate())
    assert verdict == "revoked"


def test_the_public_page_names_a_wrong_check_character_and_an_unknown_licence_plainly(db: None) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    wrong = "1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.V"
    page = client.get("/verify/", {"id": wrong}).content.decode()
    assert "校验位不正确" in page and "真实有效" not in page
    unknown = "1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U"
    page = client.get("/verify/", {"id": unknown}).content.decode()
    assert "没有" in page and "真实有效" not in page


def test_the_box_gives_back_what_each_visitor_typed_escaped(db: None) -> None:
    # The page's static parts are kept per process ({% kept %}); what was typed is each visitor's own:
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    typed = '1.2.156.3005.2."><script>alert(1)</script>'
    page = client.get("/verify/", {"id": typed}).content.decode()
    assert 'value="1.2.156.3005.2.&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in page
    assert "<script>alert(1)" not in page
    other = client.get("/verify/", {"id": "1.2.156.3005.2.ABC"}).content.decode()
    assert 'name="id" value="1.2.156.3005.2.ABC"' in other and "alert(1)" not in other
