from django.urls import path

from govhall.stats import views

app_name = "stats"

urlpatterns = [
    path("service-report/", views.service_report, name="service_report"),
    path("service-report/<str:month>/", views.service_report, name="service_report_month"),
    path("desk/reports/", views.desk_reports, name="desk_reports"),
    path("desk/reports/<uuid:public_id>/report.pdf", views.desk_report_pdf, name="desk_report_pdf"),
]
