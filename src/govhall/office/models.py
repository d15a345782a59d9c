"""Official documents (公文, GB/T 9704-2012) routed for countersign, and supervised tasks (任务督办).

Only unclassified (非密) documents can exist here: the platform faces the Internet, and state
secrets belong on the classified network. A check constraint keeps any other 密级 out of the
table whatever code writes it.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from govhall.lib.storage import private_storage
from govhall.office.constants import (
    AssignmentStatus,
    Classification,
    Direction,
    DocumentEventKind,
    DocumentStatus,
    RouteRole,
    RouteStatus,
    TaskSource,
    TaskStatus,
    Urgency,
)


class DocumentCounter(models.Model):
    """The last number given in one series (发文字号的机关代字) and year; locked when a number is given."""

    series = models.CharField(_("机关代字"), max_length=20)
    year = models.PositiveSmallIntegerField(_("年份"))
    last_number = models.PositiveIntegerField(_("已用到的序号"), default=0)

    class Meta:
        verbose_name = _("发文字号计数")
        verbose_name_plural = _("发文字号计数")
        constraints = [models.UniqueConstraint(fields=["series", "year"], name="office_counter_once")]

    def __str__(self) -> str:
        return f"{self.series}〔{self.year}〕{self.last_number}"


class Document(models.Model):
    """One official document, outgoing (drafted here) or incoming (received and registered)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    direction = models.CharField(_("收发文"), max_length=10, choices=Direction.choices)
    status = models.CharField(_("状态"), max_length=20, choices=DocumentStatus.choices)
    copy_number = models.CharField(_("份号"), max_length=6, blank=True)
    classification = models.CharField(
        _("密级"), max_length=12, choices=Classification.choices, default=Classification.NONE
    )
    secrecy_period = models.CharField(_("保密期限"), max_length=20, blank=True)
    urgency = models.CharField(_("紧急程度"), max_length=12, choices=Urgency.choices, default=Urgency.NORMAL)
    issuing_authority = models.CharField(_("发文机关"), max_length=100)
    series = models.CharField(_("机关代字"), max_length=20, blank=True)
    year = models.PositiveSmallIntegerField(_("年份"), null=True, blank=True)
    serial = models.PositiveIntegerField(_("序号"), null=True, blank=True)
    number = models.CharField(_("发文字号"), max_length=60, blank=True)
    signer_name = models.CharField(_("签发人"), max_length=100, blank=True)
    signed_by = models.ForeignKey(
        "identity.User", verbose_name=_("签发人账户"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    signed_at = models.DateTimeField(_("签发时间"), null=True, blank=True)
    title = models.CharField(_("标题"), max_length=200)
    main_recipients = models.CharField(_("主送机关"), max_length=300, blank=True)
    copy_to = models.CharField(_("抄送机关"), max_length=300, blank=True)
    dated = models.DateField(_("成文日期"), null=True, blank=True)
    body = models.TextField(_("正文"), blank=True)
    department = models.ForeignKey(
        "identity.Department",
        verbose_name=_("拟稿（登记）单位"),
        on_delete=models.PROTECT,
        related_name="office_documents",
    )
    received_on = models.DateField(_("收文日期"), null=True, blank=True)
    created_by = models.ForeignKey("identity.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    issued_at = models.DateTimeField(_("发文时间"), null=True, blank=True)
    pdf = models.FileField(_("正式公文"), storage=private_storage, upload_to="office/documents/", blank=True)

    class Meta:
        verbose_name = _("公文")
        verbose_name_plural = _("公文")
        ordering = ["-created_at", "-pk"]
        constraints = [
            # This platform faces the Internet: no classified document, whatever writes the row:
            models.CheckConstraint(
                condition=Q(classification=Classification.NONE, secrecy_period=""), name="office_unclassified_only"
            ),
            # An outgoing number is given once (incoming numbers are other bodies' and may repeat):
            models.UniqueConstraint(
                fields=["number"],
                condition=Q(direction=Direction.OUTGOING) & ~Q(number=""),
                name="office_outgoing_number_once",
            ),
            models.UniqueConstraint(
                fields=["series", "year", "serial"],
                condition=Q(direction=Direction.OUTGOING, serial__isnull=False),
                name="office_serial_once",
            ),
        ]
        indexes = [models.Index(fields=["department", "status"], name="office_document_unit")]

    def __str__(self) -> str:
        return self.number or self.title


class RouteStep(models.Model):
    """A unit on a document's route: for an outgoing draft a unit that co-signs, for an incoming one a unit that handles it."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="route")
    department = models.ForeignKey("identity.Department", verbose_name=_("单位"), on_delete=models.PROTECT)
    role = models.CharField(_("角色"), max_length=8, choices=RouteRole.choices)
    status = models.CharField(_("状态"), max_length=8, choices=RouteStatus.choices, default=RouteStatus.PENDING)
    due_on = models.DateField(_("会签期限"), null=True, blank=True)
    due_is_provisional = models.BooleanField(_("期限为预计"), default=False)
    extended_to = models.DateField(_("延期至"), null=True, blank=True)
    opinion = models.TextField(_("会签意见"), blank=True)
    signed_by = models.ForeignKey(
        "identity.User", verbose_name=_("会签人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    signed_at = models.DateTimeField(_("会签时间"), null=True, blank=True)
    urge_count = models.PositiveSmallIntegerField(_("催办次数"), default=0)
    last_urged_at = models.DateTimeField(_("最近催办时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("会签单位")
        verbose_name_plural = _("会签单位")
        ordering = ["-role", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["document", "department"], name="office_route_unit_once"),
        ]

    def __str__(self) -> str:
        return f"{self.document} {self.department}"

    @property
    def deadline(self) -> object:
        """The day signing must happen by: the approved extension if there is one, else the due date."""
        return self.extended_to or self.due_on


class DocumentEvent(models.Model):
    """One thing that happened to a document, with who, when and the note given."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("事件"), max_length=24, choices=DocumentEventKind.choices)
    from_status = models.CharField(_("原状态"), max_length=20, blank=True)
    to_status = models.CharField(_("新状态"), max_length=20, blank=True)
    actor = models.ForeignKey("identity.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    actor_label = models.CharField(_("操作人"), max_length=150)
    note = models.TextField(_("意见"), blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("公文事件")
        verbose_name_plural = _("公文事件")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.document} {self.kind}"


def _random_path(folder: str, filename: str) -> str:
    # A random name: nothing a user typed ever becomes part of a path.
    return f"office/{folder}/{uuid.uuid4().hex}.{filename.rsplit('.', 1)[-1]}"


def attachment_path(instance: Attachment, filename: str) -> str:
    return _random_path("attachments", filename)


class Attachment(models.Model):
    """A file attached to a document (附件), inspected by ``lib.uploads``."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("文件"), storage=private_storage, upload_to=attachment_path, max_length=200)
    original_name = models.CharField(_("文件名"), max_length=120)
    content_type = models.CharField(_("文件类型"), max_length=40)
    size = models.PositiveBigIntegerField(_("大小"))
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey("identity.User", on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("公文附件")
        verbose_name_plural = _("公文附件")
        ordering = ["uploaded_at", "pk"]

    def __str__(self) -> str:
        return self.original_name


class Circulation(models.Model):
    """传阅: a document sent to one person to read, with the read receipt."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="circulation")
    reader = models.ForeignKey("identity.User", verbose_name=_("传阅人"), on_delete=models.PROTECT, related_name="+")
    sent_by = models.ForeignKey("identity.User", on_delete=models.PROTECT, related_name="+")
    sent_at = models.DateTimeField(_("送阅时间"), auto_now_add=True)
    read_at = models.DateTimeField(_("阅读时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("传阅")
        verbose_name_plural = _("传阅")
        ordering = ["sent_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["document", "reader"], name="office_circulate_once")]

    def __str__(self) -> str:
        return f"{self.document} → {self.reader}"


class Task(models.Model):
    """A supervised task (督办任务): what must be done, by which units, by when."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    title = models.CharField(_("任务名称"), max_length=200)
    description = models.TextField(_("任务要求"), blank=True)
    source = models.CharField(_("任务来源"), max_length=16, choices=TaskSource.choices)
    source_note = models.CharField(_("来源说明"), max_length=200, blank=True)
    document = models.ForeignKey(
        Document, verbose_name=_("来源公文"), null=True, blank=True, on_delete=models.PROTECT, related_name="tasks"
    )
    due_on = models.DateField(_("办结期限"))
    due_is_provisional = models.BooleanField(_("期限为预计"), default=False)
    status = models.CharField(_("状态"), max_length=8, choices=TaskStatus.choices, default=TaskStatus.OPEN)
    created_by = models.ForeignKey("identity.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("交办时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("督办任务")
        verbose_name_plural = _("督办任务")
        ordering = ["due_on", "pk"]

    def __str__(self) -> str:
        return self.title


class Assignment(models.Model):
    """One unit's part of a task; an overdue one raises a supervision order on its own ``public_id``."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="assignments")
    department = models.ForeignKey("identity.Department", verbose_name=_("承办单位"), on_delete=models.PROTECT)
    status = models.CharField(
        _("状态"), max_length=10, choices=AssignmentStatus.choices, default=AssignmentStatus.ASSIGNED
    )
    reminded_on = models.DateField(_("到期提醒日期"), null=True, blank=True)
    completed_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("任务承办单位")
        verbose_name_plural = _("任务承办单位")
        ordering = ["pk"]
        constraints = [models.UniqueConstraint(fields=["task", "department"], name="office_assignment_once")]

    def __str__(self) -> str:
        return f"{self.task} · {self.department}"


class Milestone(models.Model):
    """A step of a task with its own date (节点)."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="milestones")
    title = models.CharField(_("节点"), max_length=200)
    due_on = models.DateField(_("节点期限"))

    class Meta:
        verbose_name = _("任务节点")
        verbose_name_plural = _("任务节点")
        ordering = ["due_on", "pk"]

    def __str__(self) -> str:
        return self.title


class ProgressReport(models.Model):
    """A unit's report of progress on its part of a task."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="reports")
    text = models.TextField(_("进展情况"))
    percent = models.PositiveSmallIntegerField(_("完成进度（%）"))
    reported_by = models.ForeignKey("identity.User", on_delete=models.PROTECT, related_name="+")
    reported_at = models.DateTimeField(_("报送时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("进展报告")
        verbose_name_plural = _("进展报告")
        ordering = ["reported_at", "pk"]
        constraints = [models.CheckConstraint(condition=Q(percent__lte=100), name="office_percent_at_most_100")]

    def __str__(self) -> str:
        return f"{self.assignment} {self.percent}%"


def evidence_path(instance: Evidence, filename: str) -> str:
    return _random_path("evidence", filename)


class Evidence(models.Model):
    """A file that shows a progress report is true (佐证材料)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    report = models.ForeignKey(ProgressReport, on_delete=models.CASCADE, related_name="evidence")
    file = models.FileField(_("文件"), storage=private_storage, upload_to=evidence_path, max_length=200)
    original_name = models.CharField(_("文件名"), max_length=120)
    content_type = models.CharField(_("文件类型"), max_length=40)
    size = models.PositiveBigIntegerField(_("大小"))
    sha256 = models.CharField(max_length=64)
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("佐证材料")
        verbose_name_plural = _("佐证材料")
        ordering = ["uploaded_at", "pk"]

    def __str__(self) -> str:
        return self.original_name
