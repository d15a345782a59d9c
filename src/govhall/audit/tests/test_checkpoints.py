"""Signed checkpoints outside the database: cutting records off the end of the chain is found."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from govhall.audit.actions import keep_audit_up, log_entry, record, schedule_upkeep, write_checkpoint
from govhall.audit.checkpoints import CheckpointError, checkpoint_storage, latest_checkpoint, read_checkpoint
from govhall.audit.models import AuditChainHead, AuditRecord, SealedEntry
from govhall.audit.queries import check_against_checkpoint, verify_chain, verify_checkpoint
from govhall.audit.tasks import UPKEEP_PATH

pytestmark = pytest.mark.django_db


def _write(count: int) -> list[AuditRecord]:
    return [record("test.event", "tester", ("test.thing", str(n), f"thing {n}"), {"n": n}) for n in range(count)]


def _cut_tail(keep: int) -> None:
    """What someone with the database's password can do: drop the last records and move the head back to match."""
    kept = AuditRecord.objects.get(sequence=keep)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {AuditRecord._meta.db_table} WHERE sequence > %s", [keep])
        cursor.execute(
            f"UPDATE {AuditChainHead._meta.db_table} SET last_sequence = %s, last_hash = %s", [keep, kept.hash]
        )


def test_a_checkpoint_is_a_new_signed_read_only_file_outside_the_database(checkpoint_folder: Path) -> None:
    entries = _write(3)
    checkpoint = write_checkpoint()
    assert checkpoint is not None and checkpoint.sequence == entries[-1].sequence
    assert checkpoint.hash == entries[-1].hash
    path = checkpoint_folder / checkpoint.name
    assert path.exists() and not os.stat(path).st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
    body = json.loads(path.read_text())
    assert body["checkpoint"]["seq"] == entries[-1].sequence and body["jws"].count(".") == 2
    assert read_checkpoint(checkpoint.name) == checkpoint
    # Nothing new since: no new file; a new record: a second file beside the first:
    assert write_checkpoint() is None
    _write(1)
    second = write_checkpoint()
    assert second is not None and second.name != checkpoint.name and latest_checkpoint() == second
    assert len(list(checkpoint_folder.rglob("*.json"))) == 2


def test_the_store_never_overwrites_or_deletes_a_checkpoint() -> None:
    _write(1)
    checkpoint = write_checkpoint()
    assert checkpoint is not None
    storage = checkpoint_storage()
    with pytest.raises(PermissionError):
        storage.delete(checkpoint.name)
    with pytest.raises(FileExistsError):
        storage.get_available_name(checkpoint.name)


def test_cutting_off_the_tail_is_detected_against_the_latest_checkpoint() -> None:
    entries = _write(5)
    checkpoint = write_checkpoint()
    assert checkpoint is not None
    _cut_tail(keep=entries[2].sequence)
    # The chain and its head agree with each other now; only the checkpoint knows better:
    assert verify_chain().is_intact
    report = verify_checkpoint()
    assert not report.is_intact
    assert f"the chain ends at record #{entries[2].sequence}" in report.problem
    assert f"records #{entries[3].sequence}–#{entries[4].sequence} were cut off" in report.problem
    with pytest.raises(CommandError, match=r"BROKEN against its checkpoint: the chain ends at record #\d+, but"):
        call_command("verify_audit")


def test_the_upkeep_refuses_to_checkpoint_a_chain_that_was_cut_off(checkpoint_folder: Path) -> None:
    entries = _write(4)
    assert write_checkpoint() is not None
    _cut_tail(keep=entries[1].sequence)
    _write(3)  # new records after the cut hide it from the head, not from the checkpoint
    with pytest.raises(CheckpointError, match="differs from the checkpoint"):
        write_checkpoint()
    done = keep_audit_up()
    assert done["checkpoint"] is None and "differs from the checkpoint" in done["problem"]
    assert len(list(checkpoint_folder.rglob("*.json"))) == 1
    with pytest.raises(CommandError, match="Checkpoint REFUSED"):
        call_command("seal_audit_entries")


def test_a_record_rewritten_at_the_checkpoint_is_named() -> None:
    entries = _write(3)
    checkpoint = write_checkpoint()
    assert checkpoint is not None
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {AuditRecord._meta.db_table} SET hash = %s WHERE sequence = %s", ["0" * 64, entries[-1].sequence]
        )
    assert f"record #{entries[-1].sequence} differs from the checkpoint" in check_against_checkpoint(checkpoint)


def test_a_checkpoint_changed_or_copied_under_a_newer_name_is_not_trusted(checkpoint_folder: Path) -> None:
    _write(2)
    old = write_checkpoint()
    assert old is not None
    _write(2)
    new = write_checkpoint()
    assert new is not None
    # An older checkpoint copied under a newer name would hide a later cut; its name gives it away:
    later = new.name.replace(new.name.split("/")[1][:8], "29991231")
    (checkpoint_folder / later.split("/")[0]).mkdir(exist_ok=True)
    (checkpoint_folder / later).write_bytes((checkpoint_folder / old.name).read_bytes())
    with pytest.raises(CheckpointError, match="does not agree with its signed content"):
        read_checkpoint(later)
    # A signed content edited by hand fails its signature:
    path = checkpoint_folder / new.name
    path.chmod(0o644)
    body = json.loads(path.read_text())
    header, claims, signature = body["jws"].split(".")
    body["jws"] = ".".join([header, claims[:-2] + ("AA" if claims[-2:] != "AA" else "BB"), signature])
    path.write_text(json.dumps(body))
    with pytest.raises(CheckpointError, match="not signed by the platform's key"):
        read_checkpoint(new.name)


# The worker commits as it goes and closes connections between tasks, as in production:
@pytest.mark.django_db(transaction=True)
def test_the_worker_seals_and_checkpoints_on_schedule_and_queues_its_next_run(checkpoint_folder: Path) -> None:
    _write(2)
    log_entry("licences.verified", "anonymous", ("licence", "1", "证照1"), {"genuine": True})
    assert schedule_upkeep(delay_seconds=0)
    assert schedule_upkeep(delay_seconds=0)  # a second call while one waits queues nothing more
    assert DBTaskResult.objects.filter(task_path=UPKEEP_PATH, status=TaskResultStatus.READY).count() == 1
    call_command("db_worker", "--batch", "--no-startup-delay", "--queue-name", "*", verbosity=0)
    ran = DBTaskResult.objects.get(task_path=UPKEEP_PATH, status=TaskResultStatus.SUCCESSFUL)
    assert ran.return_value["sealed"] == 1 and ran.return_value["checkpoint"]
    assert not SealedEntry.objects.filter(sealed_by__isnull=True).exists()
    checkpoint = latest_checkpoint()
    assert checkpoint is not None and checkpoint.sequence == AuditChainHead.objects.get().last_sequence
    # The run queued the next one, an interval later:
    following = DBTaskResult.objects.get(task_path=UPKEEP_PATH, status=TaskResultStatus.READY)
    assert 55 <= (following.run_after - ran.finished_at).total_seconds() <= 65  # type: ignore[operator]
