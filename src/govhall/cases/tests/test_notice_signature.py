"""The acceptance notice is signed by the bureau's key, as its licences are, with the implementing body's seal."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader

from django.test import Client

from conftest import ALICE_ID, PASSWORD
from govhall.cases import actions
from govhall.catalog.models import ItemVersion
from govhall.identity.models import User
from govhall.lib.pdf import find_line
from govhall.lib.signing import SignatureStatus, check_pdf_signatures

from .conftest import material_files

pytestmark = pytest.mark.django_db


def test_the_acceptance_notice_is_signed_with_the_seal_and_pdfsig_validates_it(
    felling: ItemVersion, alice: User, bob: User, tmp_path: Path
) -> None:
    case = actions.submit_case(
        felling,
        applicant=alice,
        form_data={"location": "东孚镇", "volume": 3},
        submit_key="n",
        files=material_files(felling),
    )
    case = actions.accept_case(case, actor=bob)
    client = Client()
    client.post("/login/", {"account": ALICE_ID, "password": PASSWORD})
    data = client.get(f"/my/cases/{case.public_id}/acceptance-notice.pdf").content
    assert check_pdf_signatures(io.BytesIO(data)).status == SignatureStatus.VALID
    # Asked for before the task after acceptance ran: made and kept now, the same file ever after:
    case.refresh_from_db()
    with case.acceptance_notice.open("rb") as handle:
        assert handle.read() == data
    (tmp_path / "notice.pdf").write_bytes(data)
    report = subprocess.run(["pdfsig", str(tmp_path / "notice.pdf")], capture_output=True, text=True).stdout
    assert "Signature is Valid." in report and "Total document signed" in report
    assert "电子证照签章" in report  # the bureau's document-signing certificate, the licences' own
    # Its appearance is the seal, stamped over the line naming the implementing body:
    reader = PdfReader(io.BytesIO(data))
    (widget,) = [a.get_object() for a in reader.pages[0]["/Annots"] if a.get_object().get("/FT") == "/Sig"]
    x1, y1, x2, y2 = (float(v) for v in widget["/Rect"])
    found = find_line(data, felling.implementing_body)
    assert found is not None and found[0] == 0 and x1 < found[1] < x2 and y1 < found[2] < y2
    assert widget["/V"]["/Name"] == f"{felling.implementing_body}业务受理专用章"
    text = subprocess.run(["pdftotext", str(tmp_path / "notice.pdf"), "-"], capture_output=True, text=True).stdout
    assert "受理通知书" in text and case.reference in text.replace("\n", "")


def test_the_notice_is_kept_once_after_acceptance_and_served_as_kept(
    felling: ItemVersion, alice: User, bob: User, django_capture_on_commit_callbacks
) -> None:
    from django_tasks_db.models import DBTaskResult

    case = actions.submit_case(
        felling,
        applicant=alice,
        form_data={"location": "东孚镇", "volume": 3},
        submit_key="kept",
        files=material_files(felling),
    )
    with django_capture_on_commit_callbacks(execute=True):
        case = actions.accept_case(case, actor=bob)
    assert DBTaskResult.objects.filter(
        task_path__endswith="keep_acceptance_notice", args_kwargs__args=[case.pk]
    ).exists()
    assert actions.keep_acceptance_notice(case.pk) is True
    assert actions.keep_acceptance_notice(case.pk) is False  # once
    case.refresh_from_db()
    with case.acceptance_notice.open("rb") as handle:
        kept = handle.read()
    client = Client()
    client.post("/login/", {"account": ALICE_ID, "password": PASSWORD})
    url = f"/my/cases/{case.public_id}/acceptance-notice.pdf"
    assert client.get(url).content == kept == client.get(url).content
    assert check_pdf_signatures(io.BytesIO(kept)).status == SignatureStatus.VALID
