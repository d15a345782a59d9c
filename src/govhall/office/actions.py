"""Every write to documents and tasks: one function per business operation.

Each runs in one transaction, locks the row it changes and writes the audit record. Status
changes of a document go through ``move()``, checked against ``constants.TRANSITIONS``.
Notifications go through ``proactive.actions.notify_many`` (sent after commit); supervision
orders through ``complaints.actions.raise_supervision_order`` (one model for every kind).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from govhall.audit.actions import record
from govhall.complaints.actions import raise_supervision_order
from govhall.complaints.constants import Level, ObjectKind, OrderStatus, Source
from govhall.complaints.models import SupervisionOrder
from govhall.holidays.queries import get_calendar
from govhall.identity.constants import Role
from govhall.identity.models import Department, Membership, User
from govhall.identity.queries import has_role_for
from govhall.lib.errors import Conflict
from govhall.lib.storage import discard_files_on_rollback, keep_inspected_files, save_until_committed
from govhall.lib.uploads import inspect_files
from govhall.lib.workdays import BeyondCalendar
from govhall.office.constants import (
    DEFAULT_SIGN_WORKING_DAYS,
    EXTENSION_MAX_WORKING_DAYS,
    REMIND_WORKING_DAYS,
    SWEEP_INTERVAL_SECONDS,
    TRANSITIONS,
    AssignmentStatus,
    Classification,
    Direction,
    DocumentStatus,
    RouteRole,
    RouteStatus,
    TaskSource,
    TaskStatus,
    Urgency,
)
from govhall.office.models import (
    Assignment,
    Attachment,
    Circulation,
    Document,
    DocumentCounter,
    DocumentEvent,
    Evidence,
    Milestone,
    ProgressReport,
    RouteStep,
    Task,
)
from govhall.office.queries import STAFF_ROLES, covered_units, is_office, own_units
from govhall.proactive.actions import notify_many


class InvalidTransition(Conflict):
    """The document is not in a status from which this action is allowed."""


def _today() -> datetime.date:
    return timezone.localdate()


def _label(actor: Any) -> str:
    return actor.get_username() if isinstance(actor, User) else str(actor or "system")


def _no_role() -> PermissionDenied:
    return PermissionDenied(_("您在该单位没有执行这个操作所需的岗位角色。"))


def _unit_staff(department_ids: Iterable[int]) -> list[User]:
    ids = (
        Membership.objects.filter(department_id__in=list(department_ids), role__in=STAFF_ROLES, user__is_active=True)
        .values_list("user_id", flat=True)
        .distinct()
    )
    return list(User.objects.filter(pk__in=list(ids)).order_by("pk"))


def _tell(people: Iterable[User], subject: Any, body: Any, link: str) -> None:
    """Notify each person in their own language; ``subject`` and ``body`` are called inside it."""
    messages = []
    for user in people:
        with translation.override(user.language or settings.LANGUAGE_CODE):
            messages.append((user, subject(), body(), link))
    notify_many(messages)


def _document_link(document: Document) -> str:
    return f"/desk/office/documents/{document.public_id}/"


def _task_link(task: Task) -> str:
    return f"/desk/office/tasks/{task.public_id}/"


def _count_days(days: int) -> tuple[datetime.date, bool]:
    try:
        count = get_calendar().count_working_days(_today(), days)
    except BeyondCalendar as exc:
        raise ValidationError({"days": exc.messages}) from exc
    return count.date, count.is_provisional


def _event(document: Document, kind: str, actor: Any, note: str = "", **data: Any) -> DocumentEvent:
    event = DocumentEvent.objects.create(
        document=document,
        kind=kind,
        from_status=data.pop("from_status", ""),
        to_status=data.pop("to_status", ""),
        actor=actor if isinstance(actor, User) else None,
        actor_label=_label(actor),
        note=note,
    )
    record(f"office.document_{kind}", actor, document, {"status": document.status, **data})
    return event


def move(document: Document, to: str, *, actor: Any, kind: str, note: str = "") -> DocumentEvent:
    """Change a locked document's status if the table allows it; append the event and the audit record.

    Raises InvalidTransition naming the current status otherwise.
    """
    if to not in TRANSITIONS[document.status]:
        raise InvalidTransition(
            _("这份公文当前为“%(status)s”，不能进行这个操作。") % {"status": document.get_status_display()},
            code="invalid_transition",
        )
    before = document.status
    document.status = to
    document.save(update_fields=["status"])
    return _event(document, kind, actor, note, from_status=before, to_status=to)


def _lock(document: Document) -> Document:
    return Document.objects.select_for_update().select_related("department").get(pk=document.pk)


def check_classification(classification: str, secrecy_period: str = "") -> None:
    """Refuse any 密级 but 非密 (and a 保密期限, which only a classified document has)."""
    if classification != Classification.NONE or secrecy_period.strip():
        raise ValidationError(
            {
                "classification": _(
                    "本平台连接互联网，只能处理非密公文。涉密公文（秘密、机密、绝密）请在涉密网络和涉密设备上办理，不要在这里登记或上传。"
                )
            },
            code="classified",
        )


def _check_in_unit(actor: Any, department: Department) -> None:
    if not getattr(actor, "is_active", False) or department.pk not in covered_units(actor):
        raise _no_role()


def _elements(
    *, title: str, issuing_authority: str, urgency: str, classification: str, secrecy_period: str
) -> dict[str, str]:
    check_classification(classification, secrecy_period)
    problems = {}
    if not title.strip():
        problems["title"] = _("请填写公文标题。")
    if not issuing_authority.strip():
        problems["issuing_authority"] = _("请填写发文机关。")
    if urgency not in Urgency.values:
        problems["urgency"] = _("紧急程度无效。")
    if problems:
        raise ValidationError(problems)
    return {"title": title.strip(), "issuing_authority": issuing_authority.strip()}


@discard_files_on_rollback
@transaction.atomic
def draft_document(
    *,
    actor: User,
    department: Department,
    title: str,
    issuing_authority: str,
    series: str,
    body: str = "",
    main_recipients: str = "",
    copy_to: str = "",
    urgency: str = Urgency.NORMAL,
    classification: str = Classification.NONE,
    secrecy_period: str = "",
    copy_number: str = "",
    attachments: list[UploadedFile] | None = None,
) -> Document:
    """A unit drafts an outgoing document (拟稿). Its number is given only when it is issued.

    The actor must hold a business role in the drafting unit or above it (PermissionDenied).
    A 密级 other than 非密, a missing title, authority or 机关代字, or a bad attachment:
    ValidationError, nothing stored.
    """
    _check_in_unit(actor, department)
    elements = _elements(
        title=title,
        issuing_authority=issuing_authority,
        urgency=urgency,
        classification=classification,
        secrecy_period=secrecy_period,
    )
    if not series.strip() or any(mark in series for mark in "〔〕[]号"):
        raise ValidationError(
            {"series": _("请填写发文字号中的机关代字，例如“厦海农林水”（年份和序号在发文时自动生成）。")}
        )
    files = attachments or []
    inspected = inspect_files(files, field="attachments")
    document = Document.objects.create(
        direction=Direction.OUTGOING,
        status=DocumentStatus.DRAFT,
        copy_number=copy_number.strip(),
        urgency=urgency,
        series=series.strip(),
        body=body,
        main_recipients=main_recipients.strip(),
        copy_to=copy_to.strip(),
        department=department,
        created_by=actor,
        **elements,
    )
    keep_inspected_files(Attachment, files, inspected, document=document, uploaded_by=actor)
    _event(document, "drafted", actor, attachments=len(files))
    return document


@discard_files_on_rollback
@transaction.atomic
def register_incoming(
    *,
    actor: User,
    department: Department,
    title: str,
    issuing_authority: str,
    number: str,
    dated: datetime.date | None = None,
    body: str = "",
    main_recipients: str = "",
    copy_to: str = "",
    urgency: str = Urgency.NORMAL,
    classification: str = Classification.NONE,
    secrecy_period: str = "",
    copy_number: str = "",
    attachments: list[UploadedFile] | None = None,
) -> Document:
    """Register a received document (收文登记) with its elements; the same authority's number twice is refused."""
    _check_in_unit(actor, department)
    elements = _elements(
        title=title,
        issuing_authority=issuing_authority,
        urgency=urgency,
        classification=classification,
        secrecy_period=secrecy_period,
    )
    number = number.strip()
    if number:
        already = Document.objects.filter(
            direction=Direction.INCOMING, issuing_authority=elements["issuing_authority"], number=number
        ).first()
        if already is not None:
            raise ValidationError(
                {
                    "number": _("%(authority)s的来文 %(number)s 已于 %(day)s 登记，请勿重复登记。")
                    % {
                        "authority": already.issuing_authority,
                        "number": number,
                        "day": timezone.localtime(already.created_at).date().isoformat(),
                    }
                },
                code="duplicate",
            )
    files = attachments or []
    inspected = inspect_files(files, field="attachments")
    document = Document.objects.create(
        direction=Direction.INCOMING,
        status=DocumentStatus.REGISTERED,
        copy_number=copy_number.strip(),
        urgency=urgency,
        number=number,
        dated=dated,
        received_on=_today(),
        body=body,
        main_recipients=main_recipients.strip(),
        copy_to=copy_to.strip(),
        department=department,
        created_by=actor,
        **elements,
    )
    keep_inspected_files(Attachment, files, inspected, document=document, uploaded_by=actor)
    _event(document, "registered", actor, attachments=len(files))
    return document


