"""The service hall (实体大厅): service points, windows and who holds them, bookings, queue tickets, devices.

A hall hangs on the department tree; its windows serve queues, and a queue gathers the
catalog items it takes. Bookings and tickets are kept per person by a keyed hash of the ID
number (the number itself encrypted), and every change of a ticket is a timestamped event,
so that waiting, walking and service times are exact.
"""

from __future__ import annotations

import datetime
import uuid

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from govhall.halls.constants import (
    ACTIVE_BOOKING_STATUSES,
    AT_WINDOW_STATUSES,
    BookingChannel,
    BookingStatus,
    DeviceKind,
    HallKind,
    PriorityGroup,
    TicketCaseKind,
    TicketEventKind,
    TicketSource,
    TicketStatus,
    WindowKind,
)


def default_opening_hours() -> list[list[str]]:
    return [["08:30", "12:00"], ["14:30", "17:30"]]


def parse_opening_hours(value: object) -> list[tuple[datetime.time, datetime.time]]:
    """The opening hours of a working day as ordered (start, end) pairs; the gaps are the breaks.

    Raises ValidationError for anything else than ascending, non-overlapping "HH:MM" pairs.
    """
    message = _("开放时间应为若干个“开始—结束”时段（如 08:30—12:00），按时间先后排列且互不重叠。")
    if not isinstance(value, list) or not value:
        raise ValidationError(message)
    periods: list[tuple[datetime.time, datetime.time]] = []
    for pair in value:
        try:
            start, end = (datetime.time.fromisoformat(str(part)) for part in pair)
        except (TypeError, ValueError):
            raise ValidationError(message) from None
        if start >= end or (periods and start < periods[-1][1]):
            raise ValidationError(message)
        periods.append((start, end))
    return periods


