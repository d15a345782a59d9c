"""The hall joined to the rest: a company served through its agent, 自助填单 at the kiosk, a result handed over
at the pick-up window, a window consultation turned into a FAQ, and the figures per item and per case."""

from __future__ import annotations

from typing import Any

import pytest

from django.core.cache import cache
from django.test import Client

from govhall.cases import actions as case_actions
from govhall.cases.constants import Channel
from govhall.cases.models import Case
from govhall.cases.tests.conftest import frank, material_files  # noqa: F401 - fixtures
from govhall.catalog.models import ItemVersion
from govhall.delivery import actions as delivery_actions
from govhall.delivery.constants import DeliveryStatus, Method
from govhall.delivery.models import Delivery
from govhall.halls import actions, statistics
from govhall.halls.constants import DeviceKind
from govhall.halls.models import Consultation, HallStat, SelfFill, Ticket
from govhall.halls.tests.conftest import TUESDAY, District, at
from govhall.identity.models import LegalEntity, NaturalPerson, User
from govhall.publicinfo.constants import EntryKind, EntryStatus
from govhall.publicinfo.models import Entry

pytestmark = pytest.mark.django_db
AGENT_ID = "350205199005050036"
COOPERATIVE = "93350205MA2Y4GL0XK"  # a farmers' co-operative (农民专业合作社)


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    cache.clear()  # cached devices and rate-limit counts of earlier tests' rolled-back rows


def _serving(district: District, clerk: User, window: Any = None) -> Ticket:
    window = window or district.general
    actions.sign_in_window(window, clerk=clerk)
    actions.call_next_ticket(window, clerk=clerk)
    return actions.start_serving(window, clerk=clerk)


def _text(response: Any) -> str:
    return str(response.content.decode())


# A company through its agent -----------------------------------------------------------------------------


def test_a_company_applies_at_the_window_through_its_agent_with_the_authorisation_checked(
    district: District, felling: ItemVersion, hank: User, desk: Any, clock: Any
) -> None:
    actions.take_ticket(district.forestry)
    ticket = _serving(district, hank)
    client = desk(hank)
    agent = {"id_number": AGENT_ID, "name": "王林"}
    wrong_digit = client.post("/desk/counter/intake/", {**agent, "credit_code": COOPERATIVE[:-1] + "Y",
                                                         "entity_name": "海沧鼎美林业专业合作社",
                                                         "authorisation_checked": "1"}, follow=True)  # fmt: skip
    assert "校验位不正确" in _text(wrong_digit)
    unchecked = client.post("/desk/counter/intake/", {**agent, "credit_code": COOPERATIVE,
                                                       "entity_name": "海沧鼎美林业专业合作社"}, follow=True)  # fmt: skip
    assert "授权委托书原件" in _text(unchecked)
    assert not LegalEntity.objects.exists()

    answer = client.post("/desk/counter/intake/", {**agent, "credit_code": COOPERATIVE,
                                                    "entity_name": "海沧鼎美林业专业合作社",
                                                    "authorisation_checked": "1"})  # fmt: skip
    entity = LegalEntity.objects.get(credit_code=COOPERATIVE)
    person = NaturalPerson.objects.get(name="王林")
    assert answer.status_code == 302 and answer["Location"].startswith("/desk/cases/intake/")
    form = {"person": str(person.public_id), "item": felling.item.implementation_code, "next": "/desk/counter/",
            "submit_key": "company-1", "location": "东孚镇鼎美村3林班", "volume": "8", "confirmed": "on",
            "accept_now": "on"}  # fmt: skip
    page = _text(client.get("/desk/cases/intake/", {k: form[k] for k in ("person", "item", "next")}))
    assert "为申请单位 海沧鼎美林业专业合作社（93350205MA2Y4GL0XK）录入，经办人 王林" in page
    # A form opened for someone else than the company now identified at the counter files nothing:
    files = {f"material_{pk}": upload for pk, upload in material_files(felling).items()}
    stale = client.post("/desk/cases/intake/", {**form, **files}, follow=True)
    assert "窗口已重新核验申请人或申请单位" in _text(stale) and not Case.objects.exists()
    files = {f"material_{pk}": upload for pk, upload in material_files(felling).items()}
    client.post("/desk/cases/intake/", {**form, **files, "entity": str(entity.public_id)})
    case = Case.objects.get()
    assert (case.entity, case.person, case.channel, case.applicant_name) == (
        entity, person, Channel.WINDOW, "海沧鼎美林业专业合作社"
    )  # fmt: skip
    # Nothing lasting is granted: the case is the company's, its first event says the letter was checked:
    assert not case.applicant.authorisations.exists()
    assert case.events.get(kind="submitted").data["agent_authorisation"] == "checked_at_window"
    client.post(f"/desk/counter/linked/{case.public_id}/")
    assert [link.case for link in ticket.case_links.all()] == [case]


