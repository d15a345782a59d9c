"""Every write of the sharing app: API clients, the outbox to higher-level platforms and its delivery, replays."""

from __future__ import annotations

import base64
import datetime
import logging
import random
import time
import uuid
from dataclasses import dataclass
from typing import Any

from oauth2_provider.generators import generate_client_secret
from oauth2_provider.models import get_application_model

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Exists, F, Min, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from govhall.audit.actions import record
from govhall.cases.actions import submit_case
from govhall.cases.feed import consume
from govhall.cases.models import Case, CaseEvent
from govhall.catalog.constants import ItemStatus
from govhall.catalog.queries import live_versions, published_versions
from govhall.identity.actions import account_for_person, register_person
from govhall.identity.constants import Role
from govhall.identity.models import Department, LegalEntity, Membership, User
from govhall.identity.queries import find_entity_by_credit_code
from govhall.lib.crypto import decrypt_text, encrypt_text
from govhall.lib.errors import Conflict
from govhall.lib.identifiers import mask_id_number, parse_resident_id
from govhall.sharing.adapters import ACCEPTED, ADAPTERS, DEFERRED, DUPLICATE, Ack, TransportError
from govhall.sharing.constants import (
    CONSUMER,
    DEFAULT_MIN_COUNT,
    DEFAULT_RATE_PER_MINUTE,
    DEFAULT_TIMEOUT_SECONDS,
    PROTOCOL_VERSION,
    TYPES_OF_ADAPTER,
    Adapter,
    ClientScope,
    Flag,
    InboundStatus,
    MessageStatus,
    MessageType,
    Openness,
    UpdateFrequency,
)
from govhall.sharing.exchange import (
    Draft,
    case_stream,
    figures_message,
    item_message,
    licence_message,
    messages_for_event,
    region_code,
)
from govhall.sharing.models import ClientAccess, Dataset, InboundApplication, OutboxMessage, Platform, StreamCounter
from govhall.sharing.opendata import QUERIES

log = logging.getLogger(__name__)

PROVINCIAL_NUMBER_MAX = 64 - len("province:")  # the local case's submit key holds it whole


@transaction.atomic
def create_api_client(
    *,
    organisation: str,
    scopes: list[str],
    departments: list[Department],
    rate_per_minute: int = DEFAULT_RATE_PER_MINUTE,
    actor: Any = None,
) -> tuple[ClientAccess, str]:
    """Register another department's system as an OAuth2 client (client-credentials grant).

    Returns the grant and the client secret. The secret is shown this once: the database
    keeps only its hash (django-oauth-toolkit hashes it on save). Raises ValidationError for
    an unknown scope, no department, or a rate below one call a minute.
    """
    unknown = sorted(set(scopes) - set(ClientScope.values))
    if unknown or not scopes:
        raise ValidationError(
            _("授权范围只能是：%(allowed)s。") % {"allowed": "、".join(ClientScope.values)}, code="scope"
        )
    if not departments:
        raise ValidationError(_("请至少指定一个数据所属部门。"), code="departments")
    if rate_per_minute < 1:
        raise ValidationError(_("每分钟调用上限至少为1。"), code="rate")
    if not organisation.strip():
        raise ValidationError(_("请填写对接单位名称。"), code="organisation")
    Application = get_application_model()
    secret = generate_client_secret()
    application = Application(
        name=organisation.strip()[:255],
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
        client_secret=secret,
        hash_client_secret=True,
    )
    application.save()
    access = ClientAccess.objects.create(
        application=application,
        organisation=organisation.strip(),
        scopes=sorted(set(scopes)),
        rate_per_minute=rate_per_minute,
    )
    access.departments.set(departments)
    record(
        "sharing.client_created",
        actor,
        access,
        {
            "client_id": application.client_id,
            "scopes": access.scopes,
            "departments": [d.code for d in departments],
            "rate": rate_per_minute,
        },
    )
    return access, secret


@transaction.atomic
def retire_api_client(access: ClientAccess, *, actor: Any = None) -> None:
    """Stop a client: its tokens stop working at once and its secret no longer gets a new one."""
    access.is_active = False
    access.save(update_fields=["is_active"])
    application = access.application
    application.accesstoken_set.all().delete()
    # A fresh secret nobody is told (stored hashed) ends the old one:
    application.client_secret = generate_client_secret()
    application.save(update_fields=["client_secret"])
    record("sharing.client_retired", actor, access, {"client_id": access.application.client_id})


# The outbox to higher-level platforms (docs/exchange.md) -------------------------------------


def _setting(name: str) -> Any:
    return getattr(settings, f"EXCHANGE_{name}")


def _is_manager(actor: Any) -> bool:
    """Supervisors (of any unit) and system administrators manage the exchange."""
    return isinstance(actor, User) and (
        Membership.objects.filter(user=actor, role__in=[Role.SUPERVISOR, Role.SYSTEM_ADMIN]).exists()
    )


def _require_manager(actor: Any) -> None:
    if not _is_manager(actor):
        raise PermissionDenied(_("只有监督人员或系统管理员可以处理数据报送。"))


