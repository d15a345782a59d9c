"""Rating levels, channels and indicators (GB/T 39734-2020), and the rectification's one transition table."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from govhall.cases.constants import CaseStatus


class RatingLevel(models.TextChoices):
    VERY_SATISFIED = "very_satisfied", _("非常满意")
    SATISFIED = "satisfied", _("满意")
    BASIC = "basic", _("基本满意")
    DISSATISFIED = "dissatisfied", _("不满意")
    VERY_DISSATISFIED = "very_dissatisfied", _("非常不满意")


# The national scores (STANDARDS.md §6): 5 … 1; 2 and 1 are bad ratings.
LEVEL_SCORES = {
    RatingLevel.VERY_SATISFIED: 5,
    RatingLevel.SATISFIED: 4,
    RatingLevel.BASIC: 3,
    RatingLevel.DISSATISFIED: 2,
    RatingLevel.VERY_DISSATISFIED: 1,
}
BAD_LEVELS = frozenset({RatingLevel.DISSATISFIED, RatingLevel.VERY_DISSATISFIED})


# A rating is of a service that is over: the case has been closed (办结):
RATEABLE_STATUSES = frozenset({CaseStatus.CLOSED})


class Channel(models.TextChoices):
    ONLINE = "online", _("网上办事空间")
    SMS = "sms", _("短信评价链接")
    PAD = "pad", _("窗口评价器")
    KIOSK = "kiosk", _("自助终端")
    HOTLINE = "hotline", _("12345热线")


class ServiceKind(models.TextChoices):
    CASE = "case", _("一事一评（办件）")
    # 一次一评 at the window: the hall's queue tickets (issue 21) do not exist yet; a rating of
    # a visit will carry the ticket's reference in ``Rating.visit_reference`` once they do.
    VISIT = "visit", _("一次一评（窗口服务）")


class Indicator(models.TextChoices):
    OVERALL = "overall", _("整体满意度")
    EFFICIENCY = "efficiency", _("办事效率")
    GUIDE_ACCURACY = "guide_accuracy", _("指南精确度")
    CONVENIENCE = "convenience", _("便捷度")
    OPERABILITY = "operability", _("操作性")
    SERVICE_EFFICIENCY = "service_efficiency", _("服务效率")
    SERVICE_LEVEL = "service_level", _("服务水平")
    ATTITUDE = "attitude", _("服务态度")


IND = Indicator
ONLINE_INDICATORS = (IND.OVERALL, IND.EFFICIENCY, IND.GUIDE_ACCURACY, IND.CONVENIENCE, IND.OPERABILITY)
ON_SITE_INDICATORS = (IND.OVERALL, IND.SERVICE_EFFICIENCY, IND.SERVICE_LEVEL, IND.ATTITUDE)
# A case is an online service whichever way its rating arrives; the pad and the kiosk rate a
# visit to the hall; the 12345 hotline rates whatever service the caller had (a case here):
INDICATORS_BY_CHANNEL = {
    Channel.ONLINE: ONLINE_INDICATORS,
    Channel.SMS: ONLINE_INDICATORS,
    Channel.HOTLINE: ONLINE_INDICATORS,
    Channel.PAD: ON_SITE_INDICATORS,
    Channel.KIOSK: ON_SITE_INDICATORS,
}

# Local rules set 5 or 15 working days (STANDARDS.md §10); RATINGS_RECTIFY_WORKING_DAYS overrides:
RECTIFY_WORKING_DAYS = 5
CLASSIFY_WORKING_DAYS = 1
# No rating this many days after the invitation: the default rating (RATINGS_DEFAULT_AFTER_DAYS):
DEFAULT_AFTER_DAYS = 7
# RATINGS_DEFAULT_LEVEL overrides (Guangdong practice is 基本满意):
DEFAULT_LEVEL = RatingLevel.SATISFIED
# An SMS link is good for this many days (RATINGS_SMS_LINK_DAYS):
SMS_LINK_DAYS = 7
# The sweep (invitations, default ratings, deadlines) runs again after (RATINGS_SWEEP_SECONDS):
SWEEP_SECONDS = 3600


class RectificationStatus(models.TextChoices):
    NEW = "new", _("待分类")
    CLASSIFIED = "classified", _("已分类")
    ASSIGNED = "assigned", _("已交办")
    RECTIFYING = "rectifying", _("整改中")
    EXPLAINED = "explained", _("已说明（无过错）")
    APPEALED = "appealed", _("恶意差评申诉中")
    FOLLOWED_UP = "followed_up", _("已回访")
    CLOSED = "closed", _("已办结")
    REMOVED = "removed", _("差评已撤销")


R = RectificationStatus

# Which status may follow which (STYLE.md: one table, one move()). An appeal the supervisor
# refuses upholds the rating and sends the work back to the unit (assigned):
TRANSITIONS: dict[str, frozenset[str]] = {
    R.NEW: frozenset({R.CLASSIFIED}),
    R.CLASSIFIED: frozenset({R.ASSIGNED}),
    R.ASSIGNED: frozenset({R.RECTIFYING, R.EXPLAINED, R.APPEALED}),
    R.RECTIFYING: frozenset({R.FOLLOWED_UP}),
    R.EXPLAINED: frozenset({R.FOLLOWED_UP}),
    R.APPEALED: frozenset({R.ASSIGNED, R.REMOVED}),
    R.FOLLOWED_UP: frozenset({R.CLOSED}),
    R.CLOSED: frozenset(),
    R.REMOVED: frozenset(),
}
OPEN_RECTIFICATION_STATUSES = frozenset(set(R) - {R.CLOSED, R.REMOVED})
# The unit's working clock runs in these (the rectification deadline):
RECTIFY_CLOCK_STATUSES = frozenset({R.ASSIGNED, R.RECTIFYING})


class Warning(models.TextChoices):
    NONE = "none", _("正常")
    YELLOW = "yellow", _("即将到期")
    RED = "red", _("已超期")


class RectificationAction(models.TextChoices):
    """What staff can do to a rectification on the desk; the values are the desk's action names."""

    CLASSIFY = "classify", _("分类认定")
    ASSIGN = "assign", _("交办")
    INSTRUCT = "instruct", _("领导批示")
    START = "start", _("开始整改")
    EVIDENCE = "evidence", _("上传整改材料")
    EXPLAIN = "explain", _("情况说明（无过错）")
    APPEAL = "appeal", _("申诉恶意差评")
    DECIDE_APPEAL = "decide-appeal", _("审核申诉")
    FOLLOW_UP = "follow-up", _("记录回访")
    CLOSE = "close", _("办结")
