"""The audit log is a hash chain: any change, deletion or reordering is found and named."""

from __future__ import annotations

import threading

import pytest

from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction

from govhall.audit.actions import record
from govhall.audit.models import AuditChainHead, AuditRecord, AuditRecordImmutable
from govhall.audit.queries import verify_chain

pytestmark = pytest.mark.django_db


def _write(count: int) -> list[AuditRecord]:
    return [record("test.event", "tester", ("test.thing", str(n), f"thing {n}"), {"n": n}) for n in range(count)]


def _sql(statement: str, params: list[object]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement.replace("{table}", AuditRecord._meta.db_table), params)


def test_an_untouched_chain_verifies() -> None:
    _write(5)
    report = verify_chain()
    assert report.is_intact
    assert report.checked == AuditRecord.objects.count()


def test_a_record_changed_in_the_database_is_named() -> None:
    entries = _write(5)
    _sql("UPDATE {table} SET actor_label = %s WHERE sequence = %s", ["mallory", entries[2].sequence])
    report = verify_chain()
    assert report.first_bad == entries[2].sequence
    assert "changed" in report.reason


def test_a_deleted_record_is_named() -> None:
    entries = _write(5)
    _sql("DELETE FROM {table} WHERE sequence = %s", [entries[1].sequence])
    report = verify_chain()
    assert report.first_bad == entries[1].sequence
    assert "missing" in report.reason


def test_a_cut_off_tail_is_found() -> None:
    entries = _write(3)
    _sql("DELETE FROM {table} WHERE sequence = %s", [entries[-1].sequence])
    assert not verify_chain().is_intact


def test_swapped_records_are_found() -> None:
    entries = _write(4)
    a, b = entries[1], entries[2]
    _sql("UPDATE {table} SET sequence = %s WHERE sequence = %s", [-1, a.sequence])
    _sql("UPDATE {table} SET sequence = %s WHERE sequence = %s", [a.sequence, b.sequence])
    _sql("UPDATE {table} SET sequence = %s WHERE sequence = %s", [b.sequence, -1])
    assert verify_chain().first_bad == a.sequence


def test_a_record_rebuilt_without_the_chain_key_is_found(settings: object) -> None:
    import hashlib
    import json

    entries = _write(3)
    forged = hashlib.sha256(json.dumps({"forged": True}).encode()).hexdigest()
    _sql("UPDATE {table} SET extra = %s, hash = %s WHERE sequence = %s", ['{"n": 99}', forged, entries[-1].sequence])
    assert verify_chain().first_bad == entries[-1].sequence


def test_the_command_exits_non_zero_and_names_the_first_bad_record() -> None:
    entries = _write(3)
    call_command("verify_audit")
    _sql("UPDATE {table} SET event = %s WHERE sequence = %s", ["nothing.happened", entries[0].sequence])
    with pytest.raises(CommandError, match=f"record #{entries[0].sequence} was changed"):
        call_command("verify_audit")


def test_records_cannot_be_changed_or_deleted_through_the_orm() -> None:
    entry = _write(1)[0]
    entry.actor_label = "mallory"
    with pytest.raises(AuditRecordImmutable):
        entry.save()
    with pytest.raises(AuditRecordImmutable):
        entry.delete()
    with pytest.raises(AuditRecordImmutable):
        AuditRecord.objects.filter(pk=entry.pk).update(actor_label="mallory")
    with pytest.raises(AuditRecordImmutable):
        AuditRecord.objects.all().delete()
    assert AuditRecord.objects.get(pk=entry.pk).actor_label == "tester"


def test_a_rolled_back_transaction_leaves_no_record_and_no_gap() -> None:
    _write(2)
    with pytest.raises(RuntimeError), transaction.atomic():
        record("test.event", "tester")
        raise RuntimeError("the caller's work failed")
    _write(1)
    assert verify_chain().is_intact


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_keep_one_unbroken_chain() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises every writer; the race only exists on PostgreSQL")
    AuditChainHead.objects.get_or_create(pk=1)
    errors: list[BaseException] = []

    def writer(name: str) -> None:
        try:
            for n in range(20):
                record("test.concurrent", name, None, {"n": n})
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(f"writer-{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert AuditRecord.objects.filter(event="test.concurrent").count() == 80
    assert verify_chain().is_intact


def test_public_checks_are_logged_without_the_chain_lock_and_sealed_into_it(db: None) -> None:
    from govhall.audit.actions import log_entry, seal_entries
    from govhall.audit.models import SealedEntry
    from govhall.audit.queries import verify_chain, verify_seals

    for n in range(3):
        log_entry("licences.verified", "anonymous", ("licence", str(n), f"证照{n}"), {"genuine": True})
    assert SealedEntry.objects.filter(sealed_by__isnull=True).count() == 3
    assert seal_entries() == 3 and seal_entries() == 0
    seal = AuditRecord.objects.get(event="audit.entries_sealed")
    assert seal.extra["count"] == 3 and set(SealedEntry.objects.values_list("sealed_by", flat=True)) == {seal.sequence}
    assert verify_chain().is_intact and verify_seals().is_intact and verify_seals().checked == 3
    call_command("verify_audit", verbosity=0)

    # A sealed entry changed afterwards is found, and the command names the entry and its seal:
    changed = SealedEntry.objects.get(target_id="1")
    SealedEntry.objects.filter(pk=changed.pk).update(extra={"genuine": False})
    report = verify_seals()
    assert not report.is_intact and report.first_bad == seal.sequence and report.bad_entry == changed.pk
    with pytest.raises(
        CommandError,
        match=rf"entry #{changed.pk} \(licences.verified .*证照1\) was changed.*sealed by record #{seal.sequence}",
    ):
        call_command("verify_audit", verbosity=0)
    with pytest.raises(AuditRecordImmutable):
        SealedEntry.objects.all().delete()