def _route(document: Document, lead: Department, co_units: list[Department], days: int) -> list[RouteStep]:
    if days < 1 or days > 30:
        raise ValidationError({"days": _("期限须为 1 到 30 个工作日。")})
    units = [lead, *[unit for unit in co_units if unit.pk != lead.pk]]
    if len({unit.pk for unit in units}) != len(units):
        raise ValidationError({"co_units": _("同一个单位只能出现一次。")})
    due, provisional = _count_days(days)
    steps = [
        RouteStep(
            document=document,
            department=unit,
            role=RouteRole.LEAD if unit.pk == lead.pk else RouteRole.CO,
            due_on=due,
            due_is_provisional=provisional,
        )
        for unit in units
    ]
    RouteStep.objects.bulk_create(steps)
    return steps


@transaction.atomic
def send_for_countersign(
    document: Document,
    *,
    actor: User,
    lead: Department,
    co_units: list[Department],
    days: int = DEFAULT_SIGN_WORKING_DAYS,
) -> Document:
    """Send a draft to its lead unit and co-signing units at once, each due ``days`` working days from today.

    Only the drafting unit's staff may send it; each unit's staff are told. The route of a
    draft sent before (and called back) is replaced.
    """
    document = _lock(document)
    _check_in_unit(actor, document.department)
    if document.direction != Direction.OUTGOING:
        raise InvalidTransition(_("收文不需要会签，请交办给承办单位。"), code="invalid_transition")
    document.route.all().delete()
    steps = _route(document, lead, co_units, days)
    move(document, DocumentStatus.ROUTING, actor=actor, kind="routed", note=", ".join(s.department.name for s in steps))
    _tell(
        _unit_staff(s.department_id for s in steps),
        lambda: _("请会签公文：%(title)s") % {"title": document.title},
        lambda: (
            _("%(unit)s 请您所在单位在 %(due)s 前会签并填写意见。")
            % {
                "unit": document.department.name,
                "due": steps[0].due_on.isoformat() if steps[0].due_on else "",
            }
        ),
        _document_link(document),
    )
    return document


