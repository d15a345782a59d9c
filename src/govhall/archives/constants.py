"""Archive statuses, the disposal workflow's transition table, and the default limits."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from govhall.identity.constants import Role

ARCHIVIST = Role.ARCHIVIST
# The security administrator hears of every fixity failure (GB/T 22239: a security event):
SECURITY_ADMIN = Role.SECURITY_ADMIN


class PackageStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("待归档")
    ACCEPTED = "accepted", _("已归档")
    REJECTED = "rejected", _("未通过四性检测")
    DESTROYED = "destroyed", _("已销毁")


class StartRule(models.TextChoices):
    """From when a retention period counts."""

    CASE_CLOSED = "case_closed", _("办结之日起")
    LICENCE_EXPIRED = "licence_expired", _("证照失效之日起")


class FixityOutcome(models.TextChoices):
    INTACT = "intact", _("完好")
    DAMAGED = "damaged", _("发现损坏")
    RESTORED = "restored", _("已从完好副本修复")


class HoldKind(models.TextChoices):
    COMPLAINT = "complaint", _("投诉处理中")
    LITIGATION = "litigation", _("行政复议或诉讼")
    INSPECTION = "inspection", _("监督检查")


class DisposalStatus(models.TextChoices):
    """Open Archiefbeheer's states of a destruction list."""

    NEW = "new", _("新建")
    READY_TO_REVIEW = "ready_to_review", _("待审核")
    CHANGES_REQUESTED = "changes_requested", _("退回修改")
    REVIEWED = "reviewed", _("审核通过")
    READY_FOR_ARCHIVIST = "ready_for_archivist", _("待档案管理员审批")
    READY_TO_DELETE = "ready_to_delete", _("待销毁")
    DELETED = "deleted", _("已销毁")


D = DisposalStatus

DISPOSAL_TRANSITIONS: dict[str, frozenset[str]] = {
    D.NEW: frozenset({D.READY_TO_REVIEW}),
    D.READY_TO_REVIEW: frozenset({D.CHANGES_REQUESTED, D.REVIEWED}),
    D.CHANGES_REQUESTED: frozenset({D.READY_TO_REVIEW}),
    D.REVIEWED: frozenset({D.READY_FOR_ARCHIVIST}),
    D.READY_FOR_ARCHIVIST: frozenset({D.READY_TO_DELETE, D.CHANGES_REQUESTED}),
    D.READY_TO_DELETE: frozenset({D.DELETED}),
    D.DELETED: frozenset(),
}
# The lists whose packages may not be put on another list:
OPEN_DISPOSAL_STATUSES = frozenset(set(DisposalStatus) - {D.DELETED})


class ReviewDecision(models.TextChoices):
    APPROVED = "approved", _("同意销毁")
    CHANGES_REQUESTED = "changes_requested", _("要求修改")


class DisposalItemOutcome(models.TextChoices):
    LISTED = "listed", _("列入")
    DESTROYED = "destroyed", _("已销毁")
    HELD = "held", _("因保全未销毁")


# The consumer name of the archiving reader of the case events (cases.feed):
FEED_CONSUMER = "archives"

# The bag's files, inside data/ (docs/archives.md describes each):
METADATA_FILE = "metadata.xml"
EVENTS_FILE = "events.xml"
AUDIT_FILE = "audit/audit-extract.jsonl"
# The four-checks report, a tag file beside bag-info.txt, covered by the tag manifests:
REPORT_FILE = "archive-check-report.json"

# Formats a package may hold (DA/T 70 可用性: open formats, nothing encrypted or privately compressed):
ALLOWED_FORMATS = {
    "application/pdf": ".pdf",
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "application/xml": ".xml",
    "application/x-ndjson": ".jsonl",
}
