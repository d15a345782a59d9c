from django.urls import path

from govhall.portal import views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.site_search, name="search"),
    path("my/", views.workspace, name="workspace"),
    path("desk/", views.desk, name="desk"),
    path("preferences/text-size/", views.text_size, name="text_size"),
    path("healthz", views.healthz, name="healthz"),
]
