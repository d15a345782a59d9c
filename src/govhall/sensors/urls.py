from django.urls import path

from govhall.sensors import views

app_name = "sensors"

urlpatterns = [
    path("sensors/", views.public_board, name="public"),
    path("my/sensors/", views.my_subscriptions, name="my_subscriptions"),
    path("desk/sensors/", views.desk_home, name="desk_home"),
    path("desk/sensors/enrol/", views.desk_enrol, name="desk_enrol"),
    path("desk/sensors/stations/<uuid:public_id>/", views.desk_station, name="desk_station"),
    path("desk/sensors/alarms/<uuid:public_id>/<slug:action>/", views.desk_alarm_action, name="desk_alarm_action"),
]
