"""The hall's figures for a day, checked against what happened that day; the desk page and its export."""

from __future__ import annotations

import datetime
from io import BytesIO
from typing import Any

import pytest
from openpyxl import load_workbook

from govhall.catalog.models import ItemVersion
from govhall.halls import actions, statistics
from govhall.halls.models import HallStat
from govhall.halls.tests.conftest import TUESDAY, District, at
from govhall.identity.models import User

pytestmark = pytest.mark.django_db
WEDNESDAY = TUESDAY + datetime.timedelta(days=1)
MINUTE = datetime.timedelta(minutes=1)


def _a_day_at_the_hall(district: District, felling: ItemVersion, hank: User, ivy: User, clock: Any) -> None:
    """Wednesday: a booking honoured, one not, a walk-in, a ticket missed, a consultation."""
    booked = actions.confirm_booking(actions.hold_booking(
        district.hall, felling.item, at(WEDNESDAY, "09:00"), name="陈爱丽", id_number="350205198503120020"))  # fmt: skip
    actions.confirm_booking(actions.hold_booking(
        district.hall, felling.item, at(WEDNESDAY, "10:00"), name="王林", id_number="350205199005050036"))  # fmt: skip
    clock.move_to(at(WEDNESDAY, "08:40"))
    walk_in = actions.take_ticket(district.forestry)  # waits from 08:40
    clock.move_to(at(WEDNESDAY, "08:41"))
    absent = actions.take_ticket(district.water)  # waits from 08:41
    clock.move_to(at(WEDNESDAY, "08:50"))
    actions.check_in_booking(district.hall, booked.code)  # waits from its slot, 09:00
    actions.sign_in_window(district.general, clerk=hank)
    actions.sign_in_window(district.general2, clerk=ivy)
    clock.move_to(at(WEDNESDAY, "08:52"))
    assert actions.call_next_ticket(district.general, clerk=hank) == walk_in  # waited 12 min
    assert actions.call_next_ticket(district.general2, clerk=ivy) == absent  # waited 11 min
    for _ in range(2):
        clock.shift(MINUTE)
        actions.recall_ticket(district.general2, clerk=ivy)
    actions.miss_ticket(district.general2, clerk=ivy)
    actions.record_consultation(district.general2, clerk=ivy, item_code=felling.item.implementation_code,
                                question="采伐证有效期多久？", answer="按许可证载明的期限。")  # fmt: skip
    clock.move_to(at(WEDNESDAY, "08:55"))
    actions.start_serving(district.general, clerk=hank)
    clock.shift(4 * MINUTE)
    actions.finish_ticket(district.general, clerk=hank)  # served 4 min
    clock.move_to(at(WEDNESDAY, "09:05"))
    assert actions.call_next_ticket(district.general, clerk=hank).booking == booked  # waited 5 min from 09:00
    actions.start_serving(district.general, clerk=hank)
    clock.shift(6 * MINUTE)
    actions.pause_ticket(district.general, clerk=hank)
    clock.shift(2 * MINUTE)
    actions.resume_ticket(district.general, clerk=hank)
    clock.shift(4 * MINUTE)
    actions.finish_ticket(district.general, clerk=hank)  # served 10 min (2 min paused)
    clock.move_to(at(WEDNESDAY, "10:20"))
    actions.keep_halls()  # the 10:00 booking: a no-show


def test_the_days_figures_say_what_happened(
    district: District, felling: ItemVersion, hank: User, ivy: User, clock: Any
) -> None:
    _a_day_at_the_hall(district, felling, hank, ivy, clock)
    statistics.compute_day(district.hall, WEDNESDAY)
    whole = HallStat.objects.get(hall=district.hall, day=WEDNESDAY, dimension="hall")
    assert (whole.issued, whole.served, whole.missed, whole.booked_tickets) == (3, 2, 1, 1)
    assert (whole.bookings_made, whole.bookings_honoured, whole.no_shows, whole.consultations) == (2, 1, 1, 1)
    # Waiting: 12 min (walk-in), 11 min (the missed ticket, to its first call), 5 min (booked, from its slot):
    assert (whole.wait_avg_walk_in, whole.wait_avg_booked, whole.wait_max) == ((720 + 660) // 2, 300, 720)
    assert (whole.service_avg, whole.service_max) == ((240 + 600) // 2, 600)
    hank_row = HallStat.objects.get(day=WEDNESDAY, dimension="clerk", key=str(hank.pk))
    ivy_row = HallStat.objects.get(day=WEDNESDAY, dimension="clerk", key=str(ivy.pk))
    assert (hank_row.served, ivy_row.missed, ivy_row.consultations) == (2, 1, 1)
    assert HallStat.objects.get(day=WEDNESDAY, dimension="queue", key="B").missed == 1


def test_the_upkeep_computes_the_day_just_over_once(
    district: District, felling: ItemVersion, hank: User, ivy: User, clock: Any
) -> None:
    _a_day_at_the_hall(district, felling, hank, ivy, clock)
    assert not HallStat.objects.filter(day=WEDNESDAY).exists()  # not while the day goes on
    clock.move_to(at(WEDNESDAY + datetime.timedelta(days=1), "00:30"))
    assert actions.keep_halls()["stat_rows"] > 0
    assert actions.keep_halls()["stat_rows"] == 0


def test_the_desk_page_and_the_export_show_the_figures(
    district: District, felling: ItemVersion, hank: User, ivy: User, dan: User, bob: User, desk: Any, clock: Any
) -> None:
    _a_day_at_the_hall(district, felling, hank, ivy, clock)
    statistics.compute_day(district.hall, WEDNESDAY)
    client = desk(dan)
    page = client.get("/desk/halls/stats/", {"hall": "haicang", "day": WEDNESDAY.isoformat()}).content.decode()
    assert "大厅统计：海沧区行政服务中心" in page and "按工作人员" in page and "黄汉克" in page
    export = client.get("/desk/halls/stats/export.xlsx", {"hall": "haicang"})
    sheet = load_workbook(BytesIO(export.content)).active
    header = [cell.value for cell in sheet[1]]
    whole = next(row for row in sheet.iter_rows(min_row=2, values_only=True) if row[1] == "hall")
    assert whole[header.index("取号")] == 3 and whole[header.index("爽约")] == 1
    # Bob's unit does not run the hall (it hangs on the bureau): he is told "not found":
    assert desk(bob).get("/desk/halls/stats/").status_code == 404
