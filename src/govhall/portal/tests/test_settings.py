"""Production refuses to start with an unsafe configuration, and says what to fix."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[4]
GOOD = {
    "GOVHALL_ENV": "production",
    "DJANGO_SECRET_KEY": "q3Zr8mW1vT6yXb0Kp5Nd2Jf9Lh4Sg7Cu-aEe_RtYiUoPzMxNcB",
    "DJANGO_ALLOWED_HOSTS": "govhall.example.gov.cn",
    "GOVHALL_FIELD_ENCRYPTION_KEYS": "a-long-random-field-key",
    "GOVHALL_LOOKUP_HASH_KEY": "a-long-random-lookup-key",
    "GOVHALL_AUDIT_CHAIN_KEY": "a-long-random-audit-key",
    "GOVHALL_SIGNING_CERT": "/etc/govhall/signer.pem",
    "GOVHALL_SIGNING_KEY": "/etc/govhall/signer.key",
    "GOVHALL_TRUST_ROOTS": "/etc/govhall/root.pem",
    "GOVHALL_CREDENTIAL_KEYS": "/etc/govhall/credential-2026.key",
    "GOVHALL_PUBLIC_URL": "https://govhall.example.gov.cn",
    "GOVHALL_FINANCE_URL": "https://fssp.example.gov.cn",
    "GOVHALL_FINANCE_SECRET": "a-long-random-finance-secret",
    "GOVHALL_EMS_URL": "https://api.ems.example.com.cn",
    "GOVHALL_EMS_SECRET": "a-long-random-ems-secret",
    "GOVHALL_DELIVERY_SENDER_PHONE": "0592-6051234",
}


def _start(env_changes: dict[str, str | None], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "GOVHALL_"))}
    env["GOVHALL_VAR_DIR"] = str(tmp_path)
    env["DATABASE_URL"] = f"sqlite:///{tmp_path}/db.sqlite3"
    for key, value in {**GOOD, **env_changes}.items():
        if value is not None:
            env[key] = value
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "CRITICAL"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_complete_production_configuration_starts(tmp_path: Path) -> None:
    result = _start({}, tmp_path)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"DJANGO_SECRET_KEY": None}, "DJANGO_SECRET_KEY is not set"),
        ({"DJANGO_SECRET_KEY": "django-insecure-" + "q3Zr8mW1vT6yXb0Kp5Nd2Jf9Lh4Sg7Cu-aEe"}, "known example"),
        ({"DJANGO_SECRET_KEY": "q3Zr8mW1vT6yXb0Kp5Nd2Jf9Lh4Sg7Cu"}, "DJANGO_SECRET_KEY is too short"),
        ({"DJANGO_SECRET_KEY": "ab" * 30}, "DJANGO_SECRET_KEY repeats characters"),
        ({"DJANGO_SECRET_KEY": "a" * 40 + "q3Zr8mW1vT6yXb0Kp5Nd2Jf9Lh4S"}, "DJANGO_SECRET_KEY repeats characters"),
        ({"DJANGO_SECRET_KEY": None, "DJANGO_SECRET_KEY_FILE": "/nonexistent/govhall-secret"}, "file not found"),
        ({"DJANGO_DEBUG": "1"}, "DJANGO_DEBUG is on"),
        ({"DJANGO_ALLOWED_HOSTS": None}, "DJANGO_ALLOWED_HOSTS is empty"),
        ({"GOVHALL_FIELD_ENCRYPTION_KEYS": None}, "GOVHALL_FIELD_ENCRYPTION_KEYS is empty"),
        ({"GOVHALL_DEV_SKIP_STAFF_2FA": "1"}, "GOVHALL_DEV_SKIP_STAFF_2FA is on"),
        ({"GOVHALL_SIGNING_KEY": None}, "GOVHALL_SIGNING_CERT, GOVHALL_SIGNING_KEY"),
        ({"GOVHALL_PUBLIC_URL": None}, "GOVHALL_PUBLIC_URL must be the https:// address"),
        ({"GOVHALL_PUBLIC_URL": "http://127.0.0.1:8000"}, "GOVHALL_PUBLIC_URL must be the https:// address"),
        ({"GOVHALL_FINANCE_SECRET": None}, "GOVHALL_FINANCE_URL (https://) and GOVHALL_FINANCE_SECRET"),
        ({"GOVHALL_FINANCE_URL": "http://127.0.0.1:8026"}, "GOVHALL_FINANCE_URL (https://) and GOVHALL_FINANCE_SECRET"),
        ({"GOVHALL_EMS_SECRET": None}, "GOVHALL_EMS_URL (https://), GOVHALL_EMS_SECRET"),
        ({"GOVHALL_DELIVERY_SENDER_PHONE": None}, "GOVHALL_DELIVERY_SENDER_PHONE must name EMS"),
    ],
)
def test_production_refuses_an_unsafe_setting(change: dict[str, str | None], message: str, tmp_path: Path) -> None:
    result = _start(change, tmp_path)
    assert result.returncode != 0
    assert message in result.stderr


def test_production_sends_hsts_by_default(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "GOVHALL_"))}
    env.update(GOOD, GOVHALL_VAR_DIR=str(tmp_path), DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3")
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "shell",
            "-c",
            "from django.conf import settings; print(settings.SECURE_HSTS_SECONDS)",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "31536000"


def test_a_secret_can_come_from_a_file(tmp_path: Path) -> None:
    secret_file = tmp_path / "secret"
    secret_file.write_text(GOOD["DJANGO_SECRET_KEY"])
    result = _start({"DJANGO_SECRET_KEY": None, "DJANGO_SECRET_KEY_FILE": str(secret_file)}, tmp_path)
    assert result.returncode == 0, result.stderr
