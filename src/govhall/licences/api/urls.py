from django.urls import path

from govhall.licences.api import views

app_name = "licences-api"

urlpatterns = [path("licences/verify/", views.VerifyView.as_view(), name="verify")]
