"""The hall's pages: enrolling devices, the board's state, the kiosk, a ticket on the phone, the counter, booking."""

from __future__ import annotations

import base64
import datetime
import json
import uuid
from typing import Any

import altcha
import pytest

from django.core.cache import cache
from django.test import Client

from govhall.catalog.models import ItemVersion
from govhall.halls import actions, queries
from govhall.halls.constants import BookingStatus, DeviceKind, TicketSource, TicketStatus
from govhall.halls.models import Booking, HallDevice, Queue, Ticket, Window, WindowShift
from govhall.halls.tests.conftest import CAROL_ID, TUESDAY, District, at
from govhall.identity import actions as identity
from govhall.identity.models import User

pytestmark = pytest.mark.django_db
WEDNESDAY = TUESDAY + datetime.timedelta(days=1)
ALICE_ID = "350205198503120020"
OTHER_ID = "350205199005050036"
NOT_A_ROBOT = "请先完成“我不是机器人”验证"
REVOKED = "本设备未登记或已停用，请联系大厅管理员。"


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    # Board versions, cached devices, rate-limit counts and used challenges are kept in the shared
    # cache under ids (hall, user) that an earlier test's rolled-back rows may have had too:
    cache.clear()


def _device(district: District, kind: str) -> tuple[HallDevice, str, Client]:
    device, key = actions.register_device(district.hall, kind=kind, name=f"测试{kind}", actor="manage.py")
    client = Client()
    client.cookies["govhall_device"] = key
    return device, key, client


@pytest.fixture
def kiosk(district: District) -> Client:
    return _device(district, DeviceKind.KIOSK)[2]


def _text(response: Any) -> str:
    return str(response.content.decode())


# Devices ----------------------------------------------------------------------------------------------


def test_a_kiosk_without_a_key_is_sent_to_enrol_and_a_wrong_key_sets_nothing(district: District, client: Any) -> None:
    response = client.get("/hall/kiosk/")
    assert response.status_code == 302 and response["Location"] == "/hall/enrol/?next=/hall/kiosk/"
    answer = client.post("/hall/enrol/", {"key": "not-a-key", "next": "/hall/kiosk/"})
    assert answer.status_code == 400 and "设备密钥不正确或设备已停用" in _text(answer)
    assert "govhall_device" not in answer.cookies


def test_enrolling_with_the_key_puts_it_in_a_strict_http_only_cookie(district: District, client: Any) -> None:
    _device_row, key, _client = _device(district, DeviceKind.KIOSK)
    answer = client.post("/hall/enrol/", {"key": key, "next": "/hall/kiosk/"})
    assert answer.status_code == 302 and answer["Location"] == "/hall/kiosk/"
    cookie = answer.cookies["govhall_device"]
    assert cookie.value == key and cookie["httponly"] and cookie["samesite"] == "Strict"
    page = client.get("/hall/kiosk/")
    assert page.status_code == 200 and "您好，请选择要办理的服务" in _text(page)


def test_a_board_key_does_not_open_the_kiosk(district: District) -> None:
    _row, _key, board = _device(district, DeviceKind.BOARD)
    response = board.get("/hall/kiosk/")
    assert response.status_code == 302 and response["Location"].startswith("/hall/enrol/")
    assert board.get("/hall/board/").status_code == 200


def test_a_revoked_device_is_refused_at_once(district: District) -> None:
    device, key, board = _device(district, DeviceKind.BOARD)
    assert board.get("/hall/board/state.json").status_code == 200  # now cached for a minute
    actions.revoke_device(device, actor="manage.py")
    response = board.get("/hall/board/state.json")
    assert response.status_code == 403 and response.json() == {"detail": REVOKED}
    assert Client().post("/hall/enrol/", {"key": key}).status_code == 400


# The board --------------------------------------------------------------------------------------------


