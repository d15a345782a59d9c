from django.urls import path

from govhall.catalog.api import views

urlpatterns = [
    path("catalog/items/", views.GuideListView.as_view(), name="api-catalog-items"),
    path("catalog/items/<uuid:public_id>/", views.GuideDetailView.as_view(), name="api-catalog-item"),
    path("catalog/indicators/", views.IndicatorView.as_view(), name="api-catalog-indicators"),
    path("catalog/import/", views.ImportView.as_view(), name="api-catalog-import"),
    path(
        "catalog/versions/<uuid:public_id>/<slug:action>/",
        views.VersionActionView.as_view(),
        name="api-catalog-version",
    ),
]
