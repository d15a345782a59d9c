from django.urls import path

from govhall.ratings.api import views

urlpatterns = [
    path("ratings/", views.MyRatingListView.as_view(), name="api-ratings"),
    path("ratings/reasons/", views.ReasonListView.as_view(), name="api-rating-reasons"),
    path("ratings/cases/<uuid:public_id>/", views.RateCaseView.as_view(), name="api-rate-case"),
    path("desk/ratings/", views.StaffRatingListView.as_view(), name="api-desk-ratings"),
]