def test_the_board_answers_304_until_a_call_changes_its_etag(
    district: District, hank: User, clock: Any, django_capture_on_commit_callbacks: Any
) -> None:
    _row, _key, board = _device(district, DeviceKind.BOARD)
    with django_capture_on_commit_callbacks(execute=True):
        actions.take_ticket(district.forestry)
        actions.sign_in_window(district.general, clerk=hank)
    first = board.get("/hall/board/state.json")
    state = first.json()
    forestry = state["queues"][0]
    assert state["calls"] == [] and (forestry["prefix"], forestry["name"], forestry["waiting"]) == ("A", "林业业务", 1)
    assert board.get("/hall/board/state.json", HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    with django_capture_on_commit_callbacks(execute=True):
        actions.call_next_ticket(district.general, clerk=hank)
    after = board.get("/hall/board/state.json", HTTP_IF_NONE_MATCH=first["ETag"])
    assert after.status_code == 200 and after["ETag"] != first["ETag"]
    assert [(call["ticket"], call["window"]) for call in after.json()["calls"]] == [("A001", 1)]


# The kiosk --------------------------------------------------------------------------------------------


def test_a_ticket_is_taken_without_an_id_number_and_shows_its_number_and_qr(
    district: District, kiosk: Client, clock: Any
) -> None:
    choices = _text(kiosk.get("/hall/kiosk/ticket/"))
    assert "林业业务" in choices and 'href="/hall/kiosk/ticket/A/"' in choices
    answer = kiosk.post("/hall/kiosk/ticket/A/", {"id_number": "", "priority_group": ""})
    ticket = Ticket.objects.get()
    assert answer.status_code == 302 and answer["Location"] == f"/hall/kiosk/tickets/{ticket.public_id}/"
    slip = _text(kiosk.get(answer["Location"]))
    assert "A001" in slip and "<svg" in slip and "前面还有 0 人" in slip
    assert ticket.source == TicketSource.KIOSK and ticket.id_number_masked == ""


def test_a_ticket_with_an_id_number_keeps_it_masked_and_puts_the_elderly_first(
    district: District, kiosk: Client, clock: Any
) -> None:
    kiosk.post("/hall/kiosk/ticket/A/", {"id_number": ALICE_ID, "priority_group": ""})
    ticket = Ticket.objects.get()
    assert ticket.number == "A001" and ticket.id_number_masked and ALICE_ID not in ticket.id_number_masked
    assert ALICE_ID not in _text(kiosk.get(f"/hall/kiosk/tickets/{ticket.public_id}/"))
    # Born in 1950, Carol is put first by her ID number alone:
    elderly = kiosk.post("/hall/kiosk/ticket/A/", {"id_number": CAROL_ID, "priority_group": ""}, follow=True)
    assert "林业业务 · 优先" in _text(elderly) and "A002" in _text(elderly)


def test_a_wrong_check_digit_at_the_kiosk_is_refused_in_words_and_gives_no_ticket(
    district: District, kiosk: Client, clock: Any
) -> None:
    answer = kiosk.post("/hall/kiosk/ticket/A/", {"id_number": "350205198503120021", "priority_group": ""})
    assert answer.status_code == 400
    assert "身份证号码校验位不正确（最后一位应为 0），请核对是否输错。" in _text(answer)
    assert not Ticket.objects.exists()


def test_the_kiosk_shows_six_queues_a_screen_and_the_rest_on_the_next(
    district: District, kiosk: Client, clock: Any
) -> None:
    for n, prefix in enumerate("DEFGH", start=4):
        Queue.objects.create(hall=district.hall, prefix=prefix, name=f"业务{prefix}", sort_order=n)
    first = _text(kiosk.get("/hall/kiosk/ticket/"))
    second = _text(kiosk.get("/hall/kiosk/ticket/?page=1"))
    assert first.count('class="kiosk-choice"') == 6 and 'href="?page=1"' in first and "上一页" not in first
    assert second.count('class="kiosk-choice"') == 2 and "业务G" in second and "业务H" in second
    assert "业务F" not in second and 'href="?page=0"' in second and "下一页" not in second


def test_checking_in_a_booking_code_issues_a_booked_ticket(
    district: District, felling: ItemVersion, kiosk: Client, clock: Any
) -> None:
    district.hall.booking_from_days = 0
    district.hall.save()
    booking = actions.hold_booking(district.hall, felling.item, at(TUESDAY, "09:30"), name="陈爱丽", id_number=ALICE_ID)
    actions.confirm_booking(booking)
    refused = kiosk.post("/hall/kiosk/check-in/", {"code": "ZZZZZZZZ"})
    assert refused.status_code == 400 and "没有找到这个预约码" in _text(refused) and not Ticket.objects.exists()
    answer = kiosk.post("/hall/kiosk/check-in/", {"code": booking.code.lower()}, follow=True)
    ticket = Ticket.objects.get()
    assert ticket.booking == booking and ticket.source == TicketSource.CHECK_IN
    assert "A001" in _text(answer) and "林业业务 · 预约" in _text(answer)
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CHECKED_IN


def test_progress_refuses_a_wrong_id_number_as_it_refuses_an_unknown_case(
    district: District, felling: ItemVersion, alice: User, kiosk: Client, clock: Any
) -> None:
    from govhall.cases import actions as case_actions
    from govhall.cases.tests.conftest import material_files

    form = {"location": "东孚镇鼎美村3林班", "volume": 12.5}
    case = case_actions.submit_case(felling, applicant=alice, form_data=form, submit_key="k1",
                                    files=material_files(felling))  # fmt: skip
    found = kiosk.post("/hall/kiosk/progress/", {"reference": case.reference, "id_number": ALICE_ID})
    assert found.status_code == 200 and case.reference in _text(found) and "林木采伐许可证核发" in _text(found)
    wrong_person = kiosk.post("/hall/kiosk/progress/", {"reference": case.reference, "id_number": OTHER_ID})
    unknown = kiosk.post("/hall/kiosk/progress/", {"reference": "NO-SUCH-CASE", "id_number": ALICE_ID})
    message = "没有找到与该办件编号和身份证号码都相符的办件，请核对后重新输入。"
    assert wrong_person.status_code == unknown.status_code == 400
    assert message in _text(wrong_person) and message in _text(unknown)
    assert "林木采伐许可证核发" not in _text(wrong_person)


# A ticket on the phone ----------------------------------------------------------------------------------


def test_the_follow_page_shows_the_people_ahead_and_an_unknown_ticket_is_not_found(
    district: District, client: Any, clock: Any
) -> None:
    actions.take_ticket(district.forestry)
    actions.take_ticket(district.forestry)
    third = actions.take_ticket(district.forestry)
    page = _text(client.get(f"/hall/tickets/{third.public_id}/"))
    assert "排队号 A003" in page and "前面还有 <strong>2</strong> 人" in page and "快到您了" in page
    assert client.get(f"/hall/tickets/{uuid.uuid4()}/").status_code == 404


# The counter ---------------------------------------------------------------------------------------------


def test_a_clerk_signs_in_calls_serves_and_finishes_at_the_counter(
    district: District, hank: User, desk: Any, clock: Any
) -> None:
    ticket = actions.take_ticket(district.forestry)
    counter = desk(hank)
    assert "窗口叫号：请选择您今天值守的窗口" in _text(counter.get("/desk/counter/"))
    signed = counter.post("/desk/counter/sign-in/", {"window": district.general.pk}, follow=True)
    assert "您已签入1号窗口。" in _text(signed) and "窗口空闲。" in _text(signed)
    page = _text(counter.post("/desk/counter/call/", follow=True))
    assert 'class="code">A001</strong>' in page and "已到窗口，开始办理" in page
    counter.post("/desk/counter/start/")
    assert "办结" in _text(counter.get("/desk/counter/"))
    counter.post("/desk/counter/finish/")
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.DONE and ticket.window == district.general and ticket.clerk == hank
    assert "窗口空闲。" in _text(counter.get("/desk/counter/"))


def test_a_second_clerk_cannot_sign_in_to_a_held_window(
    district: District, hank: User, ivy: User, desk: Any, clock: Any
) -> None:
    desk(hank).post("/desk/counter/sign-in/", {"window": district.general.pk})
    page = _text(desk(ivy).post("/desk/counter/sign-in/", {"window": district.general.pk}, follow=True))
    assert "1号窗口 已由 黄汉克 签入；请选择其他窗口，或请其先签出。" in page and "黄汉克 值守中" in page
    assert list(WindowShift.objects.values_list("clerk__username", flat=True)) == ["hank"]


def test_a_clerk_of_another_unit_sees_no_hall_and_cannot_sign_in(
    district: District, bob: User, desk: Any, clock: Any
) -> None:
    counter = desk(bob)
    assert "您不是任何大厅的窗口人员" in _text(counter.get("/desk/counter/"))
    assert counter.post("/desk/counter/sign-in/", {"window": district.general.pk}).status_code == 404
    assert not WindowShift.objects.exists()


def test_an_unknown_operation_is_not_found(district: District, hank: User, desk: Any, clock: Any) -> None:
    counter = desk(hank)
    counter.post("/desk/counter/sign-in/", {"window": district.general.pk})
    assert counter.post("/desk/counter/dance/").status_code == 404


def test_signing_out_with_a_ticket_at_the_window_is_refused(
    district: District, hank: User, desk: Any, clock: Any
) -> None:
    actions.take_ticket(district.forestry)
    counter = desk(hank)
    counter.post("/desk/counter/sign-in/", {"window": district.general.pk})
    counter.post("/desk/counter/call/")
    page = _text(counter.post("/desk/counter/sign-out/", follow=True))
    assert "窗口还有正在办理的号，请先办结、过号或转移后再签出。" in page
    assert WindowShift.objects.get().ended_at is None
    assert Ticket.objects.get().status == TicketStatus.CALLED


# Booking in the workspace --------------------------------------------------------------------------------


def _solved(client: Client) -> str:
    """The payload the ALTCHA widget posts, from a challenge fetched from the platform."""
    challenge = client.get("/hall/challenge/").json()
    solution = altcha.solve_challenge_v1(
        challenge["challenge"], challenge["salt"], challenge["algorithm"], challenge["maxnumber"]
    )
    assert solution is not None
    payload = {key: challenge[key] for key in ("algorithm", "challenge", "salt", "signature")}
    return base64.b64encode(json.dumps({**payload, "number": solution.number}).encode()).decode()


@pytest.fixture
def booking_page(district: District, felling: ItemVersion, alice: User, client: Any, settings: Any, clock: Any) -> str:
    settings.CHALLENGE_MAX_NUMBER = 1000
    # Logged in on the frozen clock (a login from before it would count as idle for years):
    client.force_login(alice)
    return f"/my/appointments/book/?item={felling.item.implementation_code}"


def _other_applicant() -> Client:
    other = Client()
    other.force_login(identity.register_applicant(name="李明", id_number=OTHER_ID, phone="13800000002",
                                                  password="Test#Pass2026"))  # fmt: skip
    return other


def _book(client: Client, page: str, when: datetime.datetime, altcha_payload: str) -> Any:
    data = {"hall": "haicang", "day": when.date().isoformat(), "starts_at": when.isoformat()}
    return client.post(page, {**data, "altcha": altcha_payload}, follow=True)


def test_alice_books_a_slot_after_the_challenge_and_confirms_it(
    booking_page: str, alice: User, client: Any, clock: Any
) -> None:
    page = _text(client.get(booking_page))
    assert "海沧区行政服务中心" in page and f'value="{at(WEDNESDAY, "09:00").isoformat()}"' in page
    refused = _text(_book(client, booking_page, at(WEDNESDAY, "09:00"), ""))
    assert NOT_A_ROBOT in refused and not Booking.objects.exists()
    answer = _book(client, booking_page, at(WEDNESDAY, "09:00"), _solved(client))
    booking = Booking.objects.get()
    assert answer.redirect_chain[-1][0] == f"/my/appointments/{booking.public_id}/"
    assert booking.status == BookingStatus.HELD and booking.account == alice
    assert "时段已为您保留到 09:30" in _text(answer) and "确认预约" in _text(answer)
    assert booking.code not in _text(answer)
    confirmed = _text(client.post(f"/my/appointments/{booking.public_id}/", {"do": "confirm"}, follow=True))
    booking.refresh_from_db()
    assert booking.status == BookingStatus.BOOKED and "预约成功" in confirmed and booking.code in confirmed


def test_a_solved_challenge_cannot_be_used_twice(booking_page: str, client: Any, clock: Any) -> None:
    solved = _solved(client)
    _book(client, booking_page, at(WEDNESDAY, "09:00"), solved)
    replayed = _text(_book(client, booking_page, at(WEDNESDAY + datetime.timedelta(days=1), "09:00"), solved))
    assert NOT_A_ROBOT in replayed and Booking.objects.count() == 1


def test_a_cancelled_slot_is_free_for_others_only_after_thirty_minutes(
    booking_page: str, district: District, client: Any, clock: Any
) -> None:
    # One place a slot (only the first general window is open), so a held place is a full slot:
    Window.objects.filter(hall=district.hall).exclude(pk=district.general.pk).update(is_active=False)
    nine = at(WEDNESDAY, "09:00")
    _book(client, booking_page, nine, _solved(client))
    booking = Booking.objects.get()
    client.post(f"/my/appointments/{booking.public_id}/", {"do": "cancel"})
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED
    other = _other_applicant()
    full, free = f'value="{nine.isoformat()}" disabled required', f'value="{nine.isoformat()}" required'
    assert full in _text(other.get(booking_page + "&day=2026-12-09"))
    refused = _text(_book(other, booking_page, nine, _solved(other)))
    assert "这个时段已约满，请另选时段。" in refused and Booking.objects.count() == 1
    # Twenty minutes on it is still taken; thirty-one minutes on it is free (and Other is not idle yet):
    clock.shift(datetime.timedelta(minutes=20))
    assert full in _text(other.get(booking_page + "&day=2026-12-09"))
    clock.shift(datetime.timedelta(minutes=11))
    assert free in _text(other.get(booking_page + "&day=2026-12-09"))
    _book(other, booking_page, nine, _solved(other))
    assert Booking.objects.filter(status=BookingStatus.HELD, starts_at=nine).count() == 1


def test_another_applicant_cannot_open_alices_booking(booking_page: str, client: Any, clock: Any) -> None:
    _book(client, booking_page, at(WEDNESDAY, "09:00"), _solved(client))
    booking = Booking.objects.get()
    other = _other_applicant()
    assert other.get(f"/my/appointments/{booking.public_id}/").status_code == 404
    assert other.post(f"/my/appointments/{booking.public_id}/", {"do": "cancel"}).status_code == 404
    booking.refresh_from_db()
    assert booking.status == BookingStatus.HELD


def test_cancelling_a_hold_that_already_ran_out_does_not_take_its_place_again(
    booking_page: str, district: District, felling: ItemVersion, alice: User, client: Any, clock: Any
) -> None:
    Window.objects.filter(hall=district.hall).exclude(pk=district.general.pk).update(is_active=False)
    _book(client, booking_page, at(WEDNESDAY, "09:00"), _solved(client))
    booking = Booking.objects.get()
    clock.shift(datetime.timedelta(minutes=31))
    assert queries.list_slots(district.hall, felling.item, WEDNESDAY)[3].free == 1  # the hold ran out
    client.logout()  # idle for 31 minutes: Alice logs in again
    client.force_login(alice)
    page = _text(client.get(f"/my/appointments/{booking.public_id}/"))
    assert "预留已过期" in page and "确认预约" not in page
    cancelled = _text(client.post(f"/my/appointments/{booking.public_id}/", {"do": "cancel"}, follow=True))
    assert "预留已过期" in cancelled
    assert queries.list_slots(district.hall, felling.item, WEDNESDAY)[3].free == 1
