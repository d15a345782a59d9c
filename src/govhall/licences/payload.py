"""The signed payload a licence's QR code carries: a COSE_Sign1 (RFC 9052) over a CBOR map, base64url.

Why not the JWS the platform first printed: a JWS repeats its key id (43 characters), writes
Chinese as ``\\uXXXX`` escapes, names every claim and base64url-encodes its JSON twice over; a
demo felling licence's QR code held 834 characters (version 23, 109 × 109 modules), too dense
for a phone photo or an 80 dpi print. The same facts as a COSE_Sign1 are about 200 bytes.

The structure, in CBOR's core deterministic encoding (RFC 8949 §4.2.1)::

    18([ << {1: -7, 4: kid} >>,   / protected: ES256, first 4 bytes of the key's RFC 7638 thumbprint /
         {},                      / unprotected: always empty, so that nothing outside the signature varies /
         << claims >>,
         r || s ])                / ECDSA P-256 over Sig_structure, 64 bytes, s in its low form /

and the claims, each written once (what can be worked out from another field is left out)::

    1 issuer code (18)       2 type code, or only its 3 digits when it begins with the issuer code
    3 serial                 4 version
    5 type name              6 the licence number before the serial (number = 6 + serial), or
                             7 the whole number when it does not end with the serial
    8 holder, masked name    9 holder code as printed, its run of '*' written as one '*' (the code is 18 long)
    10 valid from, 11 valid until (days since 1970-01-01; 11 absent: long-term)
    12 status-list position

The identifier is rebuilt from 2, 1, 3 and 4 (its check character computed). Exactly one
string verifies for a given signature: the base64url text must be canonical (no padding, no
other characters, unused bits of the last character zero), the CBOR must be the deterministic
encoding of what it decodes to, and ``s`` must be at most n/2 (the ECDSA twin ``n - s`` is
refused). Payloads issued earlier as JWS keep verifying (``lib.credentials``), with the same
canonical base64url rule for each of their three parts.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import re
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

from django.core.exceptions import ValidationError

from govhall.lib.credentials import CredentialError, KeySet, credential_keys, verify_credential
from govhall.lib.licence_ids import make_licence_identifier

COSE_SIGN1_TAG = 18
ES256 = -7  # COSE algorithm id (RFC 9053)
HEADER_ALG, HEADER_KID = 1, 4
KID_BYTES = 4
CODE_LENGTH = 18
_EPOCH = datetime.date(1970, 1, 1)
_P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
_ECDSA = ec.ECDSA(hashes.SHA256())
_BASE64URL = re.compile(r"^[A-Za-z0-9_-]*$")


# Canonical base64url -----------------------------------------------------------------------------


def decode_base64url(text: str) -> bytes:
    """The bytes of unpadded base64url ``text``; ValueError unless ``text`` is their one canonical spelling.

    Plain decoders ignore the unused low bits of the last character (and accept padding), so
    several strings would decode to the same bytes; only the one that re-encodes to itself passes.
    """
    if not _BASE64URL.match(text) or len(text) % 4 == 1:
        raise ValueError("not unpadded base64url")
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except binascii.Error as exc:
        raise ValueError(str(exc)) from exc
    if base64.urlsafe_b64encode(data).rstrip(b"=").decode() != text:
        raise ValueError("not the canonical base64url spelling (unused bits of the last character are set)")
    return data


def encode_base64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


# CBOR, the subset a payload uses (RFC 8949, core deterministic encoding) --------------------------


def _head(major: int, value: int) -> bytes:
    if value < 24:
        return bytes([major << 5 | value])
    for extra, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if value < 1 << (8 * size):
            return bytes([major << 5 | extra]) + value.to_bytes(size, "big")
    raise ValueError("integer too large for CBOR")


class Tagged:
    """A CBOR tag and its value."""

    def __init__(self, tag: int, value: Any) -> None:
        self.tag, self.value = tag, value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Tagged) and (self.tag, self.value) == (other.tag, other.value)

    def __hash__(self) -> int:
        return hash(self.tag)


def cbor_encode(value: Any) -> bytes:
    """Deterministic CBOR of ints, str, bytes, lists, dicts (keys sorted by their encoding), None and Tagged."""
    if value is None:
        return b"\xf6"
    if isinstance(value, bool):
        raise TypeError("booleans are not used in payloads")
    if isinstance(value, int):
        return _head(0, value) if value >= 0 else _head(1, -1 - value)
    if isinstance(value, bytes):
        return _head(2, len(value)) + value
    if isinstance(value, str):
        data = value.encode()
        return _head(3, len(data)) + data
    if isinstance(value, list | tuple):
        return _head(4, len(value)) + b"".join(cbor_encode(item) for item in value)
    if isinstance(value, dict):
        items = sorted((cbor_encode(k), cbor_encode(v)) for k, v in value.items())
        return _head(5, len(items)) + b"".join(k + v for k, v in items)
    if isinstance(value, Tagged):
        return _head(6, value.tag) + cbor_encode(value.value)
    raise TypeError(f"cannot encode {type(value).__name__} as CBOR")


def cbor_decode(data: bytes) -> Any:
    """Decode one CBOR item; ValueError unless ``data`` is exactly its deterministic encoding."""
    value, end = _decode(data, 0, 0)
    if end != len(data):
        raise ValueError("bytes after the CBOR item")
    if cbor_encode(value) != data:
        raise ValueError("not the deterministic CBOR encoding")
    return value


def _decode(data: bytes, at: int, depth: int) -> tuple[Any, int]:
    if depth > 8 or at >= len(data):
        raise ValueError("truncated or too deeply nested CBOR")
    major, info = data[at] >> 5, data[at] & 31
    at += 1
    if major == 7:
        if info == 22:
            return None, at
        raise ValueError("unsupported CBOR simple value")
    if info < 24:
        value = info
    elif info <= 27:
        size = 1 << (info - 24)
        if at + size > len(data):
            raise ValueError("truncated CBOR")
        value, at = int.from_bytes(data[at : at + size], "big"), at + size
    else:
        raise ValueError("indefinite or reserved CBOR length")
    if major == 0:
        return value, at
    if major == 1:
        return -1 - value, at
    if major in (2, 3):
        if at + value > len(data):
            raise ValueError("truncated CBOR")
        chunk = data[at : at + value]
        return (bytes(chunk) if major == 2 else chunk.decode()), at + value
    if major == 4:
        items = []
        for _ in range(value):
            item, at = _decode(data, at, depth + 1)
            items.append(item)
        return items, at
    if major == 5:
        mapping: dict[Any, Any] = {}
        for _ in range(value):
            key, at = _decode(data, at, depth + 1)
            if not isinstance(key, int | str):
                raise ValueError("CBOR map keys must be integers or text")
            mapping[key], at = _decode(data, at, depth + 1)
        return mapping, at
    inner, at = _decode(data, at, depth + 1)
    return Tagged(value, inner), at


# The claims ------------------------------------------------------------------------------------


def _days(day: str) -> int:
    return (datetime.date.fromisoformat(day) - _EPOCH).days


def _day(days: Any) -> str:
    if not isinstance(days, int):
        raise ValueError("a date is a day number")
    return (_EPOCH + datetime.timedelta(days=days)).isoformat()


def _collapse_mask(code: str) -> str:
    return re.sub(r"\*+", "*", code) if code.count("*") and len(code) == CODE_LENGTH else code


def _expand_mask(code: str) -> str:
    if code.count("*") != 1:
        return code
    return code.replace("*", "*" * (CODE_LENGTH - len(code) + 1))


def pack_claims(claims: dict[str, Any]) -> dict[int, Any]:
    """The CBOR claims map of the payload facts (the keys ``credential_payload`` names), each written once."""
    issuer, type_code, serial = claims["iss"], claims["typ"], claims["ser"]
    packed: dict[int, Any] = {
        1: issuer,
        2: type_code[len(issuer) :] if type_code.startswith(issuer) else type_code,
        3: serial,
        4: claims["ver"],
        5: claims["nm"],
        8: claims["hn"],
        9: _collapse_mask(claims["hc"]),
        10: _days(claims["vf"]),
        12: claims["sl"],
    }
    number = claims["no"]
    if number.endswith(serial):
        packed[6] = number[: -len(serial)]
    else:
        packed[7] = number
    if claims.get("vu"):
        packed[11] = _days(claims["vu"])
    return packed


def unpack_claims(packed: Any) -> dict[str, Any]:
    """The claims as a verifier reads them (the names the JWS payloads used: ``jti``, ``hd``, ``vu`` …)."""
    if not isinstance(packed, dict):
        raise ValueError("the claims are not a map")
    try:
        issuer, code, serial, version = packed[1], packed[2], packed[3], packed[4]
        if not all(isinstance(v, str) for v in (issuer, code, serial)) or not isinstance(version, int):
            raise ValueError("wrong types in the identifier's parts")
        type_code = issuer + code if len(code) == 3 else code
        number = packed[6] + serial if 6 in packed else packed[7]
        holder = f"{packed[8]}（{_expand_mask(packed[9])}）"
        return {
            "iss": issuer,
            "jti": make_licence_identifier(type_code, issuer, serial, version),
            "typ": type_code,
            "nm": str(packed[5]),
            "no": str(number),
            "hd": holder,
            "vf": _day(packed[10]),
            "vu": _day(packed[11]) if 11 in packed else None,
            "sl": int(packed[12]),
        }
    except (KeyError, TypeError, OverflowError, ValidationError) as exc:
        raise ValueError(f"missing or wrong claim: {exc}") from exc


# Signing and verifying -------------------------------------------------------------------------


def short_kid(kid: str) -> bytes:
    """The key id a payload names: the first KID_BYTES bytes of the key's RFC 7638 thumbprint."""
    return base64.urlsafe_b64decode(kid + "=" * (-len(kid) % 4))[:KID_BYTES]