@transaction.atomic
def save_platform(
    *,
    code: str,
    name: str,
    adapter: str,
    url: str,
    secret: str = "",
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
    is_active: bool = True,
    actor: Any = None,
) -> Platform:
    """Register or change a receiving platform; an empty ``secret`` keeps the one it has.

    Raises ValidationError for an unknown adapter, an address that is not http(s), a timeout
    outside (0, lease ÷ 4], or a new platform without a secret. The secret is stored encrypted and never audited.
    """
    if adapter not in Adapter.values:
        raise ValidationError({"adapter": _("未知的接口类型。")})
    if not (url.startswith("http://") or url.startswith("https://")):
        raise ValidationError({"url": _("接收地址须以 http:// 或 https:// 开头。")})
    # A batch must be answered well within the sender's lease, or a second sender could start:
    if not 0 < timeout_seconds <= _setting("LEASE_SECONDS") / 4:
        raise ValidationError(
            {"timeout_seconds": _("超时须大于 0 秒、不超过 %(most)s 秒。") % {"most": _setting("LEASE_SECONDS") // 4}}
        )
    platform = Platform.objects.select_for_update().filter(code=code).first()
    if platform is None:
        if not secret:
            raise ValidationError({"secret": _("新平台须设置签名密钥。")})
        platform = Platform(code=code)
    platform.name, platform.adapter, platform.url = name, adapter, url.rstrip("/")
    platform.timeout_seconds, platform.is_active = timeout_seconds, is_active
    if secret:
        platform.secret_encrypted = encrypt_text(secret)
    platform.save()
    record(
        "sharing.platform_saved",
        actor,
        platform,
        {"code": code, "adapter": adapter, "url": platform.url, "secret_changed": bool(secret), "active": is_active},
    )
    return platform


@transaction.atomic
def save_webhook(
    *,
    code: str,
    name: str,
    url: str,
    message_types: list[str],
    new_secret: str = "",
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
    is_active: bool = True,
    actor: Any = None,
) -> Platform:
    """Subscribe another system to the outbox's messages by webhook, or change its subscription (audited).

    ``message_types`` narrows what it gets (empty: every type a subscription may take). A
    ``new_secret`` on an existing subscription rotates its key: the old key keeps signing
    beside the new one for ``EXCHANGE_WEBHOOK_ROTATION_HOURS``, so the subscriber can switch
    over without losing a message. Switching a paused subscription on again clears its
    failures. Raises ValidationError for a type it may not take, or a new one without a key.
    """
    allowed = TYPES_OF_ADAPTER[Adapter.WEBHOOK]
    if set(message_types) - allowed:
        raise ValidationError({"message_types": _("订阅推送只能订阅办件、过程、结果、评价、事项和统计报文。")})
    if new_secret and len(new_secret) < 32:
        raise ValidationError({"new_secret": _("签名密钥至少 32 个字符。")})
    existing = Platform.objects.select_for_update().filter(code=code).first()
    if existing is not None and existing.adapter != Adapter.WEBHOOK:
        raise ValidationError({"code": _("该代码已用于上级平台，请换一个代码。")})
    rotating = existing is not None and bool(new_secret)
    previous = existing.secret_encrypted if rotating and existing is not None else ""
    resumed = existing is not None and is_active and not existing.is_active
    platform = save_platform(
        code=code, name=name, adapter=Adapter.WEBHOOK, url=url, secret=new_secret,
        timeout_seconds=timeout_seconds, is_active=is_active, actor=actor,
    )  # fmt: skip
    platform.message_types = sorted(set(message_types))
    fields = ["message_types"]
    if rotating:
        platform.previous_secret_encrypted = previous
        platform.previous_secret_until = timezone.now() + datetime.timedelta(hours=_setting("WEBHOOK_ROTATION_HOURS"))
        fields += ["previous_secret_encrypted", "previous_secret_until"]
        record(
            "sharing.webhook_key_rotated",
            actor or "system",
            platform,
            {"old_key_until": platform.previous_secret_until.isoformat()},
        )
    if resumed:
        platform.failures, platform.retry_at, platform.paused_at = 0, None, None
        fields += ["failures", "retry_at", "paused_at"]
    platform.save(update_fields=fields)
    record("sharing.webhook_saved", actor or "system", platform, {"types": platform.message_types, "active": is_active})
    return platform


@transaction.atomic
def delete_webhook(platform: Platform, *, actor: Any = None) -> None:
    """End a webhook subscription: it and every message kept for it are removed (audited with the counts)."""
    platform = Platform.objects.select_for_update().get(pk=platform.pk)
    if platform.adapter != Adapter.WEBHOOK:
        raise ValidationError(_("只有订阅推送可以删除；上级平台请停用。"))
    counts = {
        status: n
        for status, n in OutboxMessage.objects.filter(platform=platform)
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    }
    record("sharing.webhook_deleted", actor or "system", platform, {"messages": counts})
    OutboxMessage.objects.filter(platform=platform).delete()
    platform.delete()


def _store(drafts: list[tuple[str, Draft]], platforms: list[Platform] | None = None) -> int:
    """Store each (source, draft) for every platform that takes its type (paused ones too); number them per stream.

    The caller's transaction holds. The streams' counters are locked (select_for_update) so two
    writers to one stream take turns and the numbers have no gap and no repeat.
    """
    if not drafts:
        return 0
    # Every platform, paused ones too: a paused platform keeps its messages and gets them, in
    # order, when it is switched on again (nothing that happened meanwhile is lost):
    active = platforms if platforms is not None else list(Platform.objects.order_by("pk"))
    rows: list[tuple[Platform, str, Draft]] = [
        (platform, source, draft)
        for source, draft in drafts
        for platform in active
        if platform.takes(draft.message_type)
    ]
    if not rows:
        return 0
    now = timezone.now()
    keys = {(p.pk, d.stream) for p, _s, d in rows}
    by_platform: dict[int, set[str]] = {}
    for platform_id, stream in keys:
        by_platform.setdefault(platform_id, set()).add(stream)
    counters: dict[tuple[int, str], StreamCounter] = {}
    for platform_id, streams in by_platform.items():
        StreamCounter.objects.bulk_create(
            [StreamCounter(platform_id=platform_id, stream=s) for s in streams], ignore_conflicts=True
        )
        for counter in StreamCounter.objects.select_for_update().filter(platform_id=platform_id, stream__in=streams):
            counters[(platform_id, counter.stream)] = counter
    messages = []
    for platform, source, draft in rows:
        counter = counters[(platform.pk, draft.stream)]
        counter.last += 1
        messages.append(
            OutboxMessage(
                platform=platform,
                message_type=draft.message_type,
                flag=draft.flag,
                protocol_version=PROTOCOL_VERSION,
                target_code=platform.code,
                stream=draft.stream,
                sequence=counter.last,
                # Stable across retries and replays; the receiver de-duplicates by it:
                idempotency_key=f"{region_code()}-{platform.code}-{source}-{draft.message_type}",
                source=source,
                payload=draft.data,
                next_attempt_at=now,
            )
        )
    StreamCounter.objects.bulk_update(list(counters.values()), ["last"])
    OutboxMessage.objects.bulk_create(messages)
    return len(messages)


def handle_case_events(events: list[CaseEvent]) -> None:
    """The outbox's consumer of the case events: each becomes its messages (govhall.cases.feed calls this).

    Runs inside the feed's transaction, so the messages are stored exactly when the events
    are marked handled: a failure stores none and leaves the events for the next run.
    """
    if not events:
        return
    cases = {
        case.pk: case
        for case in Case.objects.filter(pk__in={e.case_id for e in events}).select_related(
            "item_version__item", "department", "person", "entity"
        )
    }
    provincial = dict(
        InboundApplication.objects.filter(case_public_id__in=[c.public_id for c in cases.values()]).values_list(
            "case_public_id", "provincial_number"
        )
    )
    drafts: list[tuple[str, Draft]] = []
    for event in events:
        event.case = case = cases[event.case_id]
        made = messages_for_event(event, provincial.get(case.public_id))
        drafts.extend((f"event:{event.pk}:{n}", draft) for n, draft in enumerate(made))
    _store(drafts)


def consume_case_events(*, batch: int = 500, limit: int | None = None) -> int:
    """Turn every committed case event not yet handled into outbox messages; return how many events.

    One transaction per batch (govhall.cases.feed.consume). ``limit`` stops after about that many.
    """
    total = 0
    while True:
        handled = consume(CONSUMER, handle_case_events, batch=batch)
        total += handled
        if handled == 0 or (limit is not None and total >= limit):
            return total


@transaction.atomic
def queue_rating(rating: Any, *, flag: str = Flag.INSERT) -> int:
    """Put a rating on the outbox as message 36 (ratings.exchange defines its content), in its case's stream.

    Called by ratings in the rating's own transaction (a rating is not a case event); a
    removal after appeal goes as ``flag="D"``. Returns how many messages were stored.
    """
    from govhall.ratings.exchange import provincial_rating  # ratings sits beside us; imported when used

    data = provincial_rating(rating)
    stream = case_stream(rating.case) if rating.case_id else f"rating:{rating.public_id}"
    draft = Draft(MessageType.RATING, flag, stream, data)
    return _store([(f"rating:{rating.public_id}:{flag}", draft)])


@transaction.atomic
def queue_item_published(version: Any) -> int:
    """Put a published item version on the outbox (message 40), in the item's stream."""
    return _store([(f"item:{version.item_id}:v{version.number}", item_message(version))])


@transaction.atomic
def queue_published_items() -> int:
    """Queue each published item version not on the outbox yet (message 40); return how many messages.

    The catalog knows nothing of the exchange (it sits below every app): each round compares
    the published versions (a few hundred) with the item messages already stored, so a version
    published while the exchange was down goes as soon as it runs, and none goes twice.
    """
    platforms = [p for p in Platform.objects.all() if p.takes(MessageType.ITEM)]
    if not platforms:
        return 0
    queued = set(
        OutboxMessage.objects.filter(message_type=MessageType.ITEM, platform__in=platforms)
        .values_list("platform_id", "source")
        .distinct()
    )
    stored = 0
    for version in published_versions().select_related("item", "item__department").order_by("published_at", "pk"):
        source = f"item:{version.item_id}:v{version.number}"
        missing = [p for p in platforms if (p.pk, source) not in queued]
        if missing:
            stored += _store([(source, item_message(version))], missing)
    return stored


def queue_kept_reports() -> int:
    """Queue each kept monthly report's indicators not on the outbox yet (message 60); return how many.

    A month goes up once its report is kept (the month is over and its figures are final),
    in month order, so a report kept while the exchange was down goes as soon as it runs.
    """
    from govhall.stats.models import ServiceReport  # read only: stats keeps the report

    platforms = [p for p in Platform.objects.all() if MessageType.FIGURES in TYPES_OF_ADAPTER[p.adapter]]
    if not platforms:
        return 0
    queued = set(
        OutboxMessage.objects.filter(message_type=MessageType.FIGURES, platform__in=platforms)
        .values_list("platform_id", "source")
        .distinct()
    )
    stored = 0
    for month in ServiceReport.objects.order_by("month").values_list("month", flat=True):
        source = f"figures:{month:%Y-%m}"
        missing = [p for p in platforms if (p.pk, source) not in queued]
        if not missing:
            continue  # read a report's figures only when a platform still needs them
        figures = ServiceReport.objects.filter(month=month).values_list("figures", flat=True).first()
        indicators = (figures or {}).get("indicators")
        if indicators:
            with transaction.atomic():
                stored += _store([(source, figures_message(month, indicators))], missing)
    return stored


@transaction.atomic
def collect_licences(year: int, *, actor: Any = None) -> int:
    """Push the year's licences (issued here and imported) to the district licence library (message 50).

    Idempotent: a licence already queued at its version is not queued again. Returns how many
    messages were stored.
    """
    from govhall.licences.models import Licence  # read only; licences sits beside us

    platforms = [p for p in Platform.objects.filter(is_active=True, adapter=Adapter.DISTRICT)]
    if not platforms:
        raise ValidationError(_("没有启用的区数据共享平台，无法归集证照。"))
    licences = Licence.objects.filter(issued_on__year=year).select_related("licence_type").order_by("pk")
    queued = set(
        OutboxMessage.objects.filter(message_type=MessageType.LICENCE, platform__in=platforms).values_list(
            "source", flat=True
        )
    )
    drafts = []
    for licence in licences:
        source = f"licence:{licence.public_id}:v{licence.version}"
        if source not in queued:
            drafts.append((source, licence_message(licence)))
    stored = _store(drafts, platforms)
    record("sharing.licences_collected", actor, None, {"year": year, "queued": stored})
    return stored


# Delivery ----------------------------------------------------------------------------------------


@dataclass
class DeliveryReport:
    """What one ``deliver`` run did."""

    sent: int = 0
    acknowledged: int = 0
    deferred: int = 0
    rejected: int = 0
    dead: int = 0
    requests: int = 0
    transport_failures: int = 0
    error: str = ""


def backoff_seconds(attempt: int, *, base: float, cap: float) -> float:
    """Exponential backoff with full jitter: a random time up to min(cap, base·2^(attempt−1))."""
    return random.uniform(0.5, 1.0) * min(cap, base * 2 ** max(0, attempt - 1))


def _take_lease(platform: Platform, owner: str) -> bool:
    now = timezone.now()
    until = now + datetime.timedelta(seconds=_setting("LEASE_SECONDS"))
    return bool(
        Platform.objects.filter(pk=platform.pk)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now) | Q(lease_owner=owner))
        .update(lease_until=until, lease_owner=owner)
    )


