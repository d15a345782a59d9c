"""The indicators (统计与考核): every counter and every measure, each defined once, here.

A **counter** counts rows of another app on one day: cases submitted, cases closed on time,
materials taken from a held licence, items at online level III… Its ``rows`` function is the
one definition: the nightly computation counts it per unit, item and facet into
``stats.Figure``, and the drill-down lists exactly the same rows, so a number and the list
behind it always agree. A **measure** is what a reader sees: a rate (numerator counter ÷
denominator counter), a count, an average or a p90, with the plan's target where it sets one.

Days are local calendar days of the platform's time zone; handling time is counted in
working days on the holiday calendar (``holidays``). docs/indicators.md says the same in
words, measure by measure. A measure whose data the platform does not collect yet (the
hall's window intake, fees, delivery) names what it waits for and is never shown as zero.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections import Counter as Tally
from collections.abc import Callable
from typing import Any

from django.apps import apps
from django.db import models
from django.db.models import Case as SqlCase
from django.db.models import CharField, F, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

FLOW = "flow"  # a month is the sum of its days
STOCK = "stock"  # a month is its last computed day

CASES, EVENTS, MATERIALS, ITEMS, RATINGS, COMPLAINTS, ORDERS, LOOKUPS, ALARMS, DISCLOSURES, GRANTS, QUESTIONS = (
    "cases",
    "events",
    "materials",
    "items",
    "ratings",
    "complaints",
    "orders",
    "lookups",
    "alarms",
    "disclosures",
    "grants",
    "questions",
)
REMINDERS, SUGGESTIONS, INSPECTIONS, BUNDLES = "reminders", "suggestions", "inspections", "bundles"

ONLINE, PROVINCE, WINDOW = "online", "province", "window"
CHANNEL_LABELS = {ONLINE: _("网上申请"), PROVINCE: _("省网上办事大厅"), WINDOW: _("窗口受理")}
EVENT_FACET_LABELS = {"window": _("窗口"), "ems": _("EMS寄递"), "electronic": _("网上下载")}


def day_bounds(first: datetime.date, last: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    """The first instant of ``first`` and of the day after ``last``, in the platform's time zone."""
    start = timezone.make_aware(datetime.datetime.combine(first, datetime.time()))
    end = timezone.make_aware(datetime.datetime.combine(last + datetime.timedelta(days=1), datetime.time()))
    return start, end


def _on(rows: QuerySet[Any], field: str, first: datetime.date, last: datetime.date) -> QuerySet[Any]:
    """``rows`` whose ``field`` falls in the days, each with its local day as ``stat_day``.

    A date-time field is cut at local midnight (``TIME_ZONE``), so a case closed at 23:59 in
    Xiamen belongs to that day; a date field is taken as it is.
    """
    model, *path = [rows.model, *field.split("__")]
    for part in path[:-1]:
        model = model._meta.get_field(part).related_model
    if isinstance(model._meta.get_field(path[-1]), models.DateTimeField):
        start, end = day_bounds(first, last)
        return rows.filter(**{f"{field}__gte": start, f"{field}__lt": end}).annotate(
            stat_day=TruncDate(field, tzinfo=timezone.get_current_timezone())
        )
    return rows.filter(**{f"{field}__gte": first, f"{field}__lte": last}).annotate(stat_day=F(field))


# Cases ----------------------------------------------------------------------------------------


def _cases() -> QuerySet[Any]:
    """Every filed case with the three dimensions a figure is kept by: unit, item and channel."""
    from govhall.cases.constants import CaseStatus
    from govhall.cases.models import Case

    return (
        Case.objects.exclude(status=CaseStatus.DRAFT)
        .annotate(
            stat_unit=F("department_id"),
            stat_item=F("item_version__item__implementation_code"),
            stat_facet=_channel(),
        )
        .order_by()
    )


def _channel(path: str = "") -> SqlCase:
    """A case's channel (the facet of case figures): the provincial hall, a window, or online here."""
    return SqlCase(
        When(**{f"{path}submit_key__startswith": "province:"}, then=Value(PROVINCE)),
        When(**{f"{path}channel": WINDOW}, then=Value(WINDOW)),
        default=Value(ONLINE),
        output_field=CharField(),
    )


def _submitted(first: datetime.date, last: datetime.date) -> QuerySet[Any]:
    return _on(_cases(), "submitted_at", first, last)


def _submitted_online(first: datetime.date, last: datetime.date) -> QuerySet[Any]:
    """Applications filed online (here or on the provincial hall), not at a window (一窗受理)."""
    return _submitted(first, last).exclude(channel=WINDOW)


def _closed_online(first: datetime.date, last: datetime.date) -> QuerySet[Any]:
    """Cases closed in the days that had been applied for online."""
    return _closed(first, last).exclude(channel=WINDOW)


def _is_reminded_renewal() -> Q:
    """A case is a renewal (换证) filed after the platform reminded the holder that the licence was ending.

    Read from the reminders themselves (cases cannot know of proactive's), not from ``Case.origin``.
    """
    from django.db.models import Exists, OuterRef

    from govhall.proactive.models import RenewalReminder

    reminded = RenewalReminder.objects.filter(
        licence__public_id=OuterRef("renews_licence"), sent_at__lte=OuterRef("submitted_at")
    )
    return Q(renews_licence__isnull=False) & Q(Exists(reminded))


def _renewals_reminded(first: datetime.date, last: datetime.date) -> QuerySet[Any]:
    """Renewals (换证) filed after the platform reminded the holder that the licence was ending (a proactive start)."""
    return _submitted(first, last).filter(_is_reminded_renewal())


def _proactive_started(first: datetime.date, last: datetime.date) -> QuerySet[Any]:
    """Applications a proactive service started: a suggestion followed (``Case.origin``), or a renewal after
    its expiry reminder; a case that is both is one row."""
    return _submitted(first, last).filter(~Q(origin="") | _is_reminded_renewal())


