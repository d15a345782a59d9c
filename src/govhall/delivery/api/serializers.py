"""What the delivery API reads and answers. Reads go through ``delivery.queries``; writes through ``delivery.actions``."""

from __future__ import annotations

from rest_framework import serializers

from govhall.delivery.constants import Method
from govhall.delivery.models import Delivery, Shipment, TrackingEvent


class TrackingEventSerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = TrackingEvent
        fields = ["kind", "kind_label", "carrier_code", "description", "place", "happened_at"]


class ShipmentSerializer(serializers.ModelSerializer):
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    events = TrackingEventSerializer(many=True, read_only=True)

    class Meta:
        model = Shipment
        fields = ["kind", "attempt", "pickup_on", "waybill_no", "status", "status_label", "address", "events"]


class DeliverySerializer(serializers.ModelSerializer):
    """Where the case's result is, as its applicant sees it (the pick-up code included)."""

    case = serializers.UUIDField(source="case.public_id", read_only=True)
    method_label = serializers.CharField(source="get_method_display", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    shipments = ShipmentSerializer(many=True, read_only=True)

    class Meta:
        model = Delivery
        fields = [
            "public_id", "case", "method", "method_label", "status", "status_label", "recipient", "phone_masked",
            "region_code", "region_name", "address", "postcode", "ready_at", "pickup_code", "served_at",
            "served_how", "shipments",
        ]  # fmt: skip


class StaffDeliverySerializer(DeliverySerializer):
    """The desk's view: no pick-up code (the applicant brings it), who collected the result."""

    reference = serializers.CharField(source="case.reference", read_only=True)

    class Meta(DeliverySerializer.Meta):
        fields = [f for f in DeliverySerializer.Meta.fields if f != "pickup_code"] + [
            "reference", "collector_name", "collector_id_masked", "collector_is_proxy",
        ]  # fmt: skip


class ChoiceSerializer(serializers.Serializer):
    method = serializers.ChoiceField(choices=Method.choices)
    recipient = serializers.CharField(required=False, allow_blank=True, max_length=100, default="")
    phone = serializers.CharField(required=False, allow_blank=True, max_length=30, default="")
    region_code = serializers.CharField(required=False, allow_blank=True, max_length=6, default="",
                                        help_text="GB/T 2260 county-level code, e.g. 350205")  # fmt: skip
    address = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")
    postcode = serializers.CharField(required=False, allow_blank=True, max_length=6, default="")


class HandOverSerializer(serializers.Serializer):
    pickup_code = serializers.RegexField(r"^[0-9]{8}$", help_text="the 8-digit code the applicant was given")
    name = serializers.CharField(min_length=2, max_length=100)
    id_number = serializers.RegexField(r"^[0-9]{17}[0-9X]$", help_text="the collector's resident ID number")
    is_proxy = serializers.BooleanField(default=False)
    authorisation_checked = serializers.BooleanField(default=False)


class PickupSerializer(serializers.Serializer):
    pickup_on = serializers.DateField(help_text="a working day within the next 10 working days")
    recipient = serializers.CharField(max_length=100, help_text="the contact person at the address")
    phone = serializers.CharField(max_length=30)
    region_code = serializers.CharField(max_length=6, help_text="GB/T 2260 county-level code, e.g. 350205")
    address = serializers.CharField(max_length=200)
