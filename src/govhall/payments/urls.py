from django.urls import path

from govhall.payments import views

app_name = "payments"

urlpatterns = [
    path("my/payments/<uuid:public_id>/", views.my_order, name="my_order"),
    path("my/payments/<uuid:public_id>/pay/", views.my_order_pay, name="my_order_pay"),
    path("my/payments/<uuid:public_id>/notice.pdf", views.my_order_notice, name="my_order_notice"),
    path("payments/callback/", views.callback, name="callback"),
    path("desk/payments/", views.desk_payments, name="desk_payments"),
    path("desk/payments/cases/<uuid:public_id>/issue/", views.desk_issue, name="desk_issue"),
    path("desk/payments/orders/<uuid:public_id>/notice.pdf", views.desk_order_notice, name="desk_order_notice"),
    path("desk/payments/orders/<uuid:public_id>/<slug:action>/", views.desk_order_action, name="desk_order_action"),
    path("desk/payments/refunds/<uuid:public_id>/decide/", views.desk_refund_decide, name="desk_refund_decide"),
    path("desk/payments/differences/<uuid:public_id>/settle/", views.desk_settle, name="desk_settle"),
]
