from django.urls import path

from govhall.complaints.api import views

urlpatterns = [
    path("complaints/", views.SubmitComplaintView.as_view(), name="api-complaints"),
    path("complaints/follow/", views.FollowComplaintView.as_view(), name="api-complaint-follow"),
    path("desk/complaints/", views.StaffComplaintListView.as_view(), name="api-desk-complaints"),
    path("desk/complaints/<uuid:public_id>/", views.StaffComplaintDetailView.as_view(), name="api-desk-complaint"),
    path("desk/supervision-orders/", views.OrderListView.as_view(), name="api-desk-orders"),
    path("desk/supervision-orders/<uuid:public_id>/", views.OrderDetailView.as_view(), name="api-desk-order"),
    path(
        "desk/supervision-orders/<uuid:public_id>/reply/", views.OrderReplyView.as_view(), name="api-desk-order-reply"
    ),
]
