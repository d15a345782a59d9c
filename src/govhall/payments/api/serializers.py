"""What the fees API reads and answers. Reads go through ``payments.queries``; writes through ``payments.actions``."""

from __future__ import annotations

from rest_framework import serializers

from govhall.payments.models import OrderLine, PaymentOrder, Refund


class OrderLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = OrderLine
        fields = ["name", "income_code", "basis", "standard", "assessment", "amount"]


class RefundSerializer(serializers.ModelSerializer):
    status_label = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = Refund
        fields = ["public_id", "amount", "reason", "status", "status_label", "requested_at", "refunded_at"]


class FeeOrderSerializer(serializers.ModelSerializer):
    """A fee order (缴款通知) as its payer sees it; amounts are yuan as strings with two decimals."""

    status_label = serializers.CharField(source="get_status_display", read_only=True)
    lines = OrderLineSerializer(many=True, read_only=True)
    refund_state = serializers.CharField(read_only=True, help_text="unavailable, available, pending or full")
    refunds = RefundSerializer(many=True, read_only=True)

    class Meta:
        model = PaymentOrder
        fields = [
            "public_id", "payment_code", "payer_name", "total", "due_on", "status", "status_label", "issued_at",
            "lines", "channel", "paid_at", "paid_amount", "receipt_number", "refunded", "refund_state", "refunds",
        ]  # fmt: skip


class StaffFeeOrderSerializer(FeeOrderSerializer):
    """As staff see it: also why it waits for a person, and its sending toward the platform."""

    class Meta(FeeOrderSerializer.Meta):
        fields = [*FeeOrderSerializer.Meta.fields, "needs_review", "send_attempts", "last_error"]


class AssessmentSerializer(serializers.Serializer):
    fee = serializers.IntegerField(help_text="the id of one of the item version's fee rules")
    amount = serializers.CharField(max_length=20, help_text="yuan, at most two decimals, e.g. 12000.00; 0 waives it")
    note = serializers.CharField(max_length=300, help_text="how it was assessed, or the basis of the waiver")


class IssueSerializer(serializers.Serializer):
    assessments = AssessmentSerializer(many=True, help_text="one for every fee rule of the item")


class IssuedSerializer(serializers.Serializer):
    waived = serializers.BooleanField(help_text="every fee was waived: the 缴费 step completed without an order")
    order = StaffFeeOrderSerializer(allow_null=True)


class PayLinkSerializer(serializers.Serializer):
    pay_url = serializers.CharField(help_text="the finance platform's payment page; it comes back to the order's page")


class OrderActionSerializer(serializers.Serializer):
    """The input of one action on an order; each action reads its own fields."""

    receipt_number = serializers.CharField(max_length=40, required=False, default="", allow_blank=True,
                                           help_text="window: the finance receipt number")  # fmt: skip
    reason = serializers.CharField(max_length=300, required=False, default="", allow_blank=True,
                                   help_text="cancel, refund: why")  # fmt: skip
    amount = serializers.CharField(max_length=20, required=False, default="", allow_blank=True,
                                   help_text="refund: yuan, at most two decimals")  # fmt: skip


class RefundDecisionSerializer(serializers.Serializer):
    approve = serializers.BooleanField()
    note = serializers.CharField(max_length=300, required=False, default="", allow_blank=True,
                                 help_text="required when the refund is refused")  # fmt: skip
