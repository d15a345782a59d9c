"""Every label has English: the catalogue is complete and its compiled form is current."""

from __future__ import annotations

from pathlib import Path

import polib

from django.test import Client

LOCALE = Path(__file__).resolve().parents[4] / "locale" / "en" / "LC_MESSAGES"


def test_every_message_has_an_english_translation() -> None:
    catalogue = polib.pofile(str(LOCALE / "django.po"))
    untranslated = [entry.msgid for entry in catalogue if not entry.translated()]
    assert untranslated == []


def test_the_compiled_catalogue_matches_the_source() -> None:
    source = {
        entry.msgid: entry.msgstr or entry.msgstr_plural.get(0, "") for entry in polib.pofile(str(LOCALE / "django.po"))
    }
    compiled = {
        entry.msgid: entry.msgstr or entry.msgstr_plural.get(0, "") for entry in polib.mofile(str(LOCALE / "django.mo"))
    }
    assert {k: v for k, v in compiled.items() if k} == source


def test_pages_are_chinese_by_default_and_english_on_request(db: None, zh_client: Client, en_client: Client) -> None:
    chinese = zh_client.get("/login/").content.decode()
    english = en_client.get("/login/").content.decode()
    assert 'lang="zh-Hans"' in chinese and "个人/企业登录" in chinese
    assert 'lang="en"' in english and "Log in (citizens and companies)" in english


def test_the_language_switch_remembers_the_choice(db: None) -> None:
    client = Client()
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/login/"})
    assert response.status_code == 302
    assert "Log in" in client.get("/login/").content.decode()


def test_every_string_in_the_code_is_in_the_catalogue(tmp_path: Path) -> None:
    """Extract the messages afresh (in a copy, so the work tree is untouched) and find new ones."""
    import shutil
    import subprocess
    import sys

    root = LOCALE.parents[2]
    shutil.copytree(root / "src", tmp_path / "src", ignore=shutil.ignore_patterns("tests", "__pycache__"))
    shutil.copytree(root / "locale", tmp_path / "locale")
    shutil.copy(root / "manage.py", tmp_path / "manage.py")
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "en", "--no-location", "--no-obsolete", "-v", "0"],
        cwd=tmp_path,
        check=True,
        capture_output=True,
    )
    fresh = polib.pofile(str(tmp_path / "locale" / "en" / "LC_MESSAGES" / "django.po"))
    missing = [entry.msgid for entry in fresh if not entry.translated()]
    assert missing == [], "run `manage.py makemessages -l en --no-location` and translate these"