def _sig_structure(protected: bytes, payload: bytes) -> bytes:
    return cbor_encode(["Signature1", protected, b"", payload])


def sign_payload(claims: dict[str, Any]) -> str:
    """The QR payload of ``claims`` (``licences.actions.credential_payload``), signed with the current key."""
    key = credential_keys()[0]
    protected = cbor_encode({HEADER_ALG: ES256, HEADER_KID: short_kid(key.kid)})
    payload = cbor_encode(pack_claims(claims))
    r, s = decode_dss_signature(key.key.sign(_sig_structure(protected, payload), _ECDSA))
    # The low form of s, so that the other valid signature (n - s) can be refused:
    s = min(s, _P256_ORDER - s)
    signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    return encode_base64url(cbor_encode(Tagged(COSE_SIGN1_TAG, [protected, {}, payload, signature])))


def _by_short_kid(keys: KeySet) -> dict[bytes, tuple[Any, str]]:
    found: dict[bytes, tuple[Any, str]] = {}
    for (algorithm, kid), key in keys.keys.items():
        if algorithm == "ES256":
            public = key.public_key() if isinstance(key, ec.EllipticCurvePrivateKey) else key
            found[short_kid(kid)] = (public, kid)
    return found


def _parse(token: str) -> tuple[bytes, bytes, bytes, bytes]:
    """(protected, kid, payload, signature) of a COSE_Sign1 payload; ValueError if it is not one."""
    envelope = cbor_decode(decode_base64url(token))
    if not isinstance(envelope, Tagged) or envelope.tag != COSE_SIGN1_TAG:
        raise ValueError("not a COSE_Sign1")
    parts = envelope.value
    if not isinstance(parts, list) or len(parts) != 4:
        raise ValueError("not a COSE_Sign1")
    protected, unprotected, payload, signature = parts
    if not (isinstance(protected, bytes) and isinstance(payload, bytes) and isinstance(signature, bytes)):
        raise ValueError("not a COSE_Sign1")
    if unprotected != {}:
        raise ValueError("unprotected headers are not allowed")
    header = cbor_decode(protected)
    if not isinstance(header, dict) or set(header) != {HEADER_ALG, HEADER_KID}:
        raise ValueError("the protected header must name the algorithm and the key, nothing else")
    if header[HEADER_ALG] != ES256:
        raise ValueError(f"algorithm {header[HEADER_ALG]!r}")
    kid = header[HEADER_KID]
    if not isinstance(kid, bytes):
        raise ValueError("the key id is not a byte string")
    return protected, kid, payload, signature


