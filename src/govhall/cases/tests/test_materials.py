"""Uploaded materials: checked by content, size and pages, named safely, kept private, all required ones named."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import translation

from conftest import ALICE_ID, PASSWORD
from govhall.cases import actions
from govhall.cases.models import Case, CaseMaterial
from govhall.catalog.models import ItemVersion
from govhall.identity.models import User
from govhall.lib.signing import sign_pdf

from .conftest import material_files, pdf_bytes

pytestmark = pytest.mark.django_db
FORM = {"location": "东孚镇", "volume": 3}


def _submit(version: ItemVersion, alice: User, files: dict) -> Case:
    return actions.submit_case(version, applicant=alice, form_data=FORM, submit_key="k", files=files)


def test_a_missing_required_material_is_named_and_nothing_is_filed(felling: ItemVersion, alice: User) -> None:
    files = material_files(felling)
    missing = felling.materials.get(name="林权证")
    del files[missing.pk]
    with translation.override("zh-hans"), pytest.raises(ValidationError) as error:
        _submit(felling, alice, files)
    assert error.value.messages == ["缺少必要材料：林权证。"]
    assert not Case.objects.exists() and not CaseMaterial.objects.exists()


def test_a_file_is_judged_by_its_content_not_its_name(felling: ItemVersion, alice: User) -> None:
    files = material_files(felling)
    first = next(iter(files))
    files[first] = SimpleUploadedFile("scan.pdf", b"MZ\x90\x00 this is a program, not a pdf" * 10)
    with translation.override("zh-hans"), pytest.raises(ValidationError) as error:
        _submit(felling, alice, files)
    assert "不是 PDF、JPG 或 PNG 文件" in error.value.messages[0]


def test_a_broken_or_too_long_pdf_is_refused(felling: ItemVersion, alice: User, settings: object) -> None:
    settings.MATERIAL_MAX_PAGES = 3  # type: ignore[attr-defined]
    files = material_files(felling)
    first, second = list(files)
    files[first] = SimpleUploadedFile("a.pdf", b"%PDF-1.7\n" + b"garbage" * 100)
    files[second] = SimpleUploadedFile("b.pdf", pdf_bytes(pages=5))
    with translation.override("zh-hans"), pytest.raises(ValidationError) as error:
        _submit(felling, alice, files)
    text = " ".join(error.value.messages)
    assert "已损坏" in text and "有 5 页" in text


def test_an_oversized_file_is_refused(felling: ItemVersion, alice: User, settings: object) -> None:
    settings.MATERIAL_MAX_BYTES = 100  # type: ignore[attr-defined]
    with translation.override("zh-hans"), pytest.raises(ValidationError) as error:
        _submit(felling, alice, material_files(felling))
    assert "太大" in error.value.messages[0]


def test_the_stored_file_has_a_safe_name_outside_the_web_root(
    felling: ItemVersion, alice: User, settings: object
) -> None:
    files = material_files(felling)
    first = next(iter(files))
    files[first] = SimpleUploadedFile("../../etc/passwd\x00.exe.pdf", pdf_bytes())
    case = _submit(felling, alice, files)
    stored = case.materials.get(material_id=first)
    assert stored.original_name == "passwd.exe.pdf"
    assert ".." not in stored.file.name and stored.file.name.startswith(f"cases/{case.public_id}/")
    assert str(settings.PRIVATE_MEDIA_ROOT) in stored.file.path  # type: ignore[attr-defined]
    assert not stored.file.path.startswith(str(settings.STATIC_ROOT))  # type: ignore[attr-defined]


def test_only_the_applicant_and_the_department_can_download(
    felling: ItemVersion, alice: User, bob: User, carol: User, settings: object
) -> None:
    case = _submit(felling, alice, material_files(felling))
    stored = case.materials.first()
    assert stored is not None
    owner = Client()
    owner.post("/login/", {"account": ALICE_ID, "password": PASSWORD})
    response = owner.get(f"/my/cases/{case.public_id}/materials/{stored.public_id}/")
    assert response.status_code == 200 and b"".join(response.streaming_content).startswith(b"%PDF")
    assert response["X-Content-Type-Options"] == "nosniff"
    settings.STAFF_2FA_SKIP = True  # type: ignore[attr-defined]
    for username, expected in (("bob", 200), ("carol", 404)):
        client = Client()
        client.post("/desk/login/", {"username": username, "password": PASSWORD})
        assert client.get(f"/desk/cases/{case.public_id}/materials/{stored.public_id}/").status_code == expected
    assert Client().get(f"/my/cases/{case.public_id}/materials/{stored.public_id}/").status_code == 302


def test_the_clerk_sees_whether_a_signed_pdf_is_valid_or_tampered(
    felling: ItemVersion, alice: User, bob: User, settings: object
) -> None:
    signed = sign_pdf(pdf_bytes(), reason="申请人签名", location="厦门")
    tampered = bytearray(signed)
    tampered[tampered.index(b"/MediaBox") + 1] = ord("N")  # one byte inside the signed range
    files = material_files(felling)
    first, second = list(files)[:2]
    files[first] = SimpleUploadedFile("signed.pdf", signed)
    files[second] = SimpleUploadedFile("changed.pdf", bytes(tampered))
    case = _submit(felling, alice, files)
    assert case.materials.get(material_id=first).signature_status == "valid"
    assert case.materials.get(material_id=second).signature_status == "invalid"

    settings.STAFF_2FA_SKIP = True  # type: ignore[attr-defined]
    clerk = Client()
    clerk.post("/desk/login/", {"username": "bob", "password": PASSWORD})
    page = clerk.get(f"/desk/cases/{case.public_id}/").content.decode()
    assert "签名有效：厦门市海沧区农林水利局 电子证照签章（开发）" in page
    assert "签名无效（文件签名后被改动或签名损坏）" in page


def test_a_file_over_the_limit_is_refused_by_name_and_size_and_never_kept_whole(
    felling: ItemVersion, alice: User, settings: object, tmp_path: Path
) -> None:
    """Through the real upload path: the request streams in, the big file stops being kept at the limit."""
    settings.MATERIAL_MAX_BYTES = 1024 * 1024  # type: ignore[attr-defined]
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)  # type: ignore[attr-defined]
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 64 * 1024  # type: ignore[attr-defined]
    client = Client()
    client.post("/login/", {"account": ALICE_ID, "password": PASSWORD})
    first, second = list(felling.materials.order_by("order"))
    big = io.BytesIO(pdf_bytes() + b"%" * (3 * 1024 * 1024))
    big.name = "whole-forest-survey.pdf"
    small = io.BytesIO(pdf_bytes())
    small.name = "map.pdf"
    response = client.post(
        f"/items/{felling.public_id}/apply/",
        {
            "submit_key": "big-1",
            f"material_{first.pk}": big,
            f"material_{second.pk}": small,
            "location": "东孚镇",
            "volume": "3",
        },
    )
    page = response.content.decode()
    assert "文件“whole-forest-survey.pdf”太大（3.0 MB），单个文件不能超过 1 MB。" in page
    assert not Case.objects.exclude(status="draft").exists()
    # What reached the disk while it streamed stayed within the limit (nothing of 3 MB was ever written):
    assert all(path.stat().st_size <= 1024 * 1024 for path in tmp_path.iterdir())


def test_a_request_larger_than_any_submission_is_refused_before_it_is_read(alice: User, settings: object) -> None:
    from django.test import RequestFactory

    from govhall.portal.middleware import RequestSizeLimitMiddleware

    def view(request: object) -> None:
        raise AssertionError("the view must not run")

    request = RequestFactory().post("/items/x/apply/", data=b"", content_type="multipart/form-data; boundary=x")
    request.META["CONTENT_LENGTH"] = str(2 * 1024**3)
    request.user = alice
    with translation.override("zh-hans"):
        response = RequestSizeLimitMiddleware(view)(request)  # type: ignore[arg-type]
    assert response.status_code == 413
    assert "提交的内容太大（2048 MB），一次提交不能超过 100 MB。" in response.content.decode()
    api = RequestFactory().post("/api/v1/cases/", data=b"", content_type="application/json")
    api.META["CONTENT_LENGTH"] = str(2 * 1024**3)
    with translation.override("en"):
        answer = RequestSizeLimitMiddleware(view)(api)  # type: ignore[arg-type]
    import json

    assert answer.status_code == 413 and "at most 100 MB" in json.loads(answer.content)["errors"][0]
