"""The open data sets' queries: public, non-personal data only, small counts suppressed (docs/exchange.md §Open data).

Each query returns its field descriptions and its rows. A count below the data set's
``min_count`` (5 by default) is published as empty (``null``), together with every figure
derived from the same few cases, so that nobody can be singled out. The queries read the
other apps' tables for aggregates only (never a row about one person).
"""

from __future__ import annotations

import datetime
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone

from govhall.cases.constants import CaseStatus
from govhall.cases.models import Case
from govhall.catalog.queries import live_versions
from govhall.licences.models import Licence
from govhall.ratings.constants import LEVEL_SCORES
from govhall.ratings.models import Rating


@dataclass(frozen=True)
class Field:
    name: str
    title: str
    type: str  # string, integer, number, date
    description: str = ""


@dataclass(frozen=True)
class Query:
    title: str
    fields: list[Field]
    rows: Callable[[int], list[dict[str, Any]]]


def _month(value: datetime.datetime | datetime.date) -> str:
    return value.strftime("%Y-%m")


def _catalog(min_count: int) -> list[dict[str, Any]]:
    return [
        {
            "TASK_CODE": v.item.implementation_code,
            "TASK_NAME": v.name,
            "TASK_TYPE": v.item_type,
            "DEPT_NAME": v.handling_department.name,
            "ANTICIPATE_DAY": v.statutory_limit,
            "PROMISE_DAY": v.committed_limit,
            "TASK_VERSION": v.number,
        }
        for v in live_versions().select_related("item", "handling_department").order_by("item__implementation_code")
    ]


def _part(part: int, whole: int, min_count: int) -> int | None:
    """A count inside a published total: empty when it, or the rest of the total, is a small
    count (1 to min_count − 1), so that neither can single anybody out; 0 is published."""
    rest = whole - part
    return None if 0 < part < min_count or 0 < rest < min_count else part


def _cases_by_item_month(min_count: int) -> list[dict[str, Any]]:
    filed = (
        Case.objects.exclude(status=CaseStatus.DRAFT)
        .filter(submitted_at__isnull=False)
        .annotate(month=TruncMonth("submitted_at"))
        .values("item_version__item__implementation_code", "item_version__name", "month")
        .annotate(filed=Count("pk"), closed=Count("pk", filter=Q(status=CaseStatus.CLOSED)))
        .order_by("item_version__item__implementation_code", "month")
    )
    merged: dict[tuple[str, str], dict[str, Any]] = {}
    for row in filed:
        key = (row["item_version__item__implementation_code"], _month(row["month"]))
        entry = merged.setdefault(
            key, {"TASK_CODE": key[0], "TASK_NAME": row["item_version__name"], "MONTH": key[1], "FILED": 0, "CLOSED": 0}
        )
        entry["FILED"] += row["filed"]
        entry["CLOSED"] += row["closed"]
    rows = []
    for entry in merged.values():
        small = entry["FILED"] < min_count
        closed = None if small else _part(entry["CLOSED"], entry["FILED"], min_count)
        rows.append({**entry, "FILED": None if small else entry["FILED"], "CLOSED": closed})
    return rows


def _handling_days(min_count: int) -> list[dict[str, Any]]:
    days: dict[str, list[float]] = {}
    names: dict[str, str] = {}
    for code, name, submitted, closed in Case.objects.filter(
        status=CaseStatus.CLOSED, submitted_at__isnull=False, closed_at__isnull=False
    ).values_list("item_version__item__implementation_code", "item_version__name", "submitted_at", "closed_at"):
        if closed is None or submitted is None:  # excluded by the filter; for the type checker
            continue
        days.setdefault(code, []).append((closed - submitted).total_seconds() / 86400)
        names[code] = name
    rows = []
    for code in sorted(days):
        values = days[code]
        small = len(values) < min_count
        rows.append(
            {
                "TASK_CODE": code,
                "TASK_NAME": names[code],
                "CLOSED": None if small else len(values),
                "AVERAGE_DAYS": None if small else round(statistics.fmean(values), 1),
                "MEDIAN_DAYS": None if small else round(statistics.median(values), 1),
            }
        )
    return rows


def _ratings(min_count: int) -> list[dict[str, Any]]:
    scores = {str(level): score for level, score in LEVEL_SCORES.items()}
    grouped: dict[tuple[str, str], list[int]] = {}
    for department, rated_at, level in Rating.objects.filter(is_removed=False).values_list(
        "department__name", "rated_at", "level"
    ):
        grouped.setdefault((department, _month(timezone.localtime(rated_at))), []).append(scores[level])
    rows = []
    for (department, month), values in sorted(grouped.items()):
        small = len(values) < min_count
        rows.append(
            {
                "DEPT_NAME": department,
                "MONTH": month,
                "RATINGS": None if small else len(values),
                "AVERAGE_SCORE": None if small else round(statistics.fmean(values), 2),
                "BAD_RATINGS": None if small else _part(sum(1 for v in values if v <= 2), len(values), min_count),
            }
        )
    return rows


def _licence_counts(min_count: int) -> list[dict[str, Any]]:
    rows = []
    for row in (
        Licence.objects.values("licence_type__code", "licence_type__name", "issued_on__year")
        .annotate(n=Count("pk"), valid=Count("pk", filter=Q(status="01")))
        .order_by("licence_type__code", "issued_on__year")
    ):
        small = row["n"] < min_count
        rows.append(
            {
                "ZZLXDM": row["licence_type__code"],
                "ZZMC": row["licence_type__name"],
                "YEAR": row["issued_on__year"],
                "ISSUED": None if small else row["n"],
                "VALID_NOW": None if small else _part(row["valid"], row["n"], min_count),
            }
        )
    return rows


