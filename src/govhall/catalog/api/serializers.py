from __future__ import annotations

from rest_framework import serializers

from govhall.catalog.models import ItemVersion
from govhall.lib.api import ErrorSerializer


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


class ImportRefusalSerializer(ErrorSerializer):
    """An import refused as a whole: the messages, and each problem with its row and field."""

    problems = ProblemSerializer(many=True, required=False, help_text="absent when the body is not JSON at all")


class RuleProblemSerializer(serializers.Serializer):
    rule = serializers.CharField()
    message = serializers.CharField()


class PublicationRefusalSerializer(ErrorSerializer):
    """A publication refused by the consistency rules: the messages, and each rule that failed."""

    problems = RuleProblemSerializer(many=True)


class GuideFilterSerializer(serializers.Serializer):
    q = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=100,
        help_text="search words (Chinese, typo tolerant); the other filters then do not apply",
    )
    department = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=40, help_text="department code"
    )
    audience = serializers.ChoiceField(choices=["personal", "enterprise"], required=False)
    theme = serializers.CharField(required=False, allow_blank=True, default="", max_length=100)
    type = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=2, help_text="item type code (01 行政许可 …)"
    )


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
