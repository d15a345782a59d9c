"""One command backs everything up, one restores it elsewhere: the same dossier, licence and audit chain."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

from django.conf import settings
from django.core.management import call_command
from django.db import connection

from govhall.audit.actions import log_entry, write_checkpoint
from govhall.audit.queries import get_head
from govhall.cases.tests.conftest import frank  # noqa: F401 - fixtures
from govhall.catalog.models import ItemVersion
from govhall.catalog.tests.conftest import grace, helen  # noqa: F401 - fixtures
from govhall.identity.models import User
from govhall.licences.models import Licence
from govhall.licences.tests.conftest import (  # noqa: F401 - fixtures
    approved_case,
    felling_type,
    forest_right_type,
    licensed_felling,
)

pytestmark = pytest.mark.django_db(transaction=True)


def snapshot(id_number: str, identifier: str) -> dict[str, Any]:
    """What must survive: the subject's dossier, the licence's verification, the audit chain, the files."""
    from govhall.audit.queries import verify_chain, verify_checkpoint, verify_seals
    from govhall.cases.models import CaseMaterial
    from govhall.dossier.queries import ALL_KINDS, Scope, assemble_dossier, find_subject, parse_subject_code
    from govhall.licences.queries import verify_identifier

    subject = find_subject(parse_subject_code(id_number))
    assert subject is not None
    dossier = assemble_dossier(subject, Scope(None, ALL_KINDS))
    verification = verify_identifier(identifier)
    chain = verify_chain()
    return {
        "dossier": {
            "totals": dossier.totals,
            "cases": sorted(str(case.get("reference")) for case in dossier.cases),
            "licences": sorted(str(licence.get("identifier")) for licence in dossier.licences),
        },
        "licence": {"genuine": verification.genuine, "usable": verification.usable, "status": verification.status},
        "chain": {
            "intact": chain.is_intact,
            "checked": chain.checked,
            "head": list(get_head()),
            "checkpoint": verify_checkpoint().is_intact,
            "entries": verify_seals().is_intact,
        },
        "files": sorted(
            hashlib.sha256(material.file.read()).hexdigest() for material in CaseMaterial.objects.exclude(file="")
        ),
    }


def _restored(environment: dict[str, str], archive: Path, id_number: str, identifier: str) -> dict[str, Any]:
    manage = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py")]
    restored = subprocess.run(
        [*manage, "restore", str(archive)], env=environment, capture_output=True, text=True, timeout=600
    )
    assert restored.returncode == 0, restored.stderr + restored.stdout
    assert "Audit chain intact" in restored.stdout
    code = (
        "import json; from govhall.audit.tests.test_backup import snapshot; "
        f"print(json.dumps(snapshot({id_number!r}, {identifier!r})))"
    )
    shown = subprocess.run([*manage, "shell", "-c", code], env=environment, capture_output=True, text=True, timeout=600)
    assert shown.returncode == 0, shown.stderr
    return json.loads(shown.stdout.strip().splitlines()[-1])


def _history(version: ItemVersion, alice: User, bob: User, approver: User) -> Licence:
    approved_case(version, alice, bob, approver)
    licence = Licence.objects.get()
    log_entry("licences.verified", "anonymous", ("licence", str(licence.pk), str(licence)), {"genuine": True})
    assert write_checkpoint() is not None
    return licence


def _fresh_machine(tmp_path: Path, database_url: str) -> dict[str, str]:
    """A new machine: its own folders and keys (none yet), its own database."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("GOVHALL_", "DATABASE_", "PYTEST", "DJANGO_SETTINGS"))
    }
    return {**environment, "GOVHALL_VAR_DIR": str(tmp_path / "new-machine"), "DATABASE_URL": database_url}


def _round_trip(tmp_path: Path, licence: Licence, database_url: str) -> None:
    from conftest import ALICE_ID

    before = snapshot(ALICE_ID, licence.identifier)
    assert before["chain"]["intact"] and before["chain"]["checkpoint"] and before["files"]
    archive = tmp_path / "backup.tar.gz"
    call_command("backup", str(archive))
    assert archive.stat().st_mode & 0o777 == 0o600
    after = _restored(_fresh_machine(tmp_path, database_url), archive, ALICE_ID, licence.identifier)
    assert after == before


@pytest.mark.postgres
def test_a_backup_restores_into_a_new_postgresql_database(
    tmp_path: Path,
    licensed_felling: ItemVersion,  # noqa: F811
    alice: User,
    bob: User,
    grace: User,  # noqa: F811
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("restores into PostgreSQL; run with DATABASE_URL naming a PostgreSQL database")
    licence = _history(licensed_felling, alice, bob, grace)
    name = f"govhall_restore_{uuid.uuid4().hex[:12]}"
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE {name}")
    try:
        database = connection.settings_dict
        credentials = database["USER"] + (f":{database['PASSWORD']}" if database["PASSWORD"] else "")
        url = f"postgres://{credentials}@{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}/{name}"
        _round_trip(tmp_path, licence, url)
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def test_a_backup_restores_into_a_new_sqlite_file(
    tmp_path: Path,
    licensed_felling: ItemVersion,  # noqa: F811
    alice: User,
    bob: User,
    grace: User,  # noqa: F811
) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("the PostgreSQL round trip covers this run")
    licence = _history(licensed_felling, alice, bob, grace)
    _round_trip(tmp_path, licence, f"sqlite:///{tmp_path / 'restored.sqlite3'}")


def test_a_restore_refuses_a_database_that_is_not_empty(tmp_path: Path, alice: User) -> None:
    archive = tmp_path / "backup.tar.gz"
    call_command("backup", str(archive))
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="is not empty; restore into a new, empty database"):
        call_command("restore", str(archive))
