from django.urls import path

from govhall.halls.api import views

urlpatterns = [
    path("halls/", views.HallsView.as_view(), name="api-halls"),
    path("halls/<slug:code>/slots/", views.SlotsView.as_view(), name="api-hall-slots"),
    path("halls/<slug:code>/board/", views.BoardView.as_view(), name="api-hall-board"),
    path("tickets/<uuid:public_id>/", views.TicketView.as_view(), name="api-ticket"),
    path("bookings/", views.BookingsView.as_view(), name="api-bookings"),
    path("bookings/<uuid:public_id>/", views.BookingView.as_view(), name="api-booking"),
    path(
        "bookings/<uuid:public_id>/confirm/",
        views.BookingActionView.as_view(operation="confirm"),
        name="api-booking-confirm",
    ),
    path(
        "bookings/<uuid:public_id>/cancel/",
        views.BookingActionView.as_view(operation="cancel"),
        name="api-booking-cancel",
    ),
]
