"""What the cases API reads and answers. Reads go through ``cases.queries``; nothing here writes."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from django.urls import reverse

from govhall.cases import actions, queries
from govhall.cases.constants import CaseAction, CaseStatus, Decision
from govhall.cases.models import Case, CaseEvent, CaseMaterial, Countersign

# Reading -----------------------------------------------------------------------------------


def _absolute(context: dict[str, Any], path: str) -> str:
    request = context.get("request")
    return request.build_absolute_uri(path) if request is not None else path


class ItemSerializer(serializers.Serializer):
    """The item version a case was filed under."""

    version = serializers.UUIDField(source="public_id", help_text="public id of the item version (事项版本)")
    implementation_code = serializers.CharField(source="item.implementation_code", help_text="实施编码")
    name = serializers.CharField(help_text="事项名称")
    number = serializers.IntegerField(help_text="version number")


class CaseSummarySerializer(serializers.ModelSerializer):
    status_label = serializers.CharField(source="get_status_display")
    item = ItemSerializer(source="item_version")
    due_is_provisional = serializers.BooleanField(
        read_only=True,
        help_text=(
            "true while due_on depends on a year whose State Council holiday notice is not loaded: counted on "
            "the statutory holidays alone, provisional until the notice is published (预计，待国务院公布放假安排后确定); "
            "recounted when it is, and the applicant told if the date moves"
        ),
    )
    statutory_due_is_provisional = serializers.BooleanField(
        read_only=True, help_text="the same for statutory_due_on (法定办结日期)"
    )

    class Meta:
        model = Case
        fields = [
            "public_id",
            "reference",
            "status",
            "status_label",
            "item",
            "applicant_name",
            "submitted_at",
            "accepted_on",
            "due_on",
            "statutory_due_on",
            "due_is_provisional",
            "statutory_due_is_provisional",
            "paused_on",
            "warning",
            "created_at",
        ]


class ApplicantEventSerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display")
    to_status_label = serializers.CharField()
    actor_name = serializers.SerializerMethodField()
    corrections = serializers.SerializerMethodField()

    class Meta:
        model = CaseEvent
        fields = [
            "kind",
            "kind_label",
            "to_status",
            "to_status_label",
            "actor_name",
            "opinion",
            "corrections",
            "created_at",
        ]

    def get_actor_name(self, event: CaseEvent) -> str:
        # As on the workspace page: the person's name, else the account or "system":
        return (event.actor.full_name if event.actor else "") or event.actor_label

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_corrections(self, event: CaseEvent) -> list[str]:
        return list(event.data.get("corrections", []))


class StaffEventSerializer(ApplicantEventSerializer):
    data = serializers.JSONField(help_text="what the event recorded (due dates, departments, decision …)")

    class Meta(ApplicantEventSerializer.Meta):
        fields = [*ApplicantEventSerializer.Meta.fields, "from_status", "step_order", "actor_label", "data"]


class MaterialSerializer(serializers.ModelSerializer):
    material = serializers.IntegerField(source="material_id", help_text="the catalog material it provides")
    material_name = serializers.CharField(source="material.name")
    signature_status_label = serializers.CharField(source="get_signature_status_display")
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = CaseMaterial
        fields = [
            "public_id",
            "material",
            "material_name",
            "original_name",
            "content_type",
            "size",
            "page_count",
            "sha256",
            "signature_status",
            "signature_status_label",
            "signature_signer",
            "uploaded_at",
            "download_url",
        ]

    def get_download_url(self, material: CaseMaterial) -> str:
        name = "cases:desk_material" if self.context.get("desk") else "cases:my_material"
        return _absolute(self.context, reverse(name, args=[material.case.public_id, material.public_id]))


class CorrectionSerializer(serializers.Serializer):
    requested_at = serializers.DateTimeField(source="created_at")
    items = serializers.ListField(child=serializers.CharField(), source="data.corrections", default=list)


class EntitySerializer(serializers.Serializer):
    name = serializers.CharField()
    credit_code = serializers.CharField()


class _CaseDetailSerializer(CaseSummarySerializer):
    decision_label = serializers.CharField(source="get_decision_display")
    entity = EntitySerializer(allow_null=True)
    materials = serializers.SerializerMethodField()
    acceptance_notice_url = serializers.SerializerMethodField()

    class Meta(CaseSummarySerializer.Meta):
        fields = [
            *CaseSummarySerializer.Meta.fields,
            "entity",
            "form_data",
            "decision",
            "decision_label",
            "decision_reason",
            "decision_basis",
            "closed_at",
            "materials",
            "acceptance_notice_url",
        ]

    @extend_schema_field(MaterialSerializer(many=True))
    def get_materials(self, case: Case) -> Any:
        return MaterialSerializer(queries.list_current_materials(case), many=True, context=self.context).data

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_acceptance_notice_url(self, case: Case) -> str | None:
        if case.accepted_on is None:
            return None
        name = "cases:desk_notice" if self.context.get("desk") else "cases:my_notice"
        return _absolute(self.context, reverse(name, args=[case.public_id]))


class ApplicantCaseSerializer(_CaseDetailSerializer):
    """A case as its applicant sees it: no internal steps or opinions of the bureau."""

    events = serializers.SerializerMethodField()
    open_correction = serializers.SerializerMethodField()

    class Meta(_CaseDetailSerializer.Meta):
        fields = [*_CaseDetailSerializer.Meta.fields, "open_correction", "events"]

    @extend_schema_field(ApplicantEventSerializer(many=True))
    def get_events(self, case: Case) -> Any:
        return ApplicantEventSerializer(queries.list_events_for_applicant(case), many=True).data

    @extend_schema_field(CorrectionSerializer(allow_null=True))
    def get_open_correction(self, case: Case) -> Any:
        correction = queries.get_open_correction(case)
        return CorrectionSerializer(correction).data if correction else None


class DepartmentSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class StepSerializer(serializers.Serializer):
    order = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.CharField()
    role = serializers.CharField()


class CountersignSerializer(serializers.ModelSerializer):
    department = DepartmentSerializer()

    class Meta:
        model = Countersign
        fields = ["department", "requested_at", "agrees", "opinion", "answered_at"]


class DeskCaseSerializer(_CaseDetailSerializer):
    """A case as its handling department sees it, with the whole history and the countersigns."""

    department = DepartmentSerializer()
    step = serializers.SerializerMethodField()
    events = serializers.SerializerMethodField()
    countersigns = CountersignSerializer(many=True)
    my_countersigns = serializers.SerializerMethodField()
    available_actions = serializers.SerializerMethodField()

    class Meta(_CaseDetailSerializer.Meta):
        fields = [
            *_CaseDetailSerializer.Meta.fields,
            "department",
            "step",
            "paused_working_days",
            "extension_days",
            "extension_approved",
            "countersigns",
            "my_countersigns",
            "available_actions",
            "events",
        ]

    @extend_schema_field(StepSerializer(allow_null=True))
    def get_step(self, case: Case) -> Any:
        step = actions.current_step(case)
        return StepSerializer(step).data if step else None

    @extend_schema_field(StaffEventSerializer(many=True))
    def get_events(self, case: Case) -> Any:
        return StaffEventSerializer(queries.list_events_for_staff(case), many=True).data

    @extend_schema_field(
        serializers.ListField(
            child=serializers.CharField(),
            help_text="codes of the departments whose countersign the current user may answer",
        )
    )
    def get_my_countersigns(self, case: Case) -> list[str]:
        return [c.department.code for c in self._available(case).countersigns]

    @extend_schema_field(
        serializers.ListField(
            child=serializers.ChoiceField(choices=[action.value for action in CaseAction]),
            help_text="the actions the current user may take on this case now (the rule each action refuses by)",
        )
    )
    def get_available_actions(self, case: Case) -> list[str]:
        available = self._available(case).actions
        return [action.value for action in CaseAction if action in available]

    def _available(self, case: Case) -> actions.AvailableActions:
        # Worked out once per case for both fields:
        cache = self.context.setdefault("_available_actions", {})
        if case.pk not in cache:
            cache[case.pk] = actions.available_actions_for(self.context["request"].user, case)
        return cache[case.pk]


# Applicant input ---------------------------------------------------------------------------


@extend_schema_field(OpenApiTypes.STR)
class FormDataField(serializers.JSONField):
    """The answers to the item's application form: a JSON object, sent as a string in a multipart body."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(binary=True, **kwargs)

    def to_internal_value(self, data: Any) -> Any:
        value = super().to_internal_value(data)
        if not isinstance(value, dict):
            message = serializers.DictField.default_error_messages["not_a_dict"]
            raise serializers.ValidationError(message.format(input_type=type(value).__name__))
        return value


