from __future__ import annotations

from rest_framework import serializers

from govhall.catalog.models import ItemVersion


class GuideSummarySerializer(serializers.ModelSerializer):
    implementation_code = serializers.CharField(source="item.implementation_code")
    basic_code = serializers.CharField(source="item.basic_code")
    department = serializers.CharField(source="handling_department.code")
    department_name = serializers.CharField(source="handling_department.name")
    online_level = serializers.CharField()
    status = serializers.CharField(source="item.status")

    class Meta:
        model = ItemVersion
        fields = [
            "public_id",
            "implementation_code",
            "basic_code",
            "name",
            "item_type",
            "department",
            "department_name",
            "number",
            "effective_from",
            "online_level",
            "star_level",
            "visits",
            "service_targets",
            "themes",
            "status",
        ]


class ProblemSerializer(serializers.Serializer):
    row = serializers.CharField()
    field = serializers.CharField()
    message = serializers.CharField()


class ImportReportSerializer(serializers.Serializer):
    created = serializers.ListField(child=serializers.CharField())
    updated = serializers.ListField(child=serializers.CharField())
    unchanged = serializers.ListField(child=serializers.CharField())


class IndicatorSerializer(serializers.Serializer):
    department = serializers.CharField()
    items = serializers.IntegerField()
    level_iii_or_above = serializers.IntegerField()
    level_iv = serializers.IntegerField()
    share_iii = serializers.FloatField()
    share_iv = serializers.FloatField()


class PublishSerializer(serializers.Serializer):
    effective_from = serializers.DateField(required=False, allow_null=True)
