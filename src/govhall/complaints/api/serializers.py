"""What the complaints API reads and answers."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from govhall.complaints.constants import ComplaintKind


# A pattern, not an enum: drf-spectacular names every enum after its field, and the cases API
# already has a "kind" enum (the collision would rename theirs):
@extend_schema_field(
    {"type": "string", "pattern": "^(" + "|".join(ComplaintKind.values) + ")$", "description": "投诉类型"}
)
class ComplaintKindField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=ComplaintKind.choices, **kwargs)


class SubmitComplaintSerializer(serializers.Serializer[dict[str, Any]]):
    kind = ComplaintKindField(help_text="投诉类型")
    # Patterns say in the schema what the action refuses (a blank text, a malformed number):
    title = serializers.RegexField(r"\S", max_length=100, help_text="标题")
    content = serializers.RegexField(r"\S", max_length=5000, help_text="事情经过（按原文保存，向工作人员转义显示）")
    is_anonymous = serializers.BooleanField(
        default=True, help_text="匿名投诉；实名而未登录时须填写姓名，否则按匿名处理"
    )
    name = serializers.CharField(max_length=100, required=False, default="", allow_blank=True)
    phone = serializers.RegexField(
        r"^(?:(?:\+86|0086)?1[3-9][0-9]{9}|0[0-9]{2,3}-?[0-9]{7,8})?$",
        max_length=30,
        required=False,
        default="",
        allow_blank=True,
        help_text="手机号码或带区号的固定电话",
    )
    email = serializers.RegexField(
        r"^(?:[^@\s]+@[^@\s]+)?$", max_length=254, required=False, default="", allow_blank=True
    )
    about_department = serializers.SlugField(
        max_length=40, required=False, default="", allow_blank=True, help_text="被投诉单位的部门代码"
    )
    about_staff_text = serializers.CharField(max_length=100, required=False, default="", allow_blank=True)
    item = serializers.UUIDField(required=False, allow_null=True, default=None, help_text="相关事项（public_id）")


class SubmittedSerializer(serializers.Serializer[dict[str, Any]]):
    tracking_number = serializers.CharField(help_text="投诉编号")
    query_code = serializers.CharField(help_text="查询码：只返回这一次，平台只保存其哈希")
    status = serializers.CharField()


class FollowSerializer(serializers.Serializer[dict[str, Any]]):
    tracking_number = serializers.RegexField(r"^[A-Za-z0-9]{1,20}$", max_length=20, help_text="投诉编号")
    query_code = serializers.RegexField(r"^[A-Za-z0-9]{1,20}$", max_length=20, help_text="查询码")


class EventSerializer(serializers.Serializer[dict[str, Any]]):
    kind = serializers.CharField()
    label = serializers.CharField()
    at = serializers.DateTimeField()


class FollowedComplaintSerializer(serializers.Serializer[dict[str, Any]]):
    """A complaint as its complainant sees it: no staff names, no internal notes."""

    tracking_number = serializers.CharField()
    kind = serializers.CharField()
    title = serializers.CharField()
    status = serializers.CharField()
    status_label = serializers.CharField()
    department = serializers.CharField()
    due_on = serializers.DateField(allow_null=True)
    reject_reason = serializers.CharField()
    answer = serializers.CharField()
    answered_at = serializers.DateTimeField(allow_null=True)
    satisfaction = serializers.IntegerField(allow_null=True)
    events = EventSerializer(many=True)


class StaffComplaintSerializer(serializers.Serializer[dict[str, Any]]):
    public_id = serializers.UUIDField()
    tracking_number = serializers.CharField()
    channel = serializers.CharField()
    hotline_number = serializers.CharField()
    kind = serializers.CharField()
    is_urgent = serializers.BooleanField()
    title = serializers.CharField()
    content = serializers.CharField()
    status = serializers.CharField()
    department = serializers.CharField(source="department.code")
    submitted_at = serializers.DateTimeField()
    due_on = serializers.DateField(allow_null=True)
    warning = serializers.CharField()
    is_anonymous = serializers.BooleanField()
    phone_masked = serializers.CharField()
    answer = serializers.CharField()
    satisfaction = serializers.IntegerField(allow_null=True)


class OrderSerializer(serializers.Serializer[dict[str, Any]]):
    public_id = serializers.UUIDField()
    number = serializers.CharField()
    object_kind = serializers.CharField()
    object_id = serializers.UUIDField()
    object_label = serializers.CharField()
    case_reference = serializers.CharField(source="case.reference", allow_null=True, default=None)
    department = serializers.CharField(source="department.code")
    level = serializers.CharField()
    source = serializers.CharField()
    reason = serializers.CharField()
    status = serializers.CharField()
    escalation = serializers.CharField()
    reply_due_on = serializers.DateField()
    raised_at = serializers.DateTimeField()
    reply = serializers.CharField()
    replied_at = serializers.DateTimeField(allow_null=True)


class ReplySerializer(serializers.Serializer[dict[str, Any]]):
    reply = serializers.RegexField(r"\S", max_length=5000, help_text="回复内容（佐证材料在工作台上传）")