@transaction.atomic
def assign_incoming(
    document: Document,
    *,
    actor: User,
    lead: Department,
    co_units: list[Department],
    days: int = DEFAULT_SIGN_WORKING_DAYS,
) -> Document:
    """Assign a registered incoming document to a lead unit and co-units (拟办/分办), each with a deadline."""
    document = _lock(document)
    if not (is_office(actor) or document.department.pk in covered_units(actor)):
        raise _no_role()
    if document.direction != Direction.INCOMING:
        raise InvalidTransition(_("发文请送会签，而不是交办。"), code="invalid_transition")
    steps = _route(document, lead, co_units, days)
    move(
        document,
        DocumentStatus.ASSIGNED,
        actor=actor,
        kind="assigned",
        note=", ".join(s.department.name for s in steps),
    )
    _tell(
        _unit_staff(s.department_id for s in steps),
        lambda: _("请办理来文：%(title)s") % {"title": document.title},
        lambda: (
            _("请在 %(due)s 前办理并填写办理意见。") % {"due": steps[0].due_on.isoformat() if steps[0].due_on else ""}
        ),
        _document_link(document),
    )
    return document


@transaction.atomic
def sign_document(document: Document, *, actor: User, opinion: str, department: Department | None = None) -> RouteStep:
    """A unit on the route signs with its opinion (会签; for an incoming document, its 办理意见).

    Only staff holding a business role in a unit on the route may sign for it: anyone else
    gets PermissionDenied saying so. Signing after the unit's deadline is refused unless an
    extension was approved (then until its date). When the last unit of an outgoing draft
    signs, the draft waits for the leader's 签发 and the approvers over the drafting unit are told.
    """
    document = _lock(document)
    if document.status not in (DocumentStatus.ROUTING, DocumentStatus.ASSIGNED):
        raise InvalidTransition(
            _("这份公文当前为“%(status)s”，不在会签或办理中。") % {"status": document.get_status_display()},
            code="invalid_transition",
        )
    mine = own_units(actor)
    steps = RouteStep.objects.select_for_update().filter(document=document, department_id__in=mine)
    if department is not None:
        steps = steps.filter(department=department)
    step = steps.filter(status=RouteStatus.PENDING).order_by("pk").first()
    if step is None:
        if steps.exists():
            raise InvalidTransition(_("您所在的单位已经会签过这份公文。"), code="already_signed")
        raise PermissionDenied(
            _("您所在的单位不在这份公文的会签范围内，不能会签。如需参与，请联系拟稿单位 %(unit)s 调整会签单位。")
            % {"unit": document.department.name}
        )
    if not opinion.strip():
        raise ValidationError({"opinion": _("请填写会签意见（同意的，写“同意”）。")})
    deadline = step.extended_to or step.due_on
    if deadline is not None and _today() > deadline:
        raise ValidationError(
            {
                "opinion": _("会签期限 %(due)s 已过，不能再会签。请先向拟稿单位申请延期，延期批准后即可会签。")
                % {"due": deadline.isoformat()}
            },
            code="late",
        )
    step.status = RouteStatus.SIGNED
    step.opinion = opinion.strip()
    step.signed_by = actor
    step.signed_at = timezone.now()
    step.save()
    _event(document, "signed", actor, step.opinion, unit=step.department.code, role=step.role)
    left = RouteStep.objects.filter(document=document, status=RouteStatus.PENDING).exists()
    if not left and document.direction == Direction.OUTGOING:
        move(document, DocumentStatus.AWAITING_SIGNATURE, actor="system", kind="countersigned")
        approvers = [u for u in _approvers_over(document.department)]
        _tell(
            approvers,
            lambda: _("待签发：%(title)s") % {"title": document.title},
            lambda: _("各单位已会签完毕，请审阅会签意见后签发。"),
            _document_link(document),
        )
    return step


