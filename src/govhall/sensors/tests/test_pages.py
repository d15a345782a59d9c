"""The desk, workspace and public pages and the API: who may open what, and what they show."""

from __future__ import annotations

import datetime
from collections.abc import Callable

from django.test import Client
from django.utils import timezone

from conftest import PASSWORD
from govhall.identity.models import User
from govhall.sensors import actions
from govhall.sensors.models import Alarm, Station, Subscription
from govhall.sensors.tests.conftest import data, rain_series


def _storm(alice: User) -> Alarm:
    actions.subscribe_village(alice, village="过坂村")
    end = timezone.now().replace(second=0, microsecond=0)
    actions.store_messages(rain_series("hc-guoban-rain", end, [110 / 36] * 36))
    actions.store_messages([data("hc-guoban-rain", end, {"ZT": 2})])
    return Alarm.objects.get(rule__name__startswith="暴雨红色", station__code="hc-guoban-rain")


def test_the_public_page_shows_warnings_and_values_without_personal_data(
    stations: dict[str, Station], alice: User, zh_client: Client
) -> None:
    _storm(alice)
    page = zh_client.get("/sensors/").content.decode()
    assert "暴雨红色预警信号" in page and "过坂村雨量站" in page
    assert "蓄电池" not in page  # technical alarms are not public
    assert "陈爱丽" not in page and "alice" not in page
    api = zh_client.get("/api/v1/sensors/").json()
    assert any(w["severity"] == "red" for w in api["warnings"])
    assert "陈爱丽" not in str(api)


def test_the_water_clerk_sees_and_acknowledges_and_the_forestry_clerk_gets_404(
    stations: dict[str, Station], alice: User, carol: User, bob: User, desk: Callable[[User], Client]
) -> None:
    alarm = _storm(alice)
    station = stations["hc-guoban-rain"]
    as_bob = desk(bob)
    assert as_bob.get(f"/desk/sensors/stations/{station.public_id}/").status_code == 404
    assert as_bob.post(f"/desk/sensors/alarms/{alarm.public_id}/acknowledge/").status_code == 404
    alarm.refresh_from_db()
    assert alarm.status == "active"
    as_carol = desk(carol)
    home = as_carol.get("/desk/sensors/").content.decode()
    assert "暴雨红色预警信号" in home and "签收" in home
    for span in ("24h", "7d", "year"):
        page = as_carol.get(f"/desk/sensors/stations/{station.public_id}/?element=PJ&range={span}")
        assert page.status_code == 200 and b"sensor-chart-data" in page.content
    answer = as_carol.post(f"/desk/sensors/alarms/{alarm.public_id}/acknowledge/", follow=True)
    assert "已签收报警" in answer.content.decode()
    alarm.refresh_from_db()
    assert alarm.status == "acknowledged"
    again = as_carol.post(f"/api/v1/desk/sensor-alarms/{alarm.public_id}/acknowledge/")
    assert again.status_code == 409


def test_a_villager_subscribes_on_the_workspace_and_cannot_end_a_bureau_enrolment(
    stations: dict[str, Station], alice: User, carol: User
) -> None:
    from conftest import ALICE_ID

    client = Client()
    client.post("/login/", {"account": ALICE_ID, "password": PASSWORD})
    page = client.get("/my/sensors/")
    assert page.status_code == 200
    answer = client.post("/my/sensors/", {"village": "过坂村", "channel": "sms", "emergency_only": "on"}, follow=True)
    assert "已订阅 过坂村 的预警" in answer.content.decode()
    sub = Subscription.objects.get(user=alice)
    assert sub.emergency_only
    actions.enrol_village_residents(actor=carol, village="过坂村", id_numbers=[ALICE_ID])
    statutory = Subscription.objects.get(user=alice, is_statutory=True)
    answer = client.post("/my/sensors/", {"end": str(statutory.public_id)}, follow=True)
    assert "依职责办理" in answer.content.decode()
    assert Subscription.objects.get(pk=statutory.pk).is_active
    client.post("/my/sensors/", {"end": str(sub.public_id)})
    assert not Subscription.objects.get(pk=sub.pk).is_active
    # A tampered form is "not found", as another person's subscription would be:
    assert client.post("/my/sensors/", {"end": "abc"}).status_code == 404


def test_old_readings_make_the_year_chart_from_the_day_table(stations: dict[str, Station], carol: User) -> None:
    from govhall.sensors.models import Element
    from govhall.sensors.queries import chart_series

    now = timezone.now()
    for days in (1, 2, 40):
        actions.store_messages([data("hc-guoban-river", now - datetime.timedelta(days=days), {"Z": 11.0 + days / 100})])
    points = chart_series(stations["hc-guoban-river"], Element.objects.get(code="Z"), "year")
    assert len(points) == 3
