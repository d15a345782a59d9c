"""Cases API: applicants file and follow their cases, staff handle the cases of their departments.

Every view parses its input, calls one function of ``cases.actions`` (writes) or
``cases.queries`` (reads) and renders the answer. Errors have one shape, ``{"errors": …}``:
400 for bad input (a list of messages, or a list per field), 403 when the user may not do
it, 404 for a case that does not exist or is not the user's (the two look the same), 409
when the case is not in a status that allows the action. Messages are in the language of
the request. Authentication is the session of the workspace or desk login; as for every
session-authenticated DRF API, a write must carry the session's CSRF token (X-CSRFToken).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.http import Http404
from django.utils.translation import gettext as _

from govhall.cases import actions, queries
from govhall.cases.api.serializers import (
    MATERIAL_FILES,
    AnswerCorrectionSerializer,
    ApplicantCaseSerializer,
    CaseSummarySerializer,
    CorrectionRequestSerializer,
    CountersignAnswerSerializer,
    CountersignRequestSerializer,
    DecisionSerializer,
    DeskCaseSerializer,
    ExtensionRequestSerializer,
    InboxFilterSerializer,
    NotAcceptSerializer,
    NoteSerializer,
    OpinionSerializer,
    SpecialProcedureSerializer,
    SubmitCaseSerializer,
    WithdrawSerializer,
)
from govhall.cases.models import Case
from govhall.catalog.models import ItemVersion
from govhall.identity.models import LegalEntity, User
from govhall.identity.permissions import IsApplicant, IsVerifiedStaff
from govhall.lib.api import ErrorSerializer, PlatformAPIView, StrictPageNumberPagination

# Permissions and errors ----------------------------------------------------------------------


ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="bad input; nothing changed"),
    403: OpenApiResponse(ErrorSerializer, description="not logged in, or the user may not do this"),
    404: OpenApiResponse(ErrorSerializer, description="no such case, or not one the user may see"),
    409: OpenApiResponse(ErrorSerializer, description="the case's status does not allow this now"),
}


def _errors_of(*codes: int) -> dict[int, OpenApiResponse]:
    return {code: ERRORS[code] for code in codes}


def _user(request: Request) -> User:
    assert isinstance(request.user, User)
    return request.user


_MATERIAL_FIELD = re.compile(r"^material_(\d+)$")


def _material_files(request: Request) -> dict[int, UploadedFile]:
    # Every material_<id> field goes to the action, which refuses a material the item does not ask for:
    return {
        int(match.group(1)): upload
        for name, upload in request.FILES.items()
        if (match := _MATERIAL_FIELD.match(name)) is not None
    }


# Applicant ---------------------------------------------------------------------------------


class ApplicantCaseListView(PlatformAPIView, generics.ListAPIView):
    permission_classes = [IsApplicant]
    serializer_class = CaseSummarySerializer
    pagination_class = StrictPageNumberPagination
    parser_classes = [MultiPartParser, FormParser]

    def get_queryset(self) -> Any:
        return queries.list_cases_of_applicant(_user(self.request))

    @extend_schema(
        summary="My cases",
        description="The applicant's own cases (drafts included), newest first, paginated.",
        responses={200: CaseSummarySerializer(many=True), **_errors_of(403)},
        tags=["cases (applicant)"],
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Submit an application",
        description=(
            "File an application for a published item, with its form answers and materials (multipart). "
            + MATERIAL_FILES
            + "Submitting is idempotent per `submit_key`: the first request answers 201 with the new case, a "
            "retry with the same key answers 200 with that same case and changes nothing. A missing required "
            "material, invalid form answers or an item not open for applications answer 400 naming the problem; "
            "acting for a company one is not authorised for answers 403."
        ),
        request={"multipart/form-data": SubmitCaseSerializer},
        responses={
            201: OpenApiResponse(ApplicantCaseSerializer, description="the case was filed"),
            200: OpenApiResponse(ApplicantCaseSerializer, description="a retry: the case filed with this key"),
            **_errors_of(400, 403),
        },
        tags=["cases (applicant)"],
    )
    def post(self, request: Request) -> Response:
        serializer = SubmitCaseSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        user = _user(request)
        # Only to tell 201 from 200: submit_case itself answers a known key with the case filed
        # the first time, before it looks at anything else. (Two concurrent first tries may both
        # hear 201; both answers name the one case.)
        earlier = queries.get_case_by_submit_key(user, data["submit_key"])
        if earlier is not None:
            version, entity = earlier.item_version, None
        else:
            version = _version_to_apply(data)
            entity = _entity(user, data["entity_credit_code"])
        case = actions.submit_case(
            version,
            applicant=user,
            form_data=data["form_data"],
            submit_key=data["submit_key"],
            entity=entity,
            files=_material_files(request),
        )
        return Response(
            ApplicantCaseSerializer(case, context={"request": request}).data,
            status=status.HTTP_200_OK if earlier is not None else status.HTTP_201_CREATED,
        )


def _version_to_apply(data: dict[str, Any]) -> ItemVersion:
    version = queries.get_version_to_apply(
        public_id=str(data.get("item_version") or ""), implementation_code=data.get("implementation_code", "")
    )
    if version is None:
        # Unknown and unpublished items are refused alike, with submit_case's own words:
        raise ValidationError(_("该事项当前未发布或已暂停办理，不能提交申请。"), code="not_live")
    return version


def _entity(user: User, credit_code: str) -> LegalEntity | None:
    if not credit_code:
        return None
    entity = queries.get_entity_represented_by(user, credit_code)
    if entity is None:
        # "No such company" and "not yours" alike, with submit_case's own words:
        raise PermissionDenied(_("您没有代表该单位办理的授权。"))
    return entity


class ApplicantCaseDetailView(PlatformAPIView):
    permission_classes = [IsApplicant]

    @extend_schema(
        summary="One of my cases",
        description=(
            "Status, reference, item, due dates, the materials provided, an open correction request (all the "
            "items to correct) and the timeline of what the applicant is told. The bureau's internal steps and "
            "opinions are not shown."
        ),
        responses={200: ApplicantCaseSerializer, **_errors_of(403, 404)},
        tags=["cases (applicant)"],
    )
    def get(self, request: Request, public_id: str) -> Response:
        case = queries.access_case_for_applicant(request.user, str(public_id))
        return Response(ApplicantCaseSerializer(case, context={"request": request}).data)


class WithdrawView(PlatformAPIView):
    permission_classes = [IsApplicant]

    @extend_schema(
        summary="Withdraw my application",
        description="Withdraw a case that is not yet decided (not while it is with other departments).",
        request=WithdrawSerializer,
        responses={200: ApplicantCaseSerializer, **_errors_of(400, 403, 404, 409)},
        tags=["cases (applicant)"],
    )
    def post(self, request: Request, public_id: str) -> Response:
        case = queries.access_case_for_applicant(request.user, str(public_id))
        serializer = WithdrawSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        case = actions.withdraw_case(case, applicant=_user(request), reason=serializer.validated_data["reason"])
        return Response(ApplicantCaseSerializer(case, context={"request": request}).data)


class AnswerCorrectionView(PlatformAPIView):
    permission_classes = [IsApplicant]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        summary="Answer a correction request",
        description=(
            "Send the corrected materials (and, if asked, corrected form answers) with a note saying what was "
            "corrected; the case goes back to the department. " + MATERIAL_FILES
        ),
        request={"multipart/form-data": AnswerCorrectionSerializer},
        responses={200: ApplicantCaseSerializer, **_errors_of(400, 403, 404, 409)},
        tags=["cases (applicant)"],
    )
    def post(self, request: Request, public_id: str) -> Response:
        case = queries.access_case_for_applicant(request.user, str(public_id))
        serializer = AnswerCorrectionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        case = actions.answer_correction(
            case,
            applicant=_user(request),
            note=serializer.validated_data["note"],
            form_data=serializer.validated_data["form_data"],
            files=_material_files(request),
        )
        return Response(ApplicantCaseSerializer(case, context={"request": request}).data)


# Staff -------------------------------------------------------------------------------------

DESK = {"desk": True}


class InboxView(PlatformAPIView, generics.ListAPIView):
    permission_classes = [IsVerifiedStaff]
    serializer_class = CaseSummarySerializer
    pagination_class = StrictPageNumberPagination

    def get_queryset(self) -> Any:
        filters = InboxFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        return queries.inbox_for(
            _user(self.request),
            search=filters.validated_data["q"].strip(),
            status=filters.validated_data.get("status", ""),
            item=filters.validated_data["item"].strip(),
        )

    def paginate_queryset(self, queryset: Any) -> Any:
        page = super().paginate_queryset(queryset)
        return None if page is None else queries.with_listed_versions(page)

    @extend_schema(
        summary="Inbox",
        description=(
            "The open cases of the user's departments, and those their departments are asked to countersign, "
            "nearest due date first, paginated. A clerk never sees the cases of other departments."
        ),
        parameters=[InboxFilterSerializer],
        responses={200: CaseSummarySerializer(many=True), **_errors_of(400, 403)},
        tags=["cases (desk)"],
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class DeskCaseDetailView(PlatformAPIView):
    permission_classes = [IsVerifiedStaff]

    @extend_schema(
        summary="One case of my departments",
        description="The case with its current step, every event and opinion, the countersigns and the materials.",
        responses={200: DeskCaseSerializer, **_errors_of(403, 404)},
        tags=["cases (desk)"],
    )
    def get(self, request: Request, public_id: str) -> Response:
        case = queries.access_case_for_staff(request.user, str(public_id))
        return Response(DeskCaseSerializer(case, context={"request": request, **DESK}).data)


@dataclass(frozen=True)
class DeskAction:
    """One desk action: its input, the call of the action, and its documentation."""

    serializer: type[serializers.Serializer]
    perform: Callable[[Case, User, dict[str, Any]], Case]
    summary: str
    description: str


def _answer_countersign(case: Case, user: User, data: dict[str, Any]) -> Case:
    countersign = queries.get_countersign(case, data["department"])
    if countersign is None:
        raise ValidationError(_("找不到这个会签请求。"))
    return actions.answer_countersign(countersign, actor=user, agrees=data["agrees"], opinion=data["opinion"])


DESK_ACTIONS: dict[str, DeskAction] = {
    "accept": DeskAction(
        NoteSerializer,
        lambda case, user, data: actions.accept_case(case, actor=user, note=data["note"]),
        "Accept (受理)",
        "Accept a submitted case: the clock starts and the due dates are set (clerk).",
    ),
    "correction": DeskAction(
        CorrectionRequestSerializer,
        lambda case, user, data: actions.request_correction(case, actor=user, items=data["items"]),
        "Request a correction (一次性告知补正)",
        "List everything the applicant must correct, at once; an accepted case's clock pauses (clerk).",
    ),
    "not-accept": DeskAction(
        NotAcceptSerializer,
        lambda case, user, data: actions.not_accept_case(
            case, actor=user, reason=data["reason"], legal_basis=data["legal_basis"]
        ),
        "Refuse to accept (不予受理)",
        "Refuse a submitted case, with the reason and its legal basis (clerk).",
    ),
    "complete-step": DeskAction(
        OpinionSerializer,
        lambda case, user, data: actions.complete_step(case, actor=user, opinion=data["opinion"]),
        "Complete the current step",
        "Finish the current review or site-inspection step with an opinion (the step's role).",
    ),
    "countersign": DeskAction(
        CountersignRequestSerializer,
        lambda case, user, data: actions.start_countersign(
            case, actor=user, departments=list(data["departments"]), note=data["note"]
        ),
        "Ask for countersign (发起会签)",
        "Ask other departments to countersign in parallel, at the countersign step; the case waits for all.",
    ),
    "countersign-answer": DeskAction(
        CountersignAnswerSerializer,
        _answer_countersign,
        "Answer a countersign (会签答复)",
        "Give the opinion of a department asked to countersign; the last answer moves the case on.",
    ),
    "decide": DeskAction(
        DecisionSerializer,
        lambda case, user, data: actions.decide_case(
            case, actor=user, decision=data["decision"], reason=data["reason"], legal_basis=data["legal_basis"]
        ),
        "Decide (作出决定)",
        "Approve or deny at the decision step, with the reason and legal basis (approver).",
    ),
    "forward": DeskAction(
        OpinionSerializer,
        lambda case, user, data: actions.forward_case(case, actor=user, opinion=data["opinion"]),
        "Forward to the higher authority (报上级审批)",
        "At the decision step of an item a higher authority decides: send the case up with the preliminary "
        "opinion; its decision comes back through the exchange and closes the case.",
    ),
    "close": DeskAction(
        NoteSerializer,
        lambda case, user, data: actions.close_case(case, actor=user, note=data["note"]),
        "Close (办结)",
        "Close a decided case (clerk).",
    ),
    "special-start": DeskAction(
        SpecialProcedureSerializer,
        lambda case, user, data: actions.start_special_procedure(
            case, actor=user, procedure=data["procedure"], note=data["note"]
        ),
        "Start a special procedure (特别程序)",
        "Start a hearing, expert review or test; the clock pauses (reviewer or approver).",
    ),
    "special-end": DeskAction(
        NoteSerializer,
        lambda case, user, data: actions.end_special_procedure(case, actor=user, note=data["note"]),
        "End the special procedure",
        "End the special procedure; the clock resumes, extended by the paused working days.",
    ),
    "extension-request": DeskAction(
        ExtensionRequestSerializer,
        lambda case, user, data: actions.request_extension(case, actor=user, days=data["days"], reason=data["reason"]),
        "Request an extension (申请延期)",
        "Ask the approver for more working days, once per case (clerk or reviewer).",
    ),
    "extension-approve": DeskAction(
        NoteSerializer,
        lambda case, user, data: actions.approve_extension(case, actor=user, note=data["note"]),
        "Approve the extension (批准延期)",
        "Grant the requested extension: the due dates move by that many working days (approver).",
    ),
    "extension-refuse": DeskAction(
        WithdrawSerializer,
        lambda case, user, data: actions.refuse_extension(case, actor=user, reason=data["reason"]),
        "Refuse the extension (不予延期)",
        "Turn the requested extension down with a reason; the due dates stay (an approver other than the requester).",
    ),
}


class DeskActionView(PlatformAPIView):
    permission_classes = [IsVerifiedStaff]
    action_name = ""

    def post(self, request: Request, public_id: str) -> Response:
        case = queries.access_case_for_staff(request.user, str(public_id))
        spec = DESK_ACTIONS[self.action_name]
        serializer = spec.serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        case = spec.perform(case, _user(request), serializer.validated_data)
        return Response(DeskCaseSerializer(case, context={"request": request, **DESK}).data)


def desk_action_view(name: str) -> Callable[..., Any]:
    """The view of one desk action, documented with its own input (one path per action in the schema)."""
    spec = DESK_ACTIONS[name]

    class View(DeskActionView):
        action_name = name

        @extend_schema(
            summary=spec.summary,
            description=spec.description,
            request=spec.serializer,
            responses={200: DeskCaseSerializer, **_errors_of(400, 403, 404, 409)},
            tags=["cases (desk)"],
            operation_id=f"desk_cases_{name.replace('-', '_')}",
        )
        def post(self, request: Request, public_id: str) -> Response:
            return super().post(request, public_id)

    View.__name__ = View.__qualname__ = "".join(part.title() for part in name.split("-")) + "ActionView"
    return View.as_view()


class UnknownDeskActionView(PlatformAPIView):
    permission_classes = [IsVerifiedStaff]

    @extend_schema(exclude=True)
    def post(self, request: Request, public_id: str, action: str) -> Response:
        raise Http404
