"""The hall API: free slots, booking for the caller, a ticket's place and the board's data."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from django.test import Client

from govhall.catalog.models import ItemVersion
from govhall.halls import actions
from govhall.halls.models import Booking
from govhall.halls.tests.conftest import TUESDAY, District, at
from govhall.identity.models import User

pytestmark = pytest.mark.django_db
WEDNESDAY = TUESDAY + datetime.timedelta(days=1)


@pytest.fixture
def api(alice: User, clock: Any) -> Client:
    # Logged in after the clock moved (a session idle since the real now would be timed out):
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(alice)
    return client


def test_anyone_can_read_the_halls_and_the_free_slots_of_an_item(
    district: District, felling: ItemVersion, clock: Any
) -> None:
    client = Client()
    halls = client.get("/api/v1/halls/").json()
    assert [hall["code"] for hall in halls] == ["haicang"]
    assert halls[0]["queues"][0]["items"] == [felling.item.implementation_code]
    slots = client.get("/api/v1/halls/haicang/slots/", {"item": felling.item.implementation_code}).json()
    assert slots["day"] == WEDNESDAY.isoformat() and slots["slots"][0]["free"] == 3
    assert client.get("/api/v1/halls/haicang/slots/", {"item": "NOPE"}).status_code == 404


def test_the_caller_holds_confirms_and_cancels_a_booking_for_themselves(
    district: District, felling: ItemVersion, api: Client, alice: User, clock: Any
) -> None:
    body = {
        "hall": "haicang",
        "item": felling.item.implementation_code,
        "starts_at": at(WEDNESDAY, "09:00").isoformat(),
    }
    held = api.post("/api/v1/bookings/", body, content_type="application/json")
    assert held.status_code == 201 and held.json()["status"] == "held" and held.json()["code"] is None
    booking = Booking.objects.get()
    assert (booking.account, booking.channel, booking.id_number_hash) == (alice, "api", alice.person.id_number_hash)
    second = api.post("/api/v1/bookings/", {**body, "starts_at": at(WEDNESDAY, "10:00").isoformat()},
                      content_type="application/json")  # fmt: skip
    assert second.status_code == 409 and "当天已预约过该事项" in second.json()["errors"][0]
    confirmed = api.post(f"/api/v1/bookings/{booking.public_id}/confirm/").json()
    assert confirmed["status"] == "booked" and confirmed["code"] == booking.code
    cancelled = api.post(f"/api/v1/bookings/{booking.public_id}/cancel/").json()
    assert cancelled["status"] == "cancelled"


def test_a_holiday_a_full_slot_or_a_bad_time_are_refused_and_hold_nothing(
    district: District, felling: ItemVersion, api: Client, clock: Any
) -> None:
    saturday = api.post("/api/v1/bookings/", {"hall": "haicang", "item": felling.item.implementation_code,
                                              "starts_at": at(datetime.date(2026, 12, 12), "09:00").isoformat()},
                        content_type="application/json")  # fmt: skip
    assert saturday.status_code == 400 and "不是工作日" in str(saturday.json())
    garbage = api.post("/api/v1/bookings/", {"hall": "haicang", "item": "X", "starts_at": "tomorrow"},
                       content_type="application/json")  # fmt: skip
    assert garbage.status_code == 400
    assert not Booking.objects.exists()


def test_a_ticket_and_the_board_can_be_followed_without_login(district: District, hank: User, clock: Any) -> None:
    first = actions.take_ticket(district.forestry)
    second = actions.take_ticket(district.forestry)
    actions.sign_in_window(district.general, clerk=hank)
    actions.call_next_ticket(district.general, clerk=hank)
    client = Client()
    state = client.get(f"/api/v1/tickets/{second.public_id}/").json()
    assert (state["number"], state["status"], state["ahead"], state["is_near"]) == ("A002", "waiting", 0, True)
    called = client.get(f"/api/v1/tickets/{first.public_id}/").json()
    assert (called["status"], called["window"]) == ("called", 1)
    board = client.get("/api/v1/halls/haicang/board/").json()
    assert board["calls"][0]["ticket"] == "A001" and board["calls"][0]["window"] == 1
