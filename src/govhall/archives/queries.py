"""Reads of the archives, what a case's package holds, and the archivist's gates.

Only archivists (the ``archivist`` role, anywhere) open the archives; a disposal list is also
open to its reviewers. "Not allowed" and "does not exist" look the same (404).
"""

from __future__ import annotations

import datetime
import json
import re
import uuid
from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from govhall.archives.constants import (
    ARCHIVIST,
    AUDIT_FILE,
    EVENTS_FILE,
    OPEN_DISPOSAL_STATUSES,
    PackageStatus,
    StartRule,
)
from govhall.archives.models import ArchivalPackage, DisposalList, ItemRetention, RetentionClass
from govhall.archives.packaging import Contents, PayloadFile, audit_lines, events_xml
from govhall.cases.models import Case
from govhall.identity.models import User
from govhall.identity.queries import has_role


def _uuid(value: Any) -> uuid.UUID:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError as exc:
        raise Http404 from exc


def is_archivist(user: Any) -> bool:
    return has_role(user, ARCHIVIST)


def list_archivists() -> list[User]:
    return list(User.objects.filter(memberships__role=ARCHIVIST, is_active=True).distinct())


def list_security_admins() -> list[User]:
    return list(User.objects.filter(memberships__role="security_admin", is_active=True).distinct())


def access_package_for(user: Any, public_id: Any) -> ArchivalPackage:
    """Load a package for an archivist, or 404."""
    if not is_archivist(user):
        raise Http404
    package = (
        ArchivalPackage.objects.select_related("department", "retention_class")
        .filter(public_id=_uuid(public_id))
        .first()
    )
    if package is None:
        raise Http404
    return package


def access_disposal_list_for(user: Any, public_id: Any) -> DisposalList:
    """Load a disposal list for an archivist or one of its reviewers, or 404."""
    found = DisposalList.objects.select_related("author", "archivist").filter(public_id=_uuid(public_id)).first()
    if found is None or not (is_archivist(user) or found.reviewers.filter(pk=user.pk).exists()):
        raise Http404
    return found


def list_disposal_lists_for(user: Any) -> QuerySet[DisposalList]:
    if is_archivist(user):
        return DisposalList.objects.all()
    return (
        DisposalList.objects.filter(reviewers=user)
        if getattr(user, "is_authenticated", False)
        else DisposalList.objects.none()
    )


def search_packages(
    *, reference: str = "", subject_key: str | None = None, item: str = "", year: int | None = None
) -> QuerySet[ArchivalPackage]:
    """Packages by case reference (a prefix), subject key, item (基本编码 or name), year; newest first."""
    packages = ArchivalPackage.objects.select_related("department", "retention_class")
    if reference:
        packages = packages.filter(reference__startswith=reference.strip())
    if subject_key is not None:
        packages = packages.filter(subject_key=subject_key)
    if item:
        packages = packages.filter(Q(item_code=item.strip()) | Q(title__contains=item.strip()))
    if year:
        packages = packages.filter(year=year)
    return packages.order_by("-year", "-reference")


def list_rejected() -> QuerySet[ArchivalPackage]:
    """The packages that failed a check or could not be built: the archivist's to-do list."""
    return ArchivalPackage.objects.filter(Q(status=PackageStatus.REJECTED) | Q(is_damaged=True)).order_by("-created_at")


def list_due_for_disposal(today: datetime.date | None = None) -> QuerySet[ArchivalPackage]:
    """Accepted packages past their disposal date and on no open list."""
    today = today or timezone.localdate()
    on_lists = ArchivalPackage.objects.filter(disposal_items__disposal_list__status__in=sorted(OPEN_DISPOSAL_STATUSES))
    return (
        ArchivalPackage.objects.filter(status=PackageStatus.ACCEPTED, disposal_on__lte=today)
        .exclude(pk__in=on_lists.values("pk"))
        .order_by("disposal_on", "reference")
    )


