from django.urls import path

from govhall.publicinfo.api import views

urlpatterns = [
    path("info/entries/", views.EntryListView.as_view(), name="api-info-entries"),
    path("info/entries/<uuid:public_id>/", views.EntryDetailView.as_view(), name="api-info-entry"),
    path("info/requests/", views.SubmitRequestView.as_view(), name="api-info-requests"),
    path("info/requests/follow/", views.FollowRequestView.as_view(), name="api-info-request-follow"),
    path("desk/info/requests/", views.DeskRequestListView.as_view(), name="api-desk-info-requests"),
    path(
        "desk/info/requests/<uuid:public_id>/answer/",
        views.DeskRequestAnswerView.as_view(),
        name="api-desk-info-request-answer",
    ),
    path(
        "desk/info/requests/<uuid:public_id>/extend/",
        views.DeskRequestExtendView.as_view(),
        name="api-desk-info-request-extend",
    ),
]