# The hourly sensor data set covers this many hours back from the last full hour:
SENSOR_HOURS = 7 * 24


def _sensor_hours(min_count: int) -> list[dict[str, Any]]:
    """Each public station's readings by hour over the last week: rainfall summed, levels averaged.

    Water-intake meters are left out (a permit holder's use is its business's data), as are
    status bits, supply voltage and readings flagged as impossible. No person is in these
    data, so no count is suppressed.
    """
    from django.db.models import Avg, Max, Min, Sum
    from django.db.models.functions import TruncHour

    from govhall.sensors.constants import ElementKind, StationType
    from govhall.sensors.models import Reading, Station

    end = timezone.now().replace(minute=0, second=0, microsecond=0)
    start = end - datetime.timedelta(hours=SENSOR_HOURS)
    stations = {s.pk: s for s in Station.objects.filter(is_active=True).exclude(station_type=StationType.INTAKE)}
    rows = []
    for row in (
        Reading.objects.filter(station_id__in=list(stations), observed_at__gte=start, observed_at__lt=end, quality=0)
        .exclude(element__kind=ElementKind.STATUS)
        .exclude(element_id="VT")
        .annotate(hour=TruncHour("observed_at", tzinfo=timezone.get_current_timezone()))
        .values("station_id", "element_id", "element__name", "element__unit", "element__kind", "hour")
        .annotate(total=Sum("value"), mean=Avg("value"), low=Min("value"), high=Max("value"), n=Count("value"))
        .order_by("station_id", "element_id", "hour")
    ):
        station = stations[row["station_id"]]
        summed = row["element__kind"] == ElementKind.INCREMENT
        rows.append(
            {
                "STCD": station.code,
                "STNM": station.name,
                "STTP": station.get_station_type_display(),
                "TOWNSHIP": station.township,
                "ELEMENT": row["element_id"],
                "ELEMENT_NAME": row["element__name"],
                "UNIT": row["element__unit"],
                "HOUR": timezone.localtime(row["hour"]).strftime("%Y-%m-%dT%H:00"),
                "VALUE": round(row["total"] if summed else row["mean"], 3),
                "MIN": None if summed else round(row["low"], 3),
                "MAX": None if summed else round(row["high"], 3),
                "READINGS": row["n"],
            }
        )
    return rows


QUERIES: dict[str, Query] = {
    "catalog": Query(
        "政务服务事项目录",
        [
            Field("TASK_CODE", "实施编码", "string"),
            Field("TASK_NAME", "事项名称", "string"),
            Field("TASK_TYPE", "事项类型", "string", "01 行政许可 … 20 公共服务"),
            Field("DEPT_NAME", "承办科室", "string"),
            Field("ANTICIPATE_DAY", "法定办结时限", "integer"),
            Field("PROMISE_DAY", "承诺办结时限", "integer"),
            Field("TASK_VERSION", "版本号", "integer"),
        ],
        _catalog,
    ),
    "cases_by_item_month": Query(
        "按事项和月份的办件量",
        [
            Field("TASK_CODE", "实施编码", "string"),
            Field("TASK_NAME", "事项名称", "string"),
            Field("MONTH", "月份", "string", "YYYY-MM，按提交时间"),
            Field("FILED", "申请件数", "integer", "少于阈值时为空"),
            Field("CLOSED", "其中已办结", "integer", "少于阈值时为空"),
        ],
        _cases_by_item_month,
    ),
    "handling_days": Query(
        "办结用时",
        [
            Field("TASK_CODE", "实施编码", "string"),
            Field("TASK_NAME", "事项名称", "string"),
            Field("CLOSED", "已办结件数", "integer", "少于阈值时为空"),
            Field("AVERAGE_DAYS", "平均用时（自然日）", "number", "从提交到办结"),
            Field("MEDIAN_DAYS", "用时中位数（自然日）", "number"),
        ],
        _handling_days,
    ),
    "ratings": Query(
        "好差评汇总",
        [
            Field("DEPT_NAME", "被评价单位", "string"),
            Field("MONTH", "月份", "string"),
            Field("RATINGS", "评价数", "integer", "少于阈值时为空"),
            Field("AVERAGE_SCORE", "平均分（1–5）", "number"),
            Field("BAD_RATINGS", "差评数", "integer"),
        ],
        _ratings,
    ),
    "licence_counts": Query(
        "电子证照数量",
        [
            Field("ZZLXDM", "证照类型代码", "string"),
            Field("ZZMC", "证照名称", "string"),
            Field("YEAR", "颁发年份", "integer"),
            Field("ISSUED", "颁发数", "integer", "少于阈值时为空"),
            Field("VALID_NOW", "目前有效数", "integer", "少于阈值时为空"),
        ],
        _licence_counts,
    ),
    "sensor_hours": Query(
        "雨水情逐时数据（近7天）",
        [
            Field("STCD", "测站编码", "string"),
            Field("STNM", "测站名称", "string"),
            Field("STTP", "测站类型", "string"),
            Field("TOWNSHIP", "镇街", "string"),
            Field("ELEMENT", "要素标识符", "string", "SL 651：PJ 降水量，Z 水位，M20 等土壤含水量"),
            Field("ELEMENT_NAME", "要素名称", "string"),
            Field("UNIT", "单位", "string"),
            Field("HOUR", "时段", "string", "本地时间，该小时的开始"),
            Field("VALUE", "数值", "number", "雨量为该小时累计，水位等为该小时平均"),
            Field("MIN", "最小值", "number", "累计量为空"),
            Field("MAX", "最大值", "number", "累计量为空"),
            Field("READINGS", "观测次数", "integer"),
        ],
        _sensor_hours,
    ),
}
