from django.urls import path

from govhall.publicinfo import views
from govhall.publicinfo.feeds import ColumnFeed

app_name = "publicinfo"

urlpatterns = [
    path("info/", views.index, name="index"),
    path("info/ask/", views.ask, name="ask"),
    path("info/request/", views.request_form, name="request"),
    path("info/report-error/", views.report_error, name="report_error"),
    path("info/request/follow/", views.request_follow, name="follow"),
    path("info/e/<uuid:public_id>/", views.entry, name="entry"),
    path("info/<slug:kind>/feed/", ColumnFeed(), name="feed"),
    path("info/<slug:kind>/", views.column, name="column"),
    path("desk/info/", views.desk_home, name="desk_home"),
    path("desk/info/new/", views.desk_new, name="desk_new"),
    path("desk/info/annual/", views.desk_annual, name="desk_annual"),
    path("desk/info/rules/", views.desk_rules, name="desk_rules"),
    path("desk/info/questions/<uuid:public_id>/", views.desk_question, name="desk_question"),
    path("desk/info/requests/<uuid:public_id>/", views.desk_request, name="desk_request"),
    path("desk/info/requests/<uuid:public_id>/letter.pdf", views.desk_request_letter, name="desk_request_letter"),
    path("desk/info/<uuid:public_id>/", views.desk_entry, name="desk_entry"),
    path("desk/info/<uuid:public_id>/<slug:action>/", views.desk_entry_action, name="desk_entry_action"),
]
