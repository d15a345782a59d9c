from django.urls import path

from govhall.ratings import views

app_name = "ratings"

urlpatterns = [
    path("my/ratings/", views.my_ratings, name="my_ratings"),
    path("my/ratings/cases/<uuid:public_id>/", views.rate_case, name="rate_case"),
    path("ratings/sms/<str:token>/", views.sms_rate, name="sms_rate"),
    path("desk/ratings/", views.desk_ratings, name="desk_ratings"),
    path("desk/ratings/hotline/", views.desk_hotline, name="desk_hotline"),
    path("desk/ratings/rectifications/<uuid:public_id>/", views.desk_rectification, name="desk_rectification"),
    path(
        "desk/ratings/rectifications/<uuid:public_id>/evidence/<uuid:evidence_id>/",
        views.desk_evidence,
        name="desk_evidence",
    ),
    path(
        "desk/ratings/rectifications/<uuid:public_id>/<slug:action>/",
        views.desk_rectification_action,
        name="desk_rectification_action",
    ),
]
