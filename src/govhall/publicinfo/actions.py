"""Every write of 政务公开: drafting, the secrecy review, approval, corrections, withdrawal, disclosure requests.

Each is one transaction with an audit record; bad input raises ValidationError (in Chinese)
and changes nothing; a user without the role gets PermissionDenied.
"""

from __future__ import annotations

import datetime
import hashlib
import re
import secrets
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from govhall.audit.actions import record
from govhall.catalog.models import ServiceItem
from govhall.holidays.queries import get_calendar
from govhall.identity.models import Department, User
from govhall.identity.queries import is_credit_code_on_record
from govhall.lib.crypto import encrypt_text
from govhall.lib.errors import Conflict
from govhall.lib.identifiers import mask_id_number, parse_credit_code, parse_resident_id
from govhall.lib.storage import discard_files_on_rollback, keep_inspected_files
from govhall.lib.uploads import inspect_files
from govhall.publicinfo import queries
from govhall.publicinfo.constants import (
    ANSWERS_WITH_REASON,
    DISCLOSURE_DAYS,
    EXTENSION_DAYS,
    LIVE_STATUSES,
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
from govhall.publicinfo.intermediaries import clean_details
from govhall.publicinfo.models import Attachment, DisclosureRequest, DocNumberClaim, Entry, Question, RuleReview

# Markup in a text field: a tag, a javascript: address or an event handler. Plain text is
# all these fields take (the pages escape it anyway; refusing says so at once).
_MARKUP = re.compile(r"<\s*[a-zA-Z/!?]|javascript\s*:|\bon[a-z]+\s*=", re.IGNORECASE)

TEXT_FIELDS = ("title", "index_number", "doc_number", "issuer", "body", "change_note")
DATE_FIELDS = ("written_on", "effective_on", "repealed_on")


def check_plain_text(fields: dict[str, str]) -> None:
    """ValidationError on every field that carries markup or script."""
    errors = {
        name: _("请只填写文字，不要包含网页代码或脚本（如 <script>）。")
        for name, value in fields.items()
        if value and _MARKUP.search(value)
    }
    if errors:
        raise ValidationError(errors, code="markup")


def _require_editor(actor: Any, department: Department) -> None:
    if department.pk not in queries.editor_departments(actor):
        raise PermissionDenied(_("只有本单位的内容编辑可以编辑政务公开信息。"))


def _require_approver(actor: Any, entry: Entry) -> None:
    if entry.department_id not in queries.approver_departments(actor):
        raise PermissionDenied(_("只有审批人员可以审批发布政务公开信息。"))


def _clean_entry(data: dict[str, Any]) -> dict[str, Any]:
    clean = {name: (data.get(name) or "").strip() for name in TEXT_FIELDS}
    check_plain_text(clean)
    errors: dict[str, str] = {}
    if data.get("kind") not in EntryKind.values:
        errors["kind"] = _("请选择信息类别。")
    if not clean["title"]:
        errors["title"] = _("请填写标题。")
    if not clean["issuer"]:
        errors["issuer"] = _("请填写发布机构。")
    if data.get("validity", Validity.VALID) not in Validity.values:
        errors["validity"] = _("请选择效力状态。")
    for name in DATE_FIELDS:
        value = data.get(name)
        if value is not None and not isinstance(value, datetime.date):
            errors[name] = _("日期格式不正确。")
    if data.get("kind") in (EntryKind.LAW, EntryKind.RULE, EntryKind.POLICY) and not data.get("written_on"):
        errors["written_on"] = _("法律法规、规章和政策文件须填写成文日期（主动公开期限从成文之日起算）。")
    if data.get("effective_on") and data.get("repealed_on") and data["repealed_on"] < data["effective_on"]:
        errors["repealed_on"] = _("废止日期不能早于施行日期。")
    if errors:
        raise ValidationError(errors)
    clean["kind"] = data["kind"]
    clean["validity"] = data.get("validity") or Validity.VALID
    for name in DATE_FIELDS:
        clean[name] = data.get(name)
    return clean


def _clean_all(data: dict[str, Any], details: dict[str, Any] | None) -> dict[str, Any]:
    """The entry's fields and its structured facts, every problem of both at once."""
    errors: dict[str, list[str]] = {}
    clean: dict[str, Any] = {}
    try:
        clean = _clean_entry(data)
    except ValidationError as error:
        errors.update(error.message_dict)
    try:
        clean["details"] = clean_details(str(data.get("kind") or ""), details)
    except ValidationError as error:
        errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    return clean


def _check_doc_number(doc_number: str, lineage: Any) -> None:
    """A 文号 belongs to one piece of information among the live ones (its own versions share it).

    Claimed through a row per number, locked: two editors saving the same new number at once
    take turns, and the second is refused.
    """
    if not doc_number:
        return
    claim, _created = DocNumberClaim.objects.get_or_create(number=doc_number, defaults={"lineage": lineage})
    claim = DocNumberClaim.objects.select_for_update().get(pk=claim.pk)
    if str(claim.lineage) == str(lineage):
        return
    taken = Entry.objects.filter(lineage=claim.lineage, doc_number=doc_number, status__in=LIVE_STATUSES).first()
    if taken is not None:
        raise ValidationError(
            {
                "doc_number": _("文号 %(number)s 已被《%(title)s》使用，请核对文号。")
                % {"number": doc_number, "title": taken.title}
            },
            code="duplicate",
        )
    claim.lineage = lineage
    claim.save(update_fields=["lineage"])


def entry_search_text(entry: Entry) -> str:
    """The words a reader may search an entry by (the catalog's segmenter): title twice, numbers, text."""
    from govhall.catalog.search import tokenize

    parts = [entry.title, entry.title, entry.doc_number, entry.index_number, entry.issuer, entry.body[:20000]]
    return " ".join(dict.fromkeys(tokenize(" ".join(p for p in parts if p))))


def _set_links(entry: Entry, items: list[ServiceItem] | None, interprets: Entry | None) -> None:
    if interprets is not None:
        if entry.kind != EntryKind.INTERPRETATION:
            raise ValidationError({"interprets": _("只有政策解读可以关联被解读的政策。")})
        if interprets.kind not in (EntryKind.POLICY, EntryKind.RULE, EntryKind.LAW):
            raise ValidationError({"interprets": _("被解读的须是法律法规、规章或政策文件。")})
        interprets = queries.current_version(interprets.lineage) or interprets
    entry.interprets = interprets
    entry.save(update_fields=["interprets"])
    if items is not None:
        entry.items.set(items)


@discard_files_on_rollback
@transaction.atomic
def create_draft(
    *,
    actor: User,
    department: Department,
    data: dict[str, Any],
    items: list[ServiceItem] | None = None,
    interprets: Entry | None = None,
    attachments: list[UploadedFile] | None = None,
    details: dict[str, Any] | None = None,
) -> Entry:
    """A content editor drafts an entry. Nothing is public until reviewed and approved.

    ``details``: an intermediary service's or institution's structured facts (``intermediaries``).
    """
    _require_editor(actor, department)
    clean = _clean_all(data, details)
    entry = Entry(department=department, author=actor, **clean)
    _check_doc_number(entry.doc_number, entry.lineage)
    files = attachments or []
    inspected = inspect_files(files, field="attachments")
    entry.save()
    _set_links(entry, items, interprets)
    keep_inspected_files(Attachment, files, inspected, entry=entry, uploaded_by=actor)
    record("publicinfo.drafted", actor, entry, {"kind": entry.kind, "attachments": len(files)})
    return entry


def _lock(entry: Entry) -> Entry:
    return Entry.objects.select_for_update().get(pk=entry.pk)


@discard_files_on_rollback
@transaction.atomic
def update_draft(
    entry: Entry,
    *,
    actor: User,
    data: dict[str, Any],
    items: list[ServiceItem] | None = None,
    interprets: Entry | None = None,
    attachments: list[UploadedFile] | None = None,
    details: dict[str, Any] | None = None,
) -> Entry:
    """Change a draft. Published (or reviewed) text is never edited in place: the error says to correct it.

    ``details`` replaces the structured facts (None keeps them, if the kind is unchanged)."""
    entry = _lock(entry)
    _require_editor(actor, entry.department)
    if entry.status != EntryStatus.DRAFT:
        raise ValidationError(
            _("已送审或已发布的信息不能直接修改。如需更正，请在已发布的版本上“新建更正版本”，审批后替代原版本。"),
            code="not_draft",
        )
    kept = entry.details if details is None and data.get("kind") == entry.kind else details
    clean = _clean_all(data, kept)
    _check_doc_number(clean["doc_number"], entry.lineage)
    files = attachments or []
    inspected = inspect_files(files, field="attachments")
    for name, value in clean.items():
        setattr(entry, name, value)
    entry.secrecy_note = ""
    entry.save()
    _set_links(entry, items, interprets)
    keep_inspected_files(Attachment, files, inspected, entry=entry, uploaded_by=actor)
    record("publicinfo.draft_changed", actor, entry, {"attachments": len(files)})
    return entry


@transaction.atomic
def record_secrecy_review(entry: Entry, *, actor: User, passed: bool, note: str = "") -> Entry:
    """保密审查: recorded either way; only a passed review lets the entry go to approval."""
    entry = _lock(entry)
    if entry.department_id not in queries.reviewer_departments(actor):
        raise PermissionDenied(_("只有内容编辑或审批人员可以进行保密审查。"))
    if entry.status != EntryStatus.DRAFT:
        raise ValidationError(_("只有草稿可以送保密审查。"), code="not_draft")
    note = note.strip()
    check_plain_text({"note": note})
    if not passed and not note:
        raise ValidationError({"note": _("保密审查不通过时，请写明原因。")})
    entry.secrecy_reviewer = actor
    entry.secrecy_reviewed_at = timezone.now()
    entry.secrecy_note = note[:300]
    if passed:
        entry.status = EntryStatus.REVIEWED
    entry.save()
    record("publicinfo.secrecy_reviewed", actor, entry, {"passed": passed})
    return entry


@transaction.atomic
def approve(entry: Entry, *, actor: User) -> Entry:
    """A second person approves: the entry is published; the version it corrects is superseded."""
    entry = _lock(entry)
    _require_approver(actor, entry)
    if entry.status == EntryStatus.DRAFT:
        raise ValidationError(_("这条信息尚未通过保密审查，不能发布。请先完成保密审查。"), code="no_review")
    if entry.status != EntryStatus.REVIEWED or entry.secrecy_reviewed_at is None:
        raise ValidationError(_("这条信息不在待审批状态。"), code="not_reviewed")
    if actor.pk == entry.author_id:
        raise ValidationError(_("审批须由起草人以外的另一人进行。"), code="same_person")
    _check_doc_number(entry.doc_number, entry.lineage)
    now = timezone.now()
    if entry.supersedes_id:
        old = Entry.objects.select_for_update().get(pk=entry.supersedes_id)
        old.status = EntryStatus.SUPERSEDED
        old.ended_at = now
        old.save(update_fields=["status", "ended_at"])
        # Interpretations follow the policy's newest version:
        Entry.objects.filter(interprets=old).update(interprets=entry)
    entry.status = EntryStatus.PUBLISHED
    entry.approved_by = actor
    entry.approved_at = now
    entry.published_on = timezone.localdate()
    entry.search_text = entry_search_text(entry)
    entry.save()
    record("publicinfo.published", actor, entry, {"version": entry.version})
    transaction.on_commit(queries.forget_published_key)  # the guide pages show it at once
    return entry


@transaction.atomic
def start_correction(entry: Entry, *, actor: User) -> Entry:
    """A new draft version of a published entry (its text, links and attachments copied)."""
    entry = _lock(entry)
    _require_editor(actor, entry.department)
    if entry.status != EntryStatus.PUBLISHED:
        raise ValidationError(_("只有已发布的信息可以新建更正版本。"), code="not_published")
    if Entry.objects.filter(supersedes=entry).exists():
        raise ValidationError(_("这条信息已有一个正在办理的更正版本。"), code="correction_open")
    items = list(entry.items.all())
    attachments = list(entry.attachments.all())
    copy = Entry.objects.get(pk=entry.pk)
    copy.pk = None
    copy.id = None
    copy.public_id = Entry._meta.get_field("public_id").get_default()
    copy.version = entry.version + 1
    copy.supersedes = entry
    copy.status = EntryStatus.DRAFT
    copy.author = actor
    copy.change_note = ""
    copy.published_on = None
    copy.secrecy_reviewer = None
    copy.secrecy_reviewed_at = None
    copy.secrecy_note = ""
    copy.approved_by = None
    copy.approved_at = None
    copy.save()
    copy.items.set(items)
    for attachment in attachments:
        attachment.pk = None
        attachment.id = None
        attachment.public_id = Attachment._meta.get_field("public_id").get_default()
        attachment.entry = copy
        attachment.save()
    record("publicinfo.correction_started", actor, copy, {"of": str(entry.public_id)})
    return copy


@transaction.atomic
def withdraw(entry: Entry, *, actor: User, reason: str) -> Entry:
    """An approver takes a published entry off the site (it stays in the record, with the reason)."""
    entry = _lock(entry)
    _require_approver(actor, entry)
    reason = reason.strip()
    check_plain_text({"reason": reason})
    if not reason:
        raise ValidationError({"reason": _("请填写撤回原因。")})
    if entry.status not in (EntryStatus.PUBLISHED, EntryStatus.DRAFT, EntryStatus.REVIEWED):
        raise ValidationError(_("这条信息已被替代或撤回。"), code="ended")
    entry.status = EntryStatus.WITHDRAWN
    entry.ended_at = timezone.now()
    entry.end_reason = reason[:300]
    entry.save()
    record("publicinfo.withdrawn", actor, entry, {"reason": reason[:100]})
    transaction.on_commit(queries.forget_published_key)  # the guide pages show it at once
    return entry


# Disclosure on request ---------------------------------------------------------------------


def _hash_code(code: str) -> str:
    return hashlib.sha256(code.strip().upper().encode()).hexdigest()


def _next_number(day: datetime.date) -> str:
    prefix = f"GK{day:%Y}"
    last = (
        DisclosureRequest.objects.select_for_update()
        .filter(number__startswith=prefix)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )
    serial = int(last[len(prefix) :]) + 1 if last else 1
    return f"{prefix}{serial:06d}"


@transaction.atomic
def submit_request(
    *,
    applicant_kind: str,
    name: str,
    id_number: str,
    contact_phone: str,
    description: str,
    form_wanted: str,
    address: str = "",
    email: str = "",
    purpose: str = "",
    user: Any = None,
) -> tuple[DisclosureRequest, str]:
    """File a request; returns it and its query code (shown once, kept only as a hash)."""
    fields = {
        "name": name.strip(),
        "id_number": id_number.strip().upper(),
        "contact_phone": contact_phone.strip(),
        "description": description.strip(),
        "address": address.strip(),
        "email": email.strip(),
        "purpose": purpose.strip(),
    }
    check_plain_text(fields)
    errors: dict[str, Any] = {}
    if applicant_kind not in ApplicantKind.values:
        errors["applicant_kind"] = _("请选择申请人类型。")
    if form_wanted not in FormWanted.values:
        errors["form_wanted"] = _("请选择获取信息的方式。")
    if not fields["name"]:
        errors["name"] = _("请填写申请人姓名或名称。")
    if not re.fullmatch(r"[0-9+\- ]{7,20}", fields["contact_phone"]):
        errors["contact_phone"] = _("请填写正确的联系电话。")
    if not fields["description"]:
        errors["description"] = _("请描述所需信息的名称、文号或者便于查询的其他特征。")
    if form_wanted == FormWanted.EMAIL and not fields["email"]:
        errors["email"] = _("选择电子邮件方式时请填写电子邮箱。")
    try:
        if applicant_kind == ApplicantKind.ORGANISATION:
            fields["id_number"] = parse_credit_code(fields["id_number"], on_record=is_credit_code_on_record).code
        else:
            fields["id_number"] = parse_resident_id(fields["id_number"]).number
    except ValidationError as error:
        label = _("统一社会信用代码") if applicant_kind == ApplicantKind.ORGANISATION else _("身份证号码")
        errors["id_number"] = [f"{label}：{m}" for m in error.messages]
    if errors:
        raise ValidationError(errors)
    number = fields.pop("id_number")
    fields["id_number_encrypted"] = encrypt_text(number)
    fields["id_number_shown"] = number if applicant_kind == ApplicantKind.ORGANISATION else mask_id_number(number)
    today = timezone.localdate()
    code = "".join(secrets.choice("ABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _n in range(8))
    due_on = get_calendar().add_working_days(today, DISCLOSURE_DAYS)
    for attempt in range(5):
        # Two requests at the same moment may read the same last number: the second retries.
        try:
            with transaction.atomic():
                request = DisclosureRequest.objects.create(
                    number=_next_number(today),
                    query_code_hash=_hash_code(code),
                    applicant_kind=applicant_kind,
                    form_wanted=form_wanted,
                    received_on=today,
                    due_on=due_on,
                    submitted_by=user if getattr(user, "is_authenticated", False) else None,
                    **fields,
                )
            break
        except IntegrityError:
            if attempt == 4:
                raise
    record("publicinfo.request_received", user if request.submitted_by else None, request, {"number": request.number})
    return request, code


def _require_handler(actor: Any) -> None:
    if not queries.can_handle_requests(actor):
        raise PermissionDenied(_("只有政务公开工作人员可以办理公开申请。"))


@transaction.atomic
def extend_request(request: DisclosureRequest, *, actor: User, reason: str) -> DisclosureRequest:
    """延期答复: once, by 20 working days, with a reason (条例 第三十三条)."""
    _require_handler(actor)
    request = DisclosureRequest.objects.select_for_update().get(pk=request.pk)
    reason = reason.strip()
    check_plain_text({"reason": reason})
    if request.status == RequestStatus.ANSWERED:
        raise ValidationError(_("这件申请已经答复。"), code="answered")
    if request.extended:
        raise ValidationError(_("答复期限只能延长一次。"), code="extended")
    if not reason:
        raise ValidationError({"reason": _("请填写延期理由。")})
    request.due_on = get_calendar().add_working_days(request.due_on, EXTENSION_DAYS)
    request.extended = True
    request.extension_reason = reason[:300]
    request.status = RequestStatus.EXTENDED
    request.save()
    record("publicinfo.request_extended", actor, request, {"due_on": request.due_on.isoformat()})
    return request


@transaction.atomic
def start_consultation(request: DisclosureRequest, *, actor: User, third_party: str) -> DisclosureRequest:
    """征求第三方意见 (条例 第三十二条): the clock stops until the third party's view is in (``end_consultation``)."""
    _require_handler(actor)
    request = DisclosureRequest.objects.select_for_update().get(pk=request.pk)
    third_party = third_party.strip()
    check_plain_text({"third_party": third_party})
    if request.status not in (RequestStatus.RECEIVED, RequestStatus.EXTENDED):
        raise ValidationError(_("只有办理中的申请可以征求第三方意见。"), code="not_open")
    if not third_party:
        raise ValidationError({"third_party": _("请填写征求意见的第三方。")})
    request.third_party = third_party[:200]
    request.consulting_since = timezone.localdate()
    request.status = RequestStatus.CONSULTING
    request.save()
    record("publicinfo.request_consulting", actor, request, {"since": request.consulting_since.isoformat()})
    return request


@transaction.atomic
def end_consultation(request: DisclosureRequest, *, actor: User) -> DisclosureRequest:
    """The third party's view is in (or its 15 days passed): the clock runs again, extended by the days it took."""
    _require_handler(actor)
    request = DisclosureRequest.objects.select_for_update().get(pk=request.pk)
    if request.status != RequestStatus.CONSULTING or request.consulting_since is None:
        raise ValidationError(_("这件申请没有在征求第三方意见。"), code="not_consulting")
    calendar = get_calendar()
    paused = calendar.working_days_between(request.consulting_since, timezone.localdate())
    request.due_on = calendar.add_working_days(request.due_on, paused) if paused else request.due_on
    request.consulted_working_days += paused
    request.consulting_since = None
    request.status = RequestStatus.EXTENDED if request.extended else RequestStatus.RECEIVED
    request.save()
    record("publicinfo.request_consulted", actor, request, {"paused": paused, "due_on": request.due_on.isoformat()})
    return request


@transaction.atomic
def answer_request(
    request: DisclosureRequest, *, actor: User, kind: str, reason: str = "", text: str = ""
) -> DisclosureRequest:
    """Answer a request with one of the kinds the regulation names; the letter is made from it."""
    _require_handler(actor)
    request = DisclosureRequest.objects.select_for_update().get(pk=request.pk)
    reason, text = reason.strip(), text.strip()
    check_plain_text({"reason": reason, "text": text})
    if request.status == RequestStatus.ANSWERED:
        raise ValidationError(_("这件申请已经答复。"), code="answered")
    if request.status == RequestStatus.CONSULTING:
        raise ValidationError(_("正在征求第三方意见：请先登记意见已收到，再答复。"), code="consulting")
    if kind not in AnswerKind.values:
        raise ValidationError({"kind": _("请选择答复类型。")})
    if kind in ANSWERS_WITH_REASON and not reason:
        raise ValidationError({"reason": _("“%(kind)s”须写明理由和依据。") % {"kind": AnswerKind(kind).label}})
    request.answer_kind = kind
    request.answer_reason = reason
    request.answer_text = text
    request.answered_by = actor
    request.answered_on = timezone.localdate()
    request.status = RequestStatus.CORRECTION if kind == AnswerKind.CORRECTION else RequestStatus.ANSWERED
    request.save()
    record("publicinfo.request_answered", actor, request, {"kind": kind})
    return request


# Consultation (咨询) -----------------------------------------------------------------------


def question_days() -> int:
    from django.conf import settings

    return int(settings.PUBLICINFO_QUESTION_DAYS)


@transaction.atomic
def ask_question(
    *, asker_name: str, text: str, contact_phone: str = "", item: ServiceItem | None = None, user: Any = None
) -> Question:
    """A question asked online; the answer is due in PUBLICINFO_QUESTION_DAYS working days."""
    fields = {"asker_name": asker_name.strip(), "text": text.strip(), "contact_phone": contact_phone.strip()}
    check_plain_text(fields)
    errors = {}
    if not fields["asker_name"]:
        errors["asker_name"] = _("请填写称呼。")
    if not fields["text"]:
        errors["text"] = _("请填写咨询内容。")
    elif len(fields["text"]) > 1000:
        errors["text"] = _("咨询内容请不要超过 1000 字。")
    if fields["contact_phone"] and not re.fullmatch(r"[0-9+\- ]{7,20}", fields["contact_phone"]):
        errors["contact_phone"] = _("请填写正确的联系电话。")
    if errors:
        raise ValidationError(errors)
    today = timezone.localdate()
    question = Question.objects.create(
        item=item, asked_on=today, due_on=get_calendar().add_working_days(today, question_days()), **fields
    )
    record("publicinfo.question_asked", user if getattr(user, "is_authenticated", False) else None, question)
    return question


@transaction.atomic
def report_error(*, page: str, text: str, contact_phone: str = "", user: Any = None) -> Question:
    """我要纠错: an error reported on a page of this site; due like a question, routed by its page.

    ``page`` must be a path of this site (``/guides/…``); a guide's report names its item, so
    the catalog editors see it. Raises ValidationError for an empty or too long text, script,
    a page that is not a local path, or a malformed phone number.
    """
    fields = {"text": text.strip(), "contact_phone": contact_phone.strip()}
    check_plain_text(fields)
    page = page.strip()
    errors = {}
    if not fields["text"]:
        errors["text"] = _("请写明哪里有错、应当是什么。")
    elif len(fields["text"]) > 1000:
        errors["text"] = _("纠错内容请不要超过 1000 字。")
    if not page.startswith("/") or page.startswith("//") or len(page) > 200 or any(c in page for c in "\r\n"):
        errors["page"] = _("找不到要纠错的页面，请从页面底部的“我要纠错”进入。")
    if fields["contact_phone"] and not re.fullmatch(r"[0-9+\- ]{7,20}", fields["contact_phone"]):
        errors["contact_phone"] = _("请填写正确的联系电话。")
    if errors:
        raise ValidationError(errors)
    today = timezone.localdate()
    report = Question.objects.create(
        kind=QuestionKind.ERROR,
        page=page,
        item=_item_of_page(page),
        asker_name=_("网民纠错"),
        asked_on=today,
        due_on=get_calendar().add_working_days(today, question_days()),
        **fields,
    )
    record(
        "publicinfo.error_reported", user if getattr(user, "is_authenticated", False) else None, report, {"page": page}
    )
    return report


def _item_of_page(page: str) -> ServiceItem | None:
    """The catalog item a guide page shows (the guide's address names its version), or None."""
    from django.urls import Resolver404, resolve

    from govhall.catalog.models import ItemVersion

    try:
        match = resolve(page.split("?")[0])
    except Resolver404:
        return None
    public_id = match.kwargs.get("public_id")
    if match.view_name != "catalog:guide_detail" or public_id is None:
        return None
    version = ItemVersion.objects.filter(public_id=public_id).select_related("item").first()
    return version.item if version else None


@transaction.atomic
def answer_question(question: Question, *, actor: User, answer: str) -> Question:
    _require_handler(actor)
    question = Question.objects.select_for_update().get(pk=question.pk)
    answer = answer.strip()
    check_plain_text({"answer": answer})
    if not answer:
        raise ValidationError({"answer": _("请填写答复。")})
    if question.answered_at is not None:
        raise ValidationError(_("这条咨询已经答复。"), code="answered")
    question.answer = answer
    question.answered_by = actor
    question.answered_at = timezone.now()
    question.save()
    record("publicinfo.question_answered", actor, question)
    return question


def draft_faq(*, actor: User, department: Department, question: str, answer: str, item: ServiceItem | None) -> Entry:
    """A draft 常见问题 (of an item) from a question and its answer: asked online, or at a hall's window."""
    return create_draft(
        actor=actor,
        department=department,
        data={"kind": EntryKind.FAQ, "title": question[:200], "issuer": department.name, "body": answer},
        items=[item] if item else [],
    )


@transaction.atomic
def draft_faq_from(question: Question, *, actor: User, department: Department) -> Entry:
    """An answered question becomes a draft 常见问题 of its item (published after review and approval like any entry)."""
    question = Question.objects.select_for_update().get(pk=question.pk)
    if question.kind == QuestionKind.ERROR:
        raise ValidationError(_("纠错意见不能转为常见问题。"), code="error_report")
    if question.answered_at is None:
        raise ValidationError(_("请先答复这条咨询，再转为常见问题。"), code="unanswered")
    if question.faq_id is not None:
        raise ValidationError(_("这条咨询已经转为常见问题。"), code="faq_exists")
    entry = draft_faq(actor=actor, department=department, question=question.text, answer=question.answer,
                      item=question.item)  # fmt: skip
    question.faq = entry
    question.save(update_fields=["faq"])
    record("publicinfo.question_to_faq", actor, question, {"entry": str(entry.public_id)})
    return entry


@transaction.atomic
def resume_after_correction(
    request: DisclosureRequest, *, actor: User, corrected_on: datetime.date | None = None
) -> DisclosureRequest:
    """The applicant has corrected the request (补正): the 20 working days start again from that day (条例 第三十条)."""
    _require_handler(actor)
    request = DisclosureRequest.objects.select_for_update().get(pk=request.pk)
    if request.status != RequestStatus.CORRECTION:
        raise ValidationError(_("这件申请没有在等待补正。"), code="not_waiting")
    day = corrected_on or timezone.localdate()
    if day < request.received_on:
        raise ValidationError({"corrected_on": _("补正日期不能早于收到申请的日期。")})
    request.due_on = get_calendar().add_working_days(day, DISCLOSURE_DAYS)
    request.extended = False
    request.extension_reason = ""
    request.status = RequestStatus.RECEIVED
    request.answer_kind = ""
    request.answer_reason = ""
    request.answer_text = ""
    request.answered_on = None
    request.answered_by = None
    request.save()
    record("publicinfo.request_corrected", actor, request, {"due_on": request.due_on.isoformat()})
    return request


# The register of the bureau's own rules (规范性文件清理) ---------------------------------------


@transaction.atomic
def review_rule(entry: Entry, *, actor: User, decision: str, reason: str) -> RuleReview:
    """Record the clean-up's view of one of the bureau's own rules in force: keep, amend or repeal, and why."""
    entry = _lock(entry)
    if entry.department_id not in queries.reviewer_departments(actor):
        raise PermissionDenied(_("只有本单位的内容编辑或审批人员可以提出规范性文件清理意见。"))
    if (
        entry.kind != EntryKind.POLICY
        or entry.status != EntryStatus.PUBLISHED
        or entry.validity
        in {
            Validity.REPEALED,
            Validity.EXPIRED,
        }
    ):
        raise Conflict(_("只有已发布且仍有效的本单位规范性文件可以提出清理意见。"), code="not_a_rule_in_force")
    problems = {}
    if decision not in RuleDecision.values:
        problems["decision"] = _("请选择清理意见：继续有效、拟修改或拟废止。")
    reason = reason.strip()
    if not 4 <= len(reason) <= 1000:
        problems["reason"] = _("请写明理由（4 到 1000 字），如与“互联网+政务服务”不相适应之处。")
    if problems:
        raise ValidationError(problems)
    check_plain_text({"reason": reason})
    review = RuleReview.objects.create(lineage=entry.lineage, entry=entry, decision=decision, reason=reason,
                                       reviewed_by=actor)  # fmt: skip
    record("publicinfo.rule_reviewed", actor, entry, {"decision": decision})
    return review
