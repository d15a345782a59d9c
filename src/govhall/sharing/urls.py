from django.urls import path

from govhall.sharing import opendata_views, views

app_name = "sharing"

urlpatterns = [
    path("desk/exchange/", views.overview, name="overview"),
    path("desk/exchange/replay/", views.replay_since, name="replay_since"),
    path("desk/exchange/messages/", views.message_list, name="messages"),
    path("desk/exchange/messages/<uuid:public_id>/", views.message_detail, name="message"),
    path("desk/exchange/inbound/", views.inbound_list, name="inbound"),
    path("desk/exchange/inbound/<uuid:public_id>/", views.inbound_detail, name="inbound_detail"),
    path("data/", opendata_views.catalogue, name="data"),
    path("data/<slug:slug>/", opendata_views.dataset, name="dataset"),
    path("data/<slug:slug>.csv", opendata_views.download_csv, name="dataset_csv"),
    path("data/<slug:slug>.json", opendata_views.download_json, name="dataset_json"),
]