MATERIAL_FILES = (
    "Each material is a file field named `material_<id>` (the id of the catalog material; PDF, JPG or PNG). "
)


class SubmitCaseSerializer(serializers.Serializer):
    item_version = serializers.UUIDField(
        required=False, help_text="public id of the published item version (or give implementation_code instead)"
    )
    implementation_code = serializers.CharField(
        required=False, max_length=31, help_text="实施编码: apply for the version of the item in force today"
    )
    form_data = FormDataField(required=False, default=dict, help_text="the form answers, a JSON object as a string")
    submit_key = serializers.CharField(
        max_length=64,
        help_text="chosen by the client, the same on every retry of one submission: a retry returns the same case",
    )
    entity_credit_code = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=18,
        help_text="统一社会信用代码 of the company the applicant acts for (they must be authorised)",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs.get("item_version") and not attrs.get("implementation_code"):
            raise serializers.ValidationError(
                {"item_version": [serializers.Field.default_error_messages["required"]]}, code="required"
            )
        return attrs


class AnswerCorrectionSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="", help_text="what was corrected")
    form_data = FormDataField(required=False, default=None, help_text="corrected form answers (JSON string)")


class WithdrawSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300)


# Staff input -------------------------------------------------------------------------------
# Texts the actions check (an opinion that must not be empty …) default to "", so that the
# user hears the action's own message rather than a generic "required".


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="", help_text="opinion for the record")


