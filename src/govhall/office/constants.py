"""Document and task statuses, the one transition table of documents, and the limits."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Direction(models.TextChoices):
    OUTGOING = "outgoing", _("发文")
    INCOMING = "incoming", _("收文")


class Classification(models.TextChoices):
    """密级 (GB/T 9704 7.2.2). Only 非密 may exist here; the others are named to refuse them clearly."""

    NONE = "none", _("非密")
    SECRET_INTERNAL = "internal", _("秘密")
    CONFIDENTIAL = "confidential", _("机密")
    TOP_SECRET = "top_secret", _("绝密")


class Urgency(models.TextChoices):
    """紧急程度 (GB/T 9704 7.2.3)."""

    NORMAL = "normal", _("普通")
    URGENT = "urgent", _("加急")
    EXTRA_URGENT = "extra_urgent", _("特急")


class DocumentStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    ROUTING = "routing", _("会签中")
    AWAITING_SIGNATURE = "awaiting_signature", _("待签发")
    SIGNED = "signed", _("已签发")
    ISSUED = "issued", _("已发文")
    REGISTERED = "registered", _("已登记")
    ASSIGNED = "assigned", _("办理中")
    CLOSED = "closed", _("已办结")


D = DocumentStatus

# Which status may follow which (STYLE.md: one table, one move()). Outgoing: draft → routed
# to the units → all signed → the leader's 签发 → numbered and issued; a draft called back from
# routing goes back to draft. Incoming: registered → assigned to a lead unit → closed:
TRANSITIONS: dict[str, frozenset[str]] = {
    D.DRAFT: frozenset({D.ROUTING, D.AWAITING_SIGNATURE}),
    D.ROUTING: frozenset({D.AWAITING_SIGNATURE, D.DRAFT}),
    D.AWAITING_SIGNATURE: frozenset({D.SIGNED, D.DRAFT}),
    D.SIGNED: frozenset({D.ISSUED}),
    D.ISSUED: frozenset(),
    D.REGISTERED: frozenset({D.ASSIGNED, D.CLOSED}),
    D.ASSIGNED: frozenset({D.CLOSED}),
    D.CLOSED: frozenset(),
}


class RouteRole(models.TextChoices):
    LEAD = "lead", _("主办单位")
    CO = "co", _("会签单位")


class RouteStatus(models.TextChoices):
    PENDING = "pending", _("待会签")
    SIGNED = "signed", _("已会签")


class TaskSource(models.TextChoices):
    LEADER = "leader", _("领导批示")
    DOCUMENT = "document", _("公文")
    MEETING = "meeting", _("会议")
    HIGHER_LEVEL = "higher_level", _("上级交办")


class TaskStatus(models.TextChoices):
    OPEN = "open", _("办理中")
    DONE = "done", _("已办结")


class AssignmentStatus(models.TextChoices):
    ASSIGNED = "assigned", _("已交办")
    REPORTING = "reporting", _("推进中")
    DONE = "done", _("已完成")


# Working days a unit on a route has to sign when the drafter gives none:
DEFAULT_SIGN_WORKING_DAYS = 3
# At most this many working days of extension for a signer:
EXTENSION_MAX_WORKING_DAYS = 10
# A reminder goes to a unit this many working days before its task is due:
REMIND_WORKING_DAYS = 2
# How often the office sweep runs when it schedules itself (seconds):
SWEEP_INTERVAL_SECONDS = 3600
# The department whose staff are "the office" (办公室) besides the bureau's own staff:
OFFICE_DEPARTMENT_CODE = "office"


class DocumentEventKind(models.TextChoices):
    DRAFTED = "drafted", _("拟稿")
    REGISTERED = "registered", _("收文登记")
    ROUTED = "routed", _("送会签")
    ASSIGNED = "assigned", _("交办")
    SIGNED = "signed", _("会签")
    COUNTERSIGNED = "countersigned", _("会签完毕")
    URGED = "urged", _("催办")
    EXTENDED = "extended", _("批准延期")
    SIGNED_OFF = "signed_off", _("签发")
    ISSUED = "issued", _("编号发文")
    CLOSED = "closed", _("办结")
    CIRCULATED = "circulated", _("送传阅")
    READ = "read", _("已阅")