def _grants(first: datetime.date, last: datetime.date) -> QuerySet[Any]:
    """免申即享 benefits granted in the days: services given without any application."""
    from govhall.proactive.models import EntitlementGrant, GrantStatus

    grants = EntitlementGrant.objects.filter(status=GrantStatus.GRANTED).annotate(
        stat_unit=F("entitlement__department_id"), stat_item=Value(""), stat_facet=Value("")
    )
    return _on(grants.order_by(), "granted_at", first, last)


def _reminded(first: datetime.date, last: datetime.date) -> QuerySet[Any]:
    """Renewal reminders sent in the days (one licence may be reminded at several steps; counted once a day)."""
    from govhall.proactive.models import RenewalReminder

    reminders = RenewalReminder.objects.annotate(
        stat_unit=Value(None, output_field=IntegerField()), stat_item=Value(""), stat_facet=Value("")
    )
    return _on(reminders.order_by(), "sent_at", first, last)


def _bundle_filings(first: datetime.date, last: datetime.date) -> QuerySet[Any]:
    """一件事 filings in the days (each made a case per item); facet: the bundle."""
    from govhall.proactive.models import BundleFiling

    filings = BundleFiling.objects.annotate(
        stat_unit=Value(None, output_field=IntegerField()), stat_item=Value(""), stat_facet=F("bundle__code")
    )
    return _on(filings.order_by(), "filed_at", first, last)


def _suggestion_tallies(first: datetime.date, last: datetime.date) -> QuerySet[Any]:
    """Suggestions shown and taken per day, item and source (推荐办理; counted, never per person)."""
    from govhall.proactive.models import SuggestionTally

    tallies = SuggestionTally.objects.annotate(
        stat_unit=F("item__department_id"), stat_item=F("item__implementation_code"), stat_facet=F("source")
    )
    return _on(tallies.order_by(), "day", first, last)


def _inspections_done(first: datetime.date, last: datetime.date) -> QuerySet[Any]:
    """Post-licence inspections (证后检查) whose result was recorded in the days; facet: the result."""
    from govhall.inspections.constants import InspectionStatus
    from govhall.inspections.models import Inspection

    done = Inspection.objects.filter(status=InspectionStatus.DONE).annotate(
        stat_unit=F("plan__department_id"), stat_item=Value(""), stat_facet=F("result")
    )
    return _on(done.order_by(), "done_at", first, last)


def _inspections_on_time(first: datetime.date, last: datetime.date) -> QuerySet[Any]:
    return _inspections_done(first, last).filter(stat_day__lte=F("due_on"))


def _accepted(first: datetime.date, last: datetime.date) -> QuerySet[Any]:
    return _on(_cases(), "accepted_on", first, last)


def _closed(first: datetime.date, last: datetime.date) -> QuerySet[Any]:
    """Cases closed (办结) in the days with a decision, granted or refused; withdrawals and 不予受理 are not 办结."""
    from govhall.cases.constants import CaseStatus

    return _on(_cases().filter(status=CaseStatus.CLOSED, accepted_on__isnull=False), "closed_at", first, last)


def _closed_working_limit(first: datetime.date, last: datetime.date) -> QuerySet[Any]:
    """Closed cases whose item version's committed limit is in working days (the average limit's denominator)."""
    from govhall.catalog.constants import LimitUnit

    return _closed(first, last).filter(item_version__committed_unit=LimitUnit.WORKING_DAYS)


def _closed_on_time(first: datetime.date, last: datetime.date) -> QuerySet[Any]:
    return _closed(first, last).filter(Q(due_on__isnull=True) | Q(stat_day__lte=F("due_on")))


def _closed_early(first: datetime.date, last: datetime.date) -> QuerySet[Any]:
    return _closed(first, last).filter(due_on__isnull=False, stat_day__lt=F("due_on"))


def _closed_late(first: datetime.date, last: datetime.date) -> QuerySet[Any]:
    return _closed(first, last).filter(due_on__isnull=False, stat_day__gt=F("due_on"))


def _closed_same_day(first: datetime.date, last: datetime.date) -> QuerySet[Any]:
    return _closed(first, last).filter(stat_day=F("accepted_on"))


def _closed_fully_online(first: datetime.date, last: datetime.date) -> QuerySet[Any]:
    """Filed online (portal or provincial hall) for an item whose guide asks no visit (到现场次数 0).

    Every decision here is an electronic document signed by the bureau, so the result is
    electronic; the visits are the guide's promise until the hall records real visits.
    """
    return _closed(first, last).filter(item_version__visits=0)


def _hall_visits(first: datetime.date, last: datetime.date) -> QuerySet[Any]:
    """Visits to the hall for a case (跑动), on the day of the visit: each case a hall ticket served
    (filed at the window, or its result collected), once per case and day. Facet: the case's channel."""
    from govhall.cases.constants import CaseStatus
    from govhall.halls.models import Ticket, TicketCase

    days = Ticket.objects.filter(day__gte=first, day__lte=last).values("pk")
    return (
        TicketCase.objects.filter(ticket__in=days)
        .exclude(case__status=CaseStatus.DRAFT)
        .annotate(
            stat_day=F("ticket__day"),
            stat_unit=F("case__department_id"),
            stat_item=F("case__item_version__item__implementation_code"),
            stat_facet=_channel("case__"),
        )
        .order_by()
    )


