"""Field stations (农林水利物联网): the registry, readings, rolling windows, alarm rules and alarms,
and the villagers' subscriptions with every notice sent.

Readings are one narrow row per (station, element, observed time), which is also their
primary key: a reading sent twice is stored once. On PostgreSQL the table is partitioned by
month (migration 0001, ``partitions.py``); on SQLite it is a plain table.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from govhall.sensors.constants import (
    OPEN_ALARM_STATUSES,
    AlarmStatus,
    Channel,
    Condition,
    ConnectionState,
    Direction,
    ElementKind,
    NoticeKind,
    NoticeOutcome,
    ProblemKind,
    Severity,
    StationType,
)


class Element(models.Model):
    """A measured element, named by its SL 651-2014 identifier (PJ 降水量, Z 河道水位, RZ 库水位 …).

    The unit is the one stations must send; minimum and maximum bound what is physically
    possible — a value outside is kept and flagged, never used for an alarm.
    """

    code = models.CharField(_("要素标识符"), max_length=8, primary_key=True)
    name = models.CharField(_("要素名称"), max_length=60)
    unit = models.CharField(_("单位"), max_length=12, blank=True)
    kind = models.CharField(_("类别"), max_length=10, choices=ElementKind.choices, default=ElementKind.INSTANT)
    minimum = models.FloatField(_("物理下限"), null=True, blank=True)
    maximum = models.FloatField(_("物理上限"), null=True, blank=True)
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("监测要素")
        verbose_name_plural = _("监测要素")
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Station(models.Model):
    """A field station (测站): where it is, who runs it, what it measures and how often.

    ``code`` is the station's MQTT user name and the station part of its topic
    ``govhall/<region>/<code>/data``; the broker's password and ACL files are made from this
    table (``sensors_broker_files``).
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    code = models.SlugField(_("测站编码"), max_length=40, unique=True)
    name = models.CharField(_("测站名称"), max_length=100)
    station_type = models.CharField(_("测站类型"), max_length=16, choices=StationType.choices)
    region = models.CharField(_("行政区划代码"), max_length=12, default="350205")
    latitude = models.DecimalField(_("纬度"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("经度"), max_digits=9, decimal_places=6, null=True, blank=True)
    township = models.CharField(_("镇（街道）"), max_length=60, blank=True)
    village = models.CharField(_("村（社区）"), max_length=60, blank=True)
    department = models.ForeignKey(
        "identity.Department", verbose_name=_("管理单位"), on_delete=models.PROTECT, related_name="+"
    )
    owner_name = models.CharField(_("建设/产权单位"), max_length=100, blank=True)
    elements = models.ManyToManyField(Element, verbose_name=_("监测要素"), related_name="stations")
    interval_minutes = models.PositiveSmallIntegerField(_("报送间隔（分钟）"), default=5)
    # Water-level thresholds (m), shown beside the chart; alarm rules carry their own copies:
    fortified_level = models.FloatField(_("设防水位（米）"), null=True, blank=True)
    warning_level = models.FloatField(_("警戒水位（米）"), null=True, blank=True)
    guaranteed_level = models.FloatField(_("保证水位（米）"), null=True, blank=True)
    # A water intake's 取水许可 and the yearly volume it allows (m³):
    licence = models.ForeignKey(
        "licences.Licence",
        verbose_name=_("取水许可证"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    licensed_yearly_volume = models.FloatField(_("许可年取水量（立方米）"), null=True, blank=True)
    # The broker's password entry (mosquitto's own PBKDF2-SHA512 form); the password is shown once:
    mqtt_password_hash = models.CharField(_("MQTT口令散列"), max_length=200, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)
    # State kept by the subscriber and the sweep:
    connection = models.CharField(
        _("连接状态"), max_length=8, choices=ConnectionState.choices, default=ConnectionState.UNKNOWN
    )
    last_seen_at = models.DateTimeField(_("最近报送时间"), null=True, blank=True)
    last_observed_at = models.DateTimeField(_("最新观测时间"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("测站")
        verbose_name_plural = _("测站")
        ordering = ["township", "village", "code"]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"

    @property
    def topic(self) -> str:
        return f"govhall/{self.region}/{self.code}/data"


class Reading(models.Model):
    """One observed value: narrow, keyed by (station, element, observed time)."""

    pk = models.CompositePrimaryKey("station", "element", "observed_at")
    # No foreign-key constraints on the hot table (each would be checked on every insert of
    # 5,000 a second); stations and elements are never deleted while they have readings (PROTECT):
    station = models.ForeignKey(Station, on_delete=models.PROTECT, db_constraint=False, related_name="+")
    element = models.ForeignKey(Element, on_delete=models.PROTECT, db_constraint=False, related_name="+")
    observed_at = models.DateTimeField(_("观测时间"))
    value = models.FloatField(_("数值"))
    quality = models.PositiveSmallIntegerField(_("质量标记"), default=0)

    class Meta:
        verbose_name = _("观测值")
        verbose_name_plural = _("观测值")

    def __str__(self) -> str:
        return f"{self.station_id} {self.element_id} {self.observed_at:%Y-%m-%d %H:%M} {self.value}"


class DailyValue(models.Model):
    """One station's element on one local day: count, sum, min, max and the last value, kept on write."""

    station = models.ForeignKey(Station, on_delete=models.CASCADE, related_name="+")
    element = models.ForeignKey(Element, on_delete=models.PROTECT, related_name="+")
    day = models.DateField(_("日期"))
    count = models.PositiveIntegerField(default=0)
    total = models.FloatField(default=0)
    minimum = models.FloatField()
    maximum = models.FloatField()
    last_at = models.DateTimeField()
    last_value = models.FloatField()

    class Meta:
        verbose_name = _("日统计")
        verbose_name_plural = _("日统计")
        constraints = [models.UniqueConstraint(fields=["station", "element", "day"], name="sensors_daily_once")]

    def __str__(self) -> str:
        return f"{self.station_id} {self.element_id} {self.day}"


class LatestValue(models.Model):
    """The newest reading of one station's element (a late reading never replaces a newer one)."""

    station = models.ForeignKey(Station, on_delete=models.CASCADE, related_name="latest_values")
    element = models.ForeignKey(Element, on_delete=models.PROTECT, related_name="+")
    observed_at = models.DateTimeField()
    value = models.FloatField()
    quality = models.PositiveSmallIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["station", "element"], name="sensors_latest_once")]

    def __str__(self) -> str:
        return f"{self.station_id} {self.element_id} {self.value}"


class RainfallWindow(models.Model):
    """A rain station's rolling rainfall (mm) over 1/3/6/12/24 h, ending at its newest observation."""

    station = models.OneToOneField(Station, on_delete=models.CASCADE, primary_key=True, related_name="rainfall")
    as_of = models.DateTimeField(_("截至"))
    h1 = models.FloatField(default=0)
    h3 = models.FloatField(default=0)
    h6 = models.FloatField(default=0)
    h12 = models.FloatField(default=0)
    h24 = models.FloatField(default=0)

    def __str__(self) -> str:
        return f"{self.station_id} {self.as_of:%H:%M} 1h={self.h1} 24h={self.h24}"

    def window(self, hours: int) -> float:
        return float(getattr(self, f"h{hours}"))


class IngestProblem(models.Model):
    """A message (or part of one) that could not be stored as sent, and why: nothing is dropped silently."""

    kind = models.CharField(_("问题"), max_length=20, choices=ProblemKind.choices)
    topic = models.CharField(_("主题"), max_length=200)
    station_code = models.CharField(_("测站编码"), max_length=40, blank=True)
    detail = models.CharField(_("说明"), max_length=300)
    payload = models.TextField(_("报文（截取）"), blank=True)
    received_at = models.DateTimeField(_("接收时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("接入问题")
        verbose_name_plural = _("接入问题")
        ordering = ["-received_at", "-pk"]
        indexes = [models.Index(fields=["-received_at"], name="sensors_problem_recent")]

    def __str__(self) -> str:
        return f"{self.kind} {self.topic}"


class AlarmRule(models.Model):
    """An alarm rule: which stations, which element over which window, the threshold, hold time and
    hysteresis, and the severity. A rule names one station, or an area (township, village) and a
    station type; an empty area means every station of the type.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("规则名称"), max_length=100)
    condition = models.CharField(_("条件"), max_length=16, choices=Condition.choices, default=Condition.THRESHOLD)
    station = models.ForeignKey(
        Station, verbose_name=_("测站"), null=True, blank=True, on_delete=models.CASCADE, related_name="rules"
    )
    station_type = models.CharField(_("适用测站类型"), max_length=16, choices=StationType.choices, blank=True)
    township = models.CharField(_("适用镇（街道）"), max_length=60, blank=True)
    village = models.CharField(_("适用村（社区）"), max_length=60, blank=True)
    element = models.ForeignKey(
        Element, verbose_name=_("要素"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # 0: the newest value; otherwise the sum over the last N hours (rainfall: 1, 3, 6, 12 or 24):
    window_hours = models.PositiveSmallIntegerField(_("统计时段（小时）"), default=0)
    direction = models.CharField(_("方向"), max_length=6, choices=Direction.choices, default=Direction.ABOVE)
    # The value (or for an intake, the percentage of the licensed yearly volume; for a status bit, its position):
    threshold = models.FloatField(_("阈值"), default=0)
    hysteresis = models.FloatField(_("解除回差"), default=0)
    hold_minutes = models.PositiveSmallIntegerField(_("持续时间（分钟）"), default=0)
    severity = models.CharField(_("预警等级"), max_length=8, choices=Severity.choices)
    notice_kind = models.CharField(_("通知对象"), max_length=8, choices=NoticeKind.choices, default=NoticeKind.NONE)
    is_active = models.BooleanField(_("启用"), default=True)
    note = models.CharField(_("依据/说明"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("报警规则")
        verbose_name_plural = _("报警规则")
        ordering = ["condition", "element", "window_hours", "threshold"]

    def __str__(self) -> str:
        return self.name


class Alarm(models.Model):
    """One alarm of one rule at one station, through pending → active → acknowledged → cleared.

    At most one open alarm per rule and station: a repeated condition updates it.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    rule = models.ForeignKey(AlarmRule, verbose_name=_("规则"), on_delete=models.PROTECT, related_name="alarms")
    station = models.ForeignKey(Station, verbose_name=_("测站"), on_delete=models.PROTECT, related_name="alarms")
    severity = models.CharField(_("预警等级"), max_length=8, choices=Severity.choices)
    status = models.CharField(_("状态"), max_length=14, choices=AlarmStatus.choices, default=AlarmStatus.PENDING)
    value = models.FloatField(_("当前值"), null=True, blank=True)
    peak_value = models.FloatField(_("峰值"), null=True, blank=True)
    # Times of the condition, on the stations' clock (observed time), and of the people's acts:
    started_at = models.DateTimeField(_("开始时间"))
    last_met_at = models.DateTimeField(_("最近满足时间"))
    activated_at = models.DateTimeField(_("报警时间"), null=True, blank=True)
    acknowledged_at = models.DateTimeField(_("签收时间"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        "identity.User", verbose_name=_("签收人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    escalated_at = models.DateTimeField(_("上报值班领导时间"), null=True, blank=True)
    cleared_at = models.DateTimeField(_("解除时间"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("报警")
        verbose_name_plural = _("报警")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "station"],
                condition=Q(status__in=OPEN_ALARM_STATUSES),
                name="sensors_one_open_alarm_per_rule_and_station",
            )
        ]
        indexes = [models.Index(fields=["status", "severity"], name="sensors_alarm_status")]

    def __str__(self) -> str:
        return f"{self.rule} @ {self.station.code}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_ALARM_STATUSES


class Subscription(models.Model):
    """A person's subscription to the warnings of one village (or one plot in it).

    Made by the person on the workspace, or by the bureau (``is_statutory``) for a village's
    residents under its duty to warn of red alarms; such an enrolment receives red alarms only,
    unless the person subscribed themselves too. ``emergency_only`` is the person's opt-out of
    non-emergency notices.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(
        "identity.User", null=True, blank=True, on_delete=models.CASCADE, related_name="sensor_subscriptions"
    )
    person = models.ForeignKey(
        "identity.NaturalPerson", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    township = models.CharField(_("镇（街道）"), max_length=60, blank=True)
    village = models.CharField(_("村（社区）"), max_length=60)
    plot = models.CharField(_("地块"), max_length=100, blank=True)
    channel = models.CharField(_("通知方式"), max_length=8, choices=Channel.choices, default=Channel.SMS)
    emergency_only = models.BooleanField(_("只接收紧急（红色）预警"), default=False)
    is_statutory = models.BooleanField(_("由农林水利局依职责登记"), default=False)
    is_active = models.BooleanField(_("有效"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("预警订阅")
        verbose_name_plural = _("预警订阅")
        ordering = ["village", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(user__isnull=False) | Q(person__isnull=False), name="sensors_subscription_has_someone"
            ),
            models.UniqueConstraint(
                fields=["user", "village", "is_statutory"],
                condition=Q(is_active=True, user__isnull=False),
                name="sensors_one_subscription_per_user_village",
            ),
            models.UniqueConstraint(
                fields=["person", "village"],
                condition=Q(is_active=True, user__isnull=True),
                name="sensors_one_enrolment_per_person_village",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.village} {self.user_id or self.person_id}"


class AlarmNotice(models.Model):
    """A notice of an alarm to one person (or one unit member), with the notification that carried it."""

    alarm = models.ForeignKey(Alarm, on_delete=models.PROTECT, related_name="notices")
    user = models.ForeignKey("identity.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    subscription = models.ForeignKey(
        Subscription, null=True, blank=True, on_delete=models.SET_NULL, related_name="notices"
    )
    notification = models.ForeignKey(
        "proactive.Notification", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    audience = models.CharField(_("对象"), max_length=16)  # resident, staff, holder, duty_officer
    severity = models.CharField(_("预警等级"), max_length=8, choices=Severity.choices)
    outcome = models.CharField(_("结果"), max_length=14, choices=NoticeOutcome.choices, default=NoticeOutcome.SENT)
    text = models.CharField(_("内容"), max_length=300)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("预警通知记录")
        verbose_name_plural = _("预警通知记录")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="sensors_notice_user"),
            models.Index(fields=["subscription", "-created_at"], name="sensors_notice_subscription"),
        ]

    def __str__(self) -> str:
        return f"{self.alarm_id} → {self.audience} {self.outcome}"


class DutyShift(models.Model):
    """Who is the duty officer (值班领导) of a unit and when: an unacknowledged red alarm goes to them."""

    department = models.ForeignKey("identity.Department", verbose_name=_("单位"), on_delete=models.CASCADE)
    user = models.ForeignKey("identity.User", verbose_name=_("值班人员"), on_delete=models.CASCADE, related_name="+")
    starts_at = models.DateTimeField(_("开始时间"))
    ends_at = models.DateTimeField(_("结束时间"))

    class Meta:
        verbose_name = _("值班安排")
        verbose_name_plural = _("值班安排")
        ordering = ["-starts_at"]

    def __str__(self) -> str:
        return f"{self.department_id} {self.user_id} {self.starts_at:%Y-%m-%d %H:%M}"