def test_a_name_other_than_the_one_on_record_for_the_code_is_refused(
    district: District, hank: User, desk: Any, clock: Any
) -> None:
    from govhall.identity.actions import register_entity

    register_entity(name="海沧鼎美林业专业合作社", credit_code=COOPERATIVE)
    actions.take_ticket(district.forestry)
    _serving(district, hank)
    answer = desk(hank).post("/desk/counter/intake/", {"id_number": AGENT_ID, "name": "王林",
                                                        "credit_code": COOPERATIVE, "entity_name": "别的公司",
                                                        "authorisation_checked": "1"}, follow=True)  # fmt: skip
    assert "登记的单位名称是“海沧鼎美林业专业合作社”" in _text(answer)
    assert not Case.objects.exists()


# 自助填单 at the kiosk ------------------------------------------------------------------------------------


def _kiosk(district: District) -> Client:
    _device, key = actions.register_device(district.hall, kind=DeviceKind.KIOSK, name="自助机", actor="manage.py")
    client = Client()
    client.cookies["govhall_device"] = key
    return client


def test_a_form_filled_at_the_kiosk_opens_at_the_window_only_for_the_person_whose_id_it_names(
    district: District, felling: ItemVersion, hank: User, ivy: User, desk: Any, clock: Any
) -> None:
    kiosk = _kiosk(district)
    code = felling.item.implementation_code
    assert "自助填单" in _text(kiosk.get("/hall/kiosk/"))
    assert "林木采伐许可证核发" in _text(kiosk.get("/hall/kiosk/fill/"))
    url = f"/hall/kiosk/fill/{code}/"
    assert 'name="location"' in _text(kiosk.get(url))
    refused = kiosk.post(url, {"id_number": "350205199005050037", "location": "东孚镇鼎美村", "volume": "-3"})
    assert refused.status_code == 400
    assert "校验位不正确" in _text(refused) and "350205199005050037" not in _text(refused)  # not shown again
    assert not Ticket.objects.exists() and not SelfFill.objects.exists()

    taken = kiosk.post(url, {"id_number": AGENT_ID, "location": "东孚镇鼎美村3林班"})  # volume left for the window
    ticket = Ticket.objects.get()
    assert taken["Location"] == f"/hall/kiosk/tickets/{ticket.public_id}/"
    assert ticket.queue == district.forestry and "已自助填单：林木采伐许可证核发" in _text(kiosk.get(taken["Location"]))
    assert SelfFill.objects.get().answers == {"location": "东孚镇鼎美村3林班"}
    assert not Case.objects.exists()  # nothing is filed from a kiosk

    _serving(district, hank)
    client = desk(hank)
    assert "本号已在自助机填单：林木采伐许可证核发" in _text(client.get("/desk/counter/"))
    # Someone else's ID card: the kiosk's answers are not offered:
    other = client.post("/desk/counter/intake/", {"id_number": "350205198503120020", "name": "陈爱丽"})
    assert "item=&" in other["Location"] or other["Location"].endswith("item=")
    # The person's own: the form opens on the item with the answers typed at the kiosk:
    own = client.post("/desk/counter/intake/", {"id_number": AGENT_ID, "name": "王林"})
    assert f"item={code}" in own["Location"]
    page = _text(client.get(own["Location"]))
    assert "申请人已在自助机填好申请内容" in page and 'value="东孚镇鼎美村3林班"' in page
    # Kept and opened are audited, without the answers or the number typed:
    from govhall.audit.models import AuditRecord

    kept = AuditRecord.objects.get(event="halls.self_fill_kept")
    assert kept.extra["fields"] == ["location"] and "东孚镇" not in str(kept.extra) and AGENT_ID not in str(kept.extra)
    opened = AuditRecord.objects.get(event="halls.self_fill_opened")  # once: the other person's card opened none
    assert opened.actor_id == hank.pk and opened.extra["item"] == code

    actions.keep_halls(at(TUESDAY, "23:00"))
    assert SelfFill.objects.exists()  # kept through its day
    clock.move_to(at(TUESDAY, "23:59"))
    actions.keep_halls(at(TUESDAY.replace(day=TUESDAY.day + 1), "00:05"))
    assert not SelfFill.objects.exists()


