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


def test_a_column_not_updated_within_its_limit_is_flagged_to_its_editors(
    desk: Any, helen: User, published: Entry, settings: Any
) -> None:
    import datetime

    from django.utils import timezone

    from govhall.publicinfo import queries
    from govhall.publicinfo.models import Entry as EntryModel

    settings.PUBLICINFO_STALE_DAYS = {"*": 14, "law": 0, "rule": 0}
    today = timezone.localdate()
    EntryModel.objects.filter(pk=published.pk).update(published_on=today - datetime.timedelta(days=10))
    flagged = {c.kind: c for c in queries.stale_columns(today)}
    assert "policy" not in flagged  # 10 days: within its 14
    assert "law" not in flagged and "rule" not in flagged  # no freshness duty
    assert flagged["notice"].last is None  # never published
    EntryModel.objects.filter(pk=published.pk).update(published_on=today - datetime.timedelta(days=20))
    assert queries.stale_columns(today)[0].kind == "policy"
    page = desk(helen).get("/desk/info/").content.decode()
    assert "栏目更新提醒" in page and "已 20 天未更新（本栏目要求 14 天内更新）" in page
    assert "<title>政务公开工作台" in page and "待答复的咨询" not in page.split("</title>")[0]


def test_an_intermediary_institution_is_listed_in_its_column_and_beside_the_item_it_serves(
    helen: User, grace: User, office: Any, felling: Any
) -> None:
    from govhall.publicinfo import actions as info_actions
    from govhall.publicinfo import queries
    from govhall.publicinfo.tests.conftest import policy_data

    entry = info_actions.create_draft(
        actor=helen,
        department=office,
        data=policy_data(kind="intermediary", title="厦门绿测林业调查规划有限公司", doc_number="", written_on=None,
                         body="林木采伐作业设计。"),
        items=[felling],
        details={"credit_code": "93350205MA2Y4GL0XK", "phone": "0592-6000000", "service_area": "林木采伐作业设计"},
    )  # fmt: skip
    info_actions.record_secrecy_review(entry, actor=helen, passed=True, note="公开信息")
    info_actions.approve(entry, actor=grace)
    page = Client().get("/info/intermediary/").content.decode()
    assert "中介机构" in page and "厦门绿测林业调查规划有限公司" in page
    assert [e.title for e in queries.entries_for_item(felling)] == ["厦门绿测林业调查规划有限公司"]


def test_the_site_search_finds_guides_and_public_information_from_one_box(
    published: Entry, felling: Any, zh_client: Client
) -> None:
    page = zh_client.get("/search/?q=林木采伐").content.decode()
    assert "海沧区林木采伐管理实施办法" in page  # the published policy, segmented at publication
    assert page.count('href="/items/') >= 1  # and the felling guide
    nothing = zh_client.get("/search/?q=潮汐发电").content.decode()
    assert "没有找到相关的公开信息" in nothing and "没有找到相关的办事事项" in nothing
    assert zh_client.get("/search/?q=" + "采伐" * 200).status_code == 200  # a long query is cut, not an error
    assert "全站搜索" in zh_client.get("/search/").content.decode()