class Hall(models.Model):
    """A service point: the district hall, a street centre or a community station (15分钟服务圈).

    Open on the working days of the database calendar, in ``opening_hours``; the booking and
    queue rules are data here, per hall.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    code = models.SlugField(_("大厅代码"), max_length=40, unique=True)
    name = models.CharField(_("大厅名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=12, choices=HallKind.choices, default=HallKind.DISTRICT)
    department = models.ForeignKey(
        "identity.Department", verbose_name=_("所属部门"), on_delete=models.PROTECT, related_name="halls"
    )
    address = models.CharField(_("地址"), max_length=200, blank=True)
    phone = models.CharField(_("咨询电话"), max_length=30, blank=True)
    opening_hours = models.JSONField(_("工作日开放时间"), default=default_opening_hours)
    slot_minutes = models.PositiveSmallIntegerField(_("预约时段长度（分钟）"), default=10)
    bookings_per_window = models.PositiveSmallIntegerField(_("每窗口每时段可预约人数"), default=1)
    booking_from_days = models.PositiveSmallIntegerField(_("最早可预约（几个工作日后）"), default=1)
    booking_days_ahead = models.PositiveSmallIntegerField(_("可提前预约天数"), default=60)
    booking_lead_minutes = models.PositiveSmallIntegerField(_("预约最晚提前（分钟）"), default=10)
    hold_minutes = models.PositiveSmallIntegerField(_("时段预留（分钟）"), default=30)
    cancel_release_minutes = models.PositiveSmallIntegerField(_("取消后时段释放（分钟）"), default=30)
    no_show_limit = models.PositiveSmallIntegerField(_("爽约次数上限"), default=3)
    no_show_window_days = models.PositiveSmallIntegerField(_("爽约统计天数"), default=30)
    no_show_block_days = models.PositiveSmallIntegerField(_("爽约后暂停网上预约天数"), default=30)
    check_in_early_minutes = models.PositiveSmallIntegerField(_("最早提前签到（分钟）"), default=60)
    late_grace_minutes = models.PositiveSmallIntegerField(_("迟到宽限（分钟）"), default=15)
    recall_seconds = models.PositiveSmallIntegerField(_("重呼最短间隔（秒）"), default=30)
    calls_before_missed = models.PositiveSmallIntegerField(_("叫号几次未到即过号"), default=3)
    near_turn_ahead = models.PositiveSmallIntegerField(_("前面还有几人时提醒"), default=3)
    service_target_minutes = models.PositiveSmallIntegerField(_("平均等候时间目标（分钟）"), default=15)
    notice = models.TextField(_("大厅公告"), blank=True)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("服务大厅")
        verbose_name_plural = _("服务大厅")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        try:
            parse_opening_hours(self.opening_hours)
        except ValidationError as error:
            raise ValidationError({"opening_hours": error.messages}) from None
        if not 5 <= self.slot_minutes <= 60:
            raise ValidationError({"slot_minutes": _("预约时段长度应在 5 到 60 分钟之间。")})

    @property
    def periods(self) -> list[tuple[datetime.time, datetime.time]]:
        return parse_opening_hours(self.opening_hours)


class Queue(models.Model):
    """A queue of the hall (an item group): its ticket prefix, the items it takes and its daily quota."""

    hall = models.ForeignKey(Hall, verbose_name=_("大厅"), on_delete=models.CASCADE, related_name="queues")
    prefix = models.CharField(_("号码前缀"), max_length=1)
    name = models.CharField(_("业务类别"), max_length=60)
    items = models.ManyToManyField("catalog.ServiceItem", verbose_name=_("办理事项"), blank=True, related_name="+")
    is_pickup = models.BooleanField(_("出件（领取结果）"), default=False)
    daily_quota = models.PositiveSmallIntegerField(_("每日号源"), default=999)
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("排队业务类别")
        verbose_name_plural = _("排队业务类别")
        ordering = ["hall", "sort_order", "prefix"]
        constraints = [models.UniqueConstraint(fields=["hall", "prefix"], name="halls_queue_prefix_unique")]

    def __str__(self) -> str:
        return f"{self.prefix} {self.name}"

    def clean(self) -> None:
        if not ("A" <= self.prefix <= "Z"):
            raise ValidationError({"prefix": _("号码前缀应为一个大写字母 A—Z。")})
        if not 1 <= self.daily_quota <= 999:
            raise ValidationError({"daily_quota": _("每日号源应在 1 到 999 之间。")})


class Window(models.Model):
    """A window (窗口) of a hall: a general window takes any queue but pick-up, others only theirs."""

    hall = models.ForeignKey(Hall, verbose_name=_("大厅"), on_delete=models.CASCADE, related_name="windows")
    number = models.PositiveSmallIntegerField(_("窗口号"))
    kind = models.CharField(_("窗口类型"), max_length=12, choices=WindowKind.choices, default=WindowKind.GENERAL)
    queues = models.ManyToManyField(Queue, verbose_name=_("办理的业务类别"), blank=True, related_name="windows")
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("窗口")
        verbose_name_plural = _("窗口")
        ordering = ["hall", "number"]
        constraints = [models.UniqueConstraint(fields=["hall", "number"], name="halls_window_number_unique")]

    def __str__(self) -> str:
        return _("%(number)s号窗口") % {"number": self.number}


class WindowShift(models.Model):
    """A clerk holding a window for a shift: one person per window, one window per person, at a time."""

    window = models.ForeignKey(Window, verbose_name=_("窗口"), on_delete=models.PROTECT, related_name="shifts")
    clerk = models.ForeignKey("identity.User", verbose_name=_("窗口人员"), on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField(_("签入时间"))
    ended_at = models.DateTimeField(_("签出时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("窗口值守")
        verbose_name_plural = _("窗口值守")
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(fields=["window"], condition=Q(ended_at=None), name="halls_shift_one_per_window"),
            models.UniqueConstraint(fields=["clerk"], condition=Q(ended_at=None), name="halls_shift_one_per_clerk"),
        ]

    def __str__(self) -> str:
        return f"{self.window} {self.clerk}"


class SlotLock(models.Model):
    """The row that serialises bookings of one hall, item and slot start (the capacity check locks it)."""

    hall = models.ForeignKey(Hall, on_delete=models.CASCADE, related_name="+")
    item = models.ForeignKey("catalog.ServiceItem", on_delete=models.CASCADE, related_name="+")
    starts_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["hall", "item", "starts_at"], name="halls_slot_lock_unique")]

    def __str__(self) -> str:
        return f"{self.hall_id} {self.item_id} {self.starts_at}"


class Booking(models.Model):
    """An appointment (网上预约) for one item at one hall and slot.

    A place is held for ``Hall.hold_minutes`` while the person completes the booking; the code
    (预约码) checks them in at the kiosk. One active booking per ID number, item and day.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    code = models.CharField(_("预约码"), max_length=8, unique=True)
    hall = models.ForeignKey(Hall, verbose_name=_("大厅"), on_delete=models.PROTECT, related_name="bookings")
    item = models.ForeignKey(
        "catalog.ServiceItem", verbose_name=_("预约事项"), on_delete=models.PROTECT, related_name="+"
    )
    day = models.DateField(_("预约日期"))
    starts_at = models.DateTimeField(_("预约时段开始"))
    ends_at = models.DateTimeField(_("预约时段结束"))
    status = models.CharField(_("状态"), max_length=12, choices=BookingStatus.choices, default=BookingStatus.HELD)
    account = models.ForeignKey(
        "identity.User", verbose_name=_("预约账户"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(_("预约人"), max_length=100)
    id_number_hash = models.CharField(max_length=64, db_index=True)
    id_number_encrypted = models.TextField()
    id_number_masked = models.CharField(_("证件号码"), max_length=20)
    channel = models.CharField(_("预约渠道"), max_length=8, choices=BookingChannel.choices, default=BookingChannel.WEB)
    held_until = models.DateTimeField(_("预留至"), null=True, blank=True)
    booked_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("取消时间"), null=True, blank=True)
    checked_in_at = models.DateTimeField(_("签到时间"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("提醒时间"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("预约")
        verbose_name_plural = _("预约")
        ordering = ["starts_at", "pk"]
        constraints = [
            # One booking per ID number per item per day (against slot hoarding), enforced by the database:
            models.UniqueConstraint(
                fields=["id_number_hash", "item", "day"],
                condition=Q(status__in=ACTIVE_BOOKING_STATUSES),
                name="halls_booking_one_per_item_day",
            ),
        ]
        indexes = [
            models.Index(fields=["hall", "item", "starts_at"], name="halls_booking_slot"),
            models.Index(fields=["status", "starts_at"], name="halls_booking_status"),
        ]

    def __str__(self) -> str:
        return self.code


class Ticket(models.Model):
    """A queue ticket (排队号): a prefix and a daily serial, never reused in a day.

    One model for walk-ins and bookings. Its times (arrival, first call, start of service,
    end) and its events give the waiting, walking and service times.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    hall = models.ForeignKey(Hall, verbose_name=_("大厅"), on_delete=models.PROTECT, related_name="tickets")
    queue = models.ForeignKey(Queue, verbose_name=_("业务类别"), on_delete=models.PROTECT, related_name="tickets")
    day = models.DateField(_("日期"))
    serial = models.PositiveSmallIntegerField(_("序号"))
    number = models.CharField(_("号码"), max_length=5)
    status = models.CharField(_("状态"), max_length=10, choices=TicketStatus.choices, default=TicketStatus.WAITING)
    source = models.CharField(_("取号方式"), max_length=10, choices=TicketSource.choices)
    booking = models.OneToOneField(
        Booking, verbose_name=_("预约"), null=True, blank=True, on_delete=models.PROTECT, related_name="ticket"
    )
    # When a booked ticket counts as on time (its slot's start); waiting is measured from it:
    booked_start = models.DateTimeField(_("预约时段开始"), null=True, blank=True)
    priority_group = models.CharField(
        _("优先群体"), max_length=10, choices=PriorityGroup.choices, default=PriorityGroup.NONE, blank=True
    )
    id_number_hash = models.CharField(max_length=64, blank=True, db_index=True)
    id_number_masked = models.CharField(_("证件号码"), max_length=20, blank=True)
    # Set when the ticket was transferred to one window (else any window serving its queue takes it):
    target_window = models.ForeignKey(
        Window, verbose_name=_("指定窗口"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    window = models.ForeignKey(
        Window, verbose_name=_("窗口"), null=True, blank=True, on_delete=models.PROTECT, related_name="tickets"
    )
    clerk = models.ForeignKey(
        "identity.User", verbose_name=_("窗口人员"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    call_count = models.PositiveSmallIntegerField(_("叫号次数"), default=0)
    arrived_at = models.DateTimeField(_("取号时间"))
    first_called_at = models.DateTimeField(_("首次叫号时间"), null=True, blank=True)
    last_called_at = models.DateTimeField(_("最近叫号时间"), null=True, blank=True)
    started_at = models.DateTimeField(_("开始办理时间"), null=True, blank=True)
    paused_at = models.DateTimeField(_("暂停时间"), null=True, blank=True)
    paused_seconds = models.PositiveIntegerField(_("暂停累计（秒）"), default=0)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("排队号")
        verbose_name_plural = _("排队号")
        ordering = ["day", "queue", "serial"]
        constraints = [
            models.UniqueConstraint(fields=["queue", "day", "serial"], name="halls_ticket_serial_unique"),
            # A window has one ticket at a time:
            models.UniqueConstraint(
                fields=["window"], condition=Q(status__in=AT_WINDOW_STATUSES), name="halls_ticket_one_at_window"
            ),
        ]
        indexes = [
            models.Index(fields=["hall", "day", "status"], name="halls_ticket_hall_day"),
            models.Index(fields=["queue", "status", "arrived_at"], name="halls_ticket_waiting"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def waiting_since(self) -> datetime.datetime:
        """Waiting counts from arrival, or for a booking from its booked start if that is later."""
        if self.booked_start and self.booked_start > self.arrived_at:
            return self.booked_start
        return self.arrived_at

    @property
    def waiting_seconds(self) -> int | None:
        if self.first_called_at is None:
            return None
        return max(0, int((self.first_called_at - self.waiting_since).total_seconds()))

    @property
    def walking_seconds(self) -> int | None:
        if self.started_at is None or self.last_called_at is None:
            return None
        return max(0, int((self.started_at - self.last_called_at).total_seconds()))

    @property
    def service_seconds(self) -> int | None:
        if self.started_at is None or self.finished_at is None:
            return None
        return max(0, int((self.finished_at - self.started_at).total_seconds()) - self.paused_seconds)


class TicketCase(models.Model):
    """A case served at a ticket's window: filed there (一窗受理) or its result collected (出件).

    One visit may serve several cases (a person files one and collects another); each link is a
    visit of that case to the hall (平均跑动次数 counts them per case and day).
    """

    ticket = models.ForeignKey(Ticket, verbose_name=_("排队号"), on_delete=models.CASCADE, related_name="case_links")
    case = models.ForeignKey("cases.Case", verbose_name=_("办件"), on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("办理内容"), max_length=10, choices=TicketCaseKind.choices)
    created_at = models.DateTimeField(_("关联时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("排队号关联办件")
        verbose_name_plural = _("排队号关联办件")
        ordering = ["pk"]
        constraints = [models.UniqueConstraint(fields=["ticket", "case"], name="halls_ticket_case_unique")]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.case_id} {self.kind}"


class DailySerial(models.Model):
    """The last serial given today in a queue: the row a ticket's number is drawn from."""

    queue = models.ForeignKey(Queue, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    last = models.PositiveSmallIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["queue", "day"], name="halls_daily_serial_unique")]

    def __str__(self) -> str:
        return f"{self.queue_id} {self.day} {self.last}"


class TicketEvent(models.Model):
    """One change of a ticket, timestamped (the hall's statistics are computed from these)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("事件"), max_length=12, choices=TicketEventKind.choices)
    at = models.DateTimeField(_("时间"))
    window = models.ForeignKey(Window, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    actor = models.ForeignKey("identity.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    note = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("排队号事件")
        verbose_name_plural = _("排队号事件")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.kind}"


class HallDevice(models.Model):
    """A registered kiosk or display board: its key is shown once, kept as a keyed hash, and can be revoked."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    hall = models.ForeignKey(Hall, verbose_name=_("大厅"), on_delete=models.CASCADE, related_name="devices")
    kind = models.CharField(_("设备类型"), max_length=8, choices=DeviceKind.choices)
    name = models.CharField(_("设备名称"), max_length=60)
    key_hash = models.CharField(max_length=64, unique=True)
    registered_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("停用时间"), null=True, blank=True)
    last_seen_at = models.DateTimeField(_("最近在线"), null=True, blank=True)

    class Meta:
        verbose_name = _("大厅设备")
        verbose_name_plural = _("大厅设备")
        ordering = ["hall", "kind", "name"]

    def __str__(self) -> str:
        return self.name


class Consultation(models.Model):
    """A consultation (咨询) at a window: the item, the question and the answer given."""

    hall = models.ForeignKey(Hall, verbose_name=_("大厅"), on_delete=models.PROTECT, related_name="+")
    ticket = models.ForeignKey(
        Ticket, verbose_name=_("排队号"), null=True, blank=True, on_delete=models.PROTECT, related_name="consultations"
    )
    item = models.ForeignKey("catalog.ServiceItem", verbose_name=_("事项"), on_delete=models.PROTECT, related_name="+")
    question = models.TextField(_("咨询问题"))
    answer = models.TextField(_("答复"))
    clerk = models.ForeignKey("identity.User", verbose_name=_("答复人"), on_delete=models.PROTECT, related_name="+")
    is_faq_candidate = models.BooleanField(_("建议列入常见问题"), default=False)
    # The draft 常见问题 a content editor made of it (published through public information's review):
    faq = models.ForeignKey(
        "publicinfo.Entry", verbose_name=_("常见问题"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("窗口咨询")
        verbose_name_plural = _("窗口咨询")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.question[:30]


class SelfFill(models.Model):
    """自助填单: the answers of an application typed at the kiosk, with the ticket taken for them.

    A kiosk cannot tell who typed an ID number, so nothing is filed and nothing reaches anyone's
    workspace from here: at the window, once the clerk has checked the ID card and the numbers
    agree, the answers open the intake form (the draft the clerk and the person complete and
    confirm). Kept for the day only; the upkeep deletes them after.
    """

    ticket = models.OneToOneField(Ticket, verbose_name=_("排队号"), on_delete=models.CASCADE, related_name="self_fill")
    version = models.ForeignKey(
        "catalog.ItemVersion", verbose_name=_("事项版本"), on_delete=models.PROTECT, related_name="+"
    )
    id_number_hash = models.CharField(max_length=64)
    answers = models.JSONField(_("填写内容"), default=dict)
    created_at = models.DateTimeField(_("填写时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("自助填单")
        verbose_name_plural = _("自助填单")

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.version_id}"


class HallStat(models.Model):
    """One day's figures of a hall, whole or cut by queue, window, clerk or hour (computed at night).

    Waiting counts from arrival, or for a booking from its booked start; service time leaves out
    pauses. Times are in seconds; an empty group has no times (null).
    """

    hall = models.ForeignKey(Hall, verbose_name=_("大厅"), on_delete=models.CASCADE, related_name="stats")
    day = models.DateField(_("日期"))
    dimension = models.CharField(_("维度"), max_length=8)  # hall | queue | item | window | clerk | hour
    key = models.CharField(_("分组"), max_length=60, blank=True)
    label = models.CharField(_("名称"), max_length=100, blank=True)
    issued = models.PositiveIntegerField(_("取号"), default=0)
    served = models.PositiveIntegerField(_("办结"), default=0)
    missed = models.PositiveIntegerField(_("过号"), default=0)
    booked_tickets = models.PositiveIntegerField(_("预约取号"), default=0)
    bookings_made = models.PositiveIntegerField(_("当日预约数"), default=0)
    bookings_honoured = models.PositiveIntegerField(_("预约到场"), default=0)
    no_shows = models.PositiveIntegerField(_("爽约"), default=0)
    consultations = models.PositiveIntegerField(_("咨询"), default=0)
    cases_filed = models.PositiveIntegerField(_("窗口受理办件"), default=0)
    wait_avg = models.PositiveIntegerField(_("平均等候（秒）"), null=True, blank=True)
    wait_p90 = models.PositiveIntegerField(_("等候90分位（秒）"), null=True, blank=True)
    wait_max = models.PositiveIntegerField(_("最长等候（秒）"), null=True, blank=True)
    wait_avg_booked = models.PositiveIntegerField(_("预约平均等候（秒）"), null=True, blank=True)
    wait_avg_walk_in = models.PositiveIntegerField(_("现场取号平均等候（秒）"), null=True, blank=True)
    service_avg = models.PositiveIntegerField(_("平均办理（秒）"), null=True, blank=True)
    service_p90 = models.PositiveIntegerField(_("办理90分位（秒）"), null=True, blank=True)
    service_max = models.PositiveIntegerField(_("最长办理（秒）"), null=True, blank=True)
    computed_at = models.DateTimeField(_("计算时间"), auto_now=True)

    class Meta:
        verbose_name = _("大厅统计")
        verbose_name_plural = _("大厅统计")
        ordering = ["hall", "day", "dimension", "key"]
        constraints = [
            models.UniqueConstraint(fields=["hall", "day", "dimension", "key"], name="halls_stat_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.hall_id} {self.day} {self.dimension} {self.key}"