class PayloadVerifier:
    """Checks QR payloads against one set of keys (the platform's own, or a JWKS fetched for offline use)."""

    def __init__(self, keys: KeySet | None = None) -> None:
        # The platform's own keys are read each time: they are cached where they are loaded (credential_keys).
        self.keys = keys if keys is not None else KeySet.own()
        self.short = _by_short_kid(self.keys)

    def verify(self, token: str) -> dict[str, Any]:
        """The claims of a genuine payload (COSE, or a JWS issued earlier). Raises CredentialError saying why not."""
        token = token.strip()
        if token.count(".") == 2:
            return self._verify_jws(token)
        try:
            protected, kid, payload, signature = _parse(token)
        except (ValueError, UnicodeDecodeError) as exc:
            raise CredentialError("malformed", str(exc)) from exc
        found = self.short.get(kid)
        if found is None:
            raise CredentialError("unknown_key", f"kid {kid.hex()}")
        r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
        if len(signature) != 64 or s > _P256_ORDER // 2:
            raise CredentialError("bad_signature", "not a 64-byte ECDSA signature with a low s")
        try:
            found[0].verify(encode_dss_signature(r, s), _sig_structure(protected, payload), _ECDSA)
        except (InvalidSignature, ValueError):
            raise CredentialError("bad_signature", "Signature verification failed") from None
        try:
            return unpack_claims(cbor_decode(payload))
        except (ValueError, UnicodeDecodeError) as exc:
            raise CredentialError("malformed", str(exc)) from exc

    def _verify_jws(self, token: str) -> dict[str, Any]:
        # A JWS printed before the COSE payloads: each part must be canonical base64url too,
        # since the signature part is not itself signed and a decoder ignores its last bits.
        for part in token.split("."):
            try:
                decode_base64url(part)
            except ValueError as exc:
                raise CredentialError("malformed", str(exc)) from exc
        claims, _kid = verify_credential(token, self.keys)
        return claims


# The verifier of the platform's own keys, made again only when the keys are loaded again
# (credential_keys is cached; a test or a rotation clears it): a public check is the busiest read.
_own: list[tuple[Any, PayloadVerifier]] = []


def verify_payload_token(token: str, keys: KeySet | None = None) -> dict[str, Any]:
    """The claims of a genuine QR payload, checked with the platform's keys or ``keys``; CredentialError if not."""
    if keys is not None:
        return PayloadVerifier(keys).verify(token)
    loaded = credential_keys()
    if not _own or _own[0][0] is not loaded:
        _own[:] = [(loaded, PayloadVerifier())]
    return _own[0][1].verify(token)
