from django.urls import path

from govhall.office.api import views

urlpatterns = [
    path("desk/office/documents/", views.DocumentListView.as_view(), name="api-office-documents"),
    path("desk/office/documents/<uuid:public_id>/", views.DocumentDetailView.as_view(), name="api-office-document"),
    path("desk/office/tasks/", views.TaskListView.as_view(), name="api-office-tasks"),
    path("desk/office/tasks/<uuid:public_id>/", views.TaskDetailView.as_view(), name="api-office-task"),
]
