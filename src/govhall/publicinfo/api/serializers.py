from __future__ import annotations

from rest_framework import serializers

from govhall.publicinfo.constants import AnswerKind, ApplicantKind, EntryKind, FormWanted
from govhall.publicinfo.models import DisclosureRequest, Entry


class EntrySummarySerializer(serializers.ModelSerializer):
    kind = serializers.CharField(
        help_text="law, rule, policy, interpretation, notice, review_rule, faq, intermediary_service, intermediary"
    )
    validity = serializers.CharField(help_text="valid, expired, amended, repealed")

    class Meta:
        model = Entry
        fields = [
            "public_id",
            "kind",
            "title",
            "index_number",
            "doc_number",
            "issuer",
            "written_on",
            "published_on",
            "effective_on",
            "repealed_on",
            "validity",
            "version",
        ]


class EntryDetailSerializer(EntrySummarySerializer):
    items = serializers.SlugRelatedField(many=True, read_only=True, slug_field="implementation_code")
    interprets = serializers.SerializerMethodField()
    interpretations = serializers.SerializerMethodField()
    status = serializers.CharField(help_text="published, superseded, withdrawn")
    change_note = serializers.CharField()
    details = serializers.JSONField(
        read_only=True,
        help_text=(
            "Structured facts. intermediary_service: legal_basis, required, time_limit_days (working days), "
            "fee_basis, institutions (lineages of intermediary entries). intermediary: credit_code, contact, phone, "
            "address, service_area, credit_grade (A-D, GB/T 39683-2020), credit_grade_on, qualifications "
            "[{name, number, issuer, valid_until}]. Other kinds: {}."
        ),
    )
    lineage = serializers.UUIDField(read_only=True, help_text="Shared by every version of the same piece")

    class Meta(EntrySummarySerializer.Meta):
        fields = [
            *EntrySummarySerializer.Meta.fields,
            "status",
            "body",
            "change_note",
            "items",
            "interprets",
            "interpretations",
            "lineage",
            "details",
        ]

    def get_interprets(self, entry: Entry) -> str | None:
        from govhall.publicinfo.queries import policy_of

        policy = policy_of(entry)
        return str(policy.public_id) if policy else None

    def get_interpretations(self, entry: Entry) -> list[str]:
        from govhall.publicinfo.queries import interpretations_of

        return [str(e.public_id) for e in interpretations_of(entry)]


class EntryFilterSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=EntryKind.choices, required=False)


class RequestInSerializer(serializers.Serializer):
    applicant_kind = serializers.ChoiceField(choices=ApplicantKind.choices)
    name = serializers.CharField(max_length=100)
    id_number = serializers.CharField(max_length=18)
    contact_phone = serializers.CharField(max_length=20)
    description = serializers.CharField()
    form_wanted = serializers.ChoiceField(choices=FormWanted.choices)
    address = serializers.CharField(max_length=200, required=False, default="")
    email = serializers.EmailField(required=False, default="")
    purpose = serializers.CharField(max_length=200, required=False, default="")


class RequestReceiptSerializer(serializers.Serializer):
    number = serializers.CharField()
    query_code = serializers.CharField()
    due_on = serializers.DateField()


class FollowInSerializer(serializers.Serializer):
    number = serializers.CharField(max_length=20)
    code = serializers.CharField(max_length=12)


class RequestStatusSerializer(serializers.ModelSerializer):
    status = serializers.CharField(help_text="received, extended, correction, answered")
    answer_kind = serializers.CharField(
        help_text="disclosed, partly, refused, not_exist, not_ours, correction, repeated (empty until answered)"
    )

    class Meta:
        model = DisclosureRequest
        fields = ["number", "received_on", "due_on", "extended", "status", "answer_kind", "answered_on"]


class DeskRequestSerializer(serializers.ModelSerializer):
    """A disclosure request as its handler sees it (the requester's ID number masked)."""

    id_number = serializers.CharField(
        source="id_number_shown",
        read_only=True,
        help_text="a person's masked (region and last four); a credit code whole",
    )

    class Meta:
        model = DisclosureRequest
        fields = [
            "public_id", "number", "applicant_kind", "name", "id_number", "description", "purpose", "form_wanted",
            "received_on", "due_on", "extended", "extension_reason", "third_party", "status", "answer_kind",
            "answer_reason", "answer_text", "answered_on",
        ]  # fmt: skip


_PLAIN = r"^[^<>]*$"  # no markup (the pages refuse it too)
_SAID = r"^[^<>]*\S[^<>]*$"  # and something written, not only spaces


class AnswerInSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=AnswerKind.choices)
    reason = serializers.RegexField(_SAID, min_length=2, max_length=2000,
                                    help_text="the grounds and the legal basis (the regulation requires them for every "
                                    "answer but 公开; give the basis for 公开 too)")  # fmt: skip
    text = serializers.RegexField(_PLAIN, required=False, allow_blank=True, max_length=20000, default="")


class ExtendInSerializer(serializers.Serializer):
    reason = serializers.RegexField(_SAID, min_length=4, max_length=300)
