from django.urls import path

from govhall.delivery.api import views

urlpatterns = [
    path("cases/<uuid:public_id>/delivery/", views.MyCaseDeliveryView.as_view(), name="api-case-delivery"),
    path("cases/<uuid:public_id>/material-pickups/", views.MyCasePickupView.as_view(), name="api-case-pickups"),
    path("desk/deliveries/", views.DeskDeliveriesView.as_view(), name="api-desk-deliveries"),
    path("desk/deliveries/handover/", views.HandOverView.as_view(), name="api-desk-handover"),
]
