"""Writing to the audit log. Every app may call ``record``."""

from __future__ import annotations

import datetime
import functools
import json
import logging
from dataclasses import dataclass
from typing import Any

from django_tasks import default_task_backend
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, connections, models, router, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from govhall.audit.checkpoints import (
    Checkpoint,
    CheckpointError,
    CheckpointKind,
    latest_checkpoint,
    write_checkpoint_file,
)
from govhall.audit.hashing import compute_hash, entries_digest, entry_hash_of
from govhall.audit.models import AuditChainHead, AuditOutcome, AuditRecord, SealedEntry
from govhall.audit.queries import (
    PRUNE_EVENT,
    SEAL_EVENT,
    ChainReport,
    ChainStart,
    chain_start,
    check_against_checkpoint,
    get_head,
    retention_cutoff,
    verify_chain,
    walk_chain,
)

__all__ = ["client_ip", "compute_hash", "entries_digest", "log_entry", "record", "seal_entries"]

logger = logging.getLogger(__name__)

Target = models.Model | tuple[str, str, str] | None


def _describe_target(target: Target) -> tuple[str, str, str]:
    if target is None:
        return "", "", ""
    if isinstance(target, tuple):
        return target
    return target._meta.label_lower, str(target.pk), str(target)[:200]


def _entry_fields(
    event: str, actor: Any, target: Target, extra: dict[str, Any] | None, outcome: str, request: HttpRequest | None
) -> dict[str, Any]:
    """The fields of an audit entry (chained or sealed) from what the caller gives."""
    target_type, target_id, target_label = _describe_target(target)
    if actor is None or isinstance(actor, str):
        actor_id, actor_label = None, actor or "system"
    else:
        actor_id, actor_label = actor.pk, str(actor.get_username())
    return {
        "occurred_at": timezone.now(),
        "event": event,
        "outcome": outcome,
        "actor_id": actor_id,
        "actor_label": actor_label[:150],
        "target_type": target_type,
        "target_id": target_id[:64],
        "target_label": target_label[:200],
        # As the field stores it (an IPv6 address in its short form), so the hash re-computes:
        "ip_address": _IP_FIELD.get_prep_value(client_ip(request)),
        # Normalised exactly as the database will give it back, so the hash re-computes:
        "extra": json.loads(json.dumps(extra or {}, ensure_ascii=False, default=str)),
    }


_IP_FIELD = AuditRecord._meta.get_field("ip_address")


def client_ip(request: HttpRequest | None) -> str | None:
    """The client's address as the server saw it (a trusted proxy sets REMOTE_ADDR)."""
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


# Inside the caller's transaction, without a savepoint of its own (two round trips a record):
# a record that fails fails the caller's whole transaction, as it must.
@transaction.atomic(savepoint=False)
def record(
    event: str,
    actor: Any = None,
    target: Target = None,
    extra: dict[str, Any] | None = None,
    *,
    outcome: str = AuditOutcome.SUCCESS,
    request: HttpRequest | None = None,
) -> AuditRecord:
    """Append one record to the audit chain, inside the caller's transaction.

    ``actor`` is a user (or None for the system, or a string label such as an attempted
    login name); ``target`` a model instance or a ``(type, id, label)`` triple. ``extra``
    must be JSON-serialisable; never put a full personal identifier in it.

    Locks the chain head row, so concurrent writers append one after the other; a rolled
    back transaction takes its record with it and leaves no gap.
    """
    # Three prepared statements (lock and read the head, insert, move the head), each value
    # prepared by its field as the ORM prepares it: a record in its own transaction cost
    # 3.4-4.6 ms of CPU through the ORM's get, save and update, 2.0-2.3 ms this way (2-core
    # AMD machine), and every filing and dossier look-up writes one or two.
    alias = router.db_for_write(AuditRecord)
    connection = connections[alias]
    entry = AuditRecord(**_entry_fields(event, actor, target, extra, outcome, request))
    statements = _record_statements(alias)
    with connection.cursor() as cursor:
        cursor.execute(statements.lock_head)
        head = cursor.fetchone()
        if head is None:  # the first record ever: the head row is made, locked, and read
            made, _created = AuditChainHead.objects.using(alias).select_for_update().get_or_create(pk=1)
            head = (made.last_sequence, made.last_hash)
        entry.sequence, entry.previous_hash = head[0] + 1, head[1]
        entry.hash = compute_hash(entry)
        cursor.execute(
            statements.insert,
            [field.get_db_prep_save(getattr(entry, field.attname), connection) for field in statements.columns],
        )
        entry.pk = (
            cursor.fetchone()[0]
            if statements.returns_id
            else connection.ops.last_insert_id(cursor, AuditRecord._meta.db_table, str(AuditRecord._meta.pk.column))
        )
        cursor.execute(statements.move_head, [entry.sequence, entry.hash])
    entry._state.adding, entry._state.db = False, alias
    return entry