def _approvers_over(department: Department) -> list[User]:
    chain: list[int] = []
    current: Department | None = department
    while current is not None and current.pk not in chain:
        chain.append(current.pk)
        current = current.parent
    ids = Membership.objects.filter(department_id__in=chain, role=Role.APPROVER, user__is_active=True).values_list(
        "user_id", flat=True
    )
    return list(User.objects.filter(pk__in=list(ids)).order_by("pk"))


def _lock_step(step: RouteStep) -> tuple[Document, RouteStep]:
    document = _lock(step.document)
    return document, RouteStep.objects.select_for_update().select_related("department").get(pk=step.pk)


@transaction.atomic
def urge_signer(step: RouteStep, *, actor: User, note: str = "") -> RouteStep:
    """催办: the drafting unit (or the office) chases a unit that has not signed by its deadline.

    The unit's staff are notified. Refused for a unit that has signed or is not yet late.
    """
    document, step = _lock_step(step)
    if not (is_office(actor) or document.department.pk in covered_units(actor)):
        raise _no_role()
    if step.status != RouteStatus.PENDING or document.status not in (DocumentStatus.ROUTING, DocumentStatus.ASSIGNED):
        raise InvalidTransition(_("该单位已经会签，不需要催办。"), code="invalid_transition")
    deadline = step.extended_to or step.due_on
    if deadline is not None and _today() <= deadline:
        raise ValidationError(
            _("%(unit)s 的会签期限是 %(due)s，还没有到期，暂不需要催办。")
            % {"unit": step.department.name, "due": deadline.isoformat()},
            code="not_late",
        )
    step.urge_count += 1
    step.last_urged_at = timezone.now()
    step.save(update_fields=["urge_count", "last_urged_at"])
    _event(document, "urged", actor, note, unit=step.department.code, count=step.urge_count)
    _tell(
        _unit_staff([step.department_id]),
        lambda: _("催办：请尽快会签《%(title)s》") % {"title": document.title},
        lambda: (
            _("会签期限 %(due)s 已过。请会签；如需更多时间，请向 %(unit)s 申请延期。")
            % {"due": deadline.isoformat() if deadline else "", "unit": document.department.name}
            + (f"\n{note}" if note else "")
        ),
        _document_link(document),
    )
    return step


