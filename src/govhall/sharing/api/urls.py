from django.urls import path

from govhall.sharing.api import views

app_name = "sharing-api"

urlpatterns = [
    path("sharing/licences/", views.SubjectLicencesView.as_view(), name="licences"),
    path("sharing/cases/", views.SubjectCasesView.as_view(), name="cases"),
    path("sharing/licence-check/", views.LicenceCheckView.as_view(), name="licence_check"),
]
