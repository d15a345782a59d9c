"""What the office API answers: documents' metadata and status (never a classified body: none can exist), and tasks."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers


class RouteStepSerializer(serializers.Serializer[Any]):
    department = serializers.CharField(source="department.code", help_text="单位的部门代码")
    role = serializers.CharField(help_text="lead 主办 / co 会签（协办）")
    status = serializers.CharField(help_text="pending 待会签 / signed 已会签")
    due_on = serializers.DateField(allow_null=True)
    extended_to = serializers.DateField(allow_null=True, help_text="批准延期后的期限")
    opinion = serializers.CharField()
    signed_at = serializers.DateTimeField(allow_null=True)
    urge_count = serializers.IntegerField(help_text="催办次数")


class DocumentSerializer(serializers.Serializer[Any]):
    public_id = serializers.UUIDField()
    direction = serializers.CharField(help_text="outgoing 发文 / incoming 收文")
    status = serializers.CharField()
    status_label = serializers.CharField(source="get_status_display")
    copy_number = serializers.CharField(help_text="份号")
    classification = serializers.CharField(help_text="密级：本平台只有 none（非密）")
    urgency = serializers.CharField(help_text="紧急程度：normal / urgent 加急 / extra_urgent 特急")
    issuing_authority = serializers.CharField(help_text="发文机关")
    number = serializers.CharField(help_text="发文字号，如 厦海农林水〔2026〕12号；发文前为空")
    signer_name = serializers.CharField(help_text="签发人")
    title = serializers.CharField()
    main_recipients = serializers.CharField(help_text="主送机关")
    copy_to = serializers.CharField(help_text="抄送机关")
    dated = serializers.DateField(allow_null=True, help_text="成文日期")
    department = serializers.CharField(source="department.code", help_text="拟稿（登记）单位")
    created_at = serializers.DateTimeField()
    issued_at = serializers.DateTimeField(allow_null=True)
    route = RouteStepSerializer(many=True)


class AssignmentSerializer(serializers.Serializer[Any]):
    public_id = serializers.UUIDField(help_text="督办单的 object_id（object_kind=task）")
    department = serializers.CharField(source="department.code")
    status = serializers.CharField(help_text="assigned 已交办 / reporting 推进中 / done 已完成")
    latest_percent = serializers.IntegerField(allow_null=True)
    completed_at = serializers.DateTimeField(allow_null=True)


class MilestoneSerializer(serializers.Serializer[Any]):
    title = serializers.CharField()
    due_on = serializers.DateField()


class TaskSerializer(serializers.Serializer[Any]):
    public_id = serializers.UUIDField()
    title = serializers.CharField()
    description = serializers.CharField()
    source = serializers.CharField(help_text="leader 领导批示 / document 公文 / meeting 会议 / higher_level 上级交办")
    source_note = serializers.CharField()
    due_on = serializers.DateField()
    due_is_provisional = serializers.BooleanField()
    status = serializers.CharField(help_text="open 办理中 / done 已办结")
    created_at = serializers.DateTimeField()
    assignments = AssignmentSerializer(many=True)
    milestones = MilestoneSerializer(many=True)
