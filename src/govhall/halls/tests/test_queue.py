"""Tickets and calling: numbers, priority, the call cycle, transfers, missed tickets and exact times."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from django.core.exceptions import PermissionDenied, ValidationError

from govhall.catalog.models import ItemVersion
from govhall.halls import actions, queries
from govhall.halls.constants import PriorityGroup, TicketSource, TicketStatus
from govhall.halls.models import Ticket, TicketEvent, WindowShift
from govhall.halls.tests.conftest import CAROL_ID, TUESDAY, District, at
from govhall.identity.models import User
from govhall.lib.errors import Conflict

pytestmark = pytest.mark.django_db


def test_numbers_are_a_prefix_and_a_daily_serial_never_reused(district: District, clock: Any) -> None:
    first = actions.take_ticket(district.forestry)
    second = actions.take_ticket(district.forestry)
    water = actions.take_ticket(district.water)
    assert (first.number, second.number, water.number) == ("A001", "A002", "B001")
    clock.move_to(at(TUESDAY + datetime.timedelta(days=1), "08:40"))
    assert actions.take_ticket(district.forestry).number == "A001"


def test_the_daily_quota_ends_the_numbers_of_a_queue(district: District, clock: Any) -> None:
    district.forestry.daily_quota = 2
    district.forestry.save()
    actions.take_ticket(district.forestry)
    actions.take_ticket(district.forestry)
    with pytest.raises(Conflict, match="今日号源已发完"):
        actions.take_ticket(district.forestry)
    assert Ticket.objects.count() == 2


def test_no_ticket_outside_opening_hours_or_on_a_weekend(district: District, clock: Any) -> None:
    clock.move_to(at(TUESDAY, "17:40"))
    with pytest.raises(Conflict, match="不在取号时间"):
        actions.take_ticket(district.forestry)
    clock.move_to(at(datetime.date(2026, 12, 12), "09:00"))
    with pytest.raises(Conflict, match="不是工作日"):
        actions.take_ticket(district.forestry)
    assert Ticket.objects.count() == 0


def test_a_bad_id_number_at_the_kiosk_gets_no_ticket(district: District, clock: Any) -> None:
    with pytest.raises(ValidationError, match="校验"):
        actions.take_ticket(district.forestry, id_number="350205198503120021")
    assert Ticket.objects.count() == 0


def test_calling_needs_a_window_the_clerk_is_signed_in_to(
    district: District, hank: User, ivy: User, clock: Any
) -> None:
    actions.take_ticket(district.forestry)
    with pytest.raises(PermissionDenied, match="没有签入"):
        actions.call_next_ticket(district.general, clerk=hank)
    actions.sign_in_window(district.general, clerk=hank)
    with pytest.raises(Conflict, match="已由 黄汉克 签入"):
        actions.sign_in_window(district.general, clerk=ivy)
    with pytest.raises(PermissionDenied, match="没有签入"):
        actions.call_next_ticket(district.general, clerk=ivy)
    assert Ticket.objects.get().status == TicketStatus.WAITING


def test_a_clerk_of_another_unit_cannot_take_the_halls_window(district: District, bob: User, clock: Any) -> None:
    with pytest.raises(PermissionDenied, match="不是该大厅的窗口人员"):
        actions.sign_in_window(district.general, clerk=bob)
    assert not WindowShift.objects.exists()


def test_bookings_on_time_come_first_then_priority_groups_then_arrival(
    district: District, felling: ItemVersion, hank: User, clock: Any
) -> None:
    walk_in = actions.take_ticket(district.forestry)
    elderly = actions.take_ticket(district.forestry, id_number=CAROL_ID)
    assert elderly.priority_group == PriorityGroup.ELDERLY
    district.hall.booking_from_days = 0
    district.hall.save()
    booking = actions.hold_booking(
        district.hall, felling.item, at(TUESDAY, "09:20"), name="陈爱丽", id_number="350205198503120020"
    )
    actions.confirm_booking(booking)
    clock.move_to(at(TUESDAY, "09:10"))
    booked = actions.check_in_booking(district.hall, booking.code.lower())
    assert booked.source == TicketSource.CHECK_IN and booked.booked_start == booking.starts_at
    actions.sign_in_window(district.general, clerk=hank)
    # Before its slot the booked ticket waits like a walk-in; the elderly person goes first:
    assert actions.call_next_ticket(district.general, clerk=hank) == elderly
    _finish(district, hank)
    clock.move_to(at(TUESDAY, "09:20"))
    assert actions.call_next_ticket(district.general, clerk=hank) == booked
    _finish(district, hank)
    assert actions.call_next_ticket(district.general, clerk=hank) == walk_in


def _finish(district: District, clerk: User) -> None:
    actions.start_serving(district.general, clerk=clerk)
    actions.finish_ticket(district.general, clerk=clerk)


def test_a_window_takes_only_its_queues(district: District, hank: User, ivy: User, clock: Any) -> None:
    water = actions.take_ticket(district.water)
    pickup = actions.take_ticket(district.pickup)
    actions.sign_in_window(district.forestry_window, clerk=hank)
    assert actions.call_next_ticket(district.forestry_window, clerk=hank) is None
    actions.sign_in_window(district.pickup_window, clerk=ivy)
    assert actions.call_next_ticket(district.pickup_window, clerk=ivy) == pickup
    actions.sign_out_window(clerk=hank)
    actions.sign_in_window(district.general, clerk=hank)
    assert actions.call_next_ticket(district.general, clerk=hank) == water


def test_the_call_cycle_gives_exact_waiting_walking_and_service_times(
    district: District, hank: User, clock: Any
) -> None:
    ticket = actions.take_ticket(district.forestry)
    actions.sign_in_window(district.general, clerk=hank)
    clock.shift(datetime.timedelta(minutes=12))
    actions.call_next_ticket(district.general, clerk=hank)
    with pytest.raises(Conflict, match="当前号还在窗口"):
        actions.call_next_ticket(district.general, clerk=hank)
    clock.shift(datetime.timedelta(seconds=45))
    actions.start_serving(district.general, clerk=hank)
    clock.shift(datetime.timedelta(minutes=5))
    actions.pause_ticket(district.general, clerk=hank, note="申请人去复印")
    clock.shift(datetime.timedelta(minutes=3))
    actions.resume_ticket(district.general, clerk=hank)
    clock.shift(datetime.timedelta(minutes=2))
    actions.finish_ticket(district.general, clerk=hank)
    ticket.refresh_from_db()
    assert (ticket.waiting_seconds, ticket.walking_seconds, ticket.service_seconds) == (720, 45, 420)
    assert list(TicketEvent.objects.filter(ticket=ticket).values_list("kind", flat=True)) == [
        "issued", "called", "started", "paused", "resumed", "done",
    ]  # fmt: skip


def test_a_ticket_is_missed_only_after_three_calls_spaced_by_the_recall_interval(
    district: District, hank: User, clock: Any
) -> None:
    ticket = actions.take_ticket(district.forestry)
    actions.sign_in_window(district.general, clerk=hank)
    actions.call_next_ticket(district.general, clerk=hank)
    with pytest.raises(Conflict, match="秒后再重呼"):
        actions.recall_ticket(district.general, clerk=hank)
    with pytest.raises(Conflict, match="呼叫满 3 次"):
        actions.miss_ticket(district.general, clerk=hank)
    for _ in range(2):
        clock.shift(datetime.timedelta(seconds=30))
        actions.recall_ticket(district.general, clerk=hank)
    actions.miss_ticket(district.general, clerk=hank)
    ticket.refresh_from_db()
    assert (ticket.status, ticket.call_count) == (TicketStatus.MISSED, 3)
    assert queries.ticket_at_window(district.general) is None


def test_a_transferred_ticket_keeps_its_place_and_goes_to_the_chosen_window(
    district: District, hank: User, ivy: User, clock: Any
) -> None:
    first = actions.take_ticket(district.forestry)
    clock.shift(datetime.timedelta(minutes=1))
    later = actions.take_ticket(district.forestry)
    actions.sign_in_window(district.general, clerk=hank)
    actions.sign_in_window(district.general2, clerk=ivy)
    actions.call_next_ticket(district.general, clerk=hank)
    actions.start_serving(district.general, clerk=hank)
    actions.transfer_ticket(district.general, clerk=hank, to_window=district.forestry_window, note="需林业专业窗口")
    # Window 2 does not get the ticket sent to window 3:
    assert actions.call_next_ticket(district.general2, clerk=ivy) == later
    first.refresh_from_db()
    assert (first.status, first.target_window) == (TicketStatus.WAITING, district.forestry_window)
    actions.take_ticket(district.forestry)
    actions.call_next_ticket(district.general, clerk=hank)
    with pytest.raises(ValidationError, match="本大厅的其他窗口"):
        actions.transfer_ticket(district.general, clerk=hank, to_window=district.general)


def test_signing_out_with_a_ticket_at_the_window_is_refused(district: District, hank: User, clock: Any) -> None:
    actions.take_ticket(district.forestry)
    actions.sign_in_window(district.general, clerk=hank)
    actions.call_next_ticket(district.general, clerk=hank)
    with pytest.raises(Conflict, match="请先办结"):
        actions.sign_out_window(clerk=hank)
    assert WindowShift.objects.filter(ended_at=None).count() == 1


def test_yesterdays_leftover_tickets_are_closed_at_night_and_cannot_be_called(
    district: District, hank: User, clock: Any
) -> None:
    ticket = actions.take_ticket(district.forestry)
    clock.move_to(at(TUESDAY + datetime.timedelta(days=1), "01:00"))
    assert actions.keep_halls()["closed_tickets"] == 1
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.CLOSED
    clock.move_to(at(TUESDAY + datetime.timedelta(days=1), "08:40"))
    actions.sign_in_window(district.general, clerk=hank)
    assert actions.call_next_ticket(district.general, clerk=hank) is None


def test_check_in_is_refused_on_another_day_too_late_or_with_an_unknown_code(
    district: District, felling: ItemVersion, clock: Any
) -> None:
    booking = actions.confirm_booking(
        actions.hold_booking(district.hall, felling.item, at(TUESDAY + datetime.timedelta(days=1), "09:00"),
                             name="陈爱丽", id_number="350205198503120020")
    )  # fmt: skip
    with pytest.raises(Conflict, match="今天不能签到"):
        actions.check_in_booking(district.hall, booking.code)
    with pytest.raises(ValidationError, match="没有找到这个预约码"):
        actions.check_in_booking(district.hall, "ZZZZ2222")
    clock.move_to(at(TUESDAY + datetime.timedelta(days=1), "09:16"))
    with pytest.raises(Conflict, match="预约失效"):
        actions.check_in_booking(district.hall, booking.code)
    assert Ticket.objects.count() == 0


def test_a_waiting_person_sees_how_many_are_ahead(district: District, clock: Any) -> None:
    actions.take_ticket(district.forestry)
    actions.take_ticket(district.forestry)
    third = actions.take_ticket(district.forestry)
    ahead, minutes = queries.ticket_position(third)
    assert ahead == 2 and minutes >= 1


def test_the_people_ahead_follow_the_order_of_calling(district: District, felling: ItemVersion, clock: Any) -> None:
    district.hall.booking_from_days = 0
    district.hall.save()
    booking = actions.confirm_booking(actions.hold_booking(
        district.hall, felling.item, at(TUESDAY, "09:10"), name="陈爱丽", id_number="350205198503120020"))  # fmt: skip
    walk_in = actions.take_ticket(district.forestry)
    booked = actions.check_in_booking(district.hall, booking.code)
    elderly = actions.take_ticket(district.forestry, id_number=CAROL_ID)
    clock.move_to(at(TUESDAY, "09:10"))
    # Called in the order booked (slot begun), elderly, walk-in:
    assert [queries.ticket_position(t)[0] for t in (booked, elderly, walk_in)] == [0, 1, 2]


def test_a_ticket_is_not_sent_to_a_window_that_would_never_call_it(district: District, hank: User, clock: Any) -> None:
    actions.take_ticket(district.water)
    actions.sign_in_window(district.general, clerk=hank)
    actions.call_next_ticket(district.general, clerk=hank)
    # Window 3 takes forestry only: a water ticket there would wait all day:
    with pytest.raises(ValidationError, match="不办理该业务类别"):
        actions.transfer_ticket(district.general, clerk=hank, to_window=district.forestry_window)
    assert queries.ticket_at_window(district.general) is not None


def test_the_kiosk_issues_no_declared_priority_but_a_clerk_may(district: District, hank: User, clock: Any) -> None:
    with pytest.raises(ValidationError, match="由工作人员核验证件"):
        actions.take_ticket(district.forestry, source=TicketSource.KIOSK, priority_group=PriorityGroup.DISABLED)
    with pytest.raises(ValidationError, match="65 岁以上"):
        actions.take_ticket(district.forestry, source=TicketSource.KIOSK, priority_group=PriorityGroup.ELDERLY)
    assert not Ticket.objects.exists()
    ticket = actions.take_ticket(district.forestry, source=TicketSource.CLERK, priority_group=PriorityGroup.DISABLED)
    assert ticket.priority_group == PriorityGroup.DISABLED
