from django.urls import path

from govhall.catalog import views

app_name = "catalog"

urlpatterns = [
    path("items/", views.guide_list, name="guide_list"),
    path("items/<uuid:public_id>/", views.guide_detail, name="guide_detail"),
    path("items/<uuid:public_id>/guide.pdf", views.guide_pdf, name="guide_pdf"),
    path("desk/catalog/", views.desk_catalog, name="desk_catalog"),
    path("desk/catalog/new/", views.desk_item_new, name="desk_item_new"),
    path("desk/catalog/import/", views.desk_import, name="desk_import"),
    path("desk/catalog/export.<str:fmt>", views.desk_export, name="desk_export"),
    path("desk/catalog/v/<uuid:public_id>/", views.desk_version, name="desk_version"),
    path("desk/catalog/v/<uuid:public_id>/edit/", views.desk_version_edit, name="desk_version_edit"),
    path("desk/catalog/v/<uuid:public_id>/diff/", views.desk_version_diff, name="desk_version_diff"),
    path("desk/catalog/v/<uuid:public_id>/<slug:action>/", views.desk_version_action, name="desk_version_action"),
]