@dataclass(frozen=True)
class _RecordStatements:
    lock_head: str
    insert: str
    columns: list[Any]
    returns_id: bool
    move_head: str


@functools.cache
def _record_statements(alias: str) -> _RecordStatements:
    """The statements ``record`` runs on database ``alias``."""
    connection = connections[alias]
    quote = connection.ops.quote_name
    head = quote(AuditChainHead._meta.db_table)
    key = quote(str(AuditChainHead._meta.pk.column))
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    names = tuple(field.attname for field in AuditRecord._meta.concrete_fields if not field.primary_key)
    insert, columns = _insert(alias, AuditRecord, names)
    returns_id = connection.features.can_return_columns_from_insert
    if returns_id:
        insert += f" RETURNING {quote(str(AuditRecord._meta.pk.column))}"
    return _RecordStatements(
        lock_head=f"SELECT {quote('last_sequence')}, {quote('last_hash')} FROM {head} WHERE {key} = 1{lock}",
        insert=insert,
        columns=columns,
        returns_id=returns_id,
        move_head=f"UPDATE {head} SET {quote('last_sequence')} = %s, {quote('last_hash')} = %s WHERE {key} = 1",
    )


def log_entry(
    event: str,
    actor: Any = None,
    target: Target = None,
    extra: dict[str, Any] | None = None,
    *,
    outcome: str = AuditOutcome.SUCCESS,
    request: HttpRequest | None = None,
) -> None:
    """Audit a high-volume event (a public check) without the chain lock; ``seal_entries`` seals it.

    Same arguments as ``record``. Use it only where hundreds of events a second must not
    queue on the one chain head; everything else goes through ``record``.
    """
    # One INSERT of the model's own columns, each value prepared by its field as the ORM
    # prepares it: building and saving a model instance cost ~490 µs of CPU a check here,
    # this ~350 µs (both with the round trip), on a request whose whole is ~4 ms.
    fields = _entry_fields(event, actor, target, extra, outcome, request)
    fields["entry_hash"] = entry_hash_of(fields, settings.AUDIT_CHAIN_KEY.encode("utf-8"))
    alias = router.db_for_write(SealedEntry)
    sql, columns = _insert(alias, SealedEntry, tuple(fields))
    connection = connections[alias]
    with connection.cursor() as cursor:
        cursor.execute(sql, [field.get_db_prep_save(fields[field.attname], connection) for field in columns])


@functools.cache
def _insert(alias: str, model: type[models.Model], names: tuple[str, ...]) -> tuple[str, list[Any]]:
    """The INSERT of a ``model`` row's ``names`` on database ``alias``, and their fields in order."""
    quote = connections[alias].ops.quote_name
    by_name = {field.attname: field for field in model._meta.concrete_fields}
    columns = [by_name[name] for name in names]
    marks = ", ".join(["%s"] * len(columns))
    listed = ", ".join(quote(str(field.column)) for field in columns)
    return f"INSERT INTO {quote(model._meta.db_table)} ({listed}) VALUES ({marks})", columns


SEAL_BATCH = 50_000


@transaction.atomic
def seal_entries(limit: int = SEAL_BATCH) -> int:
    """Seal the unsealed entries (oldest first, at most ``limit``) into the chain; return how many.

    Takes the chain head first, so two sealers run one after the other and never seal an
    entry twice.
    """
    AuditChainHead.objects.select_for_update().get_or_create(pk=1)
    entries = list(SealedEntry.objects.filter(sealed_by__isnull=True).order_by("pk")[:limit])
    if not entries:
        return 0
    seal = record(
        SEAL_EVENT,
        "system",
        None,
        {"first": entries[0].pk, "last": entries[-1].pk, "count": len(entries), "digest": entries_digest(entries)},
    )
    SealedEntry.objects.filter(pk__in=[e.pk for e in entries]).update(sealed_by=seal.sequence)
    return len(entries)


