"""Alarms from rules: the storm raises the 暴雨 and flash-flood alarms, villagers hear 准备转移 then 立即转移,
the clerk acknowledges, offline and escalation, status bits, the intake's licensed volume."""

from __future__ import annotations

import datetime

import pytest

from django.core.exceptions import PermissionDenied
from django.utils import timezone

from govhall.identity.models import Department, User
from govhall.proactive.models import Notification
from govhall.sensors import actions
from govhall.sensors.constants import AlarmStatus
from govhall.sensors.models import Alarm, AlarmNotice, AlarmRule, DutyShift, Station, Subscription
from govhall.sensors.tests.conftest import data, rain_series


def _alarm(rule_start: str, code: str) -> Alarm:
    return Alarm.objects.get(rule__name__startswith=rule_start, station__code=code)


def _resident_subjects(user: User) -> list[str]:
    return list(
        Notification.objects.filter(recipient=user, subject__contains="过坂村")
        .order_by("pk")
        .values_list("subject", flat=True)
    )


def test_a_storm_warns_the_village_prepare_then_evacuate_and_the_clerk_acknowledges(
    stations: dict[str, Station], alice: User, carol: User
) -> None:
    actions.subscribe_village(alice, village="过坂村")
    end = timezone.now().replace(second=0, microsecond=0)
    # First hour: 40 mm → the flash-flood table's 1 h 准备转移 (35 mm, orange):
    actions.store_messages(rain_series("hc-guoban-rain", end - datetime.timedelta(minutes=60), [40 / 12] * 12))
    assert _alarm("山洪准备转移（过坂村）：1小时", "hc-guoban-rain").status == AlarmStatus.ACTIVE
    assert _resident_subjects(alice) == ["【橙色预警】过坂村：准备转移"]
    # The next hour brings 70 mm: the 1 h 立即转移 (50 mm, red) and the 3 h 暴雨 orange (≥ 50) fire:
    actions.store_messages(rain_series("hc-guoban-rain", end, [70 / 12] * 12))
    red = _alarm("山洪立即转移（过坂村）：1小时", "hc-guoban-rain")
    assert red.status == AlarmStatus.ACTIVE and red.severity == "red"
    # Red at once; the other orange alarms of the hour are recorded but rate-limited for Alice:
    assert _resident_subjects(alice) == ["【橙色预警】过坂村：准备转移", "【红色预警】过坂村：立即转移"]
    assert AlarmNotice.objects.filter(user=alice, outcome="rate_limited").exists()
    assert "立即转移" in Notification.objects.filter(recipient=alice).order_by("pk").last().body  # type: ignore[union-attr]
    # A repeated condition updates the open alarm, never duplicates it:
    actions.store_messages(rain_series("hc-guoban-rain", end + datetime.timedelta(minutes=5), [6.0]))
    assert Alarm.objects.filter(rule=red.rule, station=red.station).count() == 1
    # Carol (water section) is told and acknowledges:
    assert Notification.objects.filter(recipient=carol, subject__startswith="【红色报警】").exists()
    actions.acknowledge_alarm(red, actor=carol)
    red.refresh_from_db()
    assert (red.status, red.acknowledged_by) == (AlarmStatus.ACKNOWLEDGED, carol)


def test_an_opt_out_of_non_emergency_and_a_bureau_enrolment_still_receive_red_only(
    stations: dict[str, Station], alice: User, carol: User
) -> None:
    from conftest import ALICE_ID

    sub = actions.subscribe_village(alice, village="过坂村", emergency_only=True)
    assert sub.emergency_only
    enrolled, missing = actions.enrol_village_residents(
        actor=carol, village="过坂村", id_numbers=[ALICE_ID, "350205199001010010"]
    )
    assert (enrolled, len(missing)) == (1, 1)
    end = timezone.now().replace(second=0, microsecond=0)
    actions.store_messages(rain_series("hc-guoban-rain", end - datetime.timedelta(minutes=60), [40 / 12] * 12))
    assert _resident_subjects(alice) == []
    actions.store_messages(rain_series("hc-guoban-rain", end, [70 / 12] * 12))
    assert _resident_subjects(alice) == ["【红色预警】过坂村：立即转移"]  # once, though subscribed twice
    with pytest.raises(PermissionDenied):
        actions.end_subscription(alice, Subscription.objects.get(user=alice, is_statutory=True))


