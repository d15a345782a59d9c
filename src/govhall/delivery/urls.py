from django.urls import path

from govhall.delivery import views

app_name = "delivery"

urlpatterns = [
    path("my/delivery/cases/<uuid:public_id>/", views.my_choose, name="my_choose"),
    path("my/delivery/cases/<uuid:public_id>/pickup/", views.my_pickup, name="my_pickup"),
    path("my/deliveries/<uuid:public_id>/decision.pdf", views.my_decision, name="my_decision"),
    path("my/deliveries/<uuid:public_id>/licence.pdf", views.my_licence, name="my_licence"),
    path("delivery/ems/push/", views.ems_push, name="ems_push"),
    path("desk/delivery/", views.desk_deliveries, name="desk_deliveries"),
    path("desk/delivery/handover/", views.desk_handover, name="desk_handover"),
    path("desk/delivery/shipments/<uuid:public_id>/label.pdf", views.desk_label, name="desk_label"),
    path("desk/delivery/<uuid:public_id>/decision.pdf", views.desk_decision, name="desk_decision"),
]