def seal_all() -> int:
    """Seal every entry waiting for its seal, batch by batch; return how many."""
    total = 0
    while sealed := seal_entries():
        total += sealed
    return total


def write_checkpoint(*, kind: str = CheckpointKind.HEAD, note: str = "", force: bool = False) -> Checkpoint | None:
    """Check the records written since the latest checkpoint, then sign the chain's head into the store.

    Refuses with CheckpointError when the chain no longer reaches the latest checkpoint with
    its hash, or a record since then does not verify: a checkpoint of a cut-off or rewritten
    chain would hide the damage. Only a ``restore`` checkpoint, written by an operator after
    restoring a backup, may follow a chain that lost its newest records. Returns None when
    the head has not moved since the latest checkpoint (unless ``force``) or nothing was
    ever written.
    """
    sequence, hash_ = get_head()
    previous = latest_checkpoint()  # CheckpointError if the newest one is not genuine
    start: ChainStart | ChainReport = chain_start()
    if previous is not None and kind != CheckpointKind.RESTORE:
        if problem := check_against_checkpoint(previous):
            raise CheckpointError(problem)
        if previous.sequence == sequence and not force:
            return None
        if AuditRecord.objects.filter(sequence=previous.sequence).exists():
            start = ChainStart(previous.sequence + 1, previous.hash)
    if sequence == 0 and not force:
        return None
    if isinstance(start, ChainReport):
        raise CheckpointError(start.reason)
    records = AuditRecord.objects.filter(sequence__gte=start.sequence, sequence__lte=sequence).order_by("sequence")
    report, last_hash = walk_chain(records.iterator(chunk_size=2000), start)
    if not report.is_intact:
        raise CheckpointError(report.reason)
    if start.sequence + report.checked - 1 != sequence or last_hash != hash_:
        raise CheckpointError(f"the chain head says record #{sequence}, but the records end elsewhere")
    return write_checkpoint_file(sequence, hash_, kind, note)


def keep_audit_up() -> dict[str, Any]:
    """The scheduled upkeep: seal the waiting entries, then checkpoint the head; say what was done."""
    sealed = seal_all()
    try:
        checkpoint = write_checkpoint()
    except CheckpointError as exc:
        # Loud, and never a new checkpoint over the damage: verify_audit and the audit
        # administrator's page name it until someone looks.
        logger.error("audit checkpoint refused: %s", exc)
        return {"sealed": sealed, "checkpoint": None, "problem": str(exc)}
    return {"sealed": sealed, "checkpoint": checkpoint.name if checkpoint else None, "problem": ""}


def schedule_upkeep(*, delay_seconds: int | None = None) -> bool:
    """Queue the next run of the upkeep task unless one is already waiting; say whether one is now waiting.

    The task queues its own next run when it ends, so after one call it keeps going on the
    worker; the call is repeated where the platform starts (``make run``, deployments) in case
    the queue lost it. The chain head's lock puts concurrent callers in one order, so at most
    one run waits. Without a queue that can hold a task for later (the immediate backend),
    nothing is scheduled.
    """
    from govhall.audit.tasks import UPKEEP_PATH, keep_audit

    if not default_task_backend.supports_defer:
        return False
    delay = settings.AUDIT_UPKEEP_SECONDS if delay_seconds is None else delay_seconds
    with transaction.atomic():
        AuditChainHead.objects.select_for_update().get_or_create(pk=1)
        waiting = DBTaskResult.objects.filter(task_path=UPKEEP_PATH, status=TaskResultStatus.READY)
        if not waiting.exists():
            keep_audit.using(run_after=timezone.now() + datetime.timedelta(seconds=delay)).enqueue()
    return True


@dataclass(frozen=True)
class Pruning:
    through_sequence: int
    records: int
    entries: int
    checkpoint: str


def _local_midnight(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time()))