def test_the_river_alarm_waits_its_hold_time_and_clears_only_past_the_hysteresis(stations: dict[str, Station]) -> None:
    t = timezone.now().replace(second=0, microsecond=0) - datetime.timedelta(minutes=30)
    river = "hc-guoban-river"

    def level(minutes: int, z: float) -> None:
        actions.store_messages([data(river, t + datetime.timedelta(minutes=minutes), {"Z": z})])

    level(0, 12.9)  # past 警戒 12.8: pending for its 5-minute hold
    alarm = _alarm("过坂溪超警戒水位", river)
    assert alarm.status == AlarmStatus.PENDING
    level(5, 12.95)
    alarm.refresh_from_db()
    assert alarm.status == AlarmStatus.ACTIVE
    level(10, 12.75)  # below 警戒 but within the 0.1 m hysteresis: still open
    alarm.refresh_from_db()
    assert alarm.status == AlarmStatus.ACTIVE
    level(15, 12.6)
    alarm.refresh_from_db()
    assert alarm.status == AlarmStatus.CLEARED and alarm.peak_value == 12.95


def test_status_bits_raise_battery_low_and_door_open(stations: dict[str, Station]) -> None:
    now = timezone.now().replace(microsecond=0)
    actions.store_messages([data("hc-guoban-river", now, {"ZT": (1 << 1) | (1 << 7)})])
    names = set(Alarm.objects.filter(station__code="hc-guoban-river").values_list("rule__name", flat=True))
    assert names == {"蓄电池电压低（状态位 BIT1）", "终端箱门开启（状态位 BIT7）"}


def test_a_silent_station_goes_offline_and_a_red_alarm_unacknowledged_goes_to_the_duty_officer(
    stations: dict[str, Station], departments: dict[str, Department], dan: User
) -> None:
    now = timezone.now()
    actions.store_messages([data("hc-guoban-river", now - datetime.timedelta(minutes=9), {"Z": 13.7})])
    actions.store_messages([data("hc-guoban-river", now - datetime.timedelta(minutes=3), {"Z": 13.8})])
    red = _alarm("过坂溪超保证水位", "hc-guoban-river")
    assert red.status == AlarmStatus.ACTIVE
    DutyShift.objects.create(department=departments["bureau"], user=dan, starts_at=now - datetime.timedelta(hours=1),
                             ends_at=now + datetime.timedelta(hours=8))  # fmt: skip
    assert actions.sweep_sensors(now=now + datetime.timedelta(minutes=5)).escalated == 0
    result = actions.sweep_sensors(now=now + datetime.timedelta(minutes=16))
    assert result.escalated == 1 and result.offline >= 1  # silent for > 2 × 5 minutes
    assert Notification.objects.filter(recipient=dan, subject__startswith="【未签收·上报值班领导】").count() == 1
    assert actions.sweep_sensors(now=now + datetime.timedelta(minutes=20)).escalated == 0
    offline = _alarm("测站离线", "hc-guoban-river")
    assert offline.status == AlarmStatus.ACTIVE
    actions.store_messages([data("hc-guoban-river", now, {"Z": 12.0})])
    actions.sweep_sensors(now=timezone.now())
    offline.refresh_from_db()
    assert offline.status == AlarmStatus.CLEARED


