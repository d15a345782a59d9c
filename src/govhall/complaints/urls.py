from django.urls import path

from govhall.complaints import views

app_name = "complaints"

urlpatterns = [
    path("complaints/new/", views.new_complaint, name="new"),
    path("complaints/new/<uuid:public_id>/", views.submitted, name="submitted"),
    path("complaints/follow/", views.follow, name="follow"),
    path("complaints/follow/<uuid:public_id>/", views.followed, name="followed"),
    path("desk/complaints/", views.desk_list, name="desk_list"),
    path("desk/complaints/new/", views.desk_new, name="desk_new"),
    path("desk/complaints/<uuid:public_id>/", views.desk_detail, name="desk_detail"),
    path("desk/complaints/<uuid:public_id>/contact/", views.desk_contact, name="desk_contact"),
    path("desk/complaints/<uuid:public_id>/<slug:action>/", views.desk_action, name="desk_action"),
    path("desk/supervision/", views.orders, name="orders"),
    path("desk/supervision/new/", views.raise_order, name="raise_order"),
    path("desk/supervision/<uuid:public_id>/", views.order, name="order"),
    path("desk/supervision/<uuid:public_id>/evidence/<uuid:evidence_id>/", views.evidence, name="evidence"),
    path("desk/supervision/<uuid:public_id>/<slug:action>/", views.order_action, name="order_action"),
]
