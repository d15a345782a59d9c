from django.urls import path

from govhall.payments.api import views

urlpatterns = [
    path("cases/<uuid:public_id>/fees/", views.MyCaseFeesView.as_view(), name="api-case-fees"),
    path("fees/<uuid:public_id>/pay/", views.PayView.as_view(), name="api-fee-pay"),
    path("desk/cases/<uuid:public_id>/fees/", views.DeskCaseFeesView.as_view(), name="api-desk-case-fees"),
    *(
        path(f"desk/fees/<uuid:public_id>/{name}/", view.as_view(), name=f"api-desk-fee-{name}")
        for name, view in views.ORDER_ACTIONS.items()
    ),
    path(
        "desk/refunds/<uuid:public_id>/decision/", views.RefundDecisionView.as_view(), name="api-desk-refund-decision"
    ),
]
