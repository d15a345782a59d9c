"""What the ratings API reads and answers. Reads go through ``ratings.queries``; nothing here writes."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from govhall.ratings.constants import ONLINE_INDICATORS, Indicator, RatingLevel
from govhall.ratings.models import BadRatingReason, Rating

_LABELS = dict(Indicator.choices)


class ReasonSerializer(serializers.ModelSerializer):
    label = serializers.CharField(read_only=True, help_text="the reason in the request's language")

    class Meta:
        model = BadRatingReason
        fields = ["code", "text", "label"]


class OnlineScoresSerializer(serializers.Serializer):
    """The online indicator set (GB/T 39734-2020): each 1–5, each optional; overall defaults to the level's score."""

    def get_fields(self) -> dict[str, Any]:
        return {
            str(indicator): serializers.IntegerField(
                min_value=1, max_value=5, required=False, help_text=str(_LABELS[indicator])
            )
            for indicator in ONLINE_INDICATORS
        }


class RateCaseSerializer(serializers.Serializer):
    level = serializers.ChoiceField(
        choices=RatingLevel.choices,
        help_text="非常满意 very_satisfied (5) … 非常不满意 very_dissatisfied (1); the last two are bad ratings",
    )
    indicator_scores = OnlineScoresSerializer(required=False)
    reasons = serializers.ListField(
        child=serializers.CharField(max_length=40),
        required=False,
        default=list,
        max_length=20,
        help_text="codes from GET /api/v1/ratings/reasons/; at least one for a bad rating",
    )
    comment = serializers.CharField(required=False, default="", allow_blank=True, max_length=1000)
    is_follow_up = serializers.BooleanField(
        required=False, default=False, help_text="the one follow-up (追加) rating after a first rating"
    )


class RatingSerializer(serializers.ModelSerializer):
    """A rating as its rater sees it (and staff, without the rater)."""

    case = serializers.UUIDField(source="case.public_id", allow_null=True, read_only=True)
    case_reference = serializers.CharField(source="case.reference", allow_null=True, read_only=True)
    item_name = serializers.CharField(source="case.item_version.name", allow_null=True, read_only=True)
    channel_label = serializers.CharField(source="get_channel_display", read_only=True)
    level_label = serializers.CharField(source="get_level_display", read_only=True)
    indicator_scores = serializers.DictField(child=serializers.IntegerField(min_value=1, max_value=5), read_only=True)
    reasons = ReasonSerializer(many=True, read_only=True)
    rectification_status = serializers.SerializerMethodField(
        help_text="the rectification's status for a bad rating (差评整改), else null"
    )

    class Meta:
        model = Rating
        fields = [
            "public_id",
            "case",
            "case_reference",
            "item_name",
            "channel",
            "channel_label",
            "level",
            "level_label",
            "indicator_scores",
            "reasons",
            "comment",
            "is_follow_up",
            "is_default",
            "is_removed",
            "rated_at",
            "rectification_status",
        ]

    def get_rectification_status(self, rating: Rating) -> str | None:
        rectification = getattr(rating, "rectification", None)
        return rectification.status if rectification is not None else None


class StaffRatingSerializer(RatingSerializer):
    """A rating of the staff member's units: never who gave it.

    A bad rating's case and comment (which would tell the rated clerk who rated them) are null
    unless the view's ``shown_in_full`` context holds it (``queries.shown_in_full``).
    """

    department = serializers.CharField(source="department.name", read_only=True)
    comment = serializers.CharField(
        read_only=True, allow_null=True, help_text="null for a bad rating not shown in full"
    )

    class Meta(RatingSerializer.Meta):
        fields = [*RatingSerializer.Meta.fields, "department"]

    def to_representation(self, instance: Rating) -> dict[str, Any]:
        data = super().to_representation(instance)
        if instance.pk not in self.context.get("shown_in_full", set()):
            data.update(case=None, case_reference=None, comment=None)
        return data


class StaffFilterSerializer(serializers.Serializer):
    bad = serializers.BooleanField(required=False, default=False, help_text="only bad ratings")