@transaction.atomic
def extend_step(step: RouteStep, *, actor: User, days: int, reason: str) -> RouteStep:
    """Approve more time for a unit to sign: ``days`` working days from today (an approver over the drafting unit)."""
    document, step = _lock_step(step)
    if not (has_role_for(actor, Role.APPROVER, document.department) or is_office(actor)):
        raise PermissionDenied(_("延期须由拟稿单位的负责人（审批岗位）或办公室批准。"))
    if step.status != RouteStatus.PENDING:
        raise InvalidTransition(_("该单位已经会签，不需要延期。"), code="invalid_transition")
    if days < 1 or days > EXTENSION_MAX_WORKING_DAYS:
        raise ValidationError({"days": _("延期须为 1 到 %(max)s 个工作日。") % {"max": EXTENSION_MAX_WORKING_DAYS}})
    if not reason.strip():
        raise ValidationError({"reason": _("请写明延期理由。")})
    step.extended_to, _provisional = _count_days(days)
    step.save(update_fields=["extended_to"])
    _event(document, "extended", actor, reason.strip(), unit=step.department.code, to=step.extended_to.isoformat())
    _tell(
        _unit_staff([step.department_id]),
        lambda: (
            _("会签期限已延至 %(day)s：%(title)s")
            % {"day": step.extended_to.isoformat() if step.extended_to else "", "title": document.title}
        ),
        lambda: reason.strip(),
        _document_link(document),
    )
    return step


@transaction.atomic
def sign_off(document: Document, *, actor: User, note: str = "") -> Document:
    """The leader signs the document for issue (签发): an approver over the drafting unit, after every unit signed."""
    document = _lock(document)
    if not has_role_for(actor, Role.APPROVER, document.department):
        raise PermissionDenied(_("签发须由拟稿单位或本局的负责人（审批岗位）进行。"))
    if document.status != DocumentStatus.AWAITING_SIGNATURE:
        raise InvalidTransition(_("各会签单位会签完毕后才能签发。"), code="invalid_transition")
    document.signed_by = actor
    document.signer_name = actor.full_name or actor.get_username()
    document.signed_at = timezone.now()
    document.save(update_fields=["signed_by", "signer_name", "signed_at"])
    move(document, DocumentStatus.SIGNED, actor=actor, kind="signed_off", note=note)
    _tell(
        _unit_staff([document.department_id]),
        lambda: _("已签发，请编号发文：%(title)s") % {"title": document.title},
        lambda: _("%(leader)s 已签发。请在公文页面编号并生成正式公文。") % {"leader": document.signer_name},
        _document_link(document),
    )
    return document