def _release_lease(platform: Platform, owner: str) -> None:
    Platform.objects.filter(pk=platform.pk, lease_owner=owner).update(lease_until=None, lease_owner="")


def _next_batch(platform: Platform, size: int) -> list[OutboxMessage]:
    """The due messages that may go now: per stream, the unbroken run from its first undelivered message.

    A stream whose first undelivered message is waiting (a later retry) or dead sends nothing:
    a case's later message waits for its earlier one. Those streams are left out in the query
    itself, so any number of held-back streams never hides the ones that could go.
    """
    now = timezone.now()
    blocker = (
        OutboxMessage.objects.filter(platform=platform, stream=OuterRef("stream"), sequence__lt=OuterRef("sequence"))
        .exclude(status=MessageStatus.DELIVERED)
        .exclude(status=MessageStatus.PENDING, next_attempt_at__lte=now)
    )
    due = list(
        OutboxMessage.objects.filter(platform=platform, status=MessageStatus.PENDING, next_attempt_at__lte=now)
        .exclude(Exists(blocker))
        .order_by("pk")[: size * 2]
    )
    if not due:
        return []
    streams = {m.stream for m in due}
    heads = dict(
        OutboxMessage.objects.filter(platform=platform, stream__in=streams)
        .exclude(status=MessageStatus.DELIVERED)
        .values_list("stream")
        .annotate(first=Min("sequence"))
        .values_list("stream", "first")
    )
    by_stream: dict[str, list[OutboxMessage]] = {}
    for message in sorted(due, key=lambda m: (m.stream, m.sequence)):
        by_stream.setdefault(message.stream, []).append(message)
    batch: list[OutboxMessage] = []
    for stream, messages in by_stream.items():
        expected = heads.get(stream)
        for message in messages:
            if message.sequence != expected:
                break
            batch.append(message)
            expected += 1
    batch.sort(key=lambda m: m.pk)
    # Keep each stream's run whole and in order, within the batch size:
    batch = batch[:size]
    batch.sort(key=lambda m: (m.stream, m.sequence))
    return batch


