"""What the hall API reads and answers. Reads go through ``halls.queries``; writes through ``halls.actions``."""

from __future__ import annotations

from rest_framework import serializers

from govhall.halls.models import Booking, Hall, Queue


class QueueSerializer(serializers.ModelSerializer):
    items = serializers.SlugRelatedField(many=True, read_only=True, slug_field="implementation_code")

    class Meta:
        model = Queue
        fields = ["prefix", "name", "is_pickup", "items"]


class HallSerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    queues = QueueSerializer(many=True, read_only=True)

    class Meta:
        model = Hall
        fields = [
            "code", "name", "kind", "kind_label", "address", "phone", "opening_hours", "slot_minutes",
            "booking_days_ahead", "queues",
        ]  # fmt: skip


class SlotSerializer(serializers.Serializer):
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    capacity = serializers.IntegerField()
    free = serializers.IntegerField()


class DaySerializer(serializers.Serializer):
    day = serializers.DateField()
    free = serializers.IntegerField()


class SlotsSerializer(serializers.Serializer):
    hall = serializers.CharField()
    item = serializers.CharField()
    days = DaySerializer(many=True, help_text="each bookable working day with its free places")
    day = serializers.DateField(allow_null=True, help_text="the day whose slots follow")
    slots = SlotSerializer(many=True)


class BookingSerializer(serializers.ModelSerializer):
    hall = serializers.CharField(source="hall.code", read_only=True)
    item = serializers.CharField(source="item.implementation_code", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    code = serializers.SerializerMethodField(help_text="the booking code (预约码), once the booking is confirmed")

    class Meta:
        model = Booking
        fields = [
            "public_id", "hall", "item", "starts_at", "ends_at", "status", "status_label", "code", "name",
            "id_number_masked", "held_until", "booked_at", "cancelled_at", "checked_in_at",
        ]  # fmt: skip

    def get_code(self, booking: Booking) -> str | None:
        return booking.code if booking.status in ("booked", "checked_in", "no_show") else None


class HoldSerializer(serializers.Serializer):
    hall = serializers.RegexField(r"^[-a-zA-Z0-9_]{1,40}$", help_text="the hall's code")
    item = serializers.RegexField(r"^[0-9A-Z]{1,31}$", help_text="the item's implementation code (实施编码)")
    starts_at = serializers.DateTimeField(help_text="the start of one of the day's slots, with its offset")


class CallSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    ticket = serializers.CharField()
    window = serializers.IntegerField(allow_null=True)
    at = serializers.DateTimeField()


class QueueStateSerializer(serializers.Serializer):
    prefix = serializers.CharField()
    name = serializers.CharField()
    waiting = serializers.IntegerField()
    windows_open = serializers.IntegerField()
    estimated_minutes = serializers.IntegerField()


class BoardSerializer(serializers.Serializer):
    hall = serializers.CharField()
    version = serializers.IntegerField()
    now = serializers.DateTimeField()
    calls = CallSerializer(many=True)
    queues = QueueStateSerializer(many=True)
    notice = serializers.CharField()


class TicketStateSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    number = serializers.CharField()
    hall = serializers.CharField()
    queue = serializers.CharField()
    status = serializers.CharField()
    status_label = serializers.CharField()
    window = serializers.IntegerField(allow_null=True)
    ahead = serializers.IntegerField(help_text="people ahead in the queue while waiting")
    estimated_minutes = serializers.IntegerField()
    is_near = serializers.BooleanField(help_text="true when the turn is near: time to come back to the waiting area")
    arrived_at = serializers.DateTimeField()