def _next_serial(series: str, year: int) -> int:
    """The next number of (series, year), under a lock on its counter row: no gap, no duplicate.

    The number is taken in the issuing transaction; if the issue fails, the counter rolls back with it.
    """
    try:
        with transaction.atomic():
            DocumentCounter.objects.get_or_create(series=series, year=year)
    except IntegrityError:
        pass  # another issue created the row at the same moment; lock it below
    counter = DocumentCounter.objects.select_for_update().get(series=series, year=year)
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    return counter.last_number


@discard_files_on_rollback
@transaction.atomic
def issue_document(document: Document, *, actor: User) -> Document:
    """Number a signed document (发文字号, e.g. 厦海农林水〔2026〕12号), date it, render and sign its PDF, issue it.

    The drafting unit's staff issue. The number is taken under a row lock on the (series,
    year) counter in this transaction, so numbers have no gaps and no duplicates.
    """
    from govhall.office.documents import render_document

    document = _lock(document)
    _check_in_unit(actor, document.department)
    if document.status != DocumentStatus.SIGNED:
        raise InvalidTransition(_("公文签发后才能编号发文。"), code="invalid_transition")
    today = _today()
    document.year = today.year
    document.serial = _next_serial(document.series, today.year)
    document.number = f"{document.series}〔{today.year}〕{document.serial}号"
    document.dated = today
    document.issued_at = timezone.now()
    pdf = render_document(document)
    name = document.pdf.field.generate_filename(document, f"{document.public_id}.pdf")
    document.pdf = save_until_committed(name, ContentFile(pdf), storage=document.pdf.storage)
    document.save()
    move(document, DocumentStatus.ISSUED, actor=actor, kind="issued", note=document.number)
    return document


@transaction.atomic
def close_incoming(document: Document, *, actor: User, note: str = "") -> Document:
    """File an incoming document as done (办结): the registering unit or the office."""
    document = _lock(document)
    if not (is_office(actor) or document.department.pk in covered_units(actor)):
        raise _no_role()
    move(document, DocumentStatus.CLOSED, actor=actor, kind="closed", note=note)
    return document


@transaction.atomic
def circulate(document: Document, *, actor: User, readers: list[User]) -> list[Circulation]:
    """传阅: send the document to staff to read; each gets a notification, and a receipt when they read it."""
    document = _lock(document)
    if not (is_office(actor) or document.department.pk in covered_units(actor)):
        raise _no_role()
    if not readers:
        raise ValidationError({"readers": _("请选择传阅人。")})
    already = set(Circulation.objects.filter(document=document).values_list("reader_id", flat=True))
    new = [
        Circulation(document=document, reader=reader, sent_by=actor)
        for reader in readers
        if reader.pk not in already and reader.is_active
    ]
    Circulation.objects.bulk_create(new)
    _event(document, "circulated", actor, ", ".join(c.reader.get_username() for c in new), readers=len(new))
    _tell(
        [c.reader for c in new],
        lambda: _("请阅：%(title)s") % {"title": document.title},
        lambda: (
            _("%(sender)s 送您传阅，阅后请在公文页面点击“已阅”。") % {"sender": actor.full_name or actor.get_username()}
        ),
        _document_link(document),
    )
    return new


@transaction.atomic
def mark_read(document: Document, *, actor: User) -> Circulation:
    """The reader confirms having read a circulated document (阅知回执)."""
    circulation = Circulation.objects.select_for_update().filter(document=document, reader=actor).first()
    if circulation is None:
        raise PermissionDenied(_("这份公文没有送您传阅。"))
    if circulation.read_at is None:
        circulation.read_at = timezone.now()
        circulation.save(update_fields=["read_at"])
        _event(document, "read", actor)
    return circulation


# Supervised tasks (任务督办) -------------------------------------------------------------------


