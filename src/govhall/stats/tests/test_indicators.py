"""The indicators: figures recounted by hand from the cases, drill-downs that match their numbers,
measures without data never shown as zero, who sees which unit, the public page and the export."""

from __future__ import annotations

import datetime
import io
import re
from typing import Any

import pytest
from openpyxl import load_workbook

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from govhall.cases import actions as case_actions
from govhall.cases.constants import CaseStatus
from govhall.cases.models import Case, CaseMaterial
from govhall.cases.tests.conftest import felling, frank  # noqa: F401 - fixtures
from govhall.catalog.models import ItemVersion
from govhall.catalog.tests.conftest import grace, helen  # noqa: F401 - fixtures
from govhall.holidays.queries import get_calendar
from govhall.identity.models import Department, User
from govhall.ratings.tests.conftest import close, submit
from govhall.stats import actions, queries
from govhall.stats.measures import COUNT, MEASURES, Measure, handling_days, percentile
from govhall.stats.models import ComputedDay, Figure

pytestmark = pytest.mark.django_db


@pytest.fixture
def handled(
    felling: ItemVersion,  # noqa: F811
    alice: User,
    bob: User,
    frank: User,  # noqa: F811
    grace: User,  # noqa: F811
    carol: User,
) -> dict[str, Case]:
    """Five of Alice's felling cases today: three closed (one late, one early), one asked to correct, one open."""
    cases = {key: submit(felling, alice, key) for key in ("late", "early", "plain", "correct", "open")}
    for key in ("late", "early", "plain"):
        cases[key] = close(cases[key], bob, frank, grace, carol)
    today = timezone.localdate()
    # Accepted two weeks ago (ten working days at most), due yesterday:
    Case.objects.filter(pk=cases["late"].pk).update(
        accepted_on=today - datetime.timedelta(days=14), due_on=today - datetime.timedelta(days=1)
    )
    Case.objects.filter(pk=cases["early"].pk).update(due_on=today + datetime.timedelta(days=3))
    Case.objects.filter(pk=cases["plain"].pk).update(due_on=today)
    case_actions.request_correction(
        case_actions.accept_case(cases["correct"], actor=bob), actor=bob, items=["林木采伐申请表"]
    )
    return {key: Case.objects.get(pk=case.pk) for key, case in cases.items()}


def whole_bureau() -> queries.Scope:
    return queries.Scope(None, "海沧区农林水利局")


def test_a_month_s_figures_are_the_cases_counted_by_hand(handled: dict[str, Case]) -> None:
    today = timezone.localdate()
    actions.compute_day(today)
    figures = queries.month_figures(today.replace(day=1), whole_bureau())
    # By hand, from the case table:
    closed = Case.objects.filter(status=CaseStatus.CLOSED)
    on_time = [c for c in closed if timezone.localdate(c.closed_at) <= c.due_on]
    early = [c for c in closed if timezone.localdate(c.closed_at) < c.due_on]
    assert (len(closed), len(on_time), len(early)) == (3, 2, 1)
    assert figures.sums["submitted"] == Case.objects.exclude(status=CaseStatus.DRAFT).count() == 5
    assert figures.sums["closed"] == 3
    assert figures.values["on_time"] == round(100 * 2 / 3, 1) == 66.7
    assert figures.values["early"] == 33.3 and figures.values["late"] == 33.3
    assert figures.values["same_day"] == 66.7  # accepted and closed today: two of three
    assert figures.values["correction_rate"] == 20.0  # one of five asked to correct
    calendar = get_calendar()
    days = sorted(
        handling_days({"accepted_on": c.accepted_on, "closed_at": c.closed_at, "paused_working_days": c.paused_working_days}, calendar)
        for c in closed
    )  # fmt: skip
    assert figures.values["handling_average"] == round(sum(days) / 3, 1)
    assert days[:2] == [0, 0] and days[2] >= 8
    assert figures.values["handling_p90"] == float(days[-1])
    # Materials: every one uploaded, none from the licence library yet:
    uploaded = CaseMaterial.objects.filter(is_current=True).count()
    assert figures.sums["materials"] == uploaded and figures.values["reuse_rate"] == 0.0
    # Items: the felling item is live, not secret, in the hall:
    assert figures.sums["items_public"] == 1 and figures.values["in_hall"] == 100.0


