"""A filing that does not commit leaves no file behind; one that commits keeps every file it names."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import transaction

from govhall.cases import actions
from govhall.cases.models import CaseMaterial
from govhall.catalog.models import ItemVersion
from govhall.identity.models import User
from govhall.lib.storage import PENDING, save_until_committed

from .conftest import material_files, pdf_bytes

pytestmark = pytest.mark.django_db
FORM = {"location": "东孚镇", "volume": 3}


def storage() -> Storage:
    return CaseMaterial._meta.get_field("file").storage  # type: ignore[attr-defined, no-any-return]


def files_on_disk(settings: Any) -> set[str]:
    root = Path(settings.PRIVATE_MEDIA_ROOT)
    return {str(path.relative_to(root)) for path in root.rglob("*") if path.is_file()} if root.exists() else set()


def kept(settings: Any) -> set[str]:
    return {name for name in files_on_disk(settings) if not name.startswith(PENDING)}


def test_a_committed_filing_keeps_its_files_and_its_markers_go_at_commit(
    felling: ItemVersion, alice: User, settings: Any, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        case = actions.submit_case(
            felling, applicant=alice, form_data=FORM, submit_key="k1", files=material_files(felling)
        )
    named = {material.file.name for material in case.materials.all()}
    assert len(named) == felling.materials.count()
    assert files_on_disk(settings) == named  # no marker left


def test_a_filing_that_fails_after_its_files_were_written_leaves_no_file(
    felling: ItemVersion, alice: User, settings: Any
) -> None:
    """Two tabs submit the same draft: the second fails inside its transaction, after its uploads were saved."""
    first_tab = actions.save_draft(felling, applicant=alice, form_data=FORM, files=material_files(felling))
    second_tab = type(first_tab).objects.get(pk=first_tab.pk)  # the same draft, as the other tab read it
    actions.submit_case(felling, applicant=alice, form_data=FORM, submit_key="tab-1", draft=first_tab)
    before_files, before_rows = kept(settings), CaseMaterial.objects.count()
    replacement = {next(iter(material_files(felling))): SimpleUploadedFile("新扫描件.pdf", pdf_bytes(pages=2))}

    with pytest.raises(actions.InvalidTransition):
        actions.submit_case(
            felling, applicant=alice, form_data=FORM, submit_key="tab-2", draft=second_tab, files=replacement
        )

    assert kept(settings) == before_files
    assert CaseMaterial.objects.count() == before_rows
    assert {f"{PENDING}{name}" for name in before_files} >= {
        n for n in files_on_disk(settings) if n.startswith(PENDING)
    }


def test_a_refused_correction_answer_leaves_no_file(felling: ItemVersion, alice: User, settings: Any) -> None:
    case = actions.submit_case(felling, applicant=alice, form_data=FORM, submit_key="k", files=material_files(felling))
    before = kept(settings)
    replacement = {next(iter(material_files(felling))): SimpleUploadedFile("补正.pdf", pdf_bytes())}
    with pytest.raises(actions.InvalidTransition):  # nothing was asked of the applicant
        actions.answer_correction(case, applicant=alice, note="补正", files=replacement)
    assert kept(settings) == before


def test_the_clean_up_removes_what_a_crash_left_and_keeps_what_a_committed_row_names(
    felling: ItemVersion, alice: User, settings: Any, capsys: Any
) -> None:
    # A committed filing whose markers were never removed (the process died right after commit;
    # here: the test's transaction never commits, so the markers stay as they would):
    case = actions.submit_case(felling, applicant=alice, form_data=FORM, submit_key="k", files=material_files(felling))
    named = {material.file.name for material in case.materials.all()}
    # A filing whose process died before commit: its file and marker were written, no row:
    try:
        with transaction.atomic():
            orphan = save_until_committed("cases/lost/abc.pdf", ContentFile(b"%PDF-1.7"), storage=storage())
            raise RuntimeError("the worker was killed")
    except RuntimeError:
        pass
    assert orphan in files_on_disk(settings)

    call_command("clean_uploads")  # within the grace period: nothing is touched
    assert orphan in files_on_disk(settings) and "still within the grace period" in capsys.readouterr().out

    call_command("clean_uploads", "--grace-minutes", "0")
    assert files_on_disk(settings) == named
    assert f"deleted {orphan}" in capsys.readouterr().out


@pytest.mark.django_db(transaction=True)
def test_a_file_is_only_saved_inside_the_transaction_that_names_it() -> None:
    with pytest.raises(RuntimeError, match="inside the transaction"):
        save_until_committed("cases/x/a.pdf", ContentFile(b"x"), storage=storage())
