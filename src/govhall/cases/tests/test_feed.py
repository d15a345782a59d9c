"""The case events as a feed: every committed event reaches each consumer once, late commits included."""

from __future__ import annotations

import threading

import pytest

from django.db import connection, transaction

from govhall.cases import actions, feed
from govhall.cases.constants import EventKind
from govhall.cases.models import Case, CaseEvent, EventCursor, EventSeen
from govhall.catalog.models import ItemVersion
from govhall.identity.models import User

from .conftest import material_files

FORM = {"location": "东孚镇", "volume": 3}


@pytest.fixture
def case(felling: ItemVersion, alice: User) -> Case:
    return actions.submit_case(
        felling, applicant=alice, form_data=FORM, submit_key="feed", files=material_files(felling)
    )


def _note(case: Case, text: str) -> CaseEvent:
    return CaseEvent.objects.create(case=case, kind=EventKind.STEP_COMPLETED, actor_label="测试", opinion=text)


class Collector:
    def __init__(self) -> None:
        self.handled: list[int] = []

    def __call__(self, events: list[CaseEvent]) -> None:
        self.handled += [event.pk for event in events]

    def drain(self, consumer: str, batch: int = 2) -> None:
        while feed.consume(consumer, self, batch=batch):
            pass


@pytest.mark.django_db
def test_each_event_reaches_each_consumer_once_in_order(case: Case, settings) -> None:
    settings.CASE_FEED_SETTLE_SECONDS = 0
    for n in range(4):
        _note(case, f"第{n}步")
    outbox, archive = Collector(), Collector()
    outbox.drain("province")
    archive.drain("archives", batch=500)
    everything = list(CaseEvent.objects.order_by("pk").values_list("pk", flat=True))
    assert outbox.handled == everything == archive.handled

    later = _note(case, "之后")
    outbox.drain("province")
    assert outbox.handled == [*everything, later.pk]
    assert feed.pending_count("province") == 0 and feed.pending_count("archives") == 1
    # Settled events move the watermark up and leave the seen list:
    assert EventCursor.objects.get(consumer="province").watermark == later.pk
    assert not EventSeen.objects.filter(consumer="province").exists()


@pytest.mark.django_db
def test_a_failing_handler_marks_nothing(case: Case) -> None:
    def broken(events: list[CaseEvent]) -> None:
        raise RuntimeError("省级平台映射出错")

    with pytest.raises(RuntimeError):
        feed.consume("province", broken)
    assert feed.pending_count("province") == CaseEvent.objects.count() > 0
    collector = Collector()
    collector.drain("province")
    assert collector.handled == list(CaseEvent.objects.order_by("pk").values_list("pk", flat=True))


@pytest.mark.django_db
def test_young_events_are_remembered_rather_than_passed(case: Case, settings) -> None:
    settings.CASE_FEED_SETTLE_SECONDS = 600
    Collector().drain("province")
    # Nothing is old enough to pass: the watermark stays and the handled ids are listed instead.
    assert EventCursor.objects.get(consumer="province").watermark == 0
    assert EventSeen.objects.filter(consumer="province").count() == CaseEvent.objects.count()
    assert feed.pending_count("province") == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_event_committed_after_a_later_one_was_read_is_not_skipped(case: Case, settings) -> None:
    """The classic trap: id 41 commits after id 42 has been read; a bare "last id" cursor loses 41."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises every writer; ids commit in order there")
    settings.CASE_FEED_SETTLE_SECONDS = 600
    collector = Collector()
    collector.drain("province")
    inserted, release = threading.Event(), threading.Event()
    slow: list[int] = []

    def slow_transaction() -> None:
        try:
            with transaction.atomic():
                slow.append(_note(case, "慢事务").pk)
                inserted.set()
                release.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=slow_transaction)
    thread.start()
    assert inserted.wait(10)
    fast = _note(case, "快事务")
    assert fast.pk > slow[0]
    collector.drain("province")
    assert collector.handled[-1] == fast.pk
    release.set()
    thread.join()
    collector.drain("province")
    assert collector.handled[-1] == slow[0]
    assert len(collector.handled) == len(set(collector.handled)) == CaseEvent.objects.count()
