"""Look-ups of a subject's dossier: each one checked against its stated purpose and audited."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from govhall.audit.actions import record
from govhall.audit.models import AuditOutcome
from govhall.dossier import queries
from govhall.dossier.constants import Purpose
from govhall.identity.constants import Role
from govhall.identity.models import User
from govhall.identity.queries import has_role


@dataclass
class LookUp:
    """The outcome of a look-up: the dossier, or None when nothing in scope is held about the code."""

    code: queries.SubjectCode
    dossier: queries.Dossier | None


def _refuse(viewer: User, event_extra: dict[str, Any], error: Exception, request: HttpRequest | None) -> None:
    # The refusal is recorded in its own transaction (record's), so that raising does not take it back:
    record("dossier.looked_up", viewer, None, event_extra, outcome=AuditOutcome.DENIED, request=request)
    raise error


def look_up_subject(
    viewer: User,
    identifier: str,
    *,
    purpose: str,
    case_reference: str = "",
    full: frozenset[str] = frozenset(),
    request: HttpRequest | None = None,
) -> LookUp:
    """A staff member looks up the dossier of the subject ``identifier`` names, for ``purpose``.

    Only staff with a case-handling role (``DOSSIER_ROLES``) may look up. The purpose must be
    one of ``Purpose``; supervision needs the supervisor role; handling a
    case needs the reference of a case of this subject that the viewer's departments hold.
    The viewer sees only records of their departments (``scope_for_staff``). A subject the
    platform does not know and one with nothing in the viewer's scope give the same answer.
    Every look-up, refused ones included, is audited with the purpose and the record count;
    the audit never holds the full identifier.

    Raises ValidationError (by field: identifier, purpose, case_reference) for a malformed
    identifier or purpose (nothing is recorded: no subject was looked up) or a case that does
    not fit or a purpose the viewer may not give; PermissionDenied for staff without such a role.
    """
    try:
        code = queries.parse_subject_code(identifier)
    except ValidationError as error:
        raise ValidationError({"identifier": error.error_list}) from None
    if purpose not in Purpose.values:
        raise ValidationError({"purpose": _("请选择查询目的。")})
    extra: dict[str, Any] = {"purpose": purpose, "kind": code.kind, "code": code.masked}
    scope = queries.scope_for_staff(viewer)
    if not scope.departments:
        _refuse(viewer, extra, PermissionDenied(_("您的岗位不办理办件，无权查询一码档案。")), request)
    if purpose == Purpose.SUPERVISION and not has_role(viewer, Role.SUPERVISOR):
        _refuse(viewer, extra, ValidationError({"purpose": _("只有监督人员可以以“监督检查”为目的查询。")}), request)
    subject = queries.find_subject(code)
    dossier = queries.assemble_dossier(subject, scope, limit=queries.PAGE, full=full) if subject else None
    if purpose == Purpose.CASE_HANDLING:
        reference = case_reference.strip()
        extra["case"] = reference[:60]
        if not reference:
            _refuse(
                viewer,
                extra,
                ValidationError({"case_reference": _("以“办理办件”为目的查询时，请填写所办理的办件编号。")}),
                request,
            )
        if subject is None or not queries.list_cases(subject, scope).filter(reference=reference).exists():
            _refuse(
                viewer,
                extra,
                ValidationError({"case_reference": _("办件编号与所查询的主体不符，或不是您所在部门的办件。")}),
                request,
            )
    if dossier is not None and dossier.record_count == 0:
        dossier = None
    extra["count"] = dossier.record_count if dossier else 0
    record("dossier.looked_up", viewer, subject.audit_target() if subject is not None else None, extra, request=request)
    return LookUp(code=code, dossier=dossier)


@transaction.atomic
def export_own_dossier(user: User, subject: queries.Subject, *, request: HttpRequest | None = None) -> dict[str, Any]:
    """The applicant downloads their own (or their company's) dossier; the export is audited.

    The caller has already checked that ``subject`` is the user or a company they act for
    (``queries.subjects_of_applicant``).
    """
    dossier = queries.assemble_dossier(subject, queries.Scope(None), limit=queries.EVERYTHING)
    record(
        "dossier.exported",
        user,
        subject.audit_target(),
        {"kind": subject.kind, "count": dossier.record_count},
        request=request,
    )
    return queries.export_dossier(dossier)
