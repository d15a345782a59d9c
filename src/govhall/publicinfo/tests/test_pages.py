"""The public pages and the desk, as a visitor and each persona sees them."""

from __future__ import annotations

from typing import Any

import pytest

from django.test import Client

from govhall.catalog.models import ServiceItem
from govhall.identity.models import Department, User
from govhall.publicinfo import actions
from govhall.publicinfo.constants import EntryKind, EntryStatus
from govhall.publicinfo.models import Entry
from govhall.publicinfo.tests.conftest import policy_data

pytestmark = pytest.mark.django_db


def test_the_public_sees_sections_per_type_and_never_a_draft(zh_client: Client, draft: Entry) -> None:
    page = zh_client.get("/info/").content.decode()
    for label in ["法律法规", "规章", "规范性文件/政策文件", "政策解读", "通知公告", "审查细则", "常见问题"]:
        assert label in page
    assert draft.title not in page
    assert zh_client.get(f"/info/e/{draft.public_id}/").status_code == 404
    assert zh_client.get("/info/nonsense/").status_code == 404


def test_an_entry_page_shows_its_versions_links_and_items(
    zh_client: Client, published: Entry, helen: User, grace: User, office: Department, felling: ServiceItem
) -> None:
    interpretation = actions.create_draft(
        actor=helen,
        department=office,
        data={"kind": EntryKind.INTERPRETATION, "title": "采伐办法解读", "issuer": "农林水利局"},
        interprets=published,
        items=[felling],
    )
    actions.record_secrecy_review(interpretation, actor=helen, passed=True)
    actions.approve(interpretation, actor=grace)
    correction = actions.start_correction(published, actor=helen)
    actions.update_draft(correction, actor=helen, data=policy_data(change_note="更正施行日期"))
    actions.record_secrecy_review(correction, actor=helen, passed=True)
    actions.approve(correction, actor=grace)

    page = zh_client.get(f"/info/e/{correction.public_id}/").content.decode()
    assert "厦海农林水〔2026〕8号" in page and "第 2 版" in page and "第 1 版" in page and "更正施行日期" in page
    assert "采伐办法解读" in page
    old = zh_client.get(f"/info/e/{published.public_id}/").content.decode()
    assert "这是历史版本" in old
    page = zh_client.get(f"/info/e/{interpretation.public_id}/").content.decode()
    assert "海沧区林木采伐管理实施办法" in page and f"/items/{felling.versions.get().public_id}/" in page
    assert "采伐办法解读" in zh_client.get("/info/interpretation/").content.decode()


def test_the_desk_is_for_editors_and_approvers_only(desk: Any, bob: User, helen: User, draft: Entry) -> None:
    assert desk(bob).get("/desk/info/").status_code == 404
    assert desk(bob).get(f"/desk/info/{draft.public_id}/").status_code == 404
    assert draft.title in desk(helen).get("/desk/info/").content.decode()
    assert Client().get("/desk/info/").status_code == 302


def test_editor_reviews_approver_publishes_at_the_desk(desk: Any, helen: User, grace: User, office: Department) -> None:
    editor = desk(helen)
    response = editor.post("/desk/info/new/", {**policy_data(), "validity": "valid"})
    assert response.status_code == 302
    entry = Entry.objects.get()
    page = desk(grace).get(f"/desk/info/{entry.public_id}/").content.decode()
    assert "审批发布" not in page
    # Publishing before the review: refused, with the reason shown.
    page = desk(grace).post(f"/desk/info/{entry.public_id}/approve/", follow=True).content.decode()
    assert "尚未通过保密审查" in page
    editor.post(f"/desk/info/{entry.public_id}/pass/", {"note": "不涉密"})
    approver = desk(grace)
    assert entry.title in approver.get("/desk/info/").content.decode()
    approver.post(f"/desk/info/{entry.public_id}/approve/")
    entry.refresh_from_db()
    assert entry.status == EntryStatus.PUBLISHED
    # Editing the published text in place: refused, unchanged.
    page = editor.post(
        f"/desk/info/{entry.public_id}/", {**policy_data(title="改"), "validity": "valid"}, follow=True
    ).content.decode()
    assert "不能直接修改" in page
    entry.refresh_from_db()
    assert entry.title == "海沧区林木采伐管理实施办法"


def test_a_duplicate_doc_number_at_the_desk_shows_the_error(desk: Any, helen: User, published: Entry) -> None:
    response = desk(helen).post("/desk/info/new/", {**policy_data(title="另一个"), "validity": "valid"})
    assert response.status_code == 400 and "已被《海沧区林木采伐管理实施办法》使用" in response.content.decode()
    assert Entry.objects.count() == 1


def test_the_desk_answers_a_request_and_gives_the_letter(desk: Any, helen: User) -> None:
    from conftest import ALICE_ID

    request, _code = actions.submit_request(
        applicant_kind="person",
        name="陈爱丽",
        id_number=ALICE_ID,
        contact_phone="13800000001",
        description="采伐限额",
        form_wanted="paper",
    )
    editor = desk(helen)
    assert request.number in editor.get("/desk/info/").content.decode()
    page = editor.post(f"/desk/info/requests/{request.public_id}/", {"step": "answer", "kind": "refused"})
    assert page.status_code == 400 and "须写明理由和依据" in page.content.decode()
    editor.post(f"/desk/info/requests/{request.public_id}/", {"step": "answer", "kind": "not_exist"})
    letter = editor.get(f"/desk/info/requests/{request.public_id}/letter.pdf")
    assert letter.content.startswith(b"%PDF")


def test_the_guide_partial_lists_an_items_entries(published: Entry, felling: ServiceItem) -> None:
    from django.template.loader import render_to_string

    from govhall.publicinfo.queries import entries_for_item

    published.items.set([felling])
    html = render_to_string("publicinfo/_guide_entries.html", {"entries": entries_for_item(felling)})
    assert "相关政策文件和解读" in html and "海沧区林木采伐管理实施办法" in html and "厦海农林水〔2026〕8号" in html
    assert render_to_string("publicinfo/_guide_entries.html", {"entries": []}).strip() == ""
