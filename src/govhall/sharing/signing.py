"""The exchange's request and answer signatures (docs/exchange.md §Signatures): HMAC-SHA256 over "timestamp.body".

Kept free of Django so that the sandbox receiver (sandbox_province.py) could use it; the
sandbox nevertheless carries its own copy of the check, as a stranger would.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time

TIMESTAMP_TOLERANCE_SECONDS = 300
_TIMESTAMP = re.compile(r"\d{1,12}", re.ASCII)
_SIGNATURE = re.compile(r"[0-9a-f]{64}", re.ASCII)

TIMESTAMP_HEADER = "X-Exchange-Timestamp"
SIGNATURE_HEADER = "X-Exchange-Signature"
SENDER_HEADER = "X-Exchange-Sender"


def sign(secret: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    """The two headers that sign ``body``."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode("utf-8"), stamp.encode("ascii") + b"." + body, hashlib.sha256).hexdigest()
    return {TIMESTAMP_HEADER: stamp, SIGNATURE_HEADER: digest}


def sign_with_each(secrets: list[str], body: bytes, timestamp: int | None = None) -> dict[str, str]:
    """The headers that sign ``body`` with each key in turn (a key rotation): the signatures comma-separated."""
    stamp = int(time.time()) if timestamp is None else timestamp
    signed = [sign(secret, body, stamp) for secret in secrets]
    return {TIMESTAMP_HEADER: str(stamp), SIGNATURE_HEADER: ",".join(s[SIGNATURE_HEADER] for s in signed)}


def verify(secret: str, body: bytes, timestamp: str, signature: str, now: float | None = None) -> str:
    """Why the signature is not good, or "" if it is."""
    timestamp, signature = (timestamp or "").strip(), (signature or "").strip().lower()
    if not _TIMESTAMP.fullmatch(timestamp):
        return "missing or malformed timestamp"
    if abs((time.time() if now is None else now) - int(timestamp)) > TIMESTAMP_TOLERANCE_SECONDS:
        return f"timestamp more than {TIMESTAMP_TOLERANCE_SECONDS} s off"
    expected = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256).hexdigest()
    if not _SIGNATURE.fullmatch(signature) or not hmac.compare_digest(expected, signature):
        return "bad signature"
    return ""
