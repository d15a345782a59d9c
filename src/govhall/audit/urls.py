from django.urls import path

from govhall.audit import views

app_name = "audit"

urlpatterns = [
    path("desk/audit/", views.desk_audit_view, name="desk_audit"),
    path("desk/audit/export/", views.desk_audit_export_view, name="desk_audit_export"),
]
