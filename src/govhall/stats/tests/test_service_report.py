"""The monthly service report: each figure as docs/service-report.md defines it, the kept 通报, and who reads what."""

from __future__ import annotations

import datetime
import io
import uuid
from typing import Any

import pytest
from pypdf import PdfReader

from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from govhall.cases.models import Case
from govhall.cases.tests.conftest import felling, frank  # noqa: F401 - fixtures
from govhall.catalog.tests.conftest import grace, helen  # noqa: F401 - fixtures
from govhall.complaints.constants import ComplaintChannel, ComplaintKind, Level, ObjectKind
from govhall.complaints.models import Complaint, SupervisionOrder
from govhall.identity.models import Department, User
from govhall.lib.signing import SignatureStatus, check_pdf_signatures
from govhall.ratings.constants import Channel, RatingLevel, RectificationStatus
from govhall.ratings.models import Rating, Rectification
from govhall.ratings.tests.conftest import closed_case  # noqa: F401 - fixtures
from govhall.stats import actions
from govhall.stats.figures import compute_month
from govhall.stats.models import ServiceReport

pytestmark = pytest.mark.django_db

NOVEMBER = datetime.date(2026, 11, 1)


def at(day: str, hour: int = 10) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(datetime.date.fromisoformat(day), datetime.time(hour)))


def rating(department: Department, level: str, when: str, **fields: Any) -> Rating:
    if "case" not in fields:  # a window visit (一次一评): the hall's ticket reference
        fields.update(service_kind="visit", visit_reference=f"A{uuid.uuid4().hex[:6]}", channel=Channel.PAD)
    fields.setdefault("channel", Channel.ONLINE)
    made = Rating.objects.create(department=department, level=level, **fields)
    Rating.objects.filter(pk=made.pk).update(rated_at=at(when))
    return made


def complaint(department: Department, kind: str, when: str, **fields: Any) -> Complaint:
    made = Complaint.objects.create(
        tracking_number=f"TS{uuid.uuid4().hex[:10]}",
        query_code_hash=uuid.uuid4().hex,
        channel=ComplaintChannel.PORTAL,
        kind=kind,
        title="审批太慢",
        content="申请递交三周没有消息。",
        department=department,
        complainant_name="投诉人甲",
        **fields,
    )
    Complaint.objects.filter(pk=made.pk).update(submitted_at=at(when))
    return made


@pytest.fixture
def november(
    departments: dict[str, Department],
    closed_case: Case,  # noqa: F811
    alice: User,
) -> dict[str, Department]:
    """A November of the forestry unit (ratings, a rectified bad rating, complaints, an order), and noise around it."""
    forestry, water = departments["forestry"], departments["water"]
    rating(forestry, RatingLevel.VERY_SATISFIED, "2026-11-03", case=closed_case, rater=alice)
    rating(forestry, RatingLevel.SATISFIED, "2026-11-10")
    bad = rating(forestry, RatingLevel.DISSATISFIED, "2026-11-12", rater=alice, comment="陈爱丽说窗口态度差")
    fix = Rectification.objects.create(
        rating=bad,
        department=forestry,
        status=RectificationStatus.CLOSED,
        classify_due_on=datetime.date(2026, 11, 13),
        rectify_due_on=datetime.date(2026, 11, 20),
        follow_up_at=at("2026-11-18"),
    )
    Rectification.objects.filter(pk=fix.pk).update(created_at=at("2026-11-12"), closed_at=at("2026-11-19"))
    # Not counted: a follow-up rating, a malicious rating removed, a rating of December:
    rating(forestry, RatingLevel.BASIC, "2026-11-20", rater=alice, is_follow_up=True)
    rating(water, RatingLevel.VERY_DISSATISFIED, "2026-11-05", is_removed=True)
    rating(forestry, RatingLevel.VERY_DISSATISFIED, "2026-12-01")

    complaint(
        forestry,
        ComplaintKind.SLOWNESS,
        "2026-11-02",
        due_on=datetime.date(2026, 11, 16),
        answered_at=at("2026-11-16", 17),
    )
    complaint(
        forestry,
        ComplaintKind.INACTION,
        "2026-11-04",
        due_on=datetime.date(2026, 11, 18),
        answered_at=at("2026-11-19"),
    )
    complaint(forestry, ComplaintKind.ATTITUDE, "2026-11-25", due_on=datetime.date(2026, 12, 9))
    order = SupervisionOrder.objects.create(
        number="DB202611001",
        object_kind=ObjectKind.CASE,
        object_id=closed_case.public_id,
        department=forestry,
        level=Level.RED,
        reason="办件超期",
        reply_due_on=datetime.date(2026, 11, 23),
        replied_at=at("2026-11-24"),
    )
    SupervisionOrder.objects.filter(pk=order.pk).update(raised_at=at("2026-11-18"))
    return departments


