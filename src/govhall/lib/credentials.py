"""Compact signed payloads (JWS) that can be checked offline with the bureau's published keys.

The signing algorithm is pluggable: ``CredentialAlgorithm`` is what callers use, ES256
(ECDSA P-256, through PyJWT and cryptography) is the default, and an SM2 implementation can
be added to ``ALGORITHMS`` without touching callers. Keys come from GOVHALL_CREDENTIAL_KEYS
(PEM files, lib/signing.py makes one in development): the first private key signs, every key
listed — private or public only — is published, so payloads signed with a retired key keep
verifying. The key id (``kid``) is the key's RFC 7638 thumbprint.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from functools import cache
from typing import Any, Protocol

import jwt
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_pem_private_key, load_pem_public_key
from jwt.algorithms import ECAlgorithm
from jwt.utils import base64url_decode, raw_to_der_signature

from govhall.lib.signing import signing_files


class CredentialError(Exception):
    """A payload that is not genuine: forged, malformed, or signed by a key we do not know."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(detail or code)
        self.code = code  # "malformed", "unknown_key", "bad_signature"


class CredentialAlgorithm(Protocol):
    name: str

    def public_jwk(self, key: Any) -> dict[str, str]: ...

    def sign(self, payload: dict[str, Any], key: Any, headers: dict[str, str]) -> str: ...

    def verifying_key(self, key: Any) -> Any: ...

    def verify(self, token: str, key: Any) -> dict[str, Any]: ...


_ECDSA = ec.ECDSA(hashes.SHA256())


class ES256:
    name = "ES256"

    def public_jwk(self, key: Any) -> dict[str, str]:
        public = key.public_key() if isinstance(key, ec.EllipticCurvePrivateKey) else key
        jwk: dict[str, str] = ECAlgorithm.to_jwk(public, as_dict=True)
        return {k: jwk[k] for k in ("kty", "crv", "x", "y")}

    def sign(self, payload: dict[str, Any], key: Any, headers: dict[str, str]) -> str:
        return jwt.encode(payload, key, algorithm="ES256", headers=headers)

    def verifying_key(self, key: Any) -> Any:
        """The public key that checks signatures made with ``key`` (a private or a public key)."""
        return key.public_key() if isinstance(key, ec.EllipticCurvePrivateKey) else key

    def verify(self, token: str, key: Any) -> dict[str, Any]:
        """The claims of ``token`` if its signature is ``key``'s (a public key: ``verifying_key``)."""
        # The signature (the JWS r||s form, turned into DER as PyJWT does) straight through
        # cryptography with one prepared ECDSA(SHA-256), then the claims: a verifier checks
        # thousands of these, and this is all a JWS check needs. PyJWT's own ES256 verify
        # builds the ECDSA and SHA-256 objects and asks the key's class on every call.
        signing_input, _, signature = token.rpartition(".")
        try:
            raw = base64url_decode(signature)
        except (ValueError, TypeError) as exc:
            raise jwt.DecodeError(str(exc)) from exc
        try:
            # A signature of the wrong length is a wrong signature, as PyJWT counts it:
            key.verify(raw_to_der_signature(raw, key.curve), signing_input.encode(), _ECDSA)
        except (InvalidSignature, ValueError):
            raise jwt.InvalidSignatureError("Signature verification failed") from None
        try:
            claims = json.loads(base64url_decode(signing_input.partition(".")[2]))
        except ValueError as exc:
            raise jwt.DecodeError(str(exc)) from exc
        if not isinstance(claims, dict):
            raise jwt.DecodeError("the claims are not an object")
        return claims


ALGORITHMS: dict[str, CredentialAlgorithm] = {"ES256": ES256()}


def thumbprint(jwk: dict[str, str]) -> str:
    """RFC 7638 key thumbprint: SHA-256 over the required members in lexicographic order."""
    canonical = json.dumps({k: jwk[k] for k in sorted(jwk)}, separators=(",", ":"), sort_keys=True)
    return base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest()).rstrip(b"=").decode()


@dataclass(frozen=True)
class CredentialKey:
    kid: str
    algorithm: str
    key: Any  # a private key (can sign) or a public key (verifies only)
    can_sign: bool

    @property
    def jwk(self) -> dict[str, str]:
        return {**ALGORITHMS[self.algorithm].public_jwk(self.key), "kid": self.kid, "alg": self.algorithm, "use": "sig"}


