"""Station types, alarm conditions and severities, the alarm life cycle, and the ingest limits."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class StationType(models.TextChoices):
    RAIN = "rain", _("雨量站")
    RIVER = "river", _("河道水位站")
    RESERVOIR = "reservoir", _("水库水位站")
    SOIL = "soil", _("墒情站")
    INTAKE = "intake", _("取水口计量")
    GROUNDWATER = "groundwater", _("地下水站")
    WATER_QUALITY = "water_quality", _("水质站")


class ElementKind(models.TextChoices):
    """How a value adds up: increments are summed over windows (rainfall, intake volume)."""

    INSTANT = "instant", _("瞬时值")
    INCREMENT = "increment", _("时段累计值")
    STATUS = "status", _("状态位")


class Severity(models.TextChoices):
    BLUE = "blue", _("蓝色")
    YELLOW = "yellow", _("黄色")
    ORANGE = "orange", _("橙色")
    RED = "red", _("红色")


SEVERITY_RANK = {Severity.BLUE: 1, Severity.YELLOW: 2, Severity.ORANGE: 3, Severity.RED: 4}


class Condition(models.TextChoices):
    """What a rule watches. Every alarm comes from a rule, so every one is data and editable."""

    THRESHOLD = "threshold", _("要素超过/低于阈值")
    STATUS_BIT = "status_bit", _("状态位报警")
    OFFLINE = "offline", _("测站离线")
    INTAKE_VOLUME = "intake_volume", _("年度取水量占许可水量")


class Direction(models.TextChoices):
    ABOVE = "above", _("达到或超过")
    BELOW = "below", _("达到或低于")


class NoticeKind(models.TextChoices):
    """Who hears of an activated alarm besides the station's unit."""

    NONE = "none", _("仅通知工作人员")
    FLOOD = "flood", _("山洪/暴雨预警（通知订阅村民）")
    DROUGHT = "drought", _("干旱（灌溉建议，通知订阅村民）")
    INTAKE = "intake", _("取水许可（通知持证人和水利科）")


class AlarmStatus(models.TextChoices):
    PENDING = "pending", _("待确认（持续时间未满）")
    ACTIVE = "active", _("报警中")
    ACKNOWLEDGED = "acknowledged", _("已签收")
    CLEARED = "cleared", _("已解除")


OPEN_ALARM_STATUSES = (AlarmStatus.PENDING, AlarmStatus.ACTIVE, AlarmStatus.ACKNOWLEDGED)

# Which status may follow which (one table, checked by alarms._move):
TRANSITIONS: dict[str, frozenset[str]] = {
    AlarmStatus.PENDING: frozenset({AlarmStatus.ACTIVE, AlarmStatus.CLEARED}),
    AlarmStatus.ACTIVE: frozenset({AlarmStatus.ACKNOWLEDGED, AlarmStatus.CLEARED}),
    AlarmStatus.ACKNOWLEDGED: frozenset({AlarmStatus.CLEARED}),
    AlarmStatus.CLEARED: frozenset(),
}


class Channel(models.TextChoices):
    IN_APP = "in_app", _("站内消息")
    SMS = "sms", _("短信")


class NoticeOutcome(models.TextChoices):
    SENT = "sent", _("已发出")
    RATE_LIMITED = "rate_limited", _("限频未发（同一时段已通知）")


class ConnectionState(models.TextChoices):
    UNKNOWN = "unknown", _("未知")
    ONLINE = "online", _("在线")
    OFFLINE = "offline", _("离线")


class ProblemKind(models.TextChoices):
    MALFORMED = "malformed", _("报文格式错误")
    UNKNOWN_TOPIC = "unknown_topic", _("未知主题")
    UNKNOWN_STATION = "unknown_station", _("未登记的测站")
    SPOOFED = "spoofed", _("报文测站与主题不符")
    UNKNOWN_ELEMENT = "unknown_element", _("测站未配置该要素")
    WRONG_UNIT = "wrong_unit", _("单位不符")
    FUTURE = "future", _("观测时间在未来")
    IMPOSSIBLE = "impossible", _("数值超出物理范围（已保存并标记）")


# Reading quality flags (a bit field, so a reading may carry several):
QUALITY_IMPOSSIBLE = 1

# A reading stamped later than this past its arrival is refused (station clocks drift a little):
FUTURE_TOLERANCE_SECONDS = 300
# The rainfall windows kept up to date on write (hours), for the 暴雨 signals and flash-flood tables:
RAIN_WINDOWS = (1, 3, 6, 12, 24)
RAINFALL = "PJ"
STATUS = "ZT"
TOPIC_PREFIX = "govhall"

# The measured elements, by their SL 651-2014 identifiers, with units and the physically possible
# range (seeded by migration 0002 and by the demo; editable in the admin). ``WU`` (an intake
# meter's volume in the reporting period) is a local extension: SL 651 has no element for it.
ELEMENTS: list[tuple[str, str, str, str, float, float]] = [
    # code, name, unit, kind, minimum, maximum
    ("PJ", "当前降水量（时段增量）", "mm", "increment", 0, 300),
    ("PT", "降水量累计值", "mm", "instant", 0, 100000),
    ("Z", "瞬时河道水位", "m", "instant", -20, 300),
    ("RZ", "瞬时库上水位", "m", "instant", -20, 500),
    ("Q", "瞬时流量", "m3/s", "instant", 0, 100000),
    ("H", "地下水瞬时埋深", "m", "instant", 0, 500),
    ("M10", "10厘米土壤相对湿度", "%", "instant", 0, 100),
    ("M20", "20厘米土壤相对湿度", "%", "instant", 0, 100),
    ("M40", "40厘米土壤相对湿度", "%", "instant", 0, 100),
    ("WT", "瞬时水温", "°C", "instant", -5, 50),
    ("PH", "pH值", "", "instant", 0, 14),
    ("DO", "溶解氧", "mg/L", "instant", 0, 25),
    ("WU", "时段取水量", "m3", "increment", 0, 1000000),
    ("VT", "电源电压", "V", "instant", 0, 30),
    ("ZT", "状态及报警信息（状态位）", "", "status", 0, 4294967295),
]
