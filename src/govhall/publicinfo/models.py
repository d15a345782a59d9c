"""政务公开: the one store of public information (entries and their versions), and disclosure requests."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from govhall.lib.storage import private_storage
from govhall.publicinfo.constants import (
    AnswerKind,
    ApplicantKind,
    EntryKind,
    EntryStatus,
    FormWanted,
    QuestionKind,
    RequestStatus,
    RuleDecision,
    Validity,
)


class Entry(models.Model):
    """One version of one piece of public information. Versions of the same piece share ``lineage``.

    A published version is never changed in its text: a correction is a new version that
    supersedes it once approved.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    lineage = models.UUIDField(_("信息编号"), default=uuid.uuid4, db_index=True)
    version = models.PositiveIntegerField(_("版本"), default=1)
    supersedes = models.OneToOneField(
        "self", verbose_name=_("更正的版本"), null=True, blank=True, on_delete=models.PROTECT, related_name="correction"
    )
    kind = models.CharField(_("信息类别"), max_length=20, choices=EntryKind.choices)
    title = models.CharField(_("标题"), max_length=200)
    index_number = models.CharField(_("索引号"), max_length=60, blank=True)
    doc_number = models.CharField(_("文号"), max_length=60, blank=True, db_index=True)
    issuer = models.CharField(_("发布机构"), max_length=100)
    body = models.TextField(_("正文"), blank=True)
    change_note = models.CharField(_("更正说明"), max_length=300, blank=True)
    written_on = models.DateField(_("成文日期"), null=True, blank=True)
    published_on = models.DateField(_("发布日期"), null=True, blank=True)
    effective_on = models.DateField(_("施行日期"), null=True, blank=True)
    repealed_on = models.DateField(_("废止日期"), null=True, blank=True)
    validity = models.CharField(_("效力状态"), max_length=10, choices=Validity.choices, default=Validity.VALID)
    # The structured facts of an intermediary service or institution (``publicinfo.intermediaries``); {} otherwise:
    details = models.JSONField(_("结构化信息"), default=dict, blank=True)
    # The words of the title, numbers and text, segmented at publication, for the site search:
    search_text = models.TextField(editable=False, blank=True)
    department = models.ForeignKey(
        "identity.Department", verbose_name=_("主办单位"), on_delete=models.PROTECT, related_name="+"
    )
    items = models.ManyToManyField(
        "catalog.ServiceItem", verbose_name=_("关联事项"), blank=True, related_name="public_entries"
    )
    interprets = models.ForeignKey(
        "self",
        verbose_name=_("解读的政策"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="interpretations",
    )
    status = models.CharField(_("状态"), max_length=12, choices=EntryStatus.choices, default=EntryStatus.DRAFT)
    author = models.ForeignKey("identity.User", on_delete=models.PROTECT, related_name="+")
    secrecy_reviewer = models.ForeignKey(
        "identity.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    secrecy_reviewed_at = models.DateTimeField(_("保密审查时间"), null=True, blank=True)
    secrecy_note = models.CharField(_("保密审查意见"), max_length=300, blank=True)
    approved_by = models.ForeignKey("identity.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    approved_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    ended_at = models.DateTimeField(_("替代或撤回时间"), null=True, blank=True)
    end_reason = models.CharField(_("撤回原因"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("公开信息")
        verbose_name_plural = _("公开信息")
        ordering = ["-published_on", "-pk"]
        indexes = [models.Index(fields=["kind", "status", "-published_on"])]

    def __str__(self) -> str:
        return self.title


def attachment_path(instance: Attachment, filename: str) -> str:
    return f"publicinfo/{instance.entry.lineage}/{uuid.uuid4().hex}-{filename}"


class Attachment(models.Model):
    """A file of an entry (附件), inspected by ``lib.uploads``; carried over to later versions."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("文件"), storage=private_storage, upload_to=attachment_path, max_length=200)
    original_name = models.CharField(_("文件名"), max_length=120)
    content_type = models.CharField(_("文件类型"), max_length=40)
    size = models.PositiveBigIntegerField(_("大小"))
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey("identity.User", on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("公开信息附件")
        verbose_name_plural = _("公开信息附件")
        ordering = ["uploaded_at", "pk"]

    def __str__(self) -> str:
        return self.original_name


class DisclosureRequest(models.Model):
    """依申请公开: one request, its clock and its answer."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    number = models.CharField(_("受理编号"), max_length=20, unique=True)
    query_code_hash = models.CharField(max_length=64)
    applicant_kind = models.CharField(_("申请人类型"), max_length=12, choices=ApplicantKind.choices)
    name = models.CharField(_("申请人"), max_length=100)
    # A person's ID number is kept encrypted and shown masked; an organisation's credit code is
    # public and shown whole (DESIGN §5):
    id_number_encrypted = models.TextField(_("证件号码（密文）"))
    id_number_shown = models.CharField(_("证件号码"), max_length=18)
    contact_phone = models.CharField(_("联系电话"), max_length=20)
    address = models.CharField(_("通信地址"), max_length=200, blank=True)
    email = models.EmailField(_("电子邮箱"), blank=True)
    description = models.TextField(_("所需信息的名称、文号或者便于查询的其他特征性描述"))
    purpose = models.CharField(_("用途"), max_length=200, blank=True)
    form_wanted = models.CharField(_("获取信息的方式"), max_length=12, choices=FormWanted.choices)
    received_on = models.DateField(_("收到日期"))
    due_on = models.DateField(_("答复期限"))
    extended = models.BooleanField(_("已延期"), default=False)
    extension_reason = models.CharField(_("延期理由"), max_length=300, blank=True)
    # 征求第三方意见 (条例 第三十二条): the time it takes is not counted in the answer's clock:
    third_party = models.CharField(_("征求意见的第三方"), max_length=200, blank=True)
    consulting_since = models.DateField(_("征求意见开始日期"), null=True, blank=True)
    consulted_working_days = models.PositiveIntegerField(_("征求意见占用工作日"), default=0)
    status = models.CharField(
        _("办理状态"), max_length=12, choices=RequestStatus.choices, default=RequestStatus.RECEIVED
    )
    answer_kind = models.CharField(_("答复类型"), max_length=12, choices=AnswerKind.choices, blank=True)
    answer_reason = models.TextField(_("理由和依据"), blank=True)
    answer_text = models.TextField(_("答复内容"), blank=True)
    answered_on = models.DateField(_("答复日期"), null=True, blank=True)
    answered_by = models.ForeignKey("identity.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    submitted_by = models.ForeignKey(
        "identity.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("政府信息公开申请")
        verbose_name_plural = _("政府信息公开申请")
        ordering = ["due_on", "pk"]

    def __str__(self) -> str:
        return self.number


class DocNumberClaim(models.Model):
    """Which piece of information (lineage) holds a 文号: the row that makes two writers of one number take turns."""

    number = models.CharField(_("文号"), max_length=60, unique=True)
    lineage = models.UUIDField()

    class Meta:
        verbose_name = _("文号占用")
        verbose_name_plural = _("文号占用")

    def __str__(self) -> str:
        return self.number


class Question(models.Model):
    """咨询: a question asked online, answered at the desk by its deadline; it may become an FAQ of an item.

    A 我要纠错 (an error reported on a page) is one too, of kind ``error``: same deadline, same
    answer at the desk, shown to the catalog editors when it is about a guide.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    asker_name = models.CharField(_("称呼"), max_length=50)
    contact_phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    item = models.ForeignKey(
        "catalog.ServiceItem", verbose_name=_("咨询事项"), null=True, blank=True, on_delete=models.SET_NULL
    )
    text = models.TextField(_("咨询内容"))
    # 我要纠错 uses the same model: the page it is about (a path on this site) and, for a guide, its item:
    kind = models.CharField(_("类别"), max_length=10, choices=QuestionKind.choices, default=QuestionKind.QUESTION)
    page = models.CharField(_("纠错页面"), max_length=200, blank=True)
    asked_on = models.DateField(_("咨询日期"))
    due_on = models.DateField(_("答复期限"))
    answer = models.TextField(_("答复"), blank=True)
    answered_by = models.ForeignKey("identity.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    answered_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    faq = models.ForeignKey(Entry, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("咨询")
        verbose_name_plural = _("咨询")
        ordering = ["due_on", "pk"]

    def __str__(self) -> str:
        return self.text[:30]


class RuleReview(models.Model):
    """One review of one of the bureau's own rules (规范性文件) in the clean-up: keep, amend or repeal, and why.

    Kept per rule across its versions (``lineage``); the latest review is the rule's status in
    the register. Amending or repealing is then done the usual way: a new version (修改) or a
    new version marked 废止, through secrecy review and approval.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    lineage = models.UUIDField(_("信息编号"), db_index=True)
    entry = models.ForeignKey(Entry, verbose_name=_("审查的版本"), on_delete=models.PROTECT, related_name="+")
    decision = models.CharField(_("清理意见"), max_length=8, choices=RuleDecision.choices)
    reason = models.TextField(_("理由"))
    reviewed_by = models.ForeignKey("identity.User", on_delete=models.PROTECT, related_name="+")
    reviewed_at = models.DateTimeField(_("审查时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("规范性文件清理意见")
        verbose_name_plural = _("规范性文件清理意见")
        ordering = ["-reviewed_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.lineage} {self.decision}"
