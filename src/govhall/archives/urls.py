from django.urls import path

from govhall.archives import views

app_name = "archives"

urlpatterns = [
    path("desk/archives/", views.index, name="index"),
    path("desk/archives/transfer/", views.transfer, name="transfer"),
    path("desk/archives/disposal/", views.disposal_lists, name="disposal_lists"),
    path("desk/archives/disposal/<uuid:public_id>/", views.disposal_detail, name="disposal_detail"),
    path("desk/archives/disposal/<uuid:public_id>/certificate.pdf", views.certificate, name="certificate"),
    path("desk/archives/disposal/<uuid:public_id>/<slug:action>/", views.disposal_action, name="disposal_action"),
    path("desk/archives/<uuid:public_id>/", views.package_detail, name="package"),
    path("desk/archives/<uuid:public_id>/<slug:action>/", views.package_action, name="package_action"),
]