def test_computing_a_day_again_gives_the_same_rows_and_a_future_day_is_refused(handled: dict[str, Case]) -> None:
    today = timezone.localdate()

    def rows() -> list[tuple[Any, ...]]:
        return sorted(
            Figure.objects.filter(day=today).values_list("counter", "department_id", "item_code", "facet", "value")
        )

    actions.compute_day(today)
    first = rows()
    assert first and actions.compute_day(today) == len(first)
    assert rows() == first
    assert ComputedDay.objects.get(day=today).is_complete is False  # today is not over
    with pytest.raises(ValidationError, match="还没有到"):
        actions.compute_day(today + datetime.timedelta(days=1))


def test_a_measure_whose_app_is_missing_waits(desk: Any, handled: dict[str, Case], dan: User) -> None:
    waiting = Measure("x", "x", "later", COUNT, "closed", requires=("payroll",))
    assert not waiting.is_available
    actions.compute_day(timezone.localdate())
    figures = queries.month_figures(timezone.localdate().replace(day=1), whole_bureau())
    # Every case of the fixture was applied for online and served electronically: no visit to the hall:
    assert figures.values["online_application"] == 100.0
    assert figures.values["visits_per_case"] == 0.0
    page = desk(dan).get("/desk/indicators/").content.decode()
    row = re.search(r"平均跑动次数</th>(.*?)</tr>", page, re.S)
    assert row and 'class="figure">0</td>' in row.group(1) and "尚无数据" not in row.group(1)


def test_the_drill_down_lists_exactly_the_cases_behind_the_number(
    desk: Any, handled: dict[str, Case], dan: User
) -> None:
    actions.compute_day(timezone.localdate())
    client = desk(dan)
    page = client.get("/desk/indicators/late/numerator/").content.decode()
    assert "清单共 1 条；统计数为 1。" in page and handled["late"].reference in page
    assert handled["early"].reference not in page
    page = client.get("/desk/indicators/on_time/denominator/").content.decode()
    assert "清单共 3 条；统计数为 3。" in page
    for key in ("late", "early", "plain"):
        assert handled[key].reference in page


def test_staff_see_their_own_units_only(
    desk: Any, handled: dict[str, Case], bob: User, carol: User, erin: User, dan: User
) -> None:
    actions.compute_day(timezone.localdate())
    with pytest.raises(PermissionDenied):
        queries.indicator_scope_for(erin)  # an administrator handles no cases
    client = desk(carol)  # water: Alice's felling cases are forestry's
    page = client.get("/desk/indicators/on_time/denominator/").content.decode()
    assert "清单共 0 条" in page and handled["late"].reference not in page
    response = client.get("/desk/indicators/?unit=forestry")
    assert response.status_code == 403 and "您无权查看该单位的统计" in response.content.decode()
    client = desk(bob)
    page = client.get("/desk/indicators/?unit=forestry").content.decode()
    assert "统计指标：林业科" in page and "66.7%" in page
    client = desk(dan)
    page = client.get("/desk/indicators/").content.decode()
    assert "统计指标：海沧区农林水利局" in page and "各单位" in page and "林业科" in page and "水利科" in page


def test_bad_input_gets_a_clear_error(desk: Any, handled: dict[str, Case], dan: User) -> None:
    client = desk(dan)
    future = (timezone.localdate().replace(day=1) + datetime.timedelta(days=40)).strftime("%Y-%m")
    response = client.get(f"/desk/indicators/?month={future}")
    assert response.status_code == 400 and "还没有到，没有统计数据" in response.content.decode()
    response = client.get("/desk/indicators/?month=2026-13")
    assert response.status_code == 400 and "月份的格式应为" in response.content.decode()
    response = client.get("/desk/indicators/no_such_measure/numerator/")
    assert response.status_code == 404
    response = client.get("/desk/indicators/?measure=no_such_measure")
    assert response.status_code == 404


