"""The audit administrator's page: checkpoints shown, the export downloaded, audited and verifiable outside."""

from __future__ import annotations

import datetime

import pytest

from django.conf import settings
from django.test import Client
from django.utils import timezone

from govhall.audit.actions import log_entry, record, record_export, seal_entries, write_checkpoint
from govhall.audit.export import export_lines, verify_export
from govhall.audit.models import AuditRecord
from govhall.identity import actions as identity_actions
from govhall.identity.constants import Role
from govhall.identity.models import Department, User
from govhall.lib.credentials import KeySet, published_keys

pytestmark = pytest.mark.django_db


@pytest.fixture
def judy(departments: dict[str, Department]) -> User:
    """Audit administrator Judy."""
    user = identity_actions.create_staff(username="judy", full_name="杨静", password="Test#Pass2026")
    identity_actions.grant_role(user, departments["bureau"], Role.AUDIT_ADMIN)
    return user


@pytest.fixture
def desk(client: Client, judy: User, settings: object) -> Client:
    settings.STAFF_2FA_SKIP = True  # type: ignore[attr-defined]
    client.force_login(judy)
    return client


def _history() -> None:
    for n in range(3):
        record("test.event", "tester", ("test.thing", str(n), f"thing {n}"), {"n": n})
    log_entry("licences.verified", "anonymous", ("licence", "1", "证照1"), {"genuine": True})
    seal_entries()
    log_entry("licences.verified", "anonymous", ("licence", "2", "证照2"), {"genuine": True})


def test_the_audit_administrator_sees_the_signed_checkpoints(desk: Client) -> None:
    _history()
    checkpoint = write_checkpoint()
    assert checkpoint is not None
    page = desk.get("/desk/audit/").content.decode()
    assert "审计链与最近的检查点一致" in page
    assert f"第 {checkpoint.sequence} 条记录，签名于" in page and checkpoint.hash in page
    assert "1 条，最早写于" in page  # the check not sealed yet
    assert "有效" in page and "定时" in page
    assert f"审计记录至少保留 {settings.AUDIT_RETENTION_DAYS} 天" in page
    assert "审计日志检查点与导出" in desk.get("/desk/").content.decode()


def test_the_page_says_when_the_tail_was_cut_off(desk: Client) -> None:
    from django.db import connection

    _history()
    assert write_checkpoint() is not None
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {AuditRecord._meta.db_table} WHERE sequence > 2")
    page = desk.get("/desk/audit/").content.decode()
    assert "审计链与最近的检查点不一致" in page and "were cut off" in page


def test_other_staff_are_told_the_page_does_not_exist(client: Client, bob: User, settings: object) -> None:
    settings.STAFF_2FA_SKIP = True  # type: ignore[attr-defined]
    client.force_login(bob)
    before = AuditRecord.objects.count()
    assert client.get("/desk/audit/").status_code == 404
    assert client.post("/desk/audit/export/", {"start": "2026-12-01", "end": "2026-12-04"}).status_code == 404
    assert AuditRecord.objects.count() == before


def test_the_export_downloads_a_range_that_verifies_outside_and_is_audited(desk: Client, judy: User) -> None:
    _history()
    today = timezone.localdate()
    response = desk.post("/desk/audit/export/", {"start": today.isoformat(), "end": today.isoformat()})
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="audit-{today:%Y%m%d}-{today:%Y%m%d}.jsonl"'
    lines = b"".join(response.streaming_content).splitlines(keepends=True)  # type: ignore[attr-defined]
    kinds = [line.split(b'"type":"')[1].split(b'"')[0] for line in lines]
    # Every record of the day up to the export's own record, and the sealed entry:
    assert kinds.count(b"record") == AuditRecord.objects.count() - 1 and kinds.count(b"entry") == 1
    assert b'"type":"entry"' in b"".join(lines) and b'"type":"signature"' in lines[-1]
    # Outside the platform: the published keys check the signature, the chain key every hash:
    keys = KeySet.from_jwks(published_keys())
    assert verify_export(lines, keys=keys) == []
    assert verify_export(lines, keys=keys, chain_key=settings.AUDIT_CHAIN_KEY.encode()) == []
    audited = AuditRecord.objects.get(event="audit.exported")
    assert audited.actor_id == judy.pk and audited.extra["records"] == kinds.count(b"record")


def test_a_changed_or_shortened_export_fails_verification() -> None:
    _history()
    today = timezone.localdate()
    lines = list(export_lines(record_export(today, today, actor="tester")))
    key = settings.AUDIT_CHAIN_KEY.encode()
    changed = [lines[0], lines[1].replace(b"thing 1", b"thing 9"), *lines[2:]]
    problems = verify_export(changed, chain_key=key)
    assert "record #2 was changed after it was written" in problems
    assert "the lines are not those the signature covers: the export was changed" in problems
    assert verify_export(lines[:-1]) == ["the export has no signature line: it is cut short"]
    assert "record #3 does not follow record #1" in verify_export([lines[0], *lines[2:]])


def test_an_export_form_with_the_dates_the_wrong_way_round_says_so(desk: Client) -> None:
    response = desk.post("/desk/audit/export/", {"start": "2026-12-04", "end": "2026-11-01"})
    assert response.status_code == 400 and "结束日期不能早于开始日期。" in response.content.decode()
    assert not AuditRecord.objects.filter(event="audit.exported").exists()


def test_an_empty_range_exports_only_a_signature(desk: Client) -> None:
    long_ago = (timezone.localdate() - datetime.timedelta(days=3000)).isoformat()
    response = desk.post("/desk/audit/export/", {"start": long_ago, "end": long_ago})
    lines = b"".join(response.streaming_content).splitlines(keepends=True)  # type: ignore[attr-defined]
    assert len(lines) == 1 and verify_export(lines) == []
