from django.urls import path

from govhall.inspections import views

app_name = "inspections"

urlpatterns = [
    path("inspections/", views.public_draws, name="public_draws"),
    path("inspections/<uuid:public_id>/", views.public_draw, name="public_draw"),
    path("desk/inspections/", views.desk_home, name="desk_home"),
    path("desk/inspections/plans/<uuid:public_id>/draw/", views.desk_draw, name="desk_draw"),
    path("desk/inspections/plans/<uuid:public_id>/guidance/", views.desk_guidance, name="desk_guidance"),
    path("desk/inspections/draws/<uuid:public_id>/", views.desk_draw_detail, name="desk_draw_detail"),
    path("desk/inspections/tasks/<uuid:public_id>/", views.desk_inspection, name="inspection"),
]