def _load(pem: bytes) -> tuple[Any, bool]:
    try:
        return load_pem_private_key(pem, password=None), True
    except ValueError:
        return load_pem_public_key(pem), False


@cache
def credential_keys() -> tuple[CredentialKey, ...]:
    keys = []
    for path in signing_files().credential_keys:
        key, private = _load(path.read_bytes())
        algorithm = ALGORITHMS["ES256"]
        keys.append(CredentialKey(thumbprint(algorithm.public_jwk(key)), algorithm.name, key, private))
    if not keys or not keys[0].can_sign:
        raise RuntimeError("the first of GOVHALL_CREDENTIAL_KEYS must be a private key")
    return tuple(keys)


def published_keys() -> dict[str, list[dict[str, str]]]:
    """The JSON Web Key Set to publish (public parts only)."""
    return {"keys": [k.jwk for k in credential_keys()]}


def sign_credential(payload: dict[str, Any], *, typ: str = "JWT") -> str:
    key = credential_keys()[0]
    return ALGORITHMS[key.algorithm].sign(payload, key.key, {"kid": key.kid, "typ": typ})


class KeySet:
    """Verification keys by kid, parsed once: the platform's own, or a JWKS an offline verifier fetched."""

    def __init__(self, keys: dict[tuple[str, str], Any]) -> None:
        self.keys = keys  # (algorithm, kid) -> public or private key
        self._headers: dict[str, tuple[CredentialAlgorithm, Any, str]] = {}

    @classmethod
    def from_jwks(cls, jwks: dict[str, Any]) -> KeySet:
        keys = {}
        for jwk in jwks.get("keys", []):
            if jwk.get("alg") in ALGORITHMS and jwk.get("kid"):
                keys[(str(jwk["alg"]), str(jwk["kid"]))] = ECAlgorithm.from_jwk(json.dumps(jwk))
        return cls(keys)

    @classmethod
    def own(cls) -> KeySet:
        return cls({(k.algorithm, k.kid): k.key for k in credential_keys()})

    def verify(self, token: str) -> tuple[dict[str, Any], str]:
        """Returns (claims, kid). Raises CredentialError saying what is wrong."""
        token = token.strip()
        if token.count(".") != 2:
            raise CredentialError("malformed", "not a compact JWS")
        segment = token.partition(".")[0]
        # Every payload signed with one key has the same header: its algorithm and key are
        # worked out once per header seen (only for keys of this set, so a flood of made-up
        # headers cannot grow it):
        found = self._headers.get(segment)
        if found is None:
            found = self._resolve(segment)
            if len(self._headers) < 64:
                self._headers[segment] = found
        algorithm, key, kid = found
        try:
            return algorithm.verify(token, key), kid
        except jwt.InvalidSignatureError as exc:
            raise CredentialError("bad_signature", str(exc)) from exc
        except jwt.PyJWTError as exc:
            raise CredentialError("malformed", str(exc)) from exc

    def _resolve(self, segment: str) -> tuple[CredentialAlgorithm, Any, str]:
        try:
            header = json.loads(base64url_decode(segment))
            if not isinstance(header, dict):
                raise ValueError("not a compact JWS")
        except ValueError as exc:
            raise CredentialError("malformed", str(exc)) from exc
        kid, name = str(header.get("kid")), str(header.get("alg"))
        algorithm = ALGORITHMS.get(name)
        if algorithm is None:
            raise CredentialError("unknown_key", f"algorithm {name!r}")
        key = self.keys.get((name, kid))
        if key is None:
            raise CredentialError("unknown_key", f"kid {kid!r}")
        # The public half worked out here, once per header, not on every check (isinstance
        # against cryptography's key classes costs a check ~1 µs of its ~20 µs of Python):
        return algorithm, algorithm.verifying_key(key), kid


def verify_credential(token: str, jwks: dict[str, Any] | KeySet | None = None) -> tuple[dict[str, Any], str]:
    """Check a payload against the published keys, or a JWKS (or KeySet) fetched earlier, offline.

    Returns (claims, kid). Raises CredentialError saying what is wrong. To check many
    payloads, make the KeySet once (``KeySet.from_jwks``): parsing the keys costs more than
    a verification.
    """
    if isinstance(jwks, KeySet):
        return jwks.verify(token)
    return (KeySet.own() if jwks is None else KeySet.from_jwks(jwks)).verify(token)