def _fees_paid(first: datetime.date, last: datetime.date) -> QuerySet[Any]:
    """Fees paid in the days (the payments app's 缴费 events), one row per payment; facet: online or window."""
    from govhall.cases.constants import EventKind
    from govhall.cases.models import CaseEvent

    events = CaseEvent.objects.filter(kind=EventKind.FEE_PAID).annotate(
        stat_unit=F("case__department_id"),
        stat_item=F("case__item_version__item__implementation_code"),
        stat_facet=SqlCase(When(data__channel="window", then=Value("window")), default=Value(ONLINE),
                           output_field=CharField()),
    )  # fmt: skip
    return _on(events.order_by(), "created_at", first, last)


def _fees_paid_online(first: datetime.date, last: datetime.date) -> QuerySet[Any]:
    return _fees_paid(first, last).exclude(data__channel="window")


def _served(first: datetime.date, last: datetime.date) -> QuerySet[Any]:
    """Results served in the days (the delivery app's 送达 events), one row per case; facet: how (window, ems, electronic)."""
    from govhall.cases.constants import EventKind
    from govhall.cases.models import CaseEvent

    events = CaseEvent.objects.filter(kind=EventKind.SERVED).annotate(
        stat_unit=F("case__department_id"),
        stat_item=F("case__item_version__item__implementation_code"),
        stat_facet=SqlCase(When(data__how="ems", then=Value("ems")), When(data__how="window", then=Value("window")),
                           default=Value("electronic"), output_field=CharField()),
    )  # fmt: skip
    return _on(events.order_by(), "created_at", first, last)


def _served_by_post(first: datetime.date, last: datetime.date) -> QuerySet[Any]:
    return _served(first, last).filter(data__how="ems")


def _corrections(first: datetime.date, last: datetime.date) -> QuerySet[Any]:
    """一次性告知补正 sent in the days, one row per request (a case told on two days counts on each)."""
    from govhall.cases.constants import EventKind
    from govhall.cases.models import CaseEvent

    events = CaseEvent.objects.filter(kind=EventKind.CORRECTION_REQUESTED).annotate(
        stat_unit=F("case__department_id"),
        stat_item=F("case__item_version__item__implementation_code"),
        stat_facet=SqlCase(
            When(case__submit_key__startswith="province:", then=Value(PROVINCE)),
            default=Value(ONLINE),
            output_field=CharField(),
        ),
    )
    return _on(events.order_by(), "created_at", first, last)


def handling_days(row: dict[str, Any], calendar: Any) -> int:
    """Working days from acceptance to the day closed, less the days the clock was stopped."""
    closed_day = timezone.localdate(row["closed_at"])
    days = calendar.working_days_between(row["accepted_on"], closed_day) - (row["paused_working_days"] or 0)
    return max(0, days)


# Materials ------------------------------------------------------------------------------------


def _materials(first: datetime.date, last: datetime.date) -> QuerySet[Any]:
    """The current materials of the cases submitted in the days, uploaded or taken from a held licence.

    Dated by the case's submission, not by the upload: a draft's files are uploaded days
    before the licence materials are attached at submission, and a correction replaces a
    material in its slot (the slot is counted once, as it stands).
    """
    from govhall.cases.constants import CaseStatus
    from govhall.cases.models import CaseMaterial

    materials = (
        CaseMaterial.objects.filter(is_current=True)
        .exclude(case__status=CaseStatus.DRAFT)
        .annotate(
            stat_unit=F("case__department_id"),
            stat_item=F("case__item_version__item__implementation_code"),
            stat_facet=SqlCase(
                When(case__submit_key__startswith="province:", then=Value(PROVINCE)),
                default=Value(ONLINE),
                output_field=CharField(),
            ),
        )
        .order_by()
    )
    return _on(materials, "case__submitted_at", first, last)


def _materials_reused(first: datetime.date, last: datetime.date) -> QuerySet[Any]:
    return _materials(first, last).filter(licence__isnull=False)


# Ratings, complaints, supervision, look-ups, alarms, disclosure ---------------------------------


def _ratings(first: datetime.date, last: datetime.date) -> QuerySet[Any]:
    """First ratings (not 追加) given in the days; removed malicious ones left out (as the service report)."""
    from govhall.ratings.models import Rating

    ratings = Rating.objects.filter(is_follow_up=False, is_removed=False).annotate(
        stat_unit=F("department_id"),
        stat_item=F("case__item_version__item__implementation_code"),
        stat_facet=F("channel"),
    )
    return _on(ratings.order_by(), "rated_at", first, last)


def _ratings_good(first: datetime.date, last: datetime.date) -> QuerySet[Any]:
    from govhall.stats.figures import GOOD_LEVELS

    return _ratings(first, last).filter(level__in=GOOD_LEVELS)


def _complaints_answered(first: datetime.date, last: datetime.date) -> QuerySet[Any]:
    from govhall.complaints.models import Complaint

    complaints = Complaint.objects.annotate(
        stat_unit=F("department_id"), stat_item=F("item__implementation_code"), stat_facet=F("kind")
    )
    return _on(complaints.order_by(), "answered_at", first, last)


def _complaints_on_time(first: datetime.date, last: datetime.date) -> QuerySet[Any]:
    return _complaints_answered(first, last).filter(stat_day__lte=F("due_on"))


def _orders_of_units() -> QuerySet[Any]:
    from govhall.complaints.models import SupervisionOrder

    return SupervisionOrder.objects.annotate(
        stat_unit=F("department_id"),
        stat_item=F("case__item_version__item__implementation_code"),
        stat_facet=F("level"),
    ).order_by()


def _orders(first: datetime.date, last: datetime.date) -> QuerySet[Any]:
    return _on(_orders_of_units(), "raised_at", first, last)


def _orders_replied(first: datetime.date, last: datetime.date) -> QuerySet[Any]:
    return _on(_orders_of_units(), "replied_at", first, last)


def _orders_replied_on_time(first: datetime.date, last: datetime.date) -> QuerySet[Any]:
    return _orders_replied(first, last).filter(stat_day__lte=F("reply_due_on"))


