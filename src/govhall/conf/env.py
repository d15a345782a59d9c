"""Small typed readers for settings that come from the environment.

Every variable read here is listed in docs/configuration.md. A secret may also come from a
file named by ``<NAME>_FILE`` (the container/secret-store convention).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _raw(name: str) -> str | None:
    value = os.environ.get(name)
    if value is not None:
        return value
    file_name = os.environ.get(f"{name}_FILE")
    if file_name:
        try:
            return Path(file_name).read_text(encoding="utf-8").strip()
        except FileNotFoundError as exc:
            raise ImproperlyConfigured(f"{name}_FILE names {file_name!r}: file not found.") from exc
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE points at {file_name!r}, which cannot be read: {exc}") from exc
    return None


def env_str(name: str, default: str = "") -> str:
    value = _raw(name)
    return default if value is None else value


def env_bool(name: str, default: bool = False) -> bool:
    value = _raw(name)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be one of 1/0, true/false, yes/no, on/off; got {value!r}")


def env_int(name: str, default: int) -> int:
    value = _raw(name)
    if value is None or value.strip() == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a whole number; got {value!r}") from exc


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    value = _raw(name)
    if value is None:
        return list(default or [])
    return [item.strip() for item in value.split(",") if item.strip()]


# Keys copied from examples, tutorials and placeholders, lower-cased; a key containing one is not secret:
_KNOWN_EXAMPLES = (
    "django-insecure",
    "change-me",
    "changeme",
    "change_me",
    "your-secret",
    "secret-key",
    "example",
    "12345678",
)


def weak_secret_reason(value: str, *, min_length: int = 50) -> str | None:
    """Say why ``value`` is not fit to be a production secret key, or None if it is.

    Django's own deployment check asks for 50 characters with 5 distinct ones; a key typed
    by hand passes that and is still guessable, so repeated characters and copied examples
    are refused too.
    """
    if len(value) < min_length:
        return f"is too short ({len(value)} characters; at least {min_length} random characters)"
    lowered = value.lower()
    example = next((known for known in _KNOWN_EXAMPLES if known in lowered), None)
    if example:
        return f"is a known example or placeholder (contains {example!r})"
    most_common = max(value.count(char) for char in set(value))
    if len(set(value)) < 16 or most_common > len(value) // 4:
        return "repeats characters; generate it randomly (python -c 'import secrets; print(secrets.token_urlsafe(50))')"
    return None


def dev_secret(keys_dir: Path, name: str, nbytes: int = 32) -> str:
    """Return the development secret ``name``, generating it into ``keys_dir`` on first use.

    Only for development and tests: production reads every secret from the environment.
    Two processes starting at once (web server and worker) must agree on one value, so the
    file is created exclusively and a loser of the race reads the winner's file.
    """
    keys_dir.mkdir(parents=True, exist_ok=True)
    path = keys_dir / name
    if not path.exists():
        # Write a private temporary file, then link it into place: the link fails if another
        # process got there first, and nobody ever reads a half-written key.
        tmp = keys_dir / f".{name}.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(secrets.token_urlsafe(nbytes))
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return path.read_text(encoding="utf-8").strip()
