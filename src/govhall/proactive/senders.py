"""Channels that carry a notification out of the platform (SMS gateway, email, …).

A sender is a class with ``send(notification) -> None`` that raises on failure; the task
retries. Configure with GOVHALL_NOTIFICATION_SENDER, one dotted path or several separated by
commas: ``get_sender`` wraps them in a ``MultiSender``, which tries every channel and
remembers on the notification which ones have delivered. Development uses the console
sender, which writes to the log.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import logging
import re
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from typing import Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from govhall.audit.actions import record
from govhall.identity.actions import reveal_phone
from govhall.lib.crypto import decrypt_text
from govhall.proactive.models import Notification

logger = logging.getLogger(__name__)

# One SMS segment holds 70 characters when any of them is Chinese (UCS-2); longer texts are
# split and billed as several messages, and some handsets show them out of order:
SMS_TEXT_LIMIT = 70
# Below this many characters a subject no longer says what happened; rather send two segments:
SMS_SUBJECT_MIN = 20
# A gateway's answer is a small JSON object; anything longer is not read:
SMS_ANSWER_MAX_BYTES = 64 * 1024
_MAINLAND_MOBILE = re.compile(r"1[3-9]\d{9}")


class Sender(Protocol):
    def send(self, notification: Notification) -> None: ...


class ConsoleSender:
    """Development: the message goes to the log."""

    def send(self, notification: Notification) -> None:
        to = notification.recipient.get_username() if notification.recipient else "a contact without an account"
        logger.info("notification to %s: %s", to, notification.subject)


class EmailSender:
    """Email through Django's mail settings, to the recipient's address if they gave one."""

    def send(self, notification: Notification) -> None:
        if notification.recipient is not None:
            address = notification.recipient.email
        elif notification.contact_email_encrypted:
            address = decrypt_text(notification.contact_email_encrypted)
        else:
            address = ""
        if address:
            send_mail(notification.subject, notification.body, None, [address])


class SmsGatewayError(Exception):
    """The SMS gateway did not take the message; the delivery task tries again later."""


class SmsGatewaySender:
    """SMS through the bureau's HTTP gateway, signed with a shared secret (docs/sms-gateway.md).

    The recipient's mobile number is read in clear through identity's audited reveal; a
    recipient without a mobile number (staff, or a landline only) is skipped with a log
    line. Raises SmsGatewayError when the gateway is unreachable, answers other than 2xx, or
    answers 2xx without accepting the message; ImproperlyConfigured when GOVHALL_SMS_URL or
    GOVHALL_SMS_SECRET is missing.
    """

    def send(self, notification: Notification) -> None:
        url, secret = settings.SMS_URL, settings.SMS_SECRET
        if not url or not secret:
            raise ImproperlyConfigured("GOVHALL_SMS_URL and GOVHALL_SMS_SECRET must be set to send SMS.")
        # urllib also opens file:// and ftp:// addresses; a gateway is only ever HTTP:
        if not url.startswith(("https://", "http://")):
            raise ImproperlyConfigured(f"GOVHALL_SMS_URL must be an http(s) address; got {url!r}.")
        phone = _mobile_number_of(notification)
        if phone is None:
            logger.info("notification %s: recipient has no mobile phone number; SMS skipped", notification.pk)
            return
        payload = {
            "message_id": sms_message_id(notification),
            "phone": phone,
            "text": compose_sms_text(notification.subject, notification.link),
            "sent_at": timezone.localtime().isoformat(timespec="seconds"),
        }
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        timestamp = str(int(time.time()))
        request = urllib.request.Request(
            url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "Accept": "application/json",
                "User-Agent": "govhall-sms/1",
                "X-Govhall-Timestamp": timestamp,
                "X-Govhall-Signature": sign_sms_request(secret, timestamp, body),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=settings.SMS_TIMEOUT) as response:
                answer = response.read(SMS_ANSWER_MAX_BYTES)
        except urllib.error.HTTPError as exc:
            raise SmsGatewayError(f"SMS gateway answered {exc.code}: {_error_in(exc)}") from exc
        except (OSError, http.client.HTTPException) as exc:  # refused, DNS, TLS, timeout, cut off
            reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
            raise SmsGatewayError(f"SMS gateway unreachable: {reason}") from exc
        try:
            result = json.loads(answer)
        except ValueError as exc:
            raise SmsGatewayError("SMS gateway answered 2xx with a body that is not JSON") from exc
        # Only an explicit acceptance counts; a 2xx that does not say so is a refusal:
        if not isinstance(result, dict) or result.get("accepted") is not True:
            error = result.get("error") if isinstance(result, dict) else None
            raise SmsGatewayError(f"SMS gateway refused the message: {error or 'no reason given'}")
        logger.info("notification %s: SMS accepted by the gateway", notification.pk)


def sign_sms_request(secret: str, timestamp: str, body: bytes) -> str:
    """Return the hex HMAC-SHA256 of ``timestamp + "." + body`` under ``secret``."""
    return hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256).hexdigest()


def sms_message_id(notification: Notification) -> str:
    """The idempotency key of a notification's SMS: the same on every retry, unique per platform."""
    return f"govhall-{settings.REGION_CODE}-{notification.pk}"


