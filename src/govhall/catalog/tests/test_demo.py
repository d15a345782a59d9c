"""The demo catalog is realistic enough to publish through every rule, and loads idempotently."""

from __future__ import annotations

import pytest

from govhall.catalog.constants import VersionState
from govhall.catalog.demo import load_catalog_demo
from govhall.catalog.models import ItemVersion
from govhall.catalog.queries import live_versions, online_level_indicators
from govhall.identity.demo import load_demo
from govhall.identity.models import User

pytestmark = pytest.mark.django_db


def _load() -> object:
    load_demo()
    return load_catalog_demo(editor=User.objects.get(username="helen"), approver=User.objects.get(username="grace"))


def test_every_demo_item_passes_the_rules_and_is_published() -> None:
    report = _load()
    assert len(report.created) >= 10  # type: ignore[attr-defined]
    assert not ItemVersion.objects.exclude(state=VersionState.PUBLISHED).exists()
    versions = list(live_versions())
    assert len({v.item_type for v in versions}) >= 4
    assert any(m.licence_type_code for v in versions for m in v.materials.all())
    # The 一件事 demo over this catalog (proactive's; checked here so the catalog is loaded once): every
    # bundle live, a material its items share asked once, two bundles handled by two units each:
    from govhall.proactive import bundles
    from govhall.proactive.demo import load_bundle_demo
    from govhall.proactive.models import Bundle, BundleItem

    assert load_bundle_demo() == 3 and load_bundle_demo() == 3 and BundleItem.objects.count() == 8
    across = []
    for made in Bundle.objects.all():
        joined = bundles.bundle_form(made)
        assert len(joined.groups) < sum(len(v.materials.all()) for v in joined.versions)
        if len({v.handling_department_id for v in joined.versions}) > 1:
            across.append(made.code)
    assert sorted(across) == ["fish-hatchery", "forest-land-project"]


def test_loading_the_demo_twice_changes_nothing() -> None:
    _load()
    before = ItemVersion.objects.count()
    report = _load()
    assert report.unchanged and not report.created and not report.updated  # type: ignore[attr-defined]
    assert ItemVersion.objects.count() == before


def test_the_levels_spread_so_the_indicators_mean_something() -> None:
    _load()
    total = online_level_indicators()[-1]
    assert 0 < total.level_iv < total.level_iii_or_above < total.items