def _record_transport_failure(platform: Platform, error: str) -> None:
    with transaction.atomic():
        platform = Platform.objects.select_for_update().get(pk=platform.pk)
        platform.failures += 1
        delay = backoff_seconds(
            platform.failures,
            base=_setting("BACKOFF_BASE_SECONDS"),
            cap=_setting("BACKOFF_CAP_SECONDS"),
        )
        platform.retry_at = timezone.now() + datetime.timedelta(seconds=delay)
        platform.last_error = error[:300]
        platform.save(update_fields=["failures", "retry_at", "last_error"])
        # One record when the platform stops answering, not one a retry:
        if platform.failures == 1:
            record("sharing.platform_unreachable", "system", platform, {"error": error[:200]})
        # A webhook subscriber that keeps failing is paused (its messages keep, for when it is back):
        if platform.adapter == Adapter.WEBHOOK and platform.failures >= _setting("WEBHOOK_PAUSE_AFTER"):
            platform.is_active, platform.paused_at = False, timezone.now()
            platform.save(update_fields=["is_active", "paused_at"])
            record("sharing.webhook_paused", "system", platform, {"failures": platform.failures, "error": error[:200]})


def _mark_delivered(messages: list[OutboxMessage], now: datetime.datetime) -> None:
    """One UPDATE for a batch's acknowledgements (each message its own ack id).

    Written by hand: the ORM's bulk_update built its CASE expressions in Python at ~1.4 ms a
    message, which held delivery to ~600 messages/s on 2 cores; this statement costs ~0.05 ms a message.
    """
    table = OutboxMessage._meta.db_table
    ids = [m.pk for m in messages]
    ack_case = " ".join("WHEN %s THEN %s" for _m in messages)
    result_case = " ".join("WHEN %s THEN %s" for _m in messages)
    params: list[Any] = [MessageStatus.DELIVERED, now]
    for m in messages:
        params += [m.pk, m.ack_id]
    for m in messages:
        params += [m.pk, m.ack_result]
    params += ids
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET status = %s, acknowledged_at = %s, last_error = '', "  # noqa: S608 - no input in the SQL
            f"ack_id = CASE id {ack_case} ELSE ack_id END, "
            f"ack_result = CASE id {result_case} ELSE ack_result END "
            f"WHERE id IN ({', '.join('%s' for _i in ids)})",
            params,
        )


