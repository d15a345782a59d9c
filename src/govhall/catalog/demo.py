"""The demo catalog: twelve-odd items of the bureau, published through the real workflow."""

from __future__ import annotations

import json
from pathlib import Path

from django.db import transaction

from govhall.catalog import actions
from govhall.catalog.constants import VersionState
from govhall.catalog.exchange import ImportReport, import_exchange
from govhall.catalog.models import ItemVersion
from govhall.identity.models import User

DEMO_FILE = Path(__file__).resolve().parent / "demo" / "catalog.json"


@transaction.atomic
def load_catalog_demo(*, editor: User, approver: User) -> ImportReport:
    """Import the demo file as ``editor``; submit and publish every new draft (``approver``).

    Idempotent: an unchanged file changes nothing.
    """
    report = import_exchange(json.loads(DEMO_FILE.read_text(encoding="utf-8")), actor=editor)
    for version in ItemVersion.objects.filter(state=VersionState.DRAFT, created_by__in=[editor.username, "demo"]):
        actions.submit_version(version, actor=editor)
        actions.publish_version(version, actor=approver)
    return report