# The pick-up window ---------------------------------------------------------------------------------------


def _decided_for_pickup(felling: ItemVersion, alice: User, bob: User, frank: User, grace: User) -> Delivery:  # noqa: F811
    case = case_actions.submit_case(felling, applicant=alice, form_data={"location": "东孚镇", "volume": 3},
                                    submit_key="pick-1", files=material_files(felling))  # fmt: skip
    case = case_actions.accept_case(case, actor=bob)
    case = case_actions.complete_step(case, actor=frank, opinion="属实。")
    case = case_actions.decide_case(
        case, actor=grace, decision="approve", reason="符合规定。", legal_basis="《森林法》"
    )
    delivery_actions.choose(case, applicant=alice, method=Method.WINDOW)
    case_actions.close_case(case, actor=bob)
    delivery_actions.consume_case_events()
    return Delivery.objects.get(case=case)


def test_a_result_is_handed_over_at_the_pickup_window_and_counts_as_a_visit(
    district: District, felling: ItemVersion, hank: User, alice: User, bob: User, frank: User,  # noqa: F811
    grace: User, desk: Any, clock: Any,
) -> None:  # fmt: skip
    delivery = _decided_for_pickup(felling, alice, bob, frank, grace)
    assert delivery.status == DeliveryStatus.AWAITING_COLLECTION
    actions.take_ticket(district.pickup)
    ticket = _serving(district, hank, district.pickup_window)
    client = desk(hank)
    assert "出件：凭取件码交付办理结果" in _text(client.get("/desk/counter/"))
    wrong = str((int(delivery.pickup_code) + 1) % 10**8).zfill(8)
    refused = client.post("/desk/counter/hand-over/", {"pickup_code": wrong, "collector_name": "陈爱丽",
                                                       "collector_id": "350205198503120020"}, follow=True)  # fmt: skip
    assert "取件码不正确" in _text(refused)
    assert not ticket.case_links.exists()
    done = client.post("/desk/counter/hand-over/", {"pickup_code": delivery.pickup_code, "collector_name": "陈爱丽",
                                                    "collector_id": "350205198503120020"}, follow=True)  # fmt: skip
    assert f"办件 {delivery.case.reference} 的结果已交 陈爱丽 领取" in _text(done)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED
    assert [(link.case, link.kind) for link in ticket.case_links.all()] == [(delivery.case, "collected")]
    # The same visit files a second application (through the counter's link after filing):
    second = case_actions.submit_case(felling, applicant=alice, form_data={"location": "东孚镇", "volume": 2},
                                      submit_key="pick-2", files=material_files(felling))  # fmt: skip
    actions.link_case(district.pickup_window, second, clerk=hank)
    actions.link_case(district.pickup_window, second, clerk=hank)  # twice: one link
    actions.finish_ticket(district.pickup_window, clerk=hank)

    # The day's figures: the ticket counts for the item it served, with one case filed at the window:
    statistics.compute_day(district.hall, TUESDAY)
    row = HallStat.objects.get(hall=district.hall, day=TUESDAY, dimension="item",
                               key=felling.item.implementation_code)  # fmt: skip
    assert (row.label, row.issued, row.served, row.cases_filed) == ("林木采伐许可证核发", 1, 1, 1)
    # 平均跑动次数: visits for cases (one each, same day) over the cases closed (one, the collected):
    from govhall.stats import actions as stats_actions
    from govhall.stats import queries as stats_queries

    stats_actions.compute_day(TUESDAY)
    figures = stats_queries.month_figures(TUESDAY.replace(day=1), stats_queries.Scope(None, "海沧区农林水利局"))
    assert (figures.sums["hall_visits"], figures.sums["closed"], figures.values["visits_per_case"]) == (2, 1, 2.0)


