from drf_spectacular.views import SpectacularAPIView
from oauth2_provider import views as oauth2_views

from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from govhall.identity.adminsite import admin_site_has_permission
from govhall.identity.views import set_language_view
from govhall.sharing.api.views import ThrottledTokenView

# The admin uses the staff login (password and second factor) and our role checks:
admin.site.has_permission = admin_site_has_permission  # type: ignore[method-assign]
admin.site.site_header = admin.site.site_title = settings.PLATFORM_NAME

urlpatterns = [
    path("admin/login/", RedirectView.as_view(url="/desk/login/?next=/admin/", query_string=False)),
    path("admin/", admin.site.urls),
    path("i18n/setlang/", set_language_view, name="set_language"),
    path("api/v1/", include("govhall.catalog.api.urls")),
    path("api/v1/", include("govhall.cases.api.urls")),
    path("api/v1/", include("govhall.payments.api.urls")),
    path("api/v1/", include("govhall.delivery.api.urls")),
    path("api/v1/", include("govhall.halls.api.urls")),
    path("api/v1/", include("govhall.licences.api.urls")),
    path("api/v1/", include("govhall.sharing.api.urls")),
    path("api/v1/", include("govhall.ratings.api.urls")),
    path("api/v1/", include("govhall.complaints.api.urls")),
    path("api/v1/", include("govhall.office.api.urls")),
    path("api/v1/", include("govhall.publicinfo.api.urls")),
    path("api/v1/", include("govhall.archives.api.urls")),
    path("api/v1/", include("govhall.sensors.api.urls")),
    # OAuth2 for the sharing API: only the token endpoints (client credentials; no authorisation pages):
    path("o/token/", ThrottledTokenView.as_view(), name="oauth2_token"),
    path("o/revoke_token/", oauth2_views.RevokeTokenView.as_view(), name="oauth2_revoke_token"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("", include("govhall.identity.urls")),
    path("", include("govhall.catalog.urls")),
    path("", include("govhall.cases.urls")),
    path("", include("govhall.payments.urls")),
    path("", include("govhall.delivery.urls")),
    path("", include("govhall.halls.urls")),
    path("", include("govhall.licences.urls")),
    path("", include("govhall.dossier.urls")),
    path("", include("govhall.ratings.urls")),
    path("", include("govhall.complaints.urls")),
    path("", include("govhall.stats.urls")),
    path("", include("govhall.office.urls")),
    path("", include("govhall.publicinfo.urls")),
    path("", include("govhall.archives.urls")),
    path("", include("govhall.sensors.urls")),
    path("", include("govhall.sharing.urls")),
    path("", include("govhall.inspections.urls")),
    path("", include("govhall.proactive.urls")),
    path("", include("govhall.audit.urls")),
    path("", include("govhall.portal.urls")),
]

# Under /api/ a missing page (an unknown address, a malformed UUID) and a server error answer JSON:
handler404 = "govhall.lib.api.api_not_found"
handler500 = "govhall.lib.api.api_server_error"

if settings.OIDC_ENABLED:
    urlpatterns.append(path("oidc/", include("mozilla_django_oidc.urls")))