def _lookups(first: datetime.date, last: datetime.date) -> QuerySet[Any]:
    """One-code (一码) dossier look-ups that were allowed, by their stated purpose (from the audit trail)."""
    from govhall.audit.models import AuditOutcome, AuditRecord

    looked = AuditRecord.objects.filter(event="dossier.looked_up", outcome=AuditOutcome.SUCCESS)
    return _on(looked.order_by(), "occurred_at", first, last)


def _alarms(first: datetime.date, last: datetime.date) -> QuerySet[Any]:
    from govhall.sensors.models import Alarm

    alarms = Alarm.objects.annotate(
        stat_unit=F("station__department_id"), stat_item=Value(""), stat_facet=F("severity")
    )
    return _on(alarms.order_by(), "activated_at", first, last)


def _alarms_acknowledged(first: datetime.date, last: datetime.date) -> QuerySet[Any]:
    return _alarms(first, last).filter(acknowledged_at__isnull=False)


def _disclosures_answered(first: datetime.date, last: datetime.date) -> QuerySet[Any]:
    from govhall.publicinfo.models import DisclosureRequest

    answered = DisclosureRequest.objects.annotate(
        stat_unit=Value(None, output_field=IntegerField()), stat_item=Value(""), stat_facet=Value("")
    )
    return _on(answered.order_by(), "answered_on", first, last)


def _disclosures_on_time(first: datetime.date, last: datetime.date) -> QuerySet[Any]:
    return _disclosures_answered(first, last).filter(answered_on__lte=F("due_on"))


def _questions_answered(first: datetime.date, last: datetime.date) -> QuerySet[Any]:
    """Questions (咨询) and error reports (我要纠错) answered in the days, by kind."""
    from govhall.publicinfo.models import Question

    answered = Question.objects.annotate(
        stat_unit=Value(None, output_field=IntegerField()),
        stat_item=SqlCase(When(item__isnull=False, then=F("item__implementation_code")), default=Value("")),
        stat_facet=F("kind"),
    )
    return _on(answered.order_by(), "answered_at", first, last)


def _questions_on_time(first: datetime.date, last: datetime.date) -> QuerySet[Any]:
    return _questions_answered(first, last).filter(stat_day__lte=F("due_on"))


# Items (a stock: the live catalog on the day) -------------------------------------------------


def live_items(day: datetime.date) -> list[Any]:
    """The item versions live on ``day`` (catalog.queries.live_versions), secret ones included."""
    from govhall.catalog.queries import live_versions

    return list(live_versions(day))


def _is_public(version: Any) -> bool:
    from govhall.catalog.constants import Secrecy

    return version.secrecy == Secrecy.NONE


ITEM_TESTS: dict[str, Callable[[Any], bool]] = {
    "items": lambda v: True,
    "items_public": _is_public,
    "items_level3": lambda v: _is_public(v) and v.online_level in ("III", "IV"),
    "items_level4": lambda v: _is_public(v) and v.online_level == "IV",
    "items_in_hall": lambda v: _is_public(v) and v.in_hall,
    "items_one_visit": lambda v: _is_public(v) and v.visits <= 1,
    "items_no_visit": lambda v: _is_public(v) and v.visits == 0,
    "items_online_payment": lambda v: _is_public(v) and v.online_payment,
    "items_express": lambda v: _is_public(v) and v.express_delivery,
    "items_appointment": lambda v: _is_public(v) and v.appointment,
}


# The registry ---------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Counter:
    """What is counted on one day. ``rows(first, last)`` is the definition; ``source`` says what a row is."""

    key: str
    label: Any
    source: str
    rows: Callable[[datetime.date, datetime.date], QuerySet[Any]] | None = None
    basis: str = FLOW
    requires: tuple[str, ...] = ()