def may_assign_tasks(user: Any) -> bool:
    """The office and the leaders (approvers anywhere) assign supervised tasks."""
    return is_office(user) or Membership.objects.filter(user=user, role=Role.APPROVER, user__is_active=True).exists()


@transaction.atomic
def create_task(
    *,
    actor: User,
    title: str,
    source: str,
    units: list[Department],
    days: int,
    description: str = "",
    source_note: str = "",
    document: Document | None = None,
    milestones: list[tuple[str, datetime.date]] | None = None,
) -> Task:
    """Assign a supervised task to one or more units, due ``days`` working days from today, with milestones.

    The office or a leader (approver) assigns (PermissionDenied otherwise); each unit's staff are told.
    """
    if not may_assign_tasks(actor):
        raise PermissionDenied(_("督办任务由办公室或局领导交办。"))
    problems: dict[str, str] = {}
    if not title.strip():
        problems["title"] = _("请填写任务名称。")
    if source not in TaskSource.values:
        problems["source"] = _("任务来源无效。")
    if not units:
        problems["units"] = _("请至少选择一个承办单位。")
    if days < 1 or days > 250:
        problems["days"] = _("办结期限须为 1 到 250 个工作日。")
    if problems:
        raise ValidationError(problems)
    due, provisional = _count_days(days)
    for name, day in milestones or []:
        if day > due:
            raise ValidationError(
                {
                    "milestones": _("节点“%(name)s”的日期晚于任务办结期限 %(due)s。")
                    % {"name": name, "due": due.isoformat()}
                }
            )
    task = Task.objects.create(
        title=title.strip(),
        description=description,
        source=source,
        source_note=source_note.strip(),
        document=document,
        due_on=due,
        due_is_provisional=provisional,
        created_by=actor,
    )
    Assignment.objects.bulk_create(
        [Assignment(task=task, department=unit) for unit in {u.pk: u for u in units}.values()]
    )
    Milestone.objects.bulk_create([Milestone(task=task, title=name, due_on=day) for name, day in milestones or []])
    record("office.task_created", actor, task, {"units": [u.code for u in units], "due": due.isoformat()})
    _tell(
        _unit_staff(u.pk for u in units),
        lambda: _("督办任务：%(title)s") % {"title": task.title},
        lambda: _("请在 %(due)s 前完成，并按节点报送进展和佐证材料。") % {"due": due.isoformat()},
        _task_link(task),
    )
    return task


@discard_files_on_rollback
@transaction.atomic
def report_progress(
    assignment: Assignment, *, actor: User, text: str, percent: int, evidence: list[UploadedFile] | None = None
) -> ProgressReport:
    """A unit reports progress on its part of a task, with evidence files; 100 % completes its part.

    Staff of the unit (or above it) only. When every unit has completed, the task is done.
    """
    assignment = Assignment.objects.select_for_update().select_related("task", "department").get(pk=assignment.pk)
    _check_in_unit(actor, assignment.department)
    if assignment.status == AssignmentStatus.DONE or assignment.task.status == TaskStatus.DONE:
        raise InvalidTransition(_("本单位的这项任务已经完成，不需要再报送进展。"), code="invalid_transition")
    problems = {}
    if not text.strip():
        problems["text"] = _("请写明进展情况。")
    if not 0 <= percent <= 100:
        problems["percent"] = _("完成进度须在 0 到 100 之间。")
    if problems:
        raise ValidationError(problems)
    files = evidence or []
    inspected = inspect_files(files, field="evidence")
    report = ProgressReport.objects.create(assignment=assignment, text=text.strip(), percent=percent, reported_by=actor)
    keep_inspected_files(Evidence, files, inspected, report=report)
    if percent == 100:
        assignment.status = AssignmentStatus.DONE
        assignment.completed_at = timezone.now()
    else:
        assignment.status = AssignmentStatus.REPORTING
    assignment.save(update_fields=["status", "completed_at"])
    record(
        "office.progress_reported",
        actor,
        assignment.task,
        {"unit": assignment.department.code, "percent": percent, "files": len(files)},
    )
    task = Task.objects.select_for_update().get(pk=assignment.task_id)
    if not task.assignments.exclude(status=AssignmentStatus.DONE).exists():
        task.status = TaskStatus.DONE
        task.save(update_fields=["status"])
        record("office.task_done", actor, task, {})
    return report


