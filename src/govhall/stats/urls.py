from django.urls import path

from govhall.stats import views

app_name = "stats"

urlpatterns = [
    path("service-report/", views.service_report, name="service_report"),
    path("service-report/<str:month>/", views.service_report, name="service_report_month"),
    path("indicators/", views.public_indicators, name="public_indicators"),
    path("desk/reports/", views.desk_reports, name="desk_reports"),
    path("desk/reports/<uuid:public_id>/report.pdf", views.desk_report_pdf, name="desk_report_pdf"),
    path("desk/indicators/", views.desk_indicators, name="desk_indicators"),
    path("desk/indicators/export.xlsx", views.desk_indicators_xlsx, name="desk_indicators_xlsx"),
    path("desk/indicators/<slug:key>/<slug:part>/", views.desk_indicator_rows, name="desk_indicator_rows"),
]
