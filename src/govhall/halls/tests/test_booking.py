"""Booking a slot: the day's slots, the rules as data, the hold, the confirmation and cancellation."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from django.core.exceptions import ValidationError

from govhall.catalog.models import ItemVersion
from govhall.halls import actions, queries
from govhall.halls.constants import BookingStatus
from govhall.halls.models import Booking
from govhall.halls.tests.conftest import CAROL_ID, TUESDAY, District, at
from govhall.identity.models import User
from govhall.lib.errors import Conflict
from govhall.proactive.models import Notification

pytestmark = pytest.mark.django_db
WEDNESDAY = TUESDAY + datetime.timedelta(days=1)
ALICE_ID = "350205198503120020"
OTHER_ID = "350205199005050036"


def _hold(
    district: District, item: ItemVersion, when: datetime.datetime, id_number: str = ALICE_ID, **kw: Any
) -> Booking:
    return actions.hold_booking(district.hall, item.item, when, name="陈爱丽", id_number=id_number, **kw)


def test_a_day_is_cut_into_ten_minute_slots_without_the_lunch_break(
    district: District, felling: ItemVersion, clock: Any
) -> None:
    slots = queries.list_slots(district.hall, felling.item, WEDNESDAY)
    # 08:30–12:00 is 21 slots and 14:30–17:30 is 18:
    assert len(slots) == 39
    assert slots[0].starts_at == at(WEDNESDAY, "08:30") and slots[20].starts_at == at(WEDNESDAY, "11:50")
    assert slots[21].starts_at == at(WEDNESDAY, "14:30")
    # Three windows take forestry (two general, one forestry window); the pick-up window does not:
    assert {slot.capacity for slot in slots} == {3}


def test_bookable_days_start_on_the_next_working_day_and_skip_weekends(district: District, clock: Any) -> None:
    days = queries.bookable_days(district.hall)
    assert days[0] == WEDNESDAY
    assert datetime.date(2026, 12, 12) not in days  # a Saturday
    assert days[-1] <= TUESDAY + datetime.timedelta(days=60)


def test_a_held_place_counts_until_confirmed_and_the_person_is_told(
    district: District, felling: ItemVersion, alice: User, clock: Any
) -> None:
    booking = _hold(district, felling, at(WEDNESDAY, "09:00"), account=alice)
    assert booking.status == BookingStatus.HELD
    assert queries.list_slots(district.hall, felling.item, WEDNESDAY)[3].free == 2
    actions.confirm_booking(booking)
    booking.refresh_from_db()
    assert booking.status == BookingStatus.BOOKED and len(booking.code) == 8
    assert booking.id_number_masked.startswith("3502") and ALICE_ID not in booking.id_number_encrypted
    message = Notification.objects.get(recipient=alice)
    assert booking.code in message.body and "林木采伐许可证核发" in message.subject


def test_a_hold_not_confirmed_in_thirty_minutes_frees_its_place(
    district: District, felling: ItemVersion, clock: Any
) -> None:
    booking = _hold(district, felling, at(WEDNESDAY, "09:00"))
    clock.shift(datetime.timedelta(minutes=31))
    assert queries.list_slots(district.hall, felling.item, WEDNESDAY)[3].free == 3
    with pytest.raises(Conflict, match="已释放"):
        actions.confirm_booking(booking)


def test_the_last_place_cannot_be_taken_twice(district: District, felling: ItemVersion, clock: Any) -> None:
    for number in (ALICE_ID, OTHER_ID, CAROL_ID):
        _hold(district, felling, at(WEDNESDAY, "09:00"), id_number=number)
    with pytest.raises(Conflict, match="已约满"):
        _hold(district, felling, at(WEDNESDAY, "09:00"), id_number="35020519700707004X")
    assert Booking.objects.count() == 3


def test_one_booking_per_person_per_item_per_day(district: District, felling: ItemVersion, clock: Any) -> None:
    _hold(district, felling, at(WEDNESDAY, "09:00"))
    with pytest.raises(Conflict, match="当天已预约过该事项"):
        _hold(district, felling, at(WEDNESDAY, "15:00"))
    # Another day is another booking:
    _hold(district, felling, at(WEDNESDAY + datetime.timedelta(days=1), "09:00"))
    assert Booking.objects.count() == 2


@pytest.mark.parametrize(
    ("when", "field_message"),
    [
        (at(TUESDAY, "08:00"), "已经过去"),
        (at(datetime.date(2026, 12, 12), "09:00"), "不是工作日"),
        (at(WEDNESDAY, "12:10"), "没有这个预约时段"),
        (at(WEDNESDAY, "09:05"), "没有这个预约时段"),
        (at(TUESDAY + datetime.timedelta(days=70), "09:00"), "不在可预约范围内"),
    ],
)
def test_a_booking_outside_the_rules_is_refused_in_words(
    district: District, felling: ItemVersion, clock: Any, when: datetime.datetime, field_message: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        _hold(district, felling, when)
    assert field_message in str(refused.value)
    assert Booking.objects.count() == 0


def test_today_is_not_bookable_by_default_and_a_same_day_slot_needs_ten_minutes(
    district: District, felling: ItemVersion, clock: Any
) -> None:
    with pytest.raises(ValidationError, match="不在可预约范围内"):
        _hold(district, felling, at(TUESDAY, "15:00"))
    district.hall.booking_from_days = 0
    district.hall.save()
    clock.move_to(at(TUESDAY, "09:03"))
    with pytest.raises(ValidationError, match="不足 10 分钟"):
        _hold(district, felling, at(TUESDAY, "09:10"))
    assert _hold(district, felling, at(TUESDAY, "09:20")).status == BookingStatus.HELD


def test_a_wrong_check_digit_is_refused_and_nothing_is_held(
    district: District, felling: ItemVersion, clock: Any
) -> None:
    with pytest.raises(ValidationError) as refused:
        _hold(district, felling, at(WEDNESDAY, "09:00"), id_number="350205198503120021")
    assert "校验" in str(refused.value)
    assert Booking.objects.count() == 0


def test_a_cancelled_place_is_free_again_only_after_thirty_minutes(
    district: District, felling: ItemVersion, alice: User, clock: Any
) -> None:
    booking = actions.confirm_booking(_hold(district, felling, at(WEDNESDAY, "09:00")))
    actions.cancel_booking(booking, actor=alice)
    assert queries.list_slots(district.hall, felling.item, WEDNESDAY)[3].free == 2
    clock.shift(datetime.timedelta(minutes=31))
    assert queries.list_slots(district.hall, felling.item, WEDNESDAY)[3].free == 3
    # Cancelled, the person may book the item that day again:
    assert _hold(district, felling, at(WEDNESDAY, "10:00")).status == BookingStatus.HELD


def test_three_no_shows_in_thirty_days_block_online_booking(
    district: District, felling: ItemVersion, clock: Any
) -> None:
    for days in (1, 2, 3):
        day = TUESDAY + datetime.timedelta(days=days)
        if not queries.get_calendar().is_working_day(day):
            continue
        actions.confirm_booking(_hold(district, felling, at(day, "09:00")))
    Booking.objects.update(status=BookingStatus.NO_SHOW)
    with pytest.raises(Conflict, match="多次预约未到"):
        _hold(district, felling, at(TUESDAY + datetime.timedelta(days=7), "09:00"))


def test_no_shows_are_marked_after_the_grace_and_tomorrows_bookings_reminded_once(
    district: District, felling: ItemVersion, alice: User, clock: Any
) -> None:
    booking = actions.confirm_booking(_hold(district, felling, at(WEDNESDAY, "09:00"), account=alice))
    assert actions.keep_halls()["reminded"] == 1
    assert actions.keep_halls()["reminded"] == 0
    assert Notification.objects.filter(recipient=alice, subject__startswith="预约提醒").count() == 1
    clock.move_to(at(WEDNESDAY, "09:16"))
    assert actions.keep_halls()["no_shows"] == 1
    booking.refresh_from_db()
    assert booking.status == BookingStatus.NO_SHOW