def test_a_month_with_days_not_computed_says_so(desk: Any, handled: dict[str, Case], dan: User) -> None:
    today = timezone.localdate()
    client = desk(dan)
    page = client.get("/desk/indicators/").content.decode()
    assert f"尚未计算的 {today.day} 天" in page
    actions.compute_day(today)
    page = client.get("/desk/indicators/").content.decode()
    assert "当天数据计算到一半的 1 天" in page
    if today.day > 1:  # earlier days of the month without any data still need their run
        assert f"尚未计算的 {today.day - 1} 天" in page


def test_the_nightly_run_computes_every_missing_day_once(handled: dict[str, Case]) -> None:
    today = timezone.localdate()
    computed = actions.compute_missing_days()
    assert computed[-1] == today and len(computed) == len(set(computed))
    # The past days are now whole: the next run only computes today again:
    assert actions.compute_missing_days() == [today]
    out = io.StringIO()
    call_command("compute_indicators", "--day", today.isoformat(), stdout=out)
    assert "computed 1 day(s)" in out.getvalue()


def test_the_public_page_names_no_one_and_holds_back_small_counts(
    handled: dict[str, Case], alice: User, settings: Any
) -> None:
    actions.compute_day(timezone.localdate())
    page = Client().get("/indicators/").content.decode()
    assert "政务服务统计指标" in page and "数量较少，不公开" in page
    assert alice.full_name not in page and handled["late"].reference not in page
    settings.STATS_PUBLIC_MIN_COUNT = 1
    actions.compute_day(timezone.localdate())  # a new computation is a new page version
    page = Client().get("/indicators/").content.decode()
    assert "66.7%" in page


