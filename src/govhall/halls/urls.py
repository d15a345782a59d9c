from django.urls import path

from govhall.halls import views

app_name = "halls"

urlpatterns = [
    path("hall/enrol/", views.enrol, name="enrol"),
    path("hall/board/", views.board, name="board"),
    path("hall/board/state.json", views.board_state, name="board_state"),
    path("hall/kiosk/", views.kiosk, name="kiosk"),
    path("hall/kiosk/ticket/", views.kiosk_queues, name="kiosk_queues"),
    path("hall/kiosk/ticket/<str:prefix>/", views.kiosk_take, name="kiosk_take"),
    path("hall/kiosk/tickets/<uuid:public_id>/", views.kiosk_ticket, name="kiosk_ticket"),
    path("hall/kiosk/fill/", views.kiosk_fill, name="kiosk_fill"),
    path("hall/kiosk/fill/<str:code>/", views.kiosk_fill_item, name="kiosk_fill_item"),
    path("hall/kiosk/check-in/", views.kiosk_check_in, name="kiosk_check_in"),
    path("hall/kiosk/progress/", views.kiosk_progress, name="kiosk_progress"),
    path("hall/tickets/<uuid:public_id>/", views.follow, name="follow"),
    path("hall/challenge/", views.challenge_view, name="challenge"),
    path("desk/counter/", views.counter, name="counter"),
    path("desk/counter/sign-in/", views.counter_sign_in, name="counter_sign_in"),
    path("desk/counter/linked/<uuid:public_id>/", views.counter_linked, name="counter_linked"),
    path("desk/counter/<slug:operation>/", views.counter_operate, name="counter_operate"),
    path("desk/halls/consultations/<int:pk>/faq/", views.consultation_to_faq, name="consultation_to_faq"),
    path("desk/halls/stats/", views.hall_stats, name="stats"),
    path("desk/halls/stats/export.xlsx", views.hall_stats_export, name="stats_export"),
    path("desk/halls/stats/compute/", views.hall_stats_compute, name="stats_compute"),
    path("my/appointments/", views.my_appointments, name="my_appointments"),
    path("my/appointments/book/", views.my_book, name="my_book"),
    path("my/appointments/<uuid:public_id>/", views.my_appointment, name="my_appointment"),
]
