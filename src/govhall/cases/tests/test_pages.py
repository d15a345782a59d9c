"""Applying in the workspace and handling on the desk, through the pages."""

from __future__ import annotations

import pytest

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from conftest import ALICE_ID, PASSWORD
from govhall.cases.constants import CaseStatus
from govhall.cases.models import Case
from govhall.catalog.models import ItemVersion
from govhall.identity.models import User

from .conftest import pdf_bytes

pytestmark = pytest.mark.django_db


def _files(version: ItemVersion) -> dict[str, object]:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return {f"material_{m.pk}": SimpleUploadedFile("scan.pdf", pdf_bytes()) for m in version.materials.all()}


def _submit(version: ItemVersion, applicant: User, key: str, volume: int = 3) -> Case:
    """File an application for ``version`` with a fresh scan for every material."""
    from govhall.cases import actions

    files = {m.pk: f for m, f in zip(version.materials.all(), _files(version).values(), strict=True)}
    return actions.submit_case(
        version, applicant=applicant, form_data={"location": "东孚镇", "volume": volume}, submit_key=key, files=files
    )


def _applicant(client: Client) -> Client:
    client.post("/login/", {"account": ALICE_ID, "password": PASSWORD})
    return client


def _staff(client: Client, username: str, settings: object) -> Client:
    settings.STAFF_2FA_SKIP = True  # type: ignore[attr-defined]
    client.post("/desk/login/", {"username": username, "password": PASSWORD})
    return client


def test_alice_applies_online_and_sees_her_case(felling: ItemVersion, alice: User, zh_client: Client) -> None:
    client = _applicant(zh_client)
    page = client.get(f"/items/{felling.public_id}/apply/").content.decode()
    assert "采伐地点" in page and 'name="submit_key"' in page
    response = client.post(
        f"/items/{felling.public_id}/apply/",
        {"location": "东孚镇", "volume": "12.5", "submit_key": "abc", **_files(felling)},
    )
    case = Case.objects.get()
    assert response["Location"] == f"/my/cases/{case.public_id}/"
    # The double click: same key, same case.
    client.post(
        f"/items/{felling.public_id}/apply/",
        {"location": "东孚镇", "volume": "12.5", "submit_key": "abc", **_files(felling)},
    )
    assert Case.objects.count() == 1
    detail = client.get(f"/my/cases/{case.public_id}/").content.decode()
    assert case.reference in detail and "待受理" in detail and "提交申请" in detail
    assert case.reference in client.get("/my/").content.decode()


def test_an_application_reads_the_items_materials_once_and_files_each_as_current(
    felling: ItemVersion, alice: User, zh_client: Client
) -> None:
    client = _applicant(zh_client)
    application = {"location": "东孚镇", "volume": "12.5", "submit_key": "once", **_files(felling)}
    with CaptureQueriesContext(connection) as run:
        response = client.post(f"/items/{felling.public_id}/apply/", application)
    case = Case.objects.get()
    assert response["Location"] == f"/my/cases/{case.public_id}/"
    statements = [q["sql"] for q in run.captured_queries]
    # The form, the uploads' check and the licences' check share one read of the materials:
    assert sum('FROM "catalog_material"' in sql for sql in statements) == 1
    # A new case has no earlier materials to set aside:
    assert not [sql for sql in statements if sql.startswith('UPDATE "cases_casematerial"')]
    assert sorted(case.materials.filter(is_current=True).values_list("material_id", flat=True)) == sorted(
        felling.materials.values_list("pk", flat=True)
    )


def test_a_missing_field_is_shown_next_to_it_and_nothing_is_filed(
    felling: ItemVersion, alice: User, zh_client: Client
) -> None:
    client = _applicant(zh_client)
    response = client.post(f"/items/{felling.public_id}/apply/", {"volume": "-1", "submit_key": "k"})
    assert response.status_code == 400
    assert "id_location_error" in response.content.decode()
    assert not Case.objects.exists()