def _record_acks(platform: Platform, batch: list[OutboxMessage], acks: list[Ack], report: DeliveryReport) -> None:
    """Store each message's answer in one transaction: delivered, or back to wait, or dead."""
    now = timezone.now()
    answer: dict[str, Ack] = {}
    for given in acks:
        # An ack named twice (or accepted, then duplicate) is one acknowledgement; a good one wins:
        if given.message_id not in answer or given.result in (ACCEPTED, DUPLICATE):
            answer[given.message_id] = given
    max_attempts = _setting("MAX_ATTEMPTS")
    base = _setting("BACKOFF_BASE_SECONDS")
    cap = _setting("MESSAGE_BACKOFF_CAP_SECONDS")
    delivered, waiting, dead = [], [], []
    for message in batch:
        ack = answer.get(message.idempotency_key)
        if ack is not None and ack.result in (ACCEPTED, DUPLICATE):
            message.status, message.acknowledged_at = MessageStatus.DELIVERED, now
            message.ack_id, message.ack_result, message.last_error = ack.ack_id[:80], ack.result, ""
            delivered.append(message)
            continue
        reason = "no acknowledgement in the answer" if ack is None else f"{ack.result}: {ack.reason}"
        if ack is not None and ack.result == DEFERRED:
            # The receiver waits for an earlier message of the stream: not this message's fault.
            message.next_attempt_at = now + datetime.timedelta(seconds=backoff_seconds(1, base=base, cap=cap))
            message.last_error = reason[:300]
            report.deferred += 1
            waiting.append(message)
            continue
        message.attempts += 1
        message.last_error = reason[:300]
        if message.attempts >= max_attempts:
            message.status = MessageStatus.DEAD
            dead.append(message)
        else:
            message.next_attempt_at = now + datetime.timedelta(
                seconds=backoff_seconds(message.attempts, base=base, cap=cap)
            )
            waiting.append(message)
        report.rejected += 1
    with transaction.atomic():
        if delivered:
            _mark_delivered(delivered, now)
        if waiting:
            OutboxMessage.objects.bulk_update(waiting, ["attempts", "next_attempt_at", "last_error"], batch_size=500)
        if dead:
            OutboxMessage.objects.bulk_update(dead, ["attempts", "status", "last_error"], batch_size=500)
            for message in dead:
                record(
                    "sharing.message_dead",
                    "system",
                    message,
                    {
                        "platform": platform.code,
                        "type": message.message_type,
                        "stream": message.stream,
                        "error": message.last_error[:200],
                    },
                )
        Platform.objects.filter(pk=platform.pk).update(
            failures=0, retry_at=None, last_error="", **({"last_ack_at": now} if delivered else {})
        )
    report.acknowledged += len(delivered)
    report.dead += len(dead)


def deliver(platform: Platform, *, batch: int | None = None, max_seconds: float | None = None) -> DeliveryReport:
    """Send the platform's due messages in signed batches until none is due, time is up, or it stops answering.

    One sender per platform at a time (a lease on the platform row; a second caller returns
    at once), so each stream leaves in order. A batch without a valid answer counts against
    the platform, which is then left alone until its ``retry_at`` (exponential backoff with
    jitter, capped so a platform that comes back is tried within a minute); the messages keep
    their place. A message the receiver refuses counts against the message, and after
    ``EXCHANGE_MAX_ATTEMPTS`` refusals goes to the dead letters, holding back the later
    messages of its stream until a person replays it.
    """
    size = batch or _setting("BATCH")
    report = DeliveryReport()
    platform = Platform.objects.get(pk=platform.pk)
    if not platform.is_active or (platform.retry_at and platform.retry_at > timezone.now()):
        return report
    owner = uuid.uuid4().hex
    if not _take_lease(platform, owner):
        return report
    adapter = ADAPTERS[platform.adapter]
    secret = decrypt_text(platform.secret_encrypted)
    previous = ""
    if (
        platform.previous_secret_encrypted
        and platform.previous_secret_until
        and platform.previous_secret_until > timezone.now()
    ):
        previous = decrypt_text(platform.previous_secret_encrypted)
    started = time.monotonic()
    try:
        while max_seconds is None or time.monotonic() - started < max_seconds:
            messages = _next_batch(platform, size)
            if not messages:
                break
            if not _take_lease(platform, owner):  # renew; lost if a round ran past the lease
                break
            report.requests += 1
            report.sent += len(messages)
            try:
                acks = adapter.send(
                    url=platform.url,
                    secret=secret,
                    sender=region_code(),
                    target=platform.code,
                    messages=[m.envelope() for m in messages],
                    timeout=platform.timeout_seconds,
                    previous_secret=previous,
                )
            except TransportError as exc:
                report.transport_failures += 1
                report.error = str(exc)
                _record_transport_failure(platform, str(exc))
                break
            _record_acks(platform, messages, acks, report)
    finally:
        _release_lease(platform, owner)
    return report


def deliver_all(*, max_seconds: float | None = None) -> dict[str, DeliveryReport]:
    """Consume the case events and the item publications, then deliver to every active platform whose time has come."""
    consume_case_events()
    queue_published_items()
    queue_kept_reports()
    reports: dict[str, DeliveryReport] = {}
    for platform in Platform.objects.filter(is_active=True).order_by("pk"):
        try:
            reports[platform.code] = deliver(platform, max_seconds=max_seconds)
        except Exception as exc:  # one platform's fault (a bad key, a database hiccup) never stops the others
            log.exception("exchange: delivery to %s failed", platform.code)
            reports[platform.code] = DeliveryReport(error=f"{type(exc).__name__}: {exc}"[:300])
    return reports


# Dead letters and replays -------------------------------------------------------------------------


@transaction.atomic
def replay_message(message: OutboxMessage, *, actor: Any) -> OutboxMessage:
    """Send a dead (or delivered) message again, now; its stream's later messages follow it.

    Supervisors and system administrators only. The message keeps its id, so a receiver that
    has it answers "duplicate" and nothing happens twice.
    """
    _require_manager(actor)
    message = OutboxMessage.objects.select_for_update().get(pk=message.pk)
    previous = message.status
    message.status = MessageStatus.PENDING
    message.attempts = 0
    message.next_attempt_at = timezone.now()
    message.replays += 1
    message.save(update_fields=["status", "attempts", "next_attempt_at", "replays"])
    record(
        "sharing.message_replayed",
        actor,
        message,
        {"platform": message.platform.code, "stream": message.stream, "sequence": message.sequence, "was": previous},
    )
    return message


@transaction.atomic
def replay_since(platform: Platform, since: datetime.datetime, *, actor: Any) -> int:
    """Send again every message to ``platform`` acknowledged (or made) at or after ``since``: for a platform that lost data.

    The messages keep their ids and numbers, so the receiver applies each stream from where
    its own records stop and answers "duplicate" for what it still holds. Also puts the dead
    letters of that time back. Returns how many messages will go again.
    """
    _require_manager(actor)
    if since > timezone.now():
        raise ValidationError({"since": _("补发起始时间不能晚于现在。")})
    chosen = (
        OutboxMessage.objects.filter(platform=platform)
        .filter(Q(acknowledged_at__gte=since) | Q(created_at__gte=since))
        .exclude(status=MessageStatus.PENDING)
    )
    count = chosen.update(
        status=MessageStatus.PENDING, attempts=0, next_attempt_at=timezone.now(), replays=F("replays") + 1
    )
    Platform.objects.filter(pk=platform.pk).update(retry_at=None)
    record("sharing.replayed_since", actor, platform, {"since": since.isoformat(), "messages": count})
    return count


