from django.urls import path

from govhall.identity import views

app_name = "identity"

urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("register/", views.register_view, name="register"),
    path("logout/", views.logout_view, name="logout"),
    path("desk/login/", views.desk_login_view, name="desk_login"),
    path("desk/verify/", views.desk_verify_view, name="desk_verify"),
    path("desk/password/", views.desk_password_view, name="desk_password"),
    path("desk/enrolment-codes/", views.desk_enrolment_codes_view, name="desk_enrolment_codes"),
    path("my/acting-for/", views.acting_for_view, name="acting_for"),
]
