from django.urls import path

from govhall.sharing.api import exchange, opendata, views

app_name = "sharing-api"

urlpatterns = [
    path("sharing/licences/", views.SubjectLicencesView.as_view(), name="licences"),
    path("sharing/cases/", views.SubjectCasesView.as_view(), name="cases"),
    path("sharing/licence-check/", views.LicenceCheckView.as_view(), name="licence_check"),
    path("exchange/inbound/", exchange.InboundView.as_view(), name="exchange_inbound"),
    path("open-data/", opendata.DatasetListView.as_view(), name="open_data"),
    path("open-data/<slug:slug>/", opendata.DatasetView.as_view(), name="open_data_set"),
]