# Applications from the provincial hall (cases flowing down) -----------------------------------


def _mask_payload(data: dict[str, Any]) -> dict[str, Any]:
    """The application as kept on the inbound row: no file bytes, the ID number masked."""
    kept = {k: v for k, v in data.items() if k != "MATERIALS"}
    code = str(data.get("APPLYER_PAGE_CODE") or "")
    # Anything but an organisation (type 2) is a person, as _applicant_for reads it: masked.
    if str(data.get("APPLYER_TYPE") or "1") != "2" and code:
        kept["APPLYER_PAGE_CODE"] = mask_id_number(code) if len(code) == 18 else "*" * len(code)
    mobile = str(data.get("APPLYER_MOBILE") or "")
    if mobile:  # a phone number is shown masked everywhere (DESIGN §5)
        kept["APPLYER_MOBILE"] = mobile[:3] + "****" + mobile[-4:] if len(mobile) >= 8 else "*" * len(mobile)
    materials = data.get("MATERIALS") or []
    kept["MATERIALS"] = [
        {k: v for k, v in m.items() if k != "FILE_CONTENT"}
        for m in (materials if isinstance(materials, list) else [])
        if isinstance(m, dict)
    ]
    return kept


def _encrypted(value: Any) -> str:
    text = str(value or "").strip()[:40]
    return encrypt_text(text) if text else ""


def receive_application(platform: Platform, message: dict[str, Any]) -> tuple[InboundApplication, bool]:
    """Keep a provincial application as it arrived; a resend finds the one already kept.

    Returns the row and whether it is new. Its own transaction, committed before any case is
    made, so an application is never lost however the making goes. Raises ValidationError if
    the message has no provincial case number.
    """
    data = message.get("DATA") if isinstance(message.get("DATA"), dict) else {}
    assert isinstance(data, dict)
    number = str(data.get("PROV_PROJID") or "").strip()
    if not number:
        raise ValidationError(_("报文缺少省级办件编号（PROV_PROJID）。"))
    # The case is filed with "province:<number>" as its submit key (64 characters at most);
    # a longer number cut short could make two applications one case:
    if len(number) > PROVINCIAL_NUMBER_MAX:
        raise ValidationError(
            _("省级办件编号（PROV_PROJID）过长：最多 %(most)s 个字符。") % {"most": PROVINCIAL_NUMBER_MAX}
        )
    if not isinstance(data.get("MATERIALS") or [], list):
        raise ValidationError(_("报文的材料（MATERIALS）须为列表。"))
    # A person's name is kept in 100 characters, an organisation's in 200 (identity, cases):
    longest = 200 if str(data.get("APPLYER_TYPE") or "1") == "2" else 100
    if len(str(data.get("APPLYER_NAME") or "").strip()) > longest:
        raise ValidationError(_("申请人名称（APPLYER_NAME）过长：最多 %(most)s 个字符。") % {"most": longest})
    with transaction.atomic():
        existing = (
            InboundApplication.objects.select_for_update().filter(platform=platform, provincial_number=number).first()
        )
        if existing is not None:
            existing.times_received += 1
            existing.save(update_fields=["times_received"])
            return existing, False
        try:
            with transaction.atomic():
                inbound = InboundApplication.objects.create(
                    platform=platform,
                    provincial_number=number,
                    message_id=str(message.get("MSG_ID") or "")[:120],
                    task_code=str(data.get("TASK_CODE") or "")[:40],
                    applicant_name=str(data.get("APPLYER_NAME") or "")[:200],
                    payload=_mask_payload(data),
                    applicant_code_encrypted=_encrypted(data.get("APPLYER_PAGE_CODE")),
                    applicant_mobile_encrypted=_encrypted(data.get("APPLYER_MOBILE")),
                )
        except IntegrityError:  # the same application at the same moment: the other request kept it
            return InboundApplication.objects.get(platform=platform, provincial_number=number), False
        record(
            "sharing.application_received",
            f"platform:{platform.code}",
            inbound,
            {"provincial_number": number, "task_code": inbound.task_code},
        )
    return inbound, True


def _applicant_for(data: dict[str, Any]) -> tuple[User, LegalEntity | None]:
    """The local account a provincial applicant files through: found by ID number or credit code.

    A person without an account gets one without a password (they may claim it by the
    online registration's password reset); a company must have an authorised account here.
    Raises ValidationError with the reason otherwise.
    """
    name = str(data.get("APPLYER_NAME") or "").strip()
    code = str(data.get("APPLYER_PAGE_CODE") or "").strip()
    if str(data.get("APPLYER_TYPE") or "1") == "2":
        entity = find_entity_by_credit_code(code)
        if entity is None:
            raise ValidationError(_("申请单位（统一社会信用代码 %(code)s）在本平台没有登记。") % {"code": code})
        authorisation = entity.authorisations.filter(is_active=True).select_related("user").first()
        if authorisation is None:
            raise ValidationError(_("申请单位在本平台没有经办账户，请联系单位完成授权后重试。"))
        return authorisation.user, entity
    try:
        parse_resident_id(code)
    except ValidationError as exc:
        raise ValidationError(_("申请人身份证号码有误：%(reason)s") % {"reason": "；".join(exc.messages)}) from None
    person = register_person(
        name=name or _("省级平台申请人"), id_number=code, phone=str(data.get("APPLYER_MOBILE") or "")
    )
    return account_for_person(person, source="province"), None


def _files(version: Any, data: dict[str, Any]) -> dict[int, UploadedFile]:
    """The application's files as uploads, each under the material of the same name (or order number)."""
    materials = list(version.materials.all())
    by_name = {m.name: m for m in materials}
    by_order = {str(m.order): m for m in materials}
    files: dict[int, UploadedFile] = {}
    for entry in data.get("MATERIALS") or []:
        if not isinstance(entry, dict):
            continue
        material = by_name.get(str(entry.get("MATERIAL_NAME") or "")) or by_order.get(str(entry.get("ORDER_NUM") or ""))
        if material is None:
            raise ValidationError(
                _("材料“%(name)s”不是该事项的申请材料。") % {"name": str(entry.get("MATERIAL_NAME") or "")[:60]}
            )
        try:
            content = base64.b64decode(str(entry.get("FILE_CONTENT") or ""), validate=True)
        except ValueError:
            raise ValidationError(_("材料“%(name)s”的文件内容不是有效的 Base64。") % {"name": material.name}) from None
        files[material.pk] = SimpleUploadedFile(
            str(entry.get("FILE_NAME") or f"{material.name}.pdf")[:100],
            content,
            content_type=str(entry.get("CONTENT_TYPE") or "application/pdf"),
        )
    return files


