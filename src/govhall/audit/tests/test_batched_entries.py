"""Batched entries (public checks) carry their own keyed hash: a change before the seal is named too."""

from __future__ import annotations

import pytest

from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from govhall.audit.actions import log_entry, seal_entries
from govhall.audit.models import SealedEntry
from govhall.audit.queries import verify_seals

pytestmark = pytest.mark.django_db


def _checks(count: int) -> list[SealedEntry]:
    for n in range(count):
        log_entry("licences.verified", "anonymous", ("licence", str(n), f"证照{n}"), {"genuine": True})
    return list(SealedEntry.objects.order_by("pk"))


def _sql(statement: str, params: list[object]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement.replace("{table}", SealedEntry._meta.db_table), params)


def test_each_entry_is_written_with_its_own_keyed_hash() -> None:
    entries = _checks(2)
    assert all(len(entry.entry_hash) == 64 for entry in entries)
    assert entries[0].entry_hash != entries[1].entry_hash
    assert verify_seals().is_intact


def test_unsealed_entries_are_reported_by_the_command(capsys: pytest.CaptureFixture[str]) -> None:
    _checks(3)
    call_command("verify_audit")
    assert "Unsealed entries: 3, the oldest from" in capsys.readouterr().out
    seal_entries()
    call_command("verify_audit")
    assert "Unsealed entries: 0." in capsys.readouterr().out


def test_an_entry_changed_before_its_seal_is_named() -> None:
    entries = _checks(3)
    _sql("UPDATE {table} SET extra = %s WHERE id = %s", ['{"genuine": false}', entries[1].pk])
    report = verify_seals()
    assert report.bad_entry == entries[1].pk and report.unsealed == 1
    with pytest.raises(CommandError, match=rf"entry #{entries[1].pk} \(licences.verified at .*, 证照1\) was changed"):
        call_command("verify_audit")
    # Sealing does not launder it: the seal covers the changed entry, its own hash still names it:
    seal_entries()
    report = verify_seals()
    assert not report.is_intact and report.bad_entry == entries[1].pk
    assert f"entry #{entries[1].pk}" in report.reason


def test_an_entry_slipped_in_without_a_hash_is_named() -> None:
    _checks(1)
    _sql(
        "INSERT INTO {table} (occurred_at, event, outcome, actor_label, target_type, target_id, target_label, extra, "
        "entry_hash) VALUES ('2026-12-04 08:00:00', 'licences.verified', 'success', 'anonymous', 'licence', '9', "
        "'伪造', '{}', '')",
        [],
    )
    forged = SealedEntry.objects.get(target_label="伪造")
    report = verify_seals()
    assert report.bad_entry == forged.pk and "carries no keyed hash" in report.reason


def test_an_entry_removed_after_its_seal_is_found() -> None:
    entries = _checks(3)
    seal_entries()
    _sql("DELETE FROM {table} WHERE id = %s", [entries[2].pk])
    report = verify_seals()
    assert not report.is_intact and "1 of them were removed after sealing" in report.reason