def holds_on(package: ArchivalPackage) -> list[str]:
    """Why the package may not be destroyed now: its open holds, and an open complaint about its case."""
    reasons = [f"{hold.get_kind_display()}：{hold.reason}" for hold in package.holds.filter(lifted_at__isnull=True)]
    if package.case_id is not None and _has_open_complaint(package.case_id):
        reasons.append(str(_("投诉处理中（办件有未办结的投诉）")))
    return reasons


def _has_open_complaint(case_id: int) -> bool:
    from govhall.complaints.queries import has_open_complaint_about_case

    return has_open_complaint_about_case(case_id)


# Retention --------------------------------------------------------------------------------


def retention_for(item_code: str) -> tuple[RetentionClass, str]:
    """The retention class and start rule of an item's cases (the configured default if it has none)."""
    row = ItemRetention.objects.select_related("retention_class").filter(basic_code=item_code).first()
    if row is not None:
        return row.retention_class, row.start_rule
    code = settings.ARCHIVES_DEFAULT_RETENTION
    return RetentionClass.objects.get(code=code), StartRule.CASE_CLOSED


def disposal_date(retention: RetentionClass, start: datetime.date | None) -> datetime.date | None:
    """The first day the package may be destroyed: the start plus the years, from the next 1 January.

    Archives count retention in whole years from the year after the documents were finished
    (DA/T 22 practice); a permanent class, or a start not yet known, gives None.
    """
    if retention.years is None or start is None:
        return None
    return datetime.date(start.year + 1 + retention.years, 1, 1)


# What a case's package holds ----------------------------------------------------------------

_UNSAFE = re.compile(r'[\\/:*?"<>|\s]+')


def _licence_of(case: Case) -> Any:
    from govhall.licences.queries import licence_of_case

    return licence_of_case(case.public_id)


def _audit_extract(case: Case, licence: Any) -> list[dict[str, Any]]:
    """The chained audit records about the case (and its licence), each with its hashes, in chain order."""
    from govhall.audit.queries import records_about

    targets = [(Case._meta.label_lower, str(case.pk))]
    if licence is not None:
        targets.append((licence._meta.label_lower, str(licence.pk)))
    return records_about(targets)


def _iso(value: datetime.datetime | None) -> str:
    return value.astimezone(datetime.UTC).isoformat(timespec="seconds") if value else ""


def subject_key_of(case: Case) -> str:
    """The licences' holder key of the case's applicant: the credit code, or the ID number's keyed hash."""
    if case.entity_id and case.entity:
        return case.entity.credit_code
    return case.person.id_number_hash if case.person_id and case.person else ""


def material_paths(case: Case) -> list[tuple[Any, str]]:
    """Each uploaded material of the case with its path in the package's payload (under data/)."""
    materials = (
        case.materials.filter(is_current=True)
        .exclude(file="")
        .select_related("material")
        .order_by("material__order", "pk")
    )
    paths = []
    for number, material in enumerate(materials, start=1):
        extension = "." + str(material.file.name).rsplit(".", 1)[-1].lower()
        paths.append((material, f"materials/{number:02d}-{_UNSAFE.sub('_', material.material.name)[:60]}{extension}"))
    return paths


