"""Encryption at rest for personal identifiers, and the keyed hash that finds them.

Encryption is Fernet (AES-128-CBC + HMAC-SHA256, from the ``cryptography`` library) through
``MultiFernet``: the first configured key encrypts, every key decrypts, and ``rotate`` moves
a token to the first key. Each configured secret is stretched to a Fernet key with HKDF, so
an operator can configure any long random string.

The look-up hash is HMAC-SHA256 under its own key: the same number always gives the same
hash (so it can be indexed and searched), but nobody without the key can test guesses.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def _fernet_key(secret: str) -> bytes:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"govhall field encryption").derive(
        secret.encode("utf-8")
    )
    return base64.urlsafe_b64encode(derived)


@cache
def _multi_fernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured("GOVHALL_FIELD_ENCRYPTION_KEYS is empty; cannot encrypt personal data.")
    return MultiFernet([Fernet(_fernet_key(key)) for key in keys])


def _cipher() -> MultiFernet:
    return _multi_fernet(tuple(settings.FIELD_ENCRYPTION_KEYS))


def encrypt_text(plain: str) -> str:
    """Encrypt ``plain`` under the current (first) key."""
    return _cipher().encrypt(plain.encode("utf-8")).decode("ascii")


def decrypt_text(token: str) -> str:
    """Decrypt a token made under any configured key. Raises InvalidToken if none fits."""
    return _cipher().decrypt(token.encode("ascii")).decode("utf-8")


def rotate_token(token: str) -> str:
    """Re-encrypt a token under the current key (for key rotation)."""
    return _cipher().rotate(token.encode("ascii")).decode("ascii")


def lookup_hash(value: str, *, purpose: str) -> str:
    """Return the keyed hash of a normalised identifier, separated by ``purpose``.

    ``purpose`` keeps an ID number and a phone number with the same digits apart.
    """
    message = f"{purpose}:{value}".encode()
    return hmac.new(settings.LOOKUP_HASH_KEY.encode("utf-8"), message, hashlib.sha256).hexdigest()


__all__ = ["InvalidToken", "decrypt_text", "encrypt_text", "lookup_hash", "rotate_token"]