def test_the_export_is_a_spreadsheet_of_the_same_figures(desk: Any, handled: dict[str, Case], dan: User) -> None:
    actions.compute_day(timezone.localdate())
    client = desk(dan)
    response = client.get("/desk/indicators/export.xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    rows = {row[1]: row for row in book["指标"].iter_rows(min_row=3, values_only=True)}
    assert rows["按时办结率"][2:5] == (66.7, 2, 3)
    assert rows["网上申请率"][2:5] == (100, 5, 5) and rows["平均跑动次数"][2:5] == (0, 0, 3)
    units = [row[0] for row in book["各单位"].iter_rows(min_row=2, values_only=True)]
    assert units == ["林业科", "水利科"]


def test_the_p90_is_the_nearest_rank() -> None:
    assert percentile({"1": 5, "2": 4, "10": 1}, 0.9) == 2.0
    assert percentile({"1": 5, "2": 3, "10": 2}, 0.9) == 10.0
    assert percentile({}, 0.9) is None


def test_units_roll_up_and_a_department_tree_is_shown(
    handled: dict[str, Case], departments: dict[str, Department]
) -> None:
    actions.compute_day(timezone.localdate())
    units = {u["department"].code: u for u in queries.unit_figures(timezone.localdate().replace(day=1), whole_bureau())}
    assert units["forestry"]["sums"]["closed"] == 3 and "closed" not in units["water"]["sums"]
    assert units["water"]["values"]["on_time"] is None  # nothing closed: "—", not 0 %


def test_a_measure_splits_by_item_and_channel_and_each_part_drills_down(
    handled: dict[str, Case], desk: Any, dan: User
) -> None:
    actions.compute_day(timezone.localdate())
    scope, month = whole_bureau(), timezone.localdate().replace(day=1)
    [by_item] = queries.breakdown(MEASURES["on_time"], scope, month, by="item")
    assert (by_item["label"], by_item["numerator"], by_item["denominator"]) == ("林木采伐许可证核发", 2, 3)
    [by_channel] = queries.breakdown(MEASURES["on_time"], scope, month, by="facet")
    assert (by_channel["key"], by_channel["label"]) == ("online", "网上申请")
    page = desk(dan).get(f"/desk/indicators/on_time/numerator/?item={by_item['key']}").content.decode()
    assert "按所选事项或渠道筛选后共 2 条。" in page
    page = desk(dan).get("/desk/indicators/on_time/numerator/?facet=province").content.decode()
    assert "按所选事项或渠道筛选后共 0 条。" in page


def test_the_monthly_report_ranks_the_units_against_the_plan(handled: dict[str, Case]) -> None:
    from pypdf import PdfReader

    month = timezone.localdate().replace(day=1)
    following = (month + datetime.timedelta(days=32)).replace(day=1)
    report = actions.keep_service_report(month, today=following)
    kept = report.figures["indicators"]
    assert [unit["name"] for unit in kept["units"]] == ["林业科", "水利科"]  # water closed nothing: last
    assert kept["units"][0]["values"]["on_time"] == 66.7
    text = "".join(page.extract_text() for page in PdfReader(report.pdf.open("rb")).pages)
    assert "主要指标与规划目标" in text and "66.7%" in text and "未达标" in text


def test_a_run_of_days_gives_the_same_rows_as_each_day_alone(handled: dict[str, Case]) -> None:
    """The nightly run computes a month in one query per counter; a day alone must give the same rows."""
    today = timezone.localdate()
    Case.objects.filter(pk=handled["early"].pk).update(closed_at=timezone.now() - datetime.timedelta(days=1))
    first = today - datetime.timedelta(days=3)

    def rows() -> list[tuple[Any, ...]]:
        return sorted(
            Figure.objects.values_list("day", "counter", "department_id", "item_code", "facet", "value", "histogram")
        )

    actions.compute_days(first, today)
    together = rows()
    Figure.objects.all().delete()
    for n in range(4):
        actions.compute_day(first + datetime.timedelta(days=n))
    assert rows() == together
    assert {day for day, *_rest in together if _rest[0] == "closed"} == {today - datetime.timedelta(days=1), today}


def test_every_measure_is_made_of_counters_that_exist_and_each_group_is_named() -> None:
    from govhall.stats.measures import COUNTERS, GROUPS

    for measure in MEASURES.values():
        assert measure.group in GROUPS, measure.key
        for key in measure.counters:
            assert key in COUNTERS, (measure.key, key)


def test_look_ups_are_listed_for_the_bureau_only_and_without_names(
    handled: dict[str, Case], alice: User, bob: User, dan: User, desk: Any
) -> None:
    from conftest import ALICE_ID
    from govhall.dossier.actions import look_up_subject

    look_up_subject(dan, ALICE_ID, purpose="supervision")
    actions.compute_day(timezone.localdate())
    page = desk(dan).get("/desk/indicators/lookups/numerator/").content.decode()
    assert "清单共 1 条；统计数为 1。" in page and "监督检查" in page and dan.full_name not in page.split("<main")[1]
    page = desk(bob).get("/desk/indicators/lookups/numerator/?unit=forestry").content.decode()
    assert "清单共 0 条；统计数为 0。" in page


def test_odd_input_is_refused_with_a_message_not_an_error(handled: dict[str, Case], dan: User, desk: Any) -> None:
    client = desk(dan)
    for query in ("?month=0001-01", "?unit=%00", "?facet=%00"):
        response = client.get("/desk/indicators/" + query)
        assert response.status_code == 400, query
    response = client.get("/desk/indicators/on_time/numerator/?item=%00")
    assert response.status_code == 400
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="--to needs --from"):
        call_command("compute_indicators", "--to", "2026-11-30")
    with pytest.raises(CommandError, match="还没有到"):
        call_command("compute_indicators", "--day", (timezone.localdate() + datetime.timedelta(days=2)).isoformat())
    with pytest.raises(CommandError, match="before --from"):
        call_command("compute_indicators", "--from", "2026-11-30", "--to", "2026-11-01")
