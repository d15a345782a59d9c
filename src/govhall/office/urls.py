from django.urls import path

from govhall.office import views

app_name = "office"

urlpatterns = [
    path("desk/office/", views.home, name="home"),
    path("desk/office/weekly/", views.weekly, name="weekly"),
    path("desk/office/documents/new/", views.new_document, name="new_document"),
    path("desk/office/documents/incoming/", views.new_incoming, name="new_incoming"),
    path("desk/office/documents/<uuid:public_id>/", views.document, name="document"),
    path("desk/office/documents/<uuid:public_id>/pdf/", views.document_pdf, name="document_pdf"),
    path(
        "desk/office/documents/<uuid:public_id>/attachments/<uuid:attachment_id>/",
        views.attachment,
        name="attachment",
    ),
    path("desk/office/documents/<uuid:public_id>/<slug:action>/", views.document_action, name="document_action"),
    path("desk/office/tasks/new/", views.new_task, name="new_task"),
    path("desk/office/tasks/<uuid:public_id>/", views.task, name="task"),
    path("desk/office/tasks/<uuid:public_id>/evidence/<uuid:evidence_id>/", views.evidence, name="evidence"),
    path(
        "desk/office/tasks/<uuid:public_id>/units/<uuid:assignment_id>/<slug:action>/",
        views.task_action,
        name="task_action",
    ),
]
