"""The case events as a feed: each consumer reads every committed event once (DESIGN.md §3a).

The consumers (the provincial outbox, archiving, …) react after the fact: ``consume`` reads
the events a consumer has not handled yet and calls its handler in the same transaction as
the record that they are handled, so a consumer that was down catches up, a handler that
fails leaves its events for the next run, and none is handled twice in effect.

Why not "everything after the last id read": an event's id is taken when the row is
inserted, not when its transaction commits. On PostgreSQL a transaction that took id 41 may
commit after one that took id 42 has already been read; a cursor at 42 would skip 41 for
ever. So a consumer keeps a *watermark* (every id at or below it is handled or was never
committed) and a list of the ids above it that it has handled (``EventSeen``). It reads
"above the watermark and not seen", and the watermark moves up only over events older than
``CASE_FEED_SETTLE_SECONDS`` — a gap before those can only be a rolled-back insert, since no
transaction stays open that long. The seen list holds only the young events and is pruned
as the watermark passes them. On SQLite, writers are serialised and ids commit in order;
the same code is simply never surprised there.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from govhall.cases.models import CaseEvent, EventCursor, EventSeen

Handler = Callable[[list[CaseEvent]], None]


def consume(consumer: str, handle: Handler, *, batch: int = 500) -> int:
    """Hand the consumer's next unhandled events (at most ``batch``, in id order) to ``handle``.

    One transaction: the consumer's cursor row is locked (two workers of one consumer take
    turns), ``handle`` writes whatever it writes, the events are recorded as handled. If
    ``handle`` raises, nothing is recorded and the exception goes to the caller. Returns how
    many events were handled; call again until it returns 0.
    """
    _ensure_cursor(consumer)
    with transaction.atomic():
        cursor = EventCursor.objects.select_for_update().get(consumer=consumer)
        seen = EventSeen.objects.filter(consumer=consumer, event_id__gt=cursor.watermark).values("event_id")
        events = list(
            CaseEvent.objects.filter(pk__gt=cursor.watermark)
            .exclude(pk__in=seen)
            .select_related("case")
            .order_by("pk")[:batch]
        )
        if events:
            handle(events)
            EventSeen.objects.bulk_create([EventSeen(consumer=consumer, event_id=event.pk) for event in events])
        _advance(cursor)
    return len(events)


def pending_count(consumer: str) -> int:
    """How many committed events the consumer has not handled yet (for health pages and tests)."""
    watermark = EventCursor.objects.filter(consumer=consumer).values_list("watermark", flat=True).first() or 0
    seen = EventSeen.objects.filter(consumer=consumer, event_id__gt=watermark).values("event_id")
    return CaseEvent.objects.filter(pk__gt=watermark).exclude(pk__in=seen).count()


def _ensure_cursor(consumer: str) -> None:
    if EventCursor.objects.filter(consumer=consumer).exists():
        return
    try:
        with transaction.atomic():
            EventCursor.objects.create(consumer=consumer)
    except IntegrityError:
        pass  # another worker of the same consumer created it first


def _advance(cursor: EventCursor) -> None:
    """Move the watermark over the handled events that are old enough, and forget them."""
    first_unhandled = (
        CaseEvent.objects.filter(pk__gt=cursor.watermark)
        .exclude(pk__in=EventSeen.objects.filter(consumer=cursor.consumer).values("event_id"))
        .order_by("pk")
        .values_list("pk", flat=True)
        .first()
    )
    top_seen = EventSeen.objects.filter(consumer=cursor.consumer).aggregate(top=Max("event_id"))["top"]
    if top_seen is None:
        return
    upper = min(top_seen, first_unhandled - 1) if first_unhandled is not None else top_seen
    horizon = timezone.now() - datetime.timedelta(seconds=settings.CASE_FEED_SETTLE_SECONDS)
    settled = CaseEvent.objects.filter(pk__gt=cursor.watermark, pk__lte=upper, created_at__lt=horizon).aggregate(
        top=Max("pk")
    )["top"]
    if settled is None:
        return
    cursor.watermark = settled
    cursor.save(update_fields=["watermark", "updated_at"])
    EventSeen.objects.filter(consumer=cursor.consumer, event_id__lte=settled).delete()
