from django.urls import path

from govhall.cases.api import views

urlpatterns = [
    path("cases/", views.ApplicantCaseListView.as_view(), name="api-cases"),
    path("cases/<uuid:public_id>/", views.ApplicantCaseDetailView.as_view(), name="api-case"),
    path("cases/<uuid:public_id>/withdraw/", views.WithdrawView.as_view(), name="api-case-withdraw"),
    path("cases/<uuid:public_id>/corrections/", views.AnswerCorrectionView.as_view(), name="api-case-corrections"),
    path("desk/cases/", views.InboxView.as_view(), name="api-desk-cases"),
    path("desk/cases/<uuid:public_id>/", views.DeskCaseDetailView.as_view(), name="api-desk-case"),
    *(
        path(f"desk/cases/<uuid:public_id>/actions/{name}/", views.desk_action_view(name), name=f"api-desk-{name}")
        for name in views.DESK_ACTIONS
    ),
    # Any other action: the API's own 404 rather than the site's page:
    path("desk/cases/<uuid:public_id>/actions/<slug:action>/", views.UnknownDeskActionView.as_view()),
]
