"""Every audit test keeps its checkpoints in its own folder, as a fresh installation would."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def checkpoint_folder(settings: pytest.FixtureRequest, tmp_path: Path) -> Path:
    folder = tmp_path / "audit-checkpoints"
    settings.STORAGES = {  # type: ignore[attr-defined]
        **settings.STORAGES,  # type: ignore[attr-defined]
        "audit_checkpoints": {
            "BACKEND": "govhall.audit.checkpoints.AppendOnlyStorage",
            "OPTIONS": {"location": str(folder)},
        },
    }
    return folder
