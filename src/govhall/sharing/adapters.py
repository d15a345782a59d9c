"""One adapter per kind of receiving platform, behind one interface: send a batch, get an answer per message.

Both platforms speak the HTTP protocol of docs/exchange.md; they differ in the route and in
what they take (the provincial hall: case, step, clock, result, rating and item messages at
``/messages``; the district data-sharing platform: licences at ``/licences``). A request that
gets no valid, correctly signed answer raises ``TransportError``: the platform as a whole is
then retried later, and no message is marked either way.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import urllib.parse
from dataclasses import dataclass
from typing import Any, Protocol

from govhall.sharing import signing
from govhall.sharing.constants import PROTOCOL_VERSION, Adapter

ACCEPTED, DUPLICATE, DEFERRED, REJECTED = "accepted", "duplicate", "deferred", "rejected"
RESULTS = frozenset({ACCEPTED, DUPLICATE, DEFERRED, REJECTED})


class TransportError(Exception):
    """No valid answer: refused connection, timeout, an HTTP error, garbage, a bad signature."""


@dataclass(frozen=True)
class Ack:
    """The receiver's answer to one message: accepted, duplicate (already had it), deferred or rejected."""

    message_id: str
    result: str
    ack_id: str = ""
    reason: str = ""


class ExchangeAdapter(Protocol):
    def send(
        self,
        *,
        url: str,
        secret: str,
        sender: str,
        target: str,
        messages: list[dict[str, Any]],
        timeout: float,
        previous_secret: str = "",
    ) -> list[Ack]: ...


class HttpAdapter:
    """POST a signed batch to ``<url><route>``; check the answer's signature; return one Ack per message it names."""

    route = "/messages"

    def send(
        self,
        *,
        url: str,
        secret: str,
        sender: str,
        target: str,
        messages: list[dict[str, Any]],
        timeout: float,
        previous_secret: str = "",
    ) -> list[Ack]:
        body = json.dumps(
            {"PROTOCOL_VERSION": PROTOCOL_VERSION, "SENDER_CODE": sender, "TARGET_CODE": target, "MESSAGES": messages},
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode("utf-8")
        status, headers, answer = _post(
            url.rstrip("/") + self.route, body, {**signing.sign(secret, body), signing.SENDER_HEADER: sender}, timeout
        )
        if status != 200:
            raise TransportError(f"HTTP {status}: {answer[:200].decode('utf-8', 'replace')}")
        problem = signing.verify(
            secret,
            answer,
            headers.get(signing.TIMESTAMP_HEADER.lower(), ""),
            headers.get(signing.SIGNATURE_HEADER.lower(), ""),
        )
        if problem:
            raise TransportError(f"answer not verified: {problem}")
        return parse_acks(answer, request_body=body, receiver=target)


class ProvinceAdapter(HttpAdapter):
    route = "/messages"


class DistrictAdapter(HttpAdapter):
    route = "/licences"


class WebhookAdapter:
    """POST each message on its own to the subscriber's address, signed; any 2xx is its acknowledgement.

    The body is the message's envelope (docs/exchange.md); ``X-Exchange-Message-Id`` repeats its
    ``MSG_ID`` so the subscriber can drop a resend. While a rotated key is still valid, both
    keys sign (``X-Exchange-Signature: <new>,<old>``). A 4xx other than 408 and 429 refuses
    that message (it counts against the message, then the dead letters); anything else — a
    5xx, 408, 429, a timeout, a refused connection — stops the batch and counts against the
    subscription (messages already acknowledged in it stay acknowledged on the subscriber's
    side and come again: at least once, exactly once in effect by the message id).
    """

    def send(
        self,
        *,
        url: str,
        secret: str,
        sender: str,
        target: str,
        messages: list[dict[str, Any]],
        timeout: float,
        previous_secret: str = "",
    ) -> list[Ack]:
        acks = []
        keys = [secret] + ([previous_secret] if previous_secret else [])
        for message in messages:
            body = json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
            headers = {
                **signing.sign_with_each(keys, body),
                signing.SENDER_HEADER: sender,
                MESSAGE_ID_HEADER: str(message.get("MSG_ID", "")),
            }
            status, _headers, answer = _post(url, body, headers, timeout)
            if 200 <= status < 300:
                acks.append(Ack(str(message.get("MSG_ID", "")), ACCEPTED, f"HTTP {status}"))
            elif 400 <= status < 500 and status not in (408, 429):
                reason = f"HTTP {status}: {answer[:200].decode('utf-8', 'replace')}"
                acks.append(Ack(str(message.get("MSG_ID", "")), REJECTED, "", reason))
            else:
                raise TransportError(f"HTTP {status}: {answer[:200].decode('utf-8', 'replace')}")
        return acks


MESSAGE_ID_HEADER = "X-Exchange-Message-Id"

ADAPTERS: dict[str, ExchangeAdapter] = {
    Adapter.PROVINCE: ProvinceAdapter(),
    Adapter.DISTRICT: DistrictAdapter(),
    Adapter.WEBHOOK: WebhookAdapter(),
}


def parse_acks(answer: bytes, *, request_body: bytes, receiver: str) -> list[Ack]:
    """The acknowledgements of a signed answer; TransportError if it is not what the protocol says.

    The answer must name the receiver the batch was for (``RECEIVER_CODE``) and the batch it
    answers (``REQUEST_DIGEST``, the SHA-256 of the request body): a signed answer to another
    batch, replayed, acknowledges nothing.
    """
    try:
        data = json.loads(answer)
        if data.get("RECEIVER_CODE") != receiver:
            raise ValueError(f"RECEIVER_CODE {data.get('RECEIVER_CODE')!r} is not {receiver!r}")
        if data.get("REQUEST_DIGEST") != hashlib.sha256(request_body).hexdigest():
            raise ValueError("REQUEST_DIGEST does not match this request")
        raw = data["ACKS"]
        if not isinstance(raw, list):
            raise TypeError("ACKS is not a list")
        acks = [
            Ack(str(a["MSG_ID"]), str(a["RESULT"]), str(a.get("ACK_ID") or ""), str(a.get("REASON") or "")[:300])
            for a in raw
        ]
    except (ValueError, KeyError, TypeError) as exc:
        raise TransportError(f"answer is not an acknowledgement list: {exc}") from None
    for ack in acks:
        if ack.result not in RESULTS:
            raise TransportError(f"unknown RESULT {ack.result!r}")
    return acks


def _post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> tuple[int, dict[str, str], bytes]:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise TransportError(f"not an http(s) address: {url}")
    connection_class = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    connection = connection_class(parts.hostname, parts.port, timeout=timeout)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request(
            "POST", path, body=body, headers={"Content-Type": "application/json; charset=utf-8", **headers}
        )
        response = connection.getresponse()
        answer = response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, answer
    except (OSError, http.client.HTTPException) as exc:  # refused, reset, timeout, cut off
        raise TransportError(f"{type(exc).__name__}: {exc}") from None
    finally:
        connection.close()