def package_contents(case: Case, package: ArchivalPackage, *, archived_at: datetime.datetime) -> Contents:
    """Gather everything the case's package holds (no file written yet)."""
    version = case.item_version
    licence = _licence_of(case)
    retention = package.retention_class
    fonds = settings.ARCHIVES_FONDS or settings.BUREAU_CREDIT_CODE
    files: list[PayloadFile] = []
    reused = [
        f"{material.material.name}：{material.licence.identifier}"
        for material in case.materials.filter(is_current=True, licence__isnull=False).select_related(
            "material", "licence"
        )
        if not material.file and material.licence is not None
    ]
    for material, path in material_paths(case):
        files.append(
            PayloadFile(path, source=material.file, expected_sha256=material.sha256, content_type=material.content_type)
        )
    if case.acceptance_notice:
        # The notice as issued and kept on the case (build_package keeps it first if the task
        # after acceptance has not run), copied like the licence:
        files.append(
            PayloadFile(
                "documents/acceptance-notice.pdf",
                source=case.acceptance_notice,
                content_type="application/pdf",
                signed=True,
            )
        )
    if licence is not None and licence.document:
        files.append(
            PayloadFile(
                f"documents/licence-{_UNSAFE.sub('_', licence.number)[:60]}.pdf",
                source=licence.document,
                expected_sha256=licence.document_sha256,
                content_type="application/pdf",
                signed=True,
            )
        )
    events = list(case.events.order_by("created_at", "pk"))
    trail = [
        {
            "序号": str(n),
            "事件": event.kind,
            "原状态": event.from_status,
            "新状态": event.to_status,
            "环节": str(event.step_order or ""),
            "操作人": event.actor_label,
            "意见": event.opinion,
            "时间": _iso(event.created_at),
            "数据": _json(event.data),
        }
        for n, event in enumerate(events, start=1)
    ]
    files.append(
        PayloadFile(EVENTS_FILE, content=events_xml(case.reference or "", trail), content_type="application/xml")
    )
    audit = _audit_extract(case, licence)
    files.append(PayloadFile(AUDIT_FILE, content=audit_lines(audit), content_type="application/x-ndjson"))
    person_kind = "法人" if case.entity_id else "自然人"
    metadata = {
        "聚合层次": "件",
        "全宗号": fonds,
        "全宗名称": settings.BUREAU_NAME,
        "档号": f"{fonds}-{package.year}-{retention.code if retention else ''}-{case.reference}",
        "年度": str(package.year),
        "保管期限": retention.name if retention else "",
        "题名": f"{version.name}（{case.applicant_name}）"[:300],
        "责任者": version.implementing_body,
        "责任者代码": version.implementing_body_code,
        "办件编号": case.reference or "",
        "事项名称": version.name,
        "基本编码": version.item.basic_code,
        "实施编码": version.item.implementation_code,
        "业务办理项编码": version.item.handling_code,
        "事项类型": version.item_type,
        "事项版本": str(version.number),
        "申请人名称": case.applicant_name,
        "申请人类型": person_kind,
        "申请人证件类型": "001" if case.entity_id else "111",
        # Never the full ID number in a package (PIPL: stored only encrypted); the archive
        # finds the subject through the keyed identifier kept beside the package:
        "申请人证件号码": case.entity.credit_code
        if case.entity_id and case.entity
        else (case.person.id_number_masked if case.person else ""),
        "承办部门": case.department.name,
        "提交时间": _iso(case.submitted_at),
        "受理日期": case.accepted_on.isoformat() if case.accepted_on else "",
        "承诺办结日期": case.due_on.isoformat() if case.due_on else "",
        "法定办结日期": case.statutory_due_on.isoformat() if case.statutory_due_on else "",
        "办结时间": _iso(case.closed_at),
        "办理结果": case.get_decision_display() if case.decision else case.get_status_display(),
        "决定理由": case.decision_reason,
        "法律依据": case.decision_basis,
        "证照标识": licence.identifier if licence else "",
        "证照编号": licence.number if licence else "",
        "复用证照": "；".join(reused),
        "密级": version.get_secrecy_display(),
        "起算规则": package.get_start_rule_display() if package.start_rule else "",
        "文件数": str(len(files) + 1),  # the payload files and this metadata file
        "办理过程条数": str(len(trail)),
        "审计记录条数": str(len(audit)),
        "归档时间": _iso(archived_at),
    }
    bag_info = {
        "Source-Organization": settings.BUREAU_NAME,
        "Organization-Address": settings.ARCHIVES_ADDRESS or settings.BUREAU_NAME,
        "External-Identifier": case.reference or "",
        "External-Description": metadata["题名"],
        "Bag-Group-Identifier": metadata["档号"],
        "Internal-Sender-Identifier": str(case.public_id),
        "BagIt-Profile-Identifier": "govhall-case-package-1.0",
    }
    contents = Contents(case.reference or "", bag_info, files, metadata, len(trail), len(audit))
    return contents


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str) if value else ""