class OpinionSerializer(serializers.Serializer):
    opinion = serializers.CharField(required=False, allow_blank=True, default="", help_text="办理意见 (required)")


class CorrectionRequestSerializer(serializers.Serializer):
    items = serializers.ListField(
        child=serializers.CharField(allow_blank=True),
        required=False,
        default=list,
        help_text="every material or answer to correct, all at once (一次性告知)",
    )


class NotAcceptSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="")
    legal_basis = serializers.CharField(required=False, allow_blank=True, default="")


class CountersignRequestSerializer(serializers.Serializer):
    departments = serializers.SlugRelatedField(
        slug_field="code",
        queryset=queries.list_countersign_departments(),
        many=True,
        help_text="codes of the departments asked to countersign",
    )
    note = serializers.CharField(required=False, allow_blank=True, default="")


class CountersignAnswerSerializer(serializers.Serializer):
    department = serializers.CharField(help_text="code of the department answering (see my_countersigns)")
    agrees = serializers.BooleanField(
        required=False, allow_null=True, default=None, help_text="true 同意, false 不同意; must be chosen (no default)"
    )
    opinion = serializers.CharField(required=False, allow_blank=True, default="")


class DecisionSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(
        choices=Decision.choices, required=False, allow_blank=True, default="", help_text="must be chosen (no default)"
    )
    reason = serializers.CharField(required=False, allow_blank=True, default="")
    legal_basis = serializers.CharField(required=False, allow_blank=True, default="")


class SpecialProcedureSerializer(serializers.Serializer):
    procedure = serializers.CharField(required=False, allow_blank=True, default="", help_text="听证, 专家评审 …")
    note = serializers.CharField(required=False, allow_blank=True, default="")


class ExtensionRequestSerializer(serializers.Serializer):
    days = serializers.IntegerField(help_text="working days asked for")
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class SearchTextField(serializers.CharField):
    """Words to search for: NUL characters, which no record holds, are dropped rather than refused."""

    def to_internal_value(self, data: Any) -> str:
        return str(super().to_internal_value(str(data).replace("\x00", "")))


class InboxFilterSerializer(serializers.Serializer):
    q = SearchTextField(
        required=False,
        allow_blank=True,
        default="",
        max_length=60,
        help_text="words of the reference, the applicant's name or the item name",
    )
    status = serializers.ChoiceField(
        choices=CaseStatus.choices, required=False, help_text="one status instead of all open"
    )
    item = SearchTextField(
        required=False,
        allow_blank=True,
        default="",
        max_length=31,
        help_text="implementation code (实施编码) of one item",
    )
