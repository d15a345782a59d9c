"""The demo: a policy and its interpretation on the felling item, a notice and an FAQ, loaded once."""

from __future__ import annotations

import pytest

from govhall.catalog.demo import load_catalog_demo
from govhall.identity.demo import load_demo
from govhall.identity.models import User
from govhall.publicinfo import queries
from govhall.publicinfo.constants import EntryKind
from govhall.publicinfo.demo import _felling_item, load_publicinfo_demo
from govhall.publicinfo.models import Entry

pytestmark = pytest.mark.django_db


def test_the_demo_publishes_linked_entries_once() -> None:
    load_demo()
    load_catalog_demo(editor=User.objects.get(username="helen"), approver=User.objects.get(username="grace"))
    made = load_publicinfo_demo()
    assert len(made) == 6
    assert load_publicinfo_demo() == [] and Entry.objects.count() == 6
    policy = queries.column(EntryKind.POLICY)[0]
    interpretation = queries.column(EntryKind.INTERPRETATION)[0]
    assert queries.interpretations_of(policy) == [interpretation]
    item = _felling_item()
    assert item is not None
    assert {e.kind for e in queries.entries_for_item(item)} == {
        EntryKind.POLICY,
        EntryKind.INTERPRETATION,
        EntryKind.FAQ,
        EntryKind.INTERMEDIARY_SERVICE,
    }
    # The service the item needs names the institution that provides it:
    (service,) = queries.intermediary_services_for_item(item)
    assert [p["entry"].title for p in service["providers"]] == ["厦门绿测林业调查规划有限公司"]
    assert queries.column(EntryKind.NOTICE)