def test_bob_accepts_from_his_inbox_and_carol_does_not_see_it(
    felling: ItemVersion, alice: User, bob: User, carol: User, settings: object
) -> None:
    client = _applicant(Client())
    client.post(
        f"/items/{felling.public_id}/apply/",
        {"location": "东孚镇", "volume": "3", "submit_key": "k", **_files(felling)},
    )
    case = Case.objects.get()
    bob_client = _staff(Client(), "bob", settings)
    assert case.reference in bob_client.get("/desk/cases/").content.decode()
    bob_client.post(f"/desk/cases/{case.public_id}/accept/", {"opinion": "材料齐全"})
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_PROGRESS
    carol_client = _staff(Client(), "carol", settings)
    assert case.reference not in carol_client.get("/desk/cases/").content.decode()
    assert carol_client.get(f"/desk/cases/{case.public_id}/").status_code == 404
    carol_client.post(f"/desk/cases/{case.public_id}/close/")
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_PROGRESS


def test_the_applicant_answers_a_correction_request(
    felling: ItemVersion, alice: User, bob: User, settings: object
) -> None:
    client = _applicant(Client())
    client.post(
        f"/items/{felling.public_id}/apply/",
        {"location": "东孚镇", "volume": "3", "submit_key": "k", **_files(felling)},
    )
    case = Case.objects.get()
    _staff(Client(), "bob", settings).post(
        f"/desk/cases/{case.public_id}/correction/", {"items": "缺少林权证\n申请表未签字"}
    )
    page = client.get(f"/my/cases/{case.public_id}/").content.decode()
    assert "需要您补正" in page and "缺少林权证" in page and "申请表未签字" in page
    client.post(f"/my/cases/{case.public_id}/answer/", {"note": "已补交"})
    case.refresh_from_db()
    assert case.status == CaseStatus.SUBMITTED


def test_acceptance_produces_a_notice_with_the_due_date(
    felling: ItemVersion, alice: User, bob: User, settings: object, tmp_path: object
) -> None:
    import subprocess

    from govhall.cases import actions

    from .conftest import material_files

    case = actions.submit_case(
        felling,
        applicant=alice,
        form_data={"location": "东孚镇", "volume": 3},
        submit_key="n",
        files=material_files(felling),
    )
    client = _applicant(Client())
    assert client.get(f"/my/cases/{case.public_id}/acceptance-notice.pdf").status_code == 404
    case = actions.accept_case(case, actor=bob)
    response = client.get(f"/my/cases/{case.public_id}/acceptance-notice.pdf")
    assert response["Content-Type"] == "application/pdf"
    path = f"{tmp_path}/notice.pdf"
    with open(path, "wb") as handle:
        handle.write(response.content)
    text = subprocess.run(["pdftotext", path, "-"], capture_output=True, text=True, check=True).stdout.replace("\n", "")
    assert "受理通知书" in text and case.reference in text and case.due_on.isoformat() in text  # type: ignore[union-attr]


def test_a_draft_is_saved_half_filled_and_resumed_later(felling: ItemVersion, alice: User, bob: User) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = _applicant(Client())
    first = felling.materials.order_by("order").first()
    assert first is not None
    response = client.post(
        f"/items/{felling.public_id}/apply/",
        {"location": "东孚镇", "save_draft": "1", f"material_{first.pk}": SimpleUploadedFile("a.pdf", pdf_bytes())},
    )
    draft = Case.objects.get()
    assert draft.status == CaseStatus.DRAFT and draft.reference is None
    assert response["Location"] == f"/my/cases/{draft.public_id}/continue/"
    assert draft.form_data == {"location": "东孚镇"}
    assert "草稿" in client.get("/my/").content.decode()
    page = client.get(f"/my/cases/{draft.public_id}/continue/").content.decode()
    assert 'value="东孚镇"' in page and "a.pdf" in page
    # Drafts are the applicant's own: the clerk does not see them.
    from govhall.cases.queries import inbox_for

    assert draft not in inbox_for(bob)
    rest = {
        f"material_{m.pk}": SimpleUploadedFile("b.pdf", pdf_bytes()) for m in felling.materials.exclude(pk=first.pk)
    }
    client.post(
        f"/my/cases/{draft.public_id}/continue/", {"location": "东孚镇", "volume": "8", "submit_key": "d1", **rest}
    )
    draft.refresh_from_db()
    assert draft.status == CaseStatus.SUBMITTED and draft.reference
    assert draft.materials.filter(is_current=True).count() == felling.materials.count()
    assert Case.objects.count() == 1