def supervise_assignment(assignment: Assignment, *, actor: User, level: str, reason: str) -> SupervisionOrder:
    """A supervisor raises a supervision order on one unit's part of a task by hand (the shared model)."""
    return raise_supervision_order(
        object_kind=ObjectKind.TASK,
        object_id=assignment.public_id,
        object_label=_assignment_label(assignment),
        department=assignment.department,
        level=level,
        reason=reason,
        raised_by=actor,
        source=Source.MANUAL,
    )


def _assignment_label(assignment: Assignment) -> str:
    return f"{assignment.task.title} · {assignment.department.name}"[:200]


def sweep_office(today: datetime.date | None = None) -> dict[str, int]:
    """The periodic sweep: remind units of tasks coming due, and supervise each overdue unit assignment.

    Set-based: one query finds the assignments to remind (one notification insert, one
    update marks them), one finds the overdue ones without an open order; each order is
    raised in its own transaction by ``complaints.actions.raise_supervision_order``
    (idempotent), so one failure does not undo the others.
    """
    today = today or _today()
    counts = {"reminded": 0, "supervised": 0}
    line = get_calendar().add_working_days(today, REMIND_WORKING_DAYS)
    running = Assignment.objects.exclude(status=AssignmentStatus.DONE).filter(task__status=TaskStatus.OPEN)
    with transaction.atomic():
        coming = list(
            running.filter(task__due_on__gte=today, task__due_on__lte=line, reminded_on__isnull=True)
            .select_for_update(of=("self",))
            .select_related("task", "department")
        )
        messages = []
        people: dict[int, list[User]] = {}
        for assignment in coming:
            for user in people.setdefault(assignment.department_id, _unit_staff([assignment.department_id])):
                with translation.override(user.language or settings.LANGUAGE_CODE):
                    messages.append(
                        (
                            user,
                            _("督办任务即将到期：%(title)s") % {"title": assignment.task.title},
                            _("办结期限是 %(due)s。请按时完成并报送进展；逾期将被督办。")
                            % {"due": assignment.task.due_on.isoformat()},
                            _task_link(assignment.task),
                        )
                    )
        notify_many(messages)
        counts["reminded"] = Assignment.objects.filter(pk__in=[a.pk for a in coming]).update(reminded_on=today)
    open_orders = SupervisionOrder.objects.filter(
        object_kind=ObjectKind.TASK, status__in=[OrderStatus.OPEN, OrderStatus.REPLIED]
    )
    overdue = (
        running.filter(task__due_on__lt=today)
        .exclude(public_id__in=open_orders.values("object_id"))
        .select_related("task", "department")
        .order_by("task__due_on", "pk")
    )
    for assignment in overdue.iterator(chunk_size=500):
        raise_supervision_order(
            object_kind=ObjectKind.TASK,
            object_id=assignment.public_id,
            object_label=_assignment_label(assignment),
            department=assignment.department,
            level=Level.RED,
            reason=_("督办任务“%(title)s”已超过办结期限 %(due)s，%(unit)s 尚未完成。")
            % {
                "title": assignment.task.title,
                "due": assignment.task.due_on.isoformat(),
                "unit": assignment.department.name,
            },
            source=Source.LATE_TASK,
        )
        counts["supervised"] += 1
    if any(counts.values()):
        with transaction.atomic():
            record("office.swept", "system", None, {"day": today.isoformat(), **counts})
    return counts


def schedule_sweep(*, delay_seconds: int | None = None) -> bool:
    """Queue the next run of the office sweep unless one is already waiting (``lib.schedule.queue_once``)."""
    from govhall.lib.schedule import queue_once
    from govhall.office.tasks import sweep_office_task

    return queue_once(
        sweep_office_task, delay_seconds=SWEEP_INTERVAL_SECONDS if delay_seconds is None else delay_seconds
    )
