from django.urls import path

from govhall.licences.api import views

app_name = "licences-api"

urlpatterns = [
    path("licences/verify/", views.VerifyView.as_view(), name="verify"),
    path("licences/copies/<uuid:public_id>/verify/", views.VerifyCopyView.as_view(), name="verify_copy"),
]
