from django.urls import path

from govhall.licences import views

app_name = "licences"

urlpatterns = [
    path("verify/", views.verify, name="verify"),
    path("verify/copy/<uuid:public_id>/", views.verify_copy, name="verify_copy"),
    path("licences/keys.json", views.jwks, name="jwks"),
    path(".well-known/jwks.json", views.jwks),
    path("licences/status/<slug:purpose>/", views.status_list, name="status_list"),
    path("my/licences/", views.my_licences, name="my_licences"),
    path("my/licences/<uuid:public_id>/licence.pdf", views.my_licence_pdf, name="my_licence_pdf"),
    path("my/licences/<uuid:public_id>/copies/", views.my_licence_copy, name="my_licence_copy"),
    path("my/licences/copies/<uuid:public_id>/copy.pdf", views.my_licence_copy_pdf, name="my_licence_copy_pdf"),
    path("desk/licences/<uuid:public_id>/", views.desk_licence, name="desk_licence"),
    path("desk/licences/<uuid:public_id>/licence.pdf", views.desk_licence_pdf, name="desk_licence_pdf"),
    path("desk/licences/copies/<uuid:public_id>/copy.pdf", views.desk_licence_copy_pdf, name="desk_licence_copy_pdf"),
    path("desk/licences/<uuid:public_id>/<slug:operation>/", views.desk_licence_action, name="desk_licence_action"),
]
