"""Demo stations and alarm rules (idempotent): the 暴雨 signals, one county's flash-flood table,
water-level, drought, status-bit, offline and intake rules. Everything is data and editable.

The 暴雨 signal thresholds are those of the national meteorological warning signals (blue
12 h ≥ 50 mm, yellow 6 h ≥ 50, orange 3 h ≥ 50, red 3 h ≥ 100). The flash-flood table is a
DEMO of the form county plans take (准备转移 / 立即转移 critical rainfall per village and
window): the bureau replaces it with its own county's 山洪灾害防御预案 values.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from govhall.identity.models import Department, User
from govhall.identity.queries import find_person_by_id_number
from govhall.sensors.actions import subscribe_village
from govhall.sensors.constants import ELEMENTS, Channel, Condition, Direction, NoticeKind, Severity, StationType
from govhall.sensors.models import AlarmRule, Element, Station, Subscription

DEMO_FARMER_ID_NUMBER = "350205198503120020"

STATIONS: list[dict[str, Any]] = [
    {
        "code": "hc-guoban-rain",
        "name": "过坂村雨量站",
        "station_type": StationType.RAIN,
        "township": "东孚镇",
        "village": "过坂村",
        "latitude": "24.545100",
        "longitude": "117.958300",
        "elements": ["PJ", "VT", "ZT"],
        "interval_minutes": 5,
    },
    {
        "code": "hc-guoban-river",
        "name": "过坂溪水位站",
        "station_type": StationType.RIVER,
        "township": "东孚镇",
        "village": "过坂村",
        "latitude": "24.543000",
        "longitude": "117.961000",
        "elements": ["Z", "VT", "ZT"],
        "interval_minutes": 5,
        "fortified_level": 12.0,
        "warning_level": 12.8,
        "guaranteed_level": 13.6,
    },
    {
        "code": "hc-tianzhu-soil",
        "name": "天竺山墒情站",
        "station_type": StationType.SOIL,
        "township": "东孚镇",
        "village": "洪塘村",
        "latitude": "24.566000",
        "longitude": "117.940000",
        "elements": ["M10", "M20", "M40", "VT", "ZT"],
        "interval_minutes": 60,
    },
    {
        "code": "hc-qingquan-intake",
        "name": "清泉食品公司取水口",
        "station_type": StationType.INTAKE,
        "township": "东孚镇",
        "village": "鼎美村",
        "latitude": "24.530000",
        "longitude": "117.975000",
        "elements": ["WU", "Q", "VT", "ZT"],
        "interval_minutes": 15,
        "licensed_yearly_volume": 120000.0,
    },
]

# name, window (h), threshold (mm), severity, notice:
RAINSTORM_SIGNALS = [
    ("暴雨蓝色预警信号：12小时降雨量≥50毫米", 12, 50, Severity.BLUE),
    ("暴雨黄色预警信号：6小时降雨量≥50毫米", 6, 50, Severity.YELLOW),
    ("暴雨橙色预警信号：3小时降雨量≥50毫米", 3, 50, Severity.ORANGE),
    ("暴雨红色预警信号：3小时降雨量≥100毫米", 3, 100, Severity.RED),
]
# DEMO flash-flood critical rainfall (mm) of one village: window, 准备转移, 立即转移:
FLASH_FLOOD_TABLE: dict[str, Any] = {
    "township": "东孚镇",
    "village": "过坂村",
    "rows": [(1, 35, 50), (3, 60, 85), (6, 80, 110)],
}
# Agricultural drought by relative soil moisture at 20 cm (%): below the value, that grade:
DROUGHT_GRADES = [("轻旱：20厘米土壤相对湿度≤60%", 60, Severity.BLUE), ("中旱：≤50%", 50, Severity.YELLOW),
                  ("重旱：≤40%", 40, Severity.ORANGE), ("特旱：≤30%", 30, Severity.RED)]  # fmt: skip


def _rule(name: str, **fields: Any) -> None:
    AlarmRule.objects.update_or_create(name=name, defaults=fields)


@transaction.atomic
def load_sensors_demo(department: Department | None = None) -> int:
    """Create the demo stations (of the water section) and rules; return how many stations were made."""
    department = department or (
        Department.objects.filter(code="water").first() or Department.objects.filter(parent__isnull=True).first()
    )
    if department is None:
        return 0
    for order, (code, name, unit, kind, low, high) in enumerate(ELEMENTS):
        Element.objects.get_or_create(
            code=code,
            defaults={"name": name, "unit": unit, "kind": kind, "minimum": low, "maximum": high, "sort_order": order},
        )
    made = 0
    for spec in STATIONS:
        data = dict(spec)
        elements = data.pop("elements")
        station, created = Station.objects.get_or_create(code=data["code"], defaults={**data, "department": department})
        station.elements.set(Element.objects.filter(code__in=elements))
        made += int(created)
    pj = Element.objects.get(code="PJ")
    for name, hours, threshold, severity in RAINSTORM_SIGNALS:
        _rule(name, station_type=StationType.RAIN, element=pj, window_hours=hours, threshold=threshold,
              hysteresis=threshold * 0.2, severity=severity, notice_kind=NoticeKind.FLOOD,
              note="气象灾害预警信号（暴雨）")  # fmt: skip
    table = FLASH_FLOOD_TABLE
    for hours, prepare, evacuate in table["rows"]:
        for threshold, severity, word in ((prepare, Severity.ORANGE, "准备转移"), (evacuate, Severity.RED, "立即转移")):
            _rule(f"山洪{word}（{table['village']}）：{hours}小时雨量≥{threshold}毫米", station_type=StationType.RAIN,
                  township=table["township"], village=table["village"], element=pj, window_hours=hours,
                  threshold=threshold, hysteresis=threshold * 0.2, severity=severity, notice_kind=NoticeKind.FLOOD,
                  note="示例山洪灾害预警指标（演示数据，请以本县预案为准）")  # fmt: skip
    river = Station.objects.get(code="hc-guoban-river")
    z = Element.objects.get(code="Z")
    for name, level, severity in (("超设防水位", river.fortified_level, Severity.YELLOW),
                                  ("超警戒水位", river.warning_level, Severity.ORANGE),
                                  ("超保证水位", river.guaranteed_level, Severity.RED)):  # fmt: skip
        _rule(f"过坂溪{name}", station=river, element=z, threshold=level, hysteresis=0.1, hold_minutes=5,
              severity=severity, notice_kind=NoticeKind.FLOOD)  # fmt: skip
    m20 = Element.objects.get(code="M20")
    for name, threshold, severity in DROUGHT_GRADES:
        _rule(f"农业干旱{name}", station_type=StationType.SOIL, element=m20, direction=Direction.BELOW,
              threshold=threshold, hysteresis=5, hold_minutes=120, severity=severity, notice_kind=NoticeKind.DROUGHT)  # fmt: skip
    zt = Element.objects.get(code="ZT")
    _rule(
        "蓄电池电压低（状态位 BIT1）", condition=Condition.STATUS_BIT, element=zt, threshold=1, severity=Severity.BLUE
    )
    _rule(
        "终端箱门开启（状态位 BIT7）", condition=Condition.STATUS_BIT, element=zt, threshold=7, severity=Severity.YELLOW
    )
    _rule("测站离线（超过2个报送间隔未收到数据）", condition=Condition.OFFLINE, severity=Severity.YELLOW)
    wu = Element.objects.get(code="WU")
    for percent, severity in ((80, Severity.YELLOW), (100, Severity.RED)):
        _rule(f"年度取水量达许可水量{percent}%", condition=Condition.INTAKE_VOLUME, station_type=StationType.INTAKE,
              element=wu, threshold=percent, hysteresis=1, severity=severity, notice_kind=NoticeKind.INTAKE)  # fmt: skip
    # The demo farmer (陈爱丽) follows the warnings of 过坂村 in the platform, all levels:
    farmer = find_person_by_id_number(DEMO_FARMER_ID_NUMBER)
    account = User.objects.filter(person=farmer, is_active=True).first() if farmer else None
    if account is not None and not Subscription.objects.filter(user=account, village="过坂村").exists():
        subscribe_village(account, village="过坂村", channel=Channel.IN_APP, plot="过坂村3林班")
    return made