# A consultation becomes a FAQ ------------------------------------------------------------------------------


def test_a_window_consultation_proposed_for_the_faq_becomes_a_draft_for_the_content_editor(
    district: District, felling: ItemVersion, hank: User, helen: User, bob: User, desk: Any, clock: Any
) -> None:
    actions.sign_in_window(district.general, clerk=hank)
    code = felling.item.implementation_code
    desk(hank).post("/desk/counter/consultation/", {"item": code, "question": "采伐后多久要完成更新造林？",
                                                     "answer": "当年或者次年内完成。", "is_faq_candidate": "1"})  # fmt: skip
    consultation = Consultation.objects.get()
    editor = desk(helen)
    home = _text(editor.get("/desk/info/"))
    assert "大厅窗口咨询：建议列入常见问题" in home and "采伐后多久要完成更新造林？" in home
    assert desk(bob).post(f"/desk/halls/consultations/{consultation.pk}/faq/").status_code == 403
    made = editor.post(f"/desk/halls/consultations/{consultation.pk}/faq/")
    entry = Entry.objects.get(kind=EntryKind.FAQ)
    assert made["Location"] == f"/desk/info/{entry.public_id}/"
    assert (entry.status, entry.title, entry.body) == (
        EntryStatus.DRAFT,
        "采伐后多久要完成更新造林？",
        "当年或者次年内完成。",
    )
    assert list(entry.items.all()) == [felling.item]
    consultation.refresh_from_db()
    assert consultation.faq == entry
    again = editor.post(f"/desk/halls/consultations/{consultation.pk}/faq/", follow=True)
    assert "已经转为常见问题" in _text(again) and Entry.objects.filter(kind=EntryKind.FAQ).count() == 1
    assert "大厅窗口咨询：建议列入常见问题" not in _text(editor.get("/desk/info/"))  # now among the drafts


# The bureau's notices on the board and the kiosk ----------------------------------------------------------


def test_a_published_notice_shows_on_the_board_and_the_kiosk(
    district: District, helen: User, grace: User, departments: Any, clock: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from govhall.publicinfo import actions as info_actions

    _device, key = actions.register_device(district.hall, kind=DeviceKind.BOARD, name="叫号屏", actor="manage.py")
    board = Client()
    board.cookies["govhall_device"] = key
    first = board.get("/hall/board/state.json")
    assert first.json()["notices"] == []
    assert board.get("/hall/board/state.json", headers={"If-None-Match": first["ETag"]}).status_code == 304
    notice = info_actions.create_draft(actor=helen, department=departments["bureau"], data={
        "kind": "notice", "title": "关于汛期涉水项目优先办理的通知", "issuer": "海沧区农林水利局", "body": "汛期优先。"})  # fmt: skip
    info_actions.record_secrecy_review(notice, actor=helen, passed=True)
    with django_capture_on_commit_callbacks(execute=True):
        info_actions.approve(notice, actor=grace)
    changed = board.get("/hall/board/state.json", headers={"If-None-Match": first["ETag"]})
    assert changed.status_code == 200 and changed.json()["notices"][0]["title"] == "关于汛期涉水项目优先办理的通知"
    assert "通知公告：关于汛期涉水项目优先办理的通知" in _text(board.get("/hall/board/"))
    assert "关于汛期涉水项目优先办理的通知" in _text(_kiosk(district).get("/hall/kiosk/"))