COUNTERS: dict[str, Counter] = {
    counter.key: counter
    for counter in [
        Counter("submitted", _("提交申请的办件"), CASES, _submitted),
        Counter("submitted_online", _("网上提交申请的办件"), CASES, _submitted_online, requires=("halls",)),
        Counter("closed_online", _("网上申请且已办结的办件"), CASES, _closed_online, requires=("halls",)),
        Counter("accepted", _("受理的办件"), CASES, _accepted),
        Counter("renewals_reminded", _("到期提醒后提交的换证申请"), CASES, _renewals_reminded, requires=("proactive",)),
        Counter("proactive_started", _("主动服务发起的申请"), CASES, _proactive_started, requires=("proactive",)),
        Counter("grants", _("免申即享兑现"), GRANTS, _grants, requires=("proactive",)),
        Counter("reminded", _("收到到期提醒的证照"), REMINDERS, _reminded, requires=("proactive",)),
        Counter("bundle_filings", _("一件事申请"), BUNDLES, _bundle_filings, requires=("proactive",)),
        Counter("suggestions_shown", _("展示的推荐办理"), SUGGESTIONS, _suggestion_tallies, requires=("proactive",)),
        Counter("suggestions_taken", _("被点开办理的推荐"), SUGGESTIONS, _suggestion_tallies, requires=("proactive",)),
        Counter("inspections_done", _("完成的证后检查"), INSPECTIONS, _inspections_done, requires=("inspections",)),
        Counter(
            "inspections_on_time",
            _("按期完成的证后检查"),
            INSPECTIONS,
            _inspections_on_time,
            requires=("inspections",),
        ),  # fmt: skip
        Counter("closed", _("办结的办件"), CASES, _closed),
        Counter("closed_on_time", _("按时办结的办件"), CASES, _closed_on_time),
        Counter("closed_early", _("提前办结的办件"), CASES, _closed_early),
        Counter("closed_late", _("超期办结的办件"), CASES, _closed_late),
        Counter("closed_same_day", _("当日办结的办件"), CASES, _closed_same_day),
        Counter(
            "hall_visits", _("为办件到大厅的次数（同一办件同一天计一次）"), EVENTS, _hall_visits, requires=("halls",)
        ),
        Counter("closed_fully_online", _("全程网办的办件"), CASES, _closed_fully_online),
        Counter("handling_days", _("办结办件的办理工作日"), CASES, _closed),
        # The same cases, per day and unit only, with how many took each number of working days:
        Counter("handling_spread", _("办结办件的办理工作日分布"), CASES, _closed),
        Counter("committed_days", _("办结办件的承诺时限（工作日）"), CASES, _closed),
        Counter("closed_working_limit", _("承诺时限以工作日计的办结办件"), CASES, _closed_working_limit),
        Counter("corrections", _("补正告知"), EVENTS, _corrections),
        Counter("fees_paid", _("缴费（笔）"), EVENTS, _fees_paid, requires=("payments",)),
        Counter("fees_paid_online", _("网上缴费（笔）"), EVENTS, _fees_paid_online, requires=("payments",)),
        Counter("served", _("送达的办理结果"), EVENTS, _served, requires=("delivery",)),
        Counter("served_by_post", _("邮寄送达的办理结果"), EVENTS, _served_by_post, requires=("delivery",)),
        Counter("materials", _("办件材料"), MATERIALS, _materials),
        Counter("materials_reused", _("由证照库提供的材料"), MATERIALS, _materials_reused),
        Counter("ratings", _("评价"), RATINGS, _ratings, requires=("ratings",)),
        Counter("ratings_good", _("好评"), RATINGS, _ratings_good, requires=("ratings",)),
        Counter("complaints_answered", _("答复的投诉举报"), COMPLAINTS, _complaints_answered, requires=("complaints",)),
        Counter(
            "complaints_on_time", _("按时答复的投诉举报"), COMPLAINTS, _complaints_on_time, requires=("complaints",)
        ),
        Counter("orders", _("发起的督办"), ORDERS, _orders, requires=("complaints",)),
        Counter("orders_replied", _("回复的督办"), ORDERS, _orders_replied, requires=("complaints",)),
        Counter(
            "orders_replied_on_time", _("按时回复的督办"), ORDERS, _orders_replied_on_time, requires=("complaints",)
        ),
        Counter("lookups", _("一码档案查询"), LOOKUPS, _lookups, requires=("dossier",)),
        Counter("alarms", _("发出的报警"), ALARMS, _alarms, requires=("sensors",)),
        Counter("alarms_acknowledged", _("已签收的报警"), ALARMS, _alarms_acknowledged, requires=("sensors",)),
        Counter("questions_answered", _("答复的咨询和纠错"), QUESTIONS, _questions_answered, requires=("publicinfo",)),
        Counter(
            "questions_on_time", _("按时答复的咨询和纠错"), QUESTIONS, _questions_on_time, requires=("publicinfo",)
        ),
        Counter(
            "disclosures_answered", _("答复的依申请公开"), DISCLOSURES, _disclosures_answered, requires=("publicinfo",)
        ),
        Counter(
            "disclosures_on_time",
            _("按时答复的依申请公开"),
            DISCLOSURES,
            _disclosures_on_time,
            requires=("publicinfo",),
        ),
        *[
            Counter(key, label, ITEMS, basis=STOCK)
            for key, label in [
                ("items", _("在用事项")),
                ("items_public", _("非涉密事项")),
                ("items_level3", _("网办深度三级及以上的事项")),
                ("items_level4", _("网办深度四级的事项")),
                ("items_in_hall", _("进驻政务大厅的事项")),
                ("items_one_visit", _("最多跑一次的事项")),
                ("items_no_visit", _("零跑动的事项")),
                ("items_online_payment", _("支持网上支付的事项")),
                ("items_express", _("支持物流快递的事项")),
                ("items_appointment", _("支持预约办理的事项")),
            ]
        ],
    ]
}

RATE, COUNT, AVERAGE, P90 = "rate", "count", "average", "p90"

GROUPS = {
    "items": _("事项"),
    "cases": _("办件"),
    "reuse": _("减材料与数据共享"),
    "ratings": _("好差评、投诉与督办"),
    "proactive": _("主动服务"),
    "sensors": _("物联网监测"),
    "publicinfo": _("政务公开"),
    "later": _("待相关功能上线后统计"),
}

# Apps this platform will have; a measure needing one that is not installed waits for it:
WAITING_FOR = {
    "halls": _("实体大厅窗口受理上线后统计"),
    "payments": _("缴费功能上线后统计"),
    "delivery": _("结果送达功能上线后统计"),
}


@dataclasses.dataclass(frozen=True)
class Measure:
    """One indicator as readers see it. Its value comes from counters only (``evaluate``)."""

    key: str
    title: Any
    group: str
    kind: str
    numerator: str
    denominator: str = ""
    target: float | None = None
    lower_is_better: bool = False
    requires: tuple[str, ...] = ()
    definition: Any = ""

    @property
    def counters(self) -> tuple[str, ...]:
        return tuple(key for key in (self.numerator, self.denominator) if key)

    @property
    def is_available(self) -> bool:
        needed = set(self.requires)
        for key in self.counters:
            needed.update(COUNTERS[key].requires if key in COUNTERS else ())
        return all(apps.is_installed(f"govhall.{label}") for label in needed)

    @property
    def waiting_for(self) -> str:
        missing = [label for label in self.requires if not apps.is_installed(f"govhall.{label}")]
        return str(WAITING_FOR.get(missing[0], "")) if missing else ""


