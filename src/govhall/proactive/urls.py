from django.urls import path

from govhall.proactive import views

app_name = "proactive"

urlpatterns = [
    path("my/entitlements/", views.my_entitlements, name="my_entitlements"),
    path("my/entitlements/<uuid:public_id>/decline/", views.my_entitlement_decline, name="my_entitlement_decline"),
    path("my/suggestions/settings/", views.my_suggestion_settings, name="my_suggestion_settings"),
    path("my/suggestions/<uuid:public_id>/", views.my_suggestion_go, name="my_suggestion_go"),
    path("my/bundles/", views.my_bundles, name="my_bundles"),
    path("my/bundles/filings/<uuid:public_id>/", views.my_bundle_filing, name="my_bundle_filing"),
    path("my/bundles/<slug:code>/", views.my_bundle_apply, name="my_bundle_apply"),
    path("desk/bundles/intake/", views.desk_bundle_intake, name="desk_bundle_intake"),
    path("desk/entitlements/", views.desk_entitlements, name="desk_entitlements"),
    path("desk/entitlements/<uuid:public_id>/", views.desk_entitlement, name="desk_entitlement"),
]