def test_a_months_figures_count_what_the_definitions_say(november: dict[str, Department]) -> None:
    figures = compute_month(NOVEMBER)
    units = {unit["code"]: unit for unit in figures["units"]}
    assert set(units) == {"forestry"}  # the water unit's only rating was removed as malicious
    forestry = units["forestry"]
    assert forestry["name"] == "林业科"
    assert forestry["ratings"]["total"] == 3
    assert forestry["ratings"]["by_level"][RatingLevel.DISSATISFIED] == 1
    assert forestry["ratings"]["good_rate"] == 66.7
    assert forestry["ratings"]["bad"] == 1
    assert forestry["rectifications"] == {
        "opened": 1,
        "on_time": 1,
        "on_time_rate": 100.0,
        "follow_up_rate": 100.0,
    }
    assert forestry["complaints"]["total"] == 3
    assert forestry["complaints"]["by_kind"][ComplaintKind.SLOWNESS] == 1
    assert forestry["complaints"]["answered"] == 2
    # Answered on the due date counts as on time; the day after does not:
    assert forestry["complaints"]["answered_on_time_rate"] == 50.0
    assert forestry["orders"] == {"total": 1, "red": 1, "yellow": 0, "replied_on_time_rate": 0.0}
    # Only the rating given on a case is counted for its item:
    assert [(item["name"], item["ratings"]["total"]) for item in figures["items"]] == [("林木采伐许可证核发", 1)]
    assert figures["totals"]["ratings"]["total"] == 3


def test_a_rate_with_nothing_to_count_is_none_not_zero(departments: dict[str, Department]) -> None:
    complaint(departments["water"], ComplaintKind.OTHER, "2026-11-06", due_on=datetime.date(2026, 11, 20))
    water = compute_month(NOVEMBER)["units"][0]
    assert water["ratings"]["good_rate"] is None
    assert water["complaints"]["answered_on_time_rate"] is None
    assert water["orders"]["replied_on_time_rate"] is None


def test_the_kept_report_is_signed_ranks_the_units_and_is_never_made_again(
    november: dict[str, Department],
) -> None:
    report = actions.keep_service_report(datetime.date(2026, 11, 17))
    assert report.month == NOVEMBER
    pdf = report.pdf.read()
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    # (the quotation marks are set full width with no-break spaces around them):
    assert "2026年11月政务服务“好差评”、投诉举报和督办情况通报" in "".join(text.split())
    assert "林业科" in text and "66.7%" in text
    assert "陈爱丽" not in text and "投诉人甲" not in text  # aggregates only
    check = check_pdf_signatures(io.BytesIO(pdf))
    assert check.status == SignatureStatus.VALID, check
    again = actions.keep_service_report(NOVEMBER)
    assert (again.pk, again.sha256) == (report.pk, report.sha256)
    assert ServiceReport.objects.count() == 1


def test_a_month_that_has_not_ended_is_refused(departments: dict[str, Department]) -> None:
    with pytest.raises(ValidationError) as refused:
        actions.keep_service_report(timezone.localdate())
    assert "尚未结束，月度通报在次月生成。" in refused.value.messages[0]
    assert not ServiceReport.objects.exists()


def test_the_task_keeps_every_ended_month_since_the_first_data(november: dict[str, Department]) -> None:
    made = actions.keep_missing_reports(today=datetime.date(2027, 1, 2))
    assert [str(report) for report in made] == ["2026-11", "2026-12"]
    assert actions.keep_missing_reports(today=datetime.date(2027, 1, 2)) == []


def test_the_public_page_shows_the_figures_and_no_person(november: dict[str, Department], client: Client) -> None:
    actions.keep_service_report(NOVEMBER)
    page = client.get("/service-report/").content.decode()
    assert "2026年11月的统计" in page
    assert "林业科" in page and "66.7%" in page and "林木采伐许可证核发" in page
    assert "陈爱丽" not in page and "投诉人甲" not in page
    assert client.get("/service-report/2026-11/").status_code == 200
    assert client.get("/service-report/2026-10/").status_code == 404
    assert client.get("/service-report/november/").status_code == 404


def test_the_public_page_before_any_report_says_when_there_will_be_one(db: None, client: Client) -> None:
    assert (
        "还没有已结束月份的统计。每月的数据在次月初统计并在此公开。" in client.get("/service-report/").content.decode()
    )


def test_the_internal_report_is_for_the_staff_who_handle_or_supervise(
    november: dict[str, Department], bob: User, erin: User, desk: Any
) -> None:
    report = actions.keep_service_report(NOVEMBER)
    clerk = desk(bob)
    assert "2026年11月通报（PDF）" in clerk.get("/desk/reports/").content.decode()
    pdf = clerk.get(f"/desk/reports/{report.public_id}/report.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    administrator = desk(erin)
    assert administrator.get("/desk/reports/").status_code == 403
    assert administrator.get(f"/desk/reports/{report.public_id}/report.pdf").status_code == 404


def test_the_public_page_kept_for_visitors_shows_a_newly_kept_month(
    november: dict[str, Department], client: Client
) -> None:
    actions.keep_service_report(NOVEMBER, today=datetime.date(2027, 1, 5))
    assert "2026年11月的统计" in client.get("/service-report/").content.decode()
    actions.keep_service_report(datetime.date(2026, 12, 1), today=datetime.date(2027, 1, 5))
    page = client.get("/service-report/").content.decode()
    assert "2026年12月的统计" in page
    assert '<a href="/service-report/2026-11/">2026年11月</a>' in page