MEASURES: dict[str, Measure] = {
    measure.key: measure
    for measure in [
        # 事项 (the plan's targets):
        Measure("online_level3", _("网办深度三级及以上事项占比"), "items", RATE, "items_level3", "items_public", 90,
                definition=_("非涉密在用事项中，网上办理深度达到三级（三星）及以上的比例。")),
        Measure("online_level4", _("全程网办（四级）事项占比"), "items", RATE, "items_level4", "items_public", 60,
                definition=_("非涉密在用事项中，网上办理深度达到四级（四星）的比例。")),
        Measure("in_hall", _("进驻大厅事项占比"), "items", RATE, "items_in_hall", "items_public", 100,
                definition=_("非涉密在用事项中，进驻政务大厅办理的比例。")),
        Measure("one_visit", _("最多跑一次事项占比"), "items", RATE, "items_one_visit", "items_public",
                definition=_("非涉密在用事项中，办事指南规定到现场不超过一次的比例。")),
        Measure("no_visit", _("零跑动事项占比"), "items", RATE, "items_no_visit", "items_public",
                definition=_("非涉密在用事项中，办事指南规定无需到现场的比例。")),
        Measure("online_payment", _("支持网上支付事项占比"), "items", RATE, "items_online_payment", "items_public"),
        Measure("express", _("支持物流快递事项占比"), "items", RATE, "items_express", "items_public"),
        Measure("appointment", _("支持预约办理事项占比"), "items", RATE, "items_appointment", "items_public"),
        # 办件:
        Measure("submitted", _("申请件数"), "cases", COUNT, "submitted"),
        Measure("closed", _("办结件数"), "cases", COUNT, "closed"),
        Measure("fully_online", _("全程网办率"), "cases", RATE, "closed_fully_online", "closed",
                definition=_("办结件中，网上或省网上办事大厅提交、事项无需到现场、结果为电子文书的比例。")),
        Measure("on_time", _("按时办结率"), "cases", RATE, "closed_on_time", "closed", 100,
                definition=_("办结件中，在承诺办结日期当日或之前办结的比例。")),
        Measure("early", _("提前办结率"), "cases", RATE, "closed_early", "closed",
                definition=_("办结件中，在承诺办结日期之前办结的比例。")),
        Measure("late", _("超期办结率"), "cases", RATE, "closed_late", "closed", 0, lower_is_better=True,
                definition=_("办结件中，晚于承诺办结日期办结的比例。")),
        Measure("same_day", _("即办结率"), "cases", RATE, "closed_same_day", "closed",
                definition=_("办结件中，受理当日即办结的比例。")),
        Measure("handling_average", _("平均办理时间（工作日）"), "cases", AVERAGE, "handling_days", "closed",
                lower_is_better=True, definition=_("办结件从受理到办结的工作日数（扣除补正、特别程序等暂停计时）的平均值。")),
        Measure("handling_p90", _("90%办件的办理时间不超过（工作日）"), "cases", P90, "handling_spread",
                lower_is_better=True, definition=_("办结件办理工作日数的第90百分位。")),
        Measure("committed_average", _("平均承诺时限（工作日）"), "cases", AVERAGE, "committed_days", "closed_working_limit",
                definition=_("承诺时限以工作日计的办结件，其事项版本承诺办结时限的平均值，与平均办理时间对照。")),
        Measure("correction_rate", _("补正率"), "cases", RATE, "corrections", "submitted", lower_is_better=True,
                definition=_("收到一次性告知补正的办件数与提交申请件数之比（同一办件在不同日期补正的，分别计数）。")),
        # 减材料:
        Measure("reuse_rate", _("减材料率（证照库复用）"), "reuse", RATE, "materials_reused", "materials",
                definition=_("办件材料中，由电子证照库提供、申请人无需提交的比例。")),
        Measure("licences_reused", _("电子证照复用次数"), "reuse", COUNT, "materials_reused"),
        Measure("lookups", _("一码档案查询次数"), "reuse", COUNT, "lookups",
                definition=_("工作人员说明目的后查询一码档案的次数（审计记录中允许的查询），按目的分列。")),
        # 好差评、投诉与督办:
        Measure("good_rate", _("好评率"), "ratings", RATE, "ratings_good", "ratings",
                definition=_("当期首次评价（不含追加评价和已认定的恶意评价）中，非常满意、满意和基本满意的比例。")),
        Measure("complaints_on_time", _("投诉举报按时答复率"), "ratings", RATE, "complaints_on_time",
                "complaints_answered", 100, definition=_("当期答复的投诉举报中，在答复期限内答复的比例。")),
        Measure("orders", _("督办件数"), "ratings", COUNT, "orders", lower_is_better=True),
        Measure("orders_on_time", _("督办按时回复率"), "ratings", RATE, "orders_replied_on_time", "orders_replied",
                100, definition=_("当期回复的督办中，在回复期限内回复的比例。")),
        # 主动服务:
        Measure("reminded_renewals", _("到期提醒后主动换证占比"), "proactive", RATE, "renewals_reminded", "submitted",
                definition=_("提交的申请中，平台提醒证照即将到期后持证人提交的换证申请所占比例。")),
        Measure("proactive_share", _("主动服务发起占比"), "proactive", RATE, "proactive_started", "submitted",
                definition=_("提交的申请中，由平台主动服务发起的比例：申请人从推荐办理进入后在网上提交的申请，"
                             "以及到期提醒后提交的换证申请（同一申请只计一次）。")),
        Measure("grants", _("免申即享兑现次数"), "proactive", COUNT, "grants",
                definition=_("无需申请、由平台依据已有数据兑现的政策次数。")),
        Measure("bundle_filings", _("一件事申请件数"), "proactive", COUNT, "bundle_filings",
                definition=_("当期一并申请“一件事”的次数（每次为其中每个事项各生成一个办件）。")),
        Measure("reminded", _("到期提醒证照数"), "proactive", COUNT, "reminded",
                definition=_("平台主动提醒持证人证照即将到期的证照数（同一证照同一天计一次）。")),
        Measure("suggestions_taken", _("推荐办理采纳率"), "proactive", RATE, "suggestions_taken", "suggestions_shown",
                definition=_("在“我的办事空间”展示的推荐办理中，被点开办理的比例（按次计，不记录到人）。")),
        Measure("inspections_on_time", _("证后检查按期完成率"), "proactive", RATE, "inspections_on_time",
                "inspections_done", 100, definition=_("当期完成的证后检查中，在检查期限内完成的比例。")),
        # 物联网监测:
        Measure("alarms", _("发出报警次数"), "sensors", COUNT, "alarms"),
        Measure("alarms_acknowledged", _("报警签收率"), "sensors", RATE, "alarms_acknowledged", "alarms", 100,
                definition=_("当期发出的报警中，已由值班人员签收的比例（计算时的状态）。")),
        # 政务公开:
        Measure("disclosures_on_time", _("依申请公开按时答复率"), "publicinfo", RATE, "disclosures_on_time",
                "disclosures_answered", 100, definition=_("当期答复的政府信息公开申请中，在答复期限内答复的比例。")),
        Measure("questions_on_time", _("咨询和纠错按时答复率"), "publicinfo", RATE, "questions_on_time",
                "questions_answered", 100,
                definition=_("当期答复的网上咨询和“我要纠错”意见中，在答复期限内答复的比例，按类别分列。")),
        # Waiting for the work that collects their data:
        Measure("online_application", _("网上申请率"), "cases", RATE, "submitted_online", "submitted",
                requires=("halls",),
                definition=_("提交的申请中，经网上（含省网上办事大厅）提交的比例；其余为大厅窗口受理（一窗受理）。")),
        Measure("online_closed", _("网上办结率"), "cases", RATE, "closed_online", "closed", requires=("halls",),
                definition=_("办结的办件中，由网上申请（含省网上办事大厅）的比例。")),
        Measure("visits_per_case", _("平均跑动次数"), "cases", AVERAGE, "hall_visits", "closed", requires=("halls",),
                definition=_("当期为办件到大厅的次数（在窗口取号并关联办件：窗口申请、领取结果；同一办件同一天计一次）"
                             "除以当期办结的办件数。网上申请、网上送达的办件不到大厅。")),
        Measure("paid_online", _("网上缴费率"), "cases", RATE, "fees_paid_online", "fees_paid", requires=("payments",),
                definition=_("当期缴清的费用中，经财政非税收入平台网上缴纳的比例（其余为窗口刷卡或现金）。")),
        Measure("delivered_by_post", _("结果邮寄送达率"), "cases", RATE, "served_by_post", "served",
                requires=("delivery",),
                definition=_("当期送达的办理结果中，经EMS寄递并签收的比例（其余为窗口领取或网上下载）。")),
    ]
}  # fmt: skip


