"""Audit records are kept at least six months; older ones go only by an explicit, audited pruning."""

from __future__ import annotations

import datetime
import os
import subprocess
import sys
from pathlib import Path

import pytest

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import timezone

from govhall.audit.actions import log_entry, prune_audit_records, record, seal_entries, write_checkpoint
from govhall.audit.checkpoints import latest_checkpoint, read_checkpoint
from govhall.audit.models import AuditRecord, SealedEntry
from govhall.audit.queries import verify_chain, verify_checkpoint, verify_seals
from govhall.identity import actions as identity_actions
from govhall.identity.constants import Role
from govhall.identity.models import Department

pytestmark = pytest.mark.django_db


def _written_days_ago(days: int, count: int, monkeypatch: pytest.MonkeyPatch) -> list[AuditRecord]:
    moment = timezone.now() - datetime.timedelta(days=days)
    with monkeypatch.context() as patched:
        patched.setattr(timezone, "now", lambda: moment)
        written = [record("test.event", "tester", None, {"n": n}) for n in range(count)]
        log_entry("licences.verified", "anonymous", ("licence", "1", "证照1"))
        seal_entries()
    return written


def test_records_younger_than_the_retention_period_cannot_be_pruned(monkeypatch: pytest.MonkeyPatch) -> None:
    _written_days_ago(200, 3, monkeypatch)
    before = AuditRecord.objects.count()
    young = timezone.localdate() - datetime.timedelta(days=settings.AUDIT_RETENTION_DAYS - 1)
    with pytest.raises(ValidationError) as refused:
        prune_audit_records(young, actor="tester", reason="空间不足")
    assert f"审计记录至少保留{settings.AUDIT_RETENTION_DAYS}天" in refused.value.messages[0]
    with pytest.raises(CommandError, match="审计记录至少保留"):
        call_command("prune_audit", "--before", timezone.localdate().isoformat(), "--reason", "空间不足")
    assert AuditRecord.objects.count() == before and verify_chain().is_intact
    # Nor through the models, whatever their age:
    with pytest.raises(Exception, match="cannot be deleted"):
        AuditRecord.objects.all().delete()


def test_the_audit_administrator_cannot_delete_in_the_admin(
    client: Client, departments: dict[str, Department], settings: object
) -> None:
    judy = identity_actions.create_staff(username="judy", full_name="杨静", password="Test#Pass2026")
    identity_actions.grant_role(judy, departments["bureau"], Role.AUDIT_ADMIN)
    settings.STAFF_2FA_SKIP = True  # type: ignore[attr-defined]
    client.force_login(judy)
    entry = record("test.event", "tester")
    assert client.get("/admin/audit/auditrecord/").status_code == 200
    assert client.get(f"/admin/audit/auditrecord/{entry.pk}/delete/").status_code == 403
    response = client.post(
        "/admin/audit/auditrecord/", {"action": "delete_selected", "_selected_action": [entry.pk], "post": "yes"}
    )
    assert response.status_code in {200, 302} and AuditRecord.objects.filter(pk=entry.pk).exists()


def test_a_retention_under_six_months_is_refused_at_start(tmp_path: Path) -> None:
    environment = {**os.environ, "GOVHALL_AUDIT_RETENTION_DAYS": "150", "GOVHALL_VAR_DIR": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=settings.BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "GOVHALL_AUDIT_RETENTION_DAYS must be at least 183 (six months); got 150" in result.stderr


def test_old_records_are_pruned_after_a_signed_checkpoint_and_the_chain_still_verifies(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    old = _written_days_ago(400, 3, monkeypatch)
    kept = [record("test.event", "tester", None, {"n": n}) for n in range(2)]
    assert write_checkpoint() is not None
    pruned_through = AuditRecord.objects.filter(occurred_at__lt=timezone.now() - datetime.timedelta(days=399))
    last_old = pruned_through.order_by("-sequence").first()
    assert last_old is not None and last_old.sequence > old[-1].sequence  # the seal of the old entries too

    pruning = prune_audit_records(timezone.localdate() - datetime.timedelta(days=380), actor="tester", reason="到期")
    assert pruning.through_sequence == last_old.sequence and pruning.records == last_old.sequence
    assert pruning.entries == 1 and not SealedEntry.objects.exists()
    anchor = read_checkpoint(pruning.checkpoint)
    assert (anchor.kind, anchor.sequence, anchor.hash) == ("prune", last_old.sequence, last_old.hash)
    # What is kept still verifies, from the pruning on, against the checkpoints too:
    assert AuditRecord.objects.order_by("sequence").first().sequence == kept[0].sequence  # type: ignore[union-attr]
    assert verify_chain().is_intact and verify_seals().is_intact and verify_checkpoint().is_intact
    audit = AuditRecord.objects.get(event="audit.records_pruned")
    assert audit.extra["through_sequence"] == last_old.sequence and audit.extra["reason"] == "到期"
    assert write_checkpoint() is not None and latest_checkpoint() is not None
    call_command("verify_audit")


def test_records_deleted_before_the_first_kept_one_without_a_pruning_are_found(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from django.db import connection

    _written_days_ago(400, 3, monkeypatch)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {AuditRecord._meta.db_table} WHERE sequence <= 2")
    report = verify_chain()
    assert not report.is_intact and "records #1–#2 are missing" in report.reason