def test_the_case_page_says_what_happens_next_and_what_is_needed_from_the_applicant(
    felling: ItemVersion, alice: User, bob: User
) -> None:
    from govhall.cases import actions

    case = _submit(felling, alice, "next")
    client = _applicant(Client())
    page = client.get(f"/my/cases/{case.public_id}/").content.decode()
    assert "当前进展" in page and "等待窗口受理。目前不需要您做什么" in page
    actions.request_correction(case, actor=bob, items=["补充采伐地点示意图"])
    page = client.get(f"/my/cases/{case.public_id}/").content.decode()
    # Not accepted yet, so no clock is paused:
    assert "需要您做的" in page and "补正后，窗口再决定是否受理" in page
    case.refresh_from_db()
    actions.answer_correction(case, applicant=alice, note="已补充", files={})
    case = actions.not_accept_case(
        Case.objects.get(pk=case.pk), actor=bob, reason="采伐地点不在本区", legal_basis="《行政许可法》第三十二条"
    )
    page = client.get(f"/my/cases/{case.public_id}/").content.decode()
    assert "申请不予受理。" in page
    assert "理由：采伐地点不在本区。依据：《行政许可法》第三十二条。" in page
    assert "依据：《行政许可法》第三十二条" in page.split("办理过程")[1]  # in the timeline too
    assert "申请人补正" in page.split("办理过程")[1]  # her own answer is in her timeline


def test_the_inbox_shows_a_page_of_25_nearest_deadline_first_and_pages_on(
    felling: ItemVersion, alice: User, bob: User, settings: object
) -> None:
    from govhall.cases import actions

    files = {m.pk: f for m, f in zip(felling.materials.all(), _files(felling).values(), strict=True)}
    cases = []
    for n in range(27):
        fresh = {pk: type(f)(f.name, pdf_bytes()) for pk, f in files.items()}
        cases.append(
            actions.submit_case(
                felling, applicant=alice, form_data={"location": "东孚镇", "volume": 3}, submit_key=f"p{n}", files=fresh
            )
        )
    clerk = _staff(Client(), "bob", settings)
    first = clerk.get("/desk/cases/").content.decode()
    assert first.count('class="warn-') == 25 and 'rel="next"' in first and 'rel="prev"' not in first
    second = clerk.get("/desk/cases/", {"page": "2"}).content.decode()
    assert second.count('class="warn-') == 2 and 'rel="prev"' in second and 'rel="next"' not in second
    shown = {c.reference for c in cases if c.reference in first or c.reference in second}
    assert len(shown) == 27
    assert clerk.get("/desk/cases/", {"page": "x"}).status_code == 200  # a bad page number is page 1


def test_the_inbox_filters_by_item_among_the_units_items(
    felling: ItemVersion, alice: User, bob: User, carol: User, settings: object
) -> None:

    case = _submit(felling, alice, "item")
    clerk = _staff(Client(), "bob", settings)
    page = clerk.get("/desk/cases/").content.decode()
    code = felling.item.implementation_code
    assert f'<option value="{code}">{felling.name}</option>' in page
    chosen = clerk.get("/desk/cases/", {"item": code, "status": "submitted"}).content.decode()
    assert case.reference in chosen
    # The page keeps what the clerk chose, in both filters:
    assert f'<option value="{code}" selected>{felling.name}</option>' in chosen
    assert '<option value="submitted" selected>待受理</option>' in chosen
    assert " selected" not in page.split('id="status"')[1].split("</select>")[0]
    other = clerk.get("/desk/cases/", {"item": "11350205MB0100001240000000000000"}).content.decode()
    assert case.reference in other  # an item that is not his unit's is ignored, not an error
    water = _staff(Client(), "carol", settings).get("/desk/cases/").content.decode()
    assert felling.name not in water.split('id="item"')[1].split("</select>")[0]  # not her unit's item


