from django.urls import path

from govhall.sensors.api import views

urlpatterns = [
    path("sensors/", views.PublicPictureView.as_view(), name="api-sensors-public"),
    path("desk/sensor-alarms/", views.OpenAlarmsView.as_view(), name="api-desk-sensor-alarms"),
    path(
        "desk/sensor-alarms/<uuid:public_id>/acknowledge/",
        views.AcknowledgeAlarmView.as_view(),
        name="api-desk-sensor-alarm-acknowledge",
    ),
]
