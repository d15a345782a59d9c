from __future__ import annotations

from rest_framework import serializers


class PublicValueSerializer(serializers.Serializer):
    element = serializers.CharField()
    value = serializers.CharField()
    unit = serializers.CharField()


class PublicStationSerializer(serializers.Serializer):
    name = serializers.CharField()
    kind = serializers.CharField()
    township = serializers.CharField()
    village = serializers.CharField()
    state = serializers.CharField()
    observed_at = serializers.DateTimeField(allow_null=True)
    values = PublicValueSerializer(many=True)


class PublicWarningSerializer(serializers.Serializer):
    severity = serializers.CharField()
    severity_label = serializers.CharField()
    rule = serializers.CharField()
    station = serializers.CharField()
    village = serializers.CharField()
    since = serializers.DateTimeField(allow_null=True)


class PublicPictureSerializer(serializers.Serializer):
    stations = PublicStationSerializer(many=True)
    warnings = PublicWarningSerializer(many=True)


class AlarmSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    rule = serializers.CharField(source="rule.name")
    station = serializers.CharField(source="station.code")
    severity = serializers.CharField()
    status = serializers.CharField()
    value = serializers.FloatField(allow_null=True)
    activated_at = serializers.DateTimeField(allow_null=True)
    acknowledged_at = serializers.DateTimeField(allow_null=True)