def test_an_intake_crossing_80_percent_of_its_licensed_volume_tells_the_holder_and_the_water_section(
    stations: dict[str, Station], alice: User, alice_company: object, carol: User
) -> None:
    from django.conf import settings

    from govhall.lib.licence_ids import make_licence_identifier
    from govhall.licences.demo import load_licence_demo
    from govhall.licences.models import Licence, LicenceType

    load_licence_demo()
    water = LicenceType.objects.get(name="取水许可证")
    licence = Licence.objects.create(
        identifier=make_licence_identifier(water.code, settings.BUREAU_CREDIT_CODE, "2024001", 1),
        licence_type=water, number="取水(2024)001", serial="2024001", issuer_name="局", issuer_code=settings.BUREAU_CREDIT_CODE,
        issued_on=datetime.date(2024, 1, 1), valid_from=datetime.date(2024, 1, 1), holder_name="绿源林业专业合作社",
        holder_code_type="001", holder_key="93350205MA2Y4GL0XK", holder_masked="93350205MA2Y4GL0XK",
        face={"annual_volume_m3": "1000"}, status_index=99,
    )  # fmt: skip
    intake = stations["hc-qingquan-intake"]
    actions.link_intake_to_licence(intake, licence_identifier=licence.identifier, actor=carol)
    now = timezone.now().replace(microsecond=0)
    actions.store_messages([data(intake.code, now - datetime.timedelta(minutes=30), {"WU": 500.0})])
    assert not Alarm.objects.filter(station=intake).exists()
    actions.store_messages([data(intake.code, now - datetime.timedelta(minutes=15), {"WU": 320.0})])
    alarm = Alarm.objects.get(station=intake)
    assert (alarm.rule.threshold, alarm.value) == (80, 82.0)
    assert Notification.objects.filter(recipient=alice, subject__startswith="取水量已达许可水量的 80%").exists()
    assert Notification.objects.filter(recipient=carol, subject__startswith="取水量已达许可水量的 80%").exists()
    actions.store_messages([data(intake.code, now, {"WU": 200.0})])
    assert set(Alarm.objects.filter(station=intake).values_list("rule__threshold", flat=True)) == {80, 100}
    assert AlarmRule.objects.filter(condition="intake_volume").count() == 2


def test_the_notice_limit_lets_a_rising_level_through_and_keeps_flood_and_drought_apart(
    stations: dict[str, Station], alice: User
) -> None:
    """Per person, place and kind: one notice per level in the interval, never a lower one after a higher one."""
    actions.subscribe_village(alice, village="过坂村")
    station = stations["hc-guoban-rain"]
    flood = iter(AlarmRule.objects.filter(notice_kind="flood").order_by("pk"))
    drought = AlarmRule.objects.filter(notice_kind="drought").first()
    now = timezone.now()

    def fire(severity: str, rule: AlarmRule | None = None) -> str:
        alarm = Alarm.objects.create(
            rule=rule or next(flood), station=station, severity=severity, status=AlarmStatus.ACTIVE,
            value=1.0, started_at=now, last_met_at=now, activated_at=now,
        )  # fmt: skip
        actions.send_alarm_notices(alarm, now=now)
        return AlarmNotice.objects.get(alarm=alarm, user=alice).outcome

    assert fire("blue") == "sent"
    assert fire("blue") == "rate_limited"  # a second rule of the same level in the same storm
    assert fire("orange") == "sent"  # a higher level always gets through
    assert fire("yellow") == "rate_limited"  # never a lower one after a higher one
    assert fire("blue", drought) == "sent"  # drought is its own kind
    assert fire("red") == "sent"
    assert fire("red") == "rate_limited"
    assert _resident_subjects(alice)[-1] == "【红色预警】过坂村：立即转移"


def test_only_the_unit_running_a_village_s_stations_enrols_its_residents(
    stations: dict[str, Station], alice: User, bob: User, carol: User
) -> None:
    from conftest import ALICE_ID

    with pytest.raises(PermissionDenied, match="不属于您所在的单位"):
        actions.enrol_village_residents(actor=bob, village="过坂村", id_numbers=[ALICE_ID])  # forestry
    assert not Subscription.objects.exists()
    assert actions.enrol_village_residents(actor=carol, village="过坂村", id_numbers=[ALICE_ID])[0] == 1  # water
