from django.urls import path

from govhall.dossier import views

app_name = "dossier"

urlpatterns = [
    path("desk/dossier/", views.desk_dossier, name="desk_dossier"),
    path("my/dossier/", views.my_dossier, name="my_dossier"),
    path("my/dossier/export.json", views.my_dossier_export, name="my_dossier_export"),
]