def test_an_inbox_row_shows_the_case_as_the_clerk_needs_it_and_item_versions_are_read_once(
    felling: ItemVersion, alice: User, bob: User, settings: object
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    case = _submit(felling, alice, "row")
    Case.objects.filter(pk=case.pk).update(warning="red", due_on="2026-10-09")
    waiting = _submit(felling, alice, "row2", volume=4)
    clerk = _staff(Client(), "bob", settings)
    clerk.get("/desk/cases/")
    with CaptureQueriesContext(connection) as made:
        page = clerk.get("/desk/cases/").content.decode()
    row = page.split('<tr class="warn-red">')[1].split("</tr>")[0]
    assert f'<a href="/desk/cases/{case.public_id}/"><code>{case.reference}</code></a>' in row
    assert f"<td>{felling.name}</td>" in row and "<td>陈爱丽</td>" in row and "<td>待受理</td>" in row
    assert '<span class="due due-red">2026-10-09</span> 已超期' in row
    # Not yet accepted, so no due date: after the dated cases (on SQLite as on PostgreSQL):
    assert page.index(case.reference) < page.index(waiting.reference)
    assert '<span class="due due-none">—</span>' in page.split(waiting.reference)[1].split("</tr>")[0]
    # The published version's name was kept from the first page; the cases are one query:
    assert not [q for q in made.captured_queries if "catalog_itemversion" in q["sql"]]
    assert len([q for q in made.captured_queries if 'FROM "cases_case"' in q["sql"]]) == 1


def test_an_inbox_row_escapes_what_an_applicant_typed(
    felling: ItemVersion, alice: User, bob: User, settings: object
) -> None:
    # The rows are built by the view (cases.views.INBOX_ROW), not by the template's escaping:
    case = _submit(felling, alice, "escape")
    Case.objects.filter(pk=case.pk).update(applicant_name='<script>alert("x")</script> & 陈\'')
    page = _staff(Client(), "bob", settings).get("/desk/cases/").content.decode()
    row = page.split(case.reference)[1].split("</tr>")[0]
    assert "<td>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; 陈&#x27;</td>" in row
    assert "<script>alert" not in page


def test_a_search_by_a_piece_of_the_item_name_finds_the_case_without_reading_the_catalog_again(
    felling: ItemVersion, alice: User, bob: User, settings: object
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    case = _submit(felling, alice, "name")
    clerk = _staff(Client(), "bob", settings)
    assert case.reference in clerk.get("/desk/cases/", {"q": "采伐"}).content.decode()
    with CaptureQueriesContext(connection) as made:
        again = clerk.get("/desk/cases/", {"q": "林木采伐"}).content.decode()
    assert case.reference in again
    assert not [q for q in made.captured_queries if "catalog_itemversion" in q["sql"]]
    assert case.reference not in clerk.get("/desk/cases/", {"q": "取水"}).content.decode()


def test_a_two_character_name_search_finds_exactly_the_names_holding_it_in_any_case(
    felling: ItemVersion, alice: User, bob: User, settings: object
) -> None:
    from django.db import connection

    names = ["厦门绿源林业专业合作社", "Xiamen Greenwood Co.", "陈爱丽", "门厦贸易"]
    cases = []
    for n, name in enumerate(names):
        case = _submit(felling, alice, f"n{n}")
        Case.objects.filter(pk=case.pk).update(applicant_name=name)
        cases.append(case)
    clerk = _staff(Client(), "bob", settings)

    def found(term: str) -> set[str]:
        page = clerk.get("/desk/cases/", {"q": term}).content.decode()
        return {name for name, case in zip(names, cases, strict=True) if case.reference in page}

    assert found("厦门") == {"厦门绿源林业专业合作社"}  # not "门厦": the two characters in that order
    assert found("xi") == {"Xiamen Greenwood Co."}  # whatever the letter case
    assert found("绿源林业") == {"厦门绿源林业专业合作社"}
    assert found("爱丽") == {"陈爱丽"}
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # migration 0009: PostgreSQL knows how common a name piece is
            cursor.execute("SELECT 1 FROM pg_statistic_ext WHERE stxname = 'cases_upper_name'")
            assert cursor.fetchone() is not None
