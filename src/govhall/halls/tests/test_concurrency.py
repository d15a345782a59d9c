"""On PostgreSQL: concurrent bookings never overfill a slot; concurrent calls never give one ticket twice."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from govhall.catalog.models import ItemVersion
from govhall.halls import actions
from govhall.halls.models import Booking, Ticket, Window
from govhall.halls.tests.conftest import TUESDAY, District, at
from govhall.identity import actions as identity
from govhall.identity.constants import Role
from govhall.identity.models import Department
from govhall.lib.errors import Conflict
from govhall.lib.identifiers import resident_check_character
from govhall.lib.tests.races import race as _race

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _id(n: int) -> str:
    first17 = f"35020519800101{n + 100:03d}"
    return first17 + resident_check_character(first17)


def test_eight_people_booking_the_last_three_places_at_once_get_three(
    district: District, felling: ItemVersion, clock: Any
) -> None:
    when = at(TUESDAY.replace(day=9), "09:00")

    def book(n: int) -> Callable[[], Any]:
        return lambda: actions.hold_booking(district.hall, felling.item, when, name=f"申请人{n}", id_number=_id(n))

    results = _race([book(n) for n in range(8)])
    held = [result for result in results if isinstance(result, Booking)]
    refused = [result for result in results if isinstance(result, Conflict)]
    assert len(held) == 3 and len(refused) == 5, results
    assert Booking.objects.filter(starts_at=when).count() == 3


def test_six_windows_calling_at_once_never_share_a_ticket(
    district: District, departments: dict[str, Department], clock: Any
) -> None:
    windows = [district.general, district.general2] + [
        Window.objects.create(hall=district.hall, number=n) for n in range(4, 8)
    ]
    clerks = []
    for n, window in enumerate(windows):
        clerk = identity.create_staff(username=f"clerk{n}", full_name=f"窗口{n}", password="Test#Pass2026")
        identity.grant_role(clerk, departments["bureau"], Role.CLERK)
        actions.sign_in_window(window, clerk=clerk)
        clerks.append(clerk)
    for _ in range(4):
        actions.take_ticket(district.forestry)

    results = _race(
        [lambda w=w, c=c: actions.call_next_ticket(w, clerk=c) for w, c in zip(windows, clerks, strict=True)]
    )
    called = [result for result in results if isinstance(result, Ticket)]
    assert len(called) == 4 and results.count(None) == 2, results
    assert len({ticket.pk for ticket in called}) == 4
    assert Ticket.objects.filter(status="called").values("window").distinct().count() == 4


def test_a_double_click_on_call_next_calls_one_ticket(
    district: District, departments: dict[str, Department], clock: Any
) -> None:
    clerk = identity.create_staff(username="clerk-dc", full_name="窗口", password="Test#Pass2026")
    identity.grant_role(clerk, departments["bureau"], Role.CLERK)
    actions.sign_in_window(district.general, clerk=clerk)
    for _ in range(3):
        actions.take_ticket(district.forestry)

    results = _race([lambda: actions.call_next_ticket(district.general, clerk=clerk)] * 2)
    assert sum(isinstance(result, Ticket) for result in results) == 1, results
    assert sum(isinstance(result, Conflict) for result in results) == 1, results
    assert Ticket.objects.filter(status="called").count() == 1