def make_case_from_inbound(
    inbound: InboundApplication, data: dict[str, Any], *, actor: Any = "system"
) -> InboundApplication:
    """Make the local case of a provincial application, once; or put it on the review list with the reason.

    ``data`` is the application's DATA as it arrived (with the files). Idempotent: an
    application that already made its case is left alone, and the case is filed with the
    provincial number as its submit key, so even a race makes one case.
    """
    if inbound.status == InboundStatus.MADE_CASE:
        return inbound
    version = (
        live_versions()
        .filter(item__implementation_code=inbound.task_code, item__status=ItemStatus.IN_USE)
        .select_related("item")
        .first()
    )
    label = actor.get_username() if isinstance(actor, User) else str(actor)
    try:
        if version is None:
            raise ValidationError(_("本局没有在办的事项“%(code)s”。") % {"code": inbound.task_code})
        # The case and the link to it commit together, so the case's first message up already
        # carries the provincial number:
        with transaction.atomic():
            applicant, entity = _applicant_for(data)
            form_data = data.get("FORM_DATA") if isinstance(data.get("FORM_DATA"), dict) else {}
            case = submit_case(
                version,
                applicant=applicant,
                entity=entity,
                form_data=dict(form_data or {}),
                submit_key=f"province:{inbound.provincial_number}",
                files=_files(version, data),
            )
            inbound = InboundApplication.objects.select_for_update().get(pk=inbound.pk)
            inbound.status, inbound.reason = InboundStatus.MADE_CASE, ""
            inbound.case_public_id, inbound.case_reference = case.public_id, case.reference or ""
            inbound.handled_at, inbound.handled_by = timezone.now(), label
            inbound.save()
            record("sharing.application_handled", actor, inbound, {"status": inbound.status, "case": case.reference})
            return inbound
    except (ValidationError, PermissionDenied) as exc:
        reason = "；".join(str(m) for m in (exc.messages if isinstance(exc, ValidationError) else [str(exc)]))
    with transaction.atomic():
        inbound = InboundApplication.objects.select_for_update().get(pk=inbound.pk)
        inbound.status, inbound.reason = InboundStatus.REVIEW, reason[:2000]
        inbound.handled_at, inbound.handled_by = timezone.now(), label
        inbound.save(update_fields=["status", "reason", "handled_at", "handled_by"])
        record("sharing.application_handled", actor, inbound, {"status": inbound.status, "reason": reason[:200]})
    return inbound


def receive_higher_decision(platform: Platform, message: dict[str, Any]) -> tuple[Case, bool]:
    """A higher authority's decision on a case this bureau forwarded (message 30 down): record it, once.

    ``DATA`` names the local case (``PROJID``), ``RESULT_CODE`` (1 准予, 2 不予), ``RESULT_REASON``,
    ``RESULT_BASIS`` and the deciding authority (``DECIDE_DEPT_NAME``). Returns the case and
    whether this message was already recorded (a resend). Raises ValidationError with the reason
    for a case that is not here, not forwarded, or already decided, or a malformed decision.
    """
    from govhall.cases.actions import record_higher_decision
    from govhall.cases.constants import Decision

    data = message.get("DATA") if isinstance(message.get("DATA"), dict) else {}
    assert isinstance(data, dict)
    msg_id = str(message.get("MSG_ID") or "")[:120]
    reference = str(data.get("PROJID") or "").strip()
    case = Case.objects.filter(reference=reference).select_related("item_version").first() if reference else None
    if case is None:
        raise ValidationError(_("本局没有办件编号为“%(number)s”的办件。") % {"number": reference[:60]})
    if msg_id and CaseEvent.objects.filter(case=case, kind="decided", data__message_id=msg_id).exists():
        return case, True
    if not case.item_version.decided_above:
        raise ValidationError(_("该办件的事项由本局决定，不接受上级机关的决定。"))
    decision = {"1": Decision.APPROVE, "2": Decision.DENY}.get(str(data.get("RESULT_CODE") or ""))
    if decision is None:
        raise ValidationError(_("决定结果（RESULT_CODE）须为 1 准予或 2 不予。"))
    case = record_higher_decision(
        case,
        decision=decision,
        reason=str(data.get("RESULT_REASON") or ""),
        legal_basis=str(data.get("RESULT_BASIS") or ""),
        decided_by=str(data.get("DECIDE_DEPT_NAME") or platform.name),
        source=f"platform:{platform.code}",
        message_id=msg_id,
    )
    return case, False


@transaction.atomic
def dismiss_inbound(inbound: InboundApplication, *, actor: Any, reason: str) -> InboundApplication:
    """Return a provincial application that cannot be handled here; the province is told (message 30, 不予受理)."""
    _require_manager(actor)
    if not reason.strip():
        raise ValidationError({"reason": _("请写明退回的理由，省级平台会转告申请人。")})
    inbound = InboundApplication.objects.select_for_update().get(pk=inbound.pk)
    if inbound.status != InboundStatus.REVIEW:
        raise Conflict(_("只有待人工核查的申请可以退回。"))
    inbound.status, inbound.reason = InboundStatus.DISMISSED, reason.strip()[:2000]
    inbound.handled_at, inbound.handled_by = timezone.now(), actor.get_username()
    inbound.save(update_fields=["status", "reason", "handled_at", "handled_by"])
    draft = Draft(
        MessageType.RESULT,
        Flag.INSERT,
        f"province:{inbound.provincial_number}",
        {
            "PROV_PROJID": inbound.provincial_number,
            "TASK_CODE": inbound.task_code,
            "RESULT_CODE": "3",
            "RESULT_REASON": inbound.reason,
            "RESULT_TIME": inbound.handled_at.isoformat(),
            "AREA_CODE": region_code(),
        },
    )
    _store([(f"inbound:{inbound.public_id}:dismissed", draft)], [inbound.platform])
    record("sharing.application_dismissed", actor, inbound, {"reason": inbound.reason[:200]})
    return inbound