def counters_to_compute() -> list[Counter]:
    """The counters whose data this platform holds (their apps are installed)."""
    return [c for c in COUNTERS.values() if all(apps.is_installed(f"govhall.{label}") for label in c.requires)]


def count_rows(
    counter: Counter, first: datetime.date, last: datetime.date, *, calendar: Any = None, live: Any = None
) -> list[dict[str, Any]]:
    """The counter's figures of the days: a dict per day, unit, item and facet with "value" (and "histogram").

    One grouped query over the days (a month is one query, not thirty). ``live(day)`` gives
    the items live on a day (the caller may keep them across counters).
    """
    if counter.source == ITEMS:
        return _count_items(counter, first, last, live or live_items)
    assert counter.rows is not None
    rows = counter.rows(first, last)
    if counter.source == LOOKUPS:
        purposes = Tally(
            (day, str((extra or {}).get("purpose", ""))) for day, extra in rows.values_list("stat_day", "extra")
        )
        return [_row(day, None, "", p, n) for (day, p), n in purposes.items()]
    if counter.key in ("handling_days", "handling_spread"):
        return _count_handling_days(rows, calendar, spread=counter.key == "handling_spread")
    if counter.key == "reminded":
        from django.db.models import Count

        grouped = rows.values("stat_day", "stat_unit", "stat_item", "stat_facet").annotate(
            n=Count("licence", distinct=True)
        )
        return [_row(*_key(row), row["n"]) for row in grouped]
    if counter.key in ("suggestions_shown", "suggestions_taken"):
        from django.db.models import Sum

        column = "shown" if counter.key == "suggestions_shown" else "taken"
        summed = rows.values("stat_day", "stat_unit", "stat_item", "stat_facet").annotate(n=Sum(column))
        return [_row(*_key(row), row["n"] or 0) for row in summed]
    if counter.key == "hall_visits":
        from django.db.models import Count

        # One visit per case and day, however many tickets served it that day:
        grouped = rows.values("stat_day", "stat_unit", "stat_item", "stat_facet").annotate(
            n=Count("case", distinct=True)
        )
        return [_row(*_key(row), row["n"]) for row in grouped]
    if counter.key == "committed_days":
        from govhall.catalog.constants import LimitUnit

        totals: Tally[Key] = Tally()
        for row in rows.values("stat_day", "stat_unit", "stat_item", "stat_facet", "item_version__committed_limit",
                                "item_version__committed_unit"):  # fmt: skip
            working = row["item_version__committed_unit"] == LimitUnit.WORKING_DAYS
            totals[_key(row)] += (row["item_version__committed_limit"] or 0) if working else 0
        return [_row(*key, n) for key, n in totals.items()]
    from django.db.models import Count

    return [
        _row(*_key(row), row["n"])
        for row in rows.values("stat_day", "stat_unit", "stat_item", "stat_facet").annotate(n=Count("pk"))
    ]


Key = tuple[Any, Any, str, str]  # day, unit, item, facet