@transaction.atomic
def prune_audit_records(
    before: datetime.date, *, actor: Any, reason: str, request: HttpRequest | None = None
) -> Pruning:
    """Delete the audit records written before ``before`` (and the entries their seals cover), audited.

    Only records older than the retention period (``AUDIT_RETENTION_DAYS``, at least 183
    days) can go: a later date is refused with ValidationError, as is a chain that does not
    verify (pruning would destroy the evidence). Locks the chain head; first writes a signed
    ``prune`` checkpoint of the last record removed, and appends ``audit.records_pruned``
    naming it, from which the kept chain verifies.
    """
    if not reason.strip():
        raise ValidationError({"reason": _("请说明清理的原因。")})
    cutoff = retention_cutoff()
    if _local_midnight(before) > cutoff:
        raise ValidationError(
            {
                "before": _("审计记录至少保留%(days)s天：%(date)s及以后的记录不能删除。")
                % {"days": settings.AUDIT_RETENTION_DAYS, "date": timezone.localtime(cutoff).date().isoformat()}
            }
        )
    AuditChainHead.objects.select_for_update().get_or_create(pk=1)
    report = verify_chain()
    if not report.is_intact:
        raise ValidationError(_("审计日志校验未通过，不能清理：%(reason)s") % {"reason": report.reason})
    moment = _local_midnight(before)
    first_kept = AuditRecord.objects.filter(occurred_at__gte=moment).order_by("sequence").first()
    last = AuditRecord.objects.order_by("-sequence").first()
    through = first_kept.sequence - 1 if first_kept else (last.sequence if last else 0)
    oldest = AuditRecord.objects.order_by("sequence").first()
    if oldest is None or through < oldest.sequence:
        raise ValidationError({"before": _("%(date)s之前没有可以清理的审计记录。") % {"date": before.isoformat()}})
    through_record = AuditRecord.objects.get(sequence=through)
    checkpoint = write_checkpoint_file(through, through_record.hash, CheckpointKind.PRUNE, reason.strip()[:200])
    with connection.cursor() as cursor:
        # Around the models' refusal to delete: this is the one place records ever leave.
        cursor.execute(
            f"DELETE FROM {connection.ops.quote_name(SealedEntry._meta.db_table)} WHERE sealed_by <= %s", [through]
        )
        entries = cursor.rowcount
        cursor.execute(
            f"DELETE FROM {connection.ops.quote_name(AuditRecord._meta.db_table)} WHERE sequence <= %s", [through]
        )
        records = cursor.rowcount
    record(
        PRUNE_EVENT,
        actor,
        None,
        {
            "through_sequence": through,
            "through_hash": through_record.hash,
            "before": before.isoformat(),
            "records": records,
            "entries": entries,
            "checkpoint": checkpoint.name,
            "reason": reason.strip()[:200],
        },
        request=request,
    )
    return Pruning(through, records, entries, checkpoint.name)


@dataclass(frozen=True)
class ExportRange:
    first_sequence: int
    last_sequence: int
    start: datetime.date
    end: datetime.date

    @property
    def count(self) -> int:
        return max(0, self.last_sequence - self.first_sequence + 1)


@transaction.atomic
def record_export(
    start: datetime.date, end: datetime.date, *, actor: Any, request: HttpRequest | None = None
) -> ExportRange:
    """Audit an export of the records written from ``start`` to ``end`` (both included); return their range.

    The range is the unbroken run of sequence numbers from the first record of ``start`` to
    the last of ``end``, so an outside verifier can follow the chain through it. Raises
    ValidationError for a range that ends before it starts.
    """
    if end < start:
        raise ValidationError({"end": _("结束日期不能早于开始日期。")})
    records = AuditRecord.objects.filter(
        occurred_at__gte=_local_midnight(start), occurred_at__lt=_local_midnight(end + datetime.timedelta(days=1))
    )
    first = records.order_by("sequence").values_list("sequence", flat=True).first() or 0
    last = records.order_by("-sequence").values_list("sequence", flat=True).first() or -1
    exported = ExportRange(first, last, start, end)
    record(
        "audit.exported",
        actor,
        None,
        {"start": start.isoformat(), "end": end.isoformat(), "first": first, "last": last, "records": exported.count},
        request=request,
    )
    return exported