def compose_sms_text(subject: str, link: str) -> str:
    """Return the subject and a short link, cut to one SMS segment where the subject allows.

    The link leads to the recipient's workspace (``/my/`` or ``/desk/``), not to the object
    itself: the text passes through the carrier, and the full link is in the workspace after
    login. Without GOVHALL_SMS_LINK_BASE the text is the subject alone.
    """
    subject = " ".join(subject.split())
    tail = f" {_short_link(link)}" if settings.SMS_LINK_BASE else ""
    room = SMS_TEXT_LIMIT - len(tail)
    if len(subject) > room:
        keep = max(room - 1, SMS_SUBJECT_MIN)
        if keep < len(subject):
            subject = subject[:keep].rstrip(" ,，、;；:：") + "…"
    return subject + tail


def _short_link(link: str) -> str:
    base = settings.SMS_LINK_BASE.rstrip("/")
    section = link.split("/")[1] if link.startswith("/") and link.count("/") >= 2 else ""
    return f"{base}/{section}/" if section else f"{base}/"


def _mobile_number_of(notification: Notification) -> str | None:
    if notification.recipient is None:  # a contact without an account: the number they gave
        if not notification.contact_phone_encrypted:
            return None
        phone = decrypt_text(notification.contact_phone_encrypted)
        # Read in clear, audited as every full view of a personal identifier is:
        record("proactive.contact_phone_used", None, notification, {"purpose": "发送短信通知"})
        return f"+86{phone}" if _MAINLAND_MOBILE.fullmatch(phone) else None
    person = notification.recipient.person
    # The masked form keeps the first digits, so a landline is known without decrypting it
    # (and without an audit record of a number that is not used):
    if person is None or not person.phone_encrypted or not person.phone_masked.startswith("1"):
        return None
    phone = reveal_phone(person, actor=None, purpose="发送短信通知")
    return f"+86{phone}" if _MAINLAND_MOBILE.fullmatch(phone) else None


def _error_in(exc: urllib.error.HTTPError) -> str:
    try:
        raw = exc.read(SMS_ANSWER_MAX_BYTES)
        answer = json.loads(raw)
    except (OSError, ValueError):
        return str(exc.reason)
    if isinstance(answer, dict) and answer.get("error"):
        return str(answer["error"])
    return str(exc.reason)


class ChannelsFailed(Exception):
    """One or more channels of a MultiSender failed; the others have been tried."""


class MultiSender:
    """Several channels for one notification, tried in the order configured.

    A failing channel does not stop the others; the send raises ChannelsFailed if any failed,
    so the task retries. Each channel that delivered is added to ``notification.channels_sent``
    (the caller saves it), and a retry skips it: an email that went out is not sent twice
    because the SMS gateway was down.
    """

    def __init__(self, paths: Sequence[str]) -> None:
        self.paths = list(paths)

    def send(self, notification: Notification) -> None:
        failures: list[str] = []
        for path in self.paths:
            if path in notification.channels_sent:
                continue
            try:
                # Imported here, so that a mistyped path fails its own channel and no other; a
                # savepoint, so that a database error in one channel leaves the task's transaction usable:
                channel: Sender = import_string(path)()
                with transaction.atomic():
                    channel.send(notification)
            except Exception as exc:
                logger.warning("notification %s: channel %s failed: %s", notification.pk, path, exc)
                failures.append(f"{path.rsplit('.', 1)[-1]}: {exc.__class__.__name__}: {exc}")
            else:
                notification.channels_sent = [*notification.channels_sent, path]
        if failures:
            raise ChannelsFailed("; ".join(failures))


def get_sender() -> Sender:
    """Return the configured channels; GOVHALL_NOTIFICATION_SENDER is a list or a comma-separated string."""
    configured = settings.NOTIFICATION_SENDER
    paths = configured.split(",") if isinstance(configured, str) else configured
    return MultiSender([path.strip() for path in paths if path.strip()])