def _key(row: dict[str, Any]) -> Key:
    return (row["stat_day"], row["stat_unit"], row["stat_item"] or "", row["stat_facet"] or "")


def _row(day: Any, unit: Any, item: str, facet: str, value: int, histogram: Any = None) -> dict[str, Any]:
    return {"day": day, "unit": unit, "item": item, "facet": facet, "value": value, "histogram": histogram}


def _count_handling_days(rows: QuerySet[Any], calendar: Any, *, spread: bool) -> list[dict[str, Any]]:
    """Working days of the closed cases: their sum per day, unit, item and channel (for averages), or
    with ``spread`` how many took each number of days, per day and unit only (a p90 adds these up:
    a few rows a day instead of one per item and channel)."""
    if calendar is None:
        from govhall.holidays.queries import get_calendar

        calendar = get_calendar()
    grouped: dict[Key, Tally[int]] = {}
    for row in rows.values("stat_day", "stat_unit", "stat_item", "stat_facet", "accepted_on", "closed_at",
                           "paused_working_days"):  # fmt: skip
        key = (row["stat_day"], row["stat_unit"], "", "") if spread else _key(row)
        grouped.setdefault(key, Tally())[handling_days(row, calendar)] += 1
    if spread:
        return [
            _row(*key, sum(hist.values()), {str(d): n for d, n in sorted(hist.items())})
            for key, hist in grouped.items()
        ]
    return [_row(*key, sum(d * n for d, n in hist.items())) for key, hist in grouped.items()]


def _count_items(
    counter: Counter, first: datetime.date, last: datetime.date, live: Callable[[datetime.date], list[Any]]
) -> list[dict[str, Any]]:
    test = ITEM_TESTS[counter.key]
    rows = []
    day = first
    while day <= last:
        per_unit: Tally[Any] = Tally(version.item.department_id for version in live(day) if test(version))
        rows += [_row(day, unit, "", "", n) for unit, n in per_unit.items()]
        day += datetime.timedelta(days=1)
    return rows


def items_behind(counter_key: str, day: datetime.date, departments: list[int] | None) -> list[Any]:
    """The live item versions a stock counter counted on ``day`` (the drill-down of an item measure)."""
    test = ITEM_TESTS[counter_key]
    return [v for v in live_items(day) if test(v) and (departments is None or v.item.department_id in departments)]


def rows_behind(
    counter_key: str,
    first: datetime.date,
    last: datetime.date,
    *,
    departments: list[int] | None,
    item: str = "",
    facet: str = "",
) -> QuerySet[Any]:
    """The rows a flow counter counted in the days (the drill-down), narrowed like the figure."""
    counter = COUNTERS[counter_key]
    assert counter.rows is not None
    rows = counter.rows(first, last)
    if counter.source in (LOOKUPS, DISCLOSURES):
        # Counted for the bureau only (no unit): a unit's view lists none, as its figure is none:
        if departments is not None:
            return rows.none()
        return rows.filter(extra__purpose=facet) if facet and counter.source == LOOKUPS else rows
    if departments is not None:
        rows = rows.filter(stat_unit__in=departments)
    if item:
        rows = rows.filter(stat_item=item)
    if facet:
        rows = rows.filter(stat_facet=facet)
    return rows


def evaluate(measure: Measure, sums: dict[str, int], histograms: dict[str, dict[str, int]]) -> float | None:
    """The measure's value from its counters' sums; None where there is nothing to count (never 0 %)."""
    top = sums.get(measure.numerator, 0)
    if measure.kind == COUNT:
        return float(top)
    if measure.kind == P90:
        return percentile(histograms.get(measure.numerator) or {}, 0.9)
    bottom = sums.get(measure.denominator, 0)
    if not bottom:
        return None
    if measure.kind == RATE:
        return round(100 * top / bottom, 1)
    return round(top / bottom, 1)


def percentile(histogram: dict[str, int], share: float) -> float | None:
    """The smallest value with at least ``share`` of the counted cases at or below it (nearest rank)."""
    total = sum(histogram.values())
    if not total:
        return None
    needed, seen = share * total, 0
    for value in sorted(histogram, key=int):
        seen += histogram[value]
        if seen >= needed:
            return float(int(value))
    return None


# The measures every unit is ranked on (the dashboard's units table, the export, the 通报):
HEADLINE = ("on_time", "late", "fully_online", "handling_average", "reuse_rate", "good_rate", "complaints_on_time")


def facet_labels(source: str) -> dict[str, str]:
    """What a counter's facet values mean, in the active language (channels, purposes, kinds, levels)."""
    if source == EVENTS:  # fees by channel, results served by how
        return {key: str(label) for key, label in {**CHANNEL_LABELS, **EVENT_FACET_LABELS}.items()}
    if source in (CASES, MATERIALS):
        return {key: str(label) for key, label in CHANNEL_LABELS.items()}
    choices: list[tuple[str, Any]] = []
    if source == LOOKUPS:
        from govhall.dossier.constants import Purpose

        choices = Purpose.choices
    elif source == RATINGS:
        from govhall.ratings.constants import Channel

        choices = Channel.choices
    elif source == COMPLAINTS:
        from govhall.complaints.constants import ComplaintKind

        choices = ComplaintKind.choices
    elif source == ORDERS:
        from govhall.complaints.constants import Level

        choices = Level.choices
    elif source == QUESTIONS:
        from govhall.publicinfo.constants import QuestionKind

        choices = QuestionKind.choices
    elif source == SUGGESTIONS:
        from govhall.proactive.models import SuggestionSource

        choices = SuggestionSource.choices
    elif source == INSPECTIONS:
        from govhall.inspections.constants import InspectionResult

        choices = InspectionResult.choices
    elif source == ALARMS:
        from govhall.sensors.constants import Severity

        choices = Severity.choices
    return {key: str(label) for key, label in choices}