def retry_inbound(inbound: InboundApplication, *, actor: Any) -> InboundApplication:
    """Try again to make the case of an application on the review list (after its item or account was fixed).

    The files are not kept on the inbound row; a retry without them succeeds only for an item
    whose materials are all optional or reusable. Otherwise the province resends the application.
    """
    _require_manager(actor)
    if inbound.status != InboundStatus.REVIEW:
        raise Conflict(_("只有待人工核查的申请可以重试。"))
    data = dict(inbound.payload)
    # The payload keeps the ID number and phone masked; the account is found by the real ones:
    if inbound.applicant_code_encrypted:
        data["APPLYER_PAGE_CODE"] = decrypt_text(inbound.applicant_code_encrypted)
    if inbound.applicant_mobile_encrypted:
        data["APPLYER_MOBILE"] = decrypt_text(inbound.applicant_mobile_encrypted)
    return make_case_from_inbound(inbound, data, actor=actor)


# Open data -----------------------------------------------------------------------------------------


@transaction.atomic
def define_dataset(
    *,
    slug: str,
    title: str,
    query: str,
    openness: str,
    update_frequency: str,
    reviewed_by: str,
    reviewed_on: datetime.date,
    review_conclusion: str,
    description: str = "",
    min_count: int = DEFAULT_MIN_COUNT,
    publish: bool = True,
    actor: Any = None,
) -> Dataset:
    """Define (or change) an open data set, with the secrecy review that cleared its class; idempotent by slug.

    Raises ValidationError for an unknown query, class or frequency, a missing review, or a
    suppression threshold below 2. A 不予开放 set is never published.
    """
    problems = {}
    if query not in QUERIES:
        problems["query"] = _("未知的数据查询。")
    if openness not in Openness.values:
        problems["openness"] = _("请选择开放属性。")
    if update_frequency not in UpdateFrequency.values:
        problems["update_frequency"] = _("请选择更新频率。")
    if not (reviewed_by.strip() and review_conclusion.strip()):
        problems["review_conclusion"] = _("数据开放前须经保密审查，请填写审查人和审查结论。")
    if min_count < 2:
        problems["min_count"] = _("小数抑制阈值至少为2。")
    if problems:
        raise ValidationError(problems)
    dataset, created = Dataset.objects.select_for_update().get_or_create(
        slug=slug,
        defaults={
            "title": title,
            "query": query,
            "openness": openness,
            "update_frequency": update_frequency,
            "reviewed_by": reviewed_by,
            "reviewed_on": reviewed_on,
            "review_conclusion": review_conclusion,
        },
    )
    dataset.title, dataset.description, dataset.query = title, description, query
    dataset.openness, dataset.update_frequency, dataset.min_count = openness, update_frequency, min_count
    dataset.reviewed_by, dataset.reviewed_on, dataset.review_conclusion = reviewed_by, reviewed_on, review_conclusion
    dataset.is_published = publish and openness != Openness.CLOSED
    dataset.save()
    record(
        "sharing.dataset_defined",
        actor,
        dataset,
        {"query": query, "openness": openness, "reviewed_by": reviewed_by, "published": dataset.is_published},
    )
    return dataset


@transaction.atomic
def refresh_dataset(dataset: Dataset) -> Dataset:
    """Make a new release of the data set from the database now (its rows and "last updated")."""
    dataset = Dataset.objects.select_for_update().get(pk=dataset.pk)
    dataset.rows = QUERIES[dataset.query].rows(dataset.min_count)
    dataset.refreshed_at = timezone.now()
    dataset.save(update_fields=["rows", "refreshed_at"])
    record("sharing.dataset_refreshed", "system", dataset, {"rows": len(dataset.rows)})
    return dataset


def refresh_due_datasets(now: datetime.datetime | None = None) -> int:
    """Refresh each published data set whose schedule has come (hourly, daily: that long since; monthly: a new month)."""
    now = now or timezone.now()
    count = 0
    for dataset in Dataset.objects.filter(is_published=True):
        last = dataset.refreshed_at
        due = (
            last is None
            or (dataset.update_frequency == UpdateFrequency.HOURLY and now - last >= datetime.timedelta(hours=1))
            or (dataset.update_frequency == UpdateFrequency.DAILY and now - last >= datetime.timedelta(days=1))
            or (
                dataset.update_frequency == UpdateFrequency.MONTHLY
                and (timezone.localtime(last).year, timezone.localtime(last).month)
                != (timezone.localtime(now).year, timezone.localtime(now).month)
            )
        )
        if due:
            refresh_dataset(dataset)
            count += 1
    return count


def define_default_datasets(*, actor: Any = None) -> list[Dataset]:
    """The six data sets of issue 26, cleared by the bureau's secrecy review (the demo and a new install)."""
    today = timezone.localdate()
    review = "仅含事项目录和聚合统计，不含个人信息和涉密内容；少于5件的数字不公开。同意无条件开放。"
    specs = [
        ("service-items", "catalog", UpdateFrequency.DAILY),
        ("cases-by-item-month", "cases_by_item_month", UpdateFrequency.MONTHLY),
        ("handling-days", "handling_days", UpdateFrequency.MONTHLY),
        ("ratings", "ratings", UpdateFrequency.MONTHLY),
        ("licence-counts", "licence_counts", UpdateFrequency.MONTHLY),
        ("sensor-hours", "sensor_hours", UpdateFrequency.HOURLY),
    ]
    return [
        define_dataset(
            slug=slug,
            title=QUERIES[query].title,
            query=query,
            openness=Openness.UNCONDITIONAL,
            update_frequency=frequency,
            reviewed_by="局保密审查小组",
            reviewed_on=today,
            review_conclusion=review,
            actor=actor,
        )
        for slug, query, frequency in specs
    ]
