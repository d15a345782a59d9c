from django.urls import path

from govhall.cases import views

app_name = "cases"

urlpatterns = [
    path("items/<uuid:public_id>/apply/", views.apply, name="apply"),
    path("my/licences/<uuid:public_id>/renew/", views.renew, name="renew"),
    path("my/cases/<uuid:public_id>/", views.my_case, name="my_case"),
    path("my/cases/<uuid:public_id>/continue/", views.resume_draft, name="resume_draft"),
    path("my/cases/<uuid:public_id>/<slug:action>/", views.my_case_action, name="my_case_action"),
    path("my/cases/<uuid:public_id>/materials/<uuid:material_id>/", views.my_material, name="my_material"),
    path("desk/cases/<uuid:public_id>/materials/<uuid:material_id>/", views.desk_material, name="desk_material"),
    path("my/cases/<uuid:public_id>/acceptance-notice.pdf", views.my_notice, name="my_notice"),
    path("desk/cases/<uuid:public_id>/acceptance-notice.pdf", views.desk_notice, name="desk_notice"),
    path("desk/cases/", views.inbox, name="inbox"),
    path("desk/cases/intake/", views.desk_intake, name="desk_intake"),
    path("desk/cases/late/", views.late, name="late"),
    path("desk/cases/<uuid:public_id>/", views.desk_case, name="desk_case"),
    path("desk/cases/<uuid:public_id>/<slug:action>/", views.desk_case_action, name="desk_case_action"),
]
