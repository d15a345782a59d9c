"""The production URLconf plus the two bare ceiling views (bench.settings only)."""

from django.urls import path

from bench import views
from govhall.conf.urls import urlpatterns as platform_urlpatterns

urlpatterns = [
    path("bench/bare-insert/", views.bare_insert, name="bench-bare-insert"),
    path("bench/bare-read/", views.bare_read, name="bench-bare-read"),
    *platform_urlpatterns,
]
