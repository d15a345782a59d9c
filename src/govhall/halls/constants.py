"""The hall's kinds and states: service points, windows, devices, bookings and queue tickets."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class HallKind(models.TextChoices):
    DISTRICT = "district", _("区级政务服务中心")
    STREET = "street", _("街道（镇）便民服务中心")
    COMMUNITY = "community", _("村（社区）便民服务站")


class WindowKind(models.TextChoices):
    GENERAL = "general", _("综合受理窗口")
    SPECIALISED = "specialised", _("专业窗口")
    PICKUP = "pickup", _("出件窗口")


class DeviceKind(models.TextChoices):
    KIOSK = "kiosk", _("自助服务终端")
    BOARD = "board", _("叫号显示屏")


class BookingStatus(models.TextChoices):
    HELD = "held", _("预留中，待确认")
    BOOKED = "booked", _("已预约")
    CHECKED_IN = "checked_in", _("已签到")
    CANCELLED = "cancelled", _("已取消")
    EXPIRED = "expired", _("预留已过期")
    NO_SHOW = "no_show", _("爽约")


# The bookings that hold a place in their slot (a cancelled one holds it a while longer, see
# Hall.cancel_release_minutes, so that a place cannot be handed over by cancel-and-rebook):
ACTIVE_BOOKING_STATUSES = (BookingStatus.HELD, BookingStatus.BOOKED, BookingStatus.CHECKED_IN)


class BookingChannel(models.TextChoices):
    WEB = "web", _("网上办事大厅")
    API = "api", _("接口（闽政通等）")


class TicketStatus(models.TextChoices):
    WAITING = "waiting", _("等候中")
    CALLED = "called", _("已叫号")
    SERVING = "serving", _("办理中")
    PAUSED = "paused", _("暂停")
    DONE = "done", _("已办结")
    MISSED = "missed", _("过号")
    CLOSED = "closed", _("日终关闭")


OPEN_TICKET_STATUSES = (TicketStatus.WAITING, TicketStatus.CALLED, TicketStatus.SERVING, TicketStatus.PAUSED)
# The statuses in which a ticket is at a window (one at a time per window):
AT_WINDOW_STATUSES = (TicketStatus.CALLED, TicketStatus.SERVING, TicketStatus.PAUSED)


class TicketSource(models.TextChoices):
    KIOSK = "kiosk", _("自助取号")
    CHECK_IN = "check_in", _("预约签到")
    CLERK = "clerk", _("窗口代取")
    API = "api", _("接口")


class PriorityGroup(models.TextChoices):
    NONE = "", _("无")
    ELDERLY = "elderly", _("老年人（65岁以上）")
    DISABLED = "disabled", _("残疾人")
    MILITARY = "military", _("军人、消防救援人员")
    PREGNANT = "pregnant", _("孕妇、带婴幼儿者")


class TicketCaseKind(models.TextChoices):
    """What a ticket's visit did for a case."""

    FILED = "filed", _("窗口受理")
    COLLECTED = "collected", _("领取结果")


class TicketEventKind(models.TextChoices):
    ISSUED = "issued", _("取号")
    CALLED = "called", _("叫号")
    RECALLED = "recalled", _("重呼")
    STARTED = "started", _("开始办理")
    PAUSED = "paused", _("暂停")
    RESUMED = "resumed", _("继续办理")
    TRANSFERRED = "transferred", _("转移")
    DONE = "done", _("办结")
    MISSED = "missed", _("过号")
    RESTORED = "restored", _("过号重排")
    CLOSED = "closed", _("日终关闭")
    CASE_LINKED = "case_linked", _("关联办件")
