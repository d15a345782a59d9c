"""Complaint and supervision-order statuses, the transition tables, and the limits."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ComplaintChannel(models.TextChoices):
    PORTAL = "portal", _("门户网站")
    WORKSPACE = "workspace", _("个人办事空间")
    HALL = "hall", _("政务服务大厅")
    SUPERVISION_PHONE = "supervision_phone", _("监督电话")
    HOTLINE_12345 = "hotline_12345", _("12345热线工单")


class ComplaintKind(models.TextChoices):
    INACTION = "inaction", _("不作为")
    MISCONDUCT = "misconduct", _("乱作为")
    SLOWNESS = "slowness", _("慢作为")
    ATTITUDE = "attitude", _("服务态度")
    OTHER = "other", _("其他")
    CONSULTATION = "consultation", _("咨询")


class LimitKey(models.TextChoices):
    """The rows of the time-limit table: one per kind, and one for an urgent complaint of any kind."""

    URGENT = "urgent", _("紧急")
    INACTION = "inaction", _("不作为")
    MISCONDUCT = "misconduct", _("乱作为")
    SLOWNESS = "slowness", _("慢作为")
    ATTITUDE = "attitude", _("服务态度")
    OTHER = "other", _("其他")
    CONSULTATION = "consultation", _("咨询")


class ComplaintStatus(models.TextChoices):
    SUBMITTED = "submitted", _("待受理")
    ACCEPTED = "accepted", _("已受理")
    REJECTED = "rejected", _("不予受理")
    ASSIGNED = "assigned", _("已交办")
    INVESTIGATING = "investigating", _("调查处理中")
    ANSWERED = "answered", _("已答复")
    CLOSED = "closed", _("已办结")


C = ComplaintStatus

# Which status may follow which (STYLE.md: one table, one move()). A reopened complaint goes
# back to the unit's investigation; an answered one can be answered again after a reopen:
TRANSITIONS: dict[str, frozenset[str]] = {
    C.SUBMITTED: frozenset({C.ACCEPTED, C.REJECTED}),
    C.ACCEPTED: frozenset({C.ASSIGNED}),
    C.ASSIGNED: frozenset({C.ASSIGNED, C.INVESTIGATING}),
    C.INVESTIGATING: frozenset({C.ASSIGNED, C.ANSWERED}),
    C.ANSWERED: frozenset({C.CLOSED, C.INVESTIGATING}),
    C.CLOSED: frozenset({C.INVESTIGATING}),
    C.REJECTED: frozenset(),
}

OPEN_COMPLAINT_STATUSES = frozenset({C.SUBMITTED, C.ACCEPTED, C.ASSIGNED, C.INVESTIGATING})
# The statuses the time limit runs in (answered and closed stop it; a reopen restarts the run):
RUNNING_STATUSES = OPEN_COMPLAINT_STATUSES


class ComplaintEventKind(models.TextChoices):
    SUBMITTED = "submitted", _("提交投诉")
    ACCEPTED = "accepted", _("受理")
    REJECTED = "rejected", _("不予受理")
    ASSIGNED = "assigned", _("交办")
    INVESTIGATING = "investigating", _("开始调查")
    ANSWERED = "answered", _("答复")
    CLOSED = "closed", _("办结")
    REOPENED = "reopened", _("重新办理")
    RATED = "rated", _("评价答复")
    EXTENSION_REQUESTED = "extension_requested", _("申请延期")
    EXTENSION_APPROVED = "extension_approved", _("批准延期")
    EXTENSION_REFUSED = "extension_refused", _("不予延期")
    WARNING = "warning", _("时限预警")


class Warning(models.TextChoices):
    NONE = "none", _("正常")
    YELLOW = "yellow", _("即将到期")
    RED = "red", _("已超期")


class Satisfaction(models.IntegerChoices):
    VERY_SATISFIED = 5, _("非常满意")
    SATISFIED = 4, _("满意")
    BASICALLY_SATISFIED = 3, _("基本满意")
    DISSATISFIED = 2, _("不满意")
    VERY_DISSATISFIED = 1, _("非常不满意")


# Supervision orders (督办) ---------------------------------------------------------------


class ObjectKind(models.TextChoices):
    """What an order supervises. ``task`` is the office app's supervised task (issue 29: one model)."""

    CASE = "case", _("办件")
    RATING = "rating", _("差评整改")
    COMPLAINT = "complaint", _("投诉")
    TASK = "task", _("督办任务")


class Level(models.TextChoices):
    YELLOW = "yellow", _("黄牌")
    RED = "red", _("红牌")


LEVEL_RANK = {Level.YELLOW: 1, Level.RED: 2}


class Source(models.TextChoices):
    MANUAL = "manual", _("人工督办")
    LATE_CASE = "late_case", _("办件超期")
    LATE_RECTIFICATION = "late_rectification", _("差评整改超期")
    LATE_COMPLAINT = "late_complaint", _("投诉办理超期")
    LATE_TASK = "late_task", _("督办任务超期")
    PROVINCIAL = "provincial", _("省电子监察")


class OrderStatus(models.TextChoices):
    OPEN = "open", _("待回复")
    REPLIED = "replied", _("已回复")
    CLOSED = "closed", _("已办结")


OS = OrderStatus

ORDER_TRANSITIONS: dict[str, frozenset[str]] = {
    OS.OPEN: frozenset({OS.OPEN, OS.REPLIED, OS.CLOSED}),
    # A supervisor sends an insufficient reply back (open again) or accepts it (closed):
    OS.REPLIED: frozenset({OS.OPEN, OS.CLOSED}),
    OS.CLOSED: frozenset(),
}

OPEN_ORDER_STATUSES = frozenset({OS.OPEN, OS.REPLIED})


class Escalation(models.TextChoices):
    NONE = "none", _("未催办")
    URGED = "urged", _("已催办")
    REPORTED = "reported", _("已通报")


class OrderEventKind(models.TextChoices):
    RAISED = "raised", _("发起督办")
    LEVEL_RAISED = "level_raised", _("提升督办等级")
    REPLIED = "replied", _("单位回复")
    EVIDENCE_ADDED = "evidence_added", _("上传佐证材料")
    RETURNED = "returned", _("退回重办")
    CLOSED = "closed", _("办结督办")
    URGED = "urged", _("催办")
    REPORTED = "reported", _("通报")


# Working days the unit has to reply to an order, by level (STANDARDS.md §10: a colour and a
# reply deadline; the numbers are local practice):
REPLY_WORKING_DAYS = {Level.YELLOW: 5, Level.RED: 3}
# Days (natural) after the answer in which the complainant may reopen the complaint:
REOPEN_WINDOW_DAYS = 10
# Anonymous complaints an hour from one address (lib.ratelimit):
ANONYMOUS_COMPLAINTS_PER_HOUR = 5
# At most this many working days of extension for a complaint:
EXTENSION_MAX_WORKING_DAYS = 10
# How often the sweep runs when it schedules itself (seconds):
SWEEP_INTERVAL_SECONDS = 3600
