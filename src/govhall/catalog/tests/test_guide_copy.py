"""A guide read by get_guide is the process's copy of an unchanging version, and still current."""

from __future__ import annotations

from typing import Any

import pytest

from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext

from govhall.catalog import actions
from govhall.catalog.constants import ItemStatus
from govhall.catalog.models import ItemVersion
from govhall.catalog.queries import get_guide
from govhall.catalog.tests.factories import create_draft, publish
from govhall.identity.models import Department, User

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(helen: User, grace: User, departments: dict[str, Department]) -> ItemVersion:
    return publish(create_draft(helen, departments["forestry"]), helen, grace)


def test_a_guide_read_again_costs_no_query_and_comes_with_its_materials(published: ItemVersion) -> None:
    first = get_guide(str(published.public_id))
    assert [m.name for m in first.materials.all()] == [m.name for m in published.materials.order_by("order")]
    with CaptureQueriesContext(connection) as queries:
        again = get_guide(str(published.public_id).upper())  # any spelling of the id
        names = [m.name for m in again.materials.all()]
        department = again.handling_department.name
    assert queries.captured_queries == []
    assert again.pk == published.pk and names and department == published.handling_department.name


def test_each_caller_gets_its_own_copy(published: ItemVersion) -> None:
    mine = get_guide(str(published.public_id))
    mine.name = "改过的名称"
    assert get_guide(str(published.public_id)).name == published.name


def test_what_one_caller_prefetches_stays_its_own(published: ItemVersion) -> None:
    from django.db.models import prefetch_related_objects

    mine = get_guide(str(published.public_id))
    prefetch_related_objects([mine], "steps")
    assert "steps" not in get_guide(str(published.public_id))._prefetched_objects_cache  # type: ignore[attr-defined]


def test_a_suspended_item_shows_at_once(published: ItemVersion, grace: User) -> None:
    assert get_guide(str(published.public_id)).item.status == ItemStatus.IN_USE
    actions.set_item_status(published.item, ItemStatus.SUSPENDED, actor=grace, reason="系统升级")
    assert get_guide(str(published.public_id)).item.status == ItemStatus.SUSPENDED


def test_a_renamed_department_shows_once_the_copy_is_old(published: ItemVersion, settings: Any) -> None:
    get_guide(str(published.public_id))
    Department.objects.filter(pk=published.handling_department_id).update(name="林业和园林局")
    assert get_guide(str(published.public_id)).handling_department.name != "林业和园林局"  # kept
    settings.PAGE_CACHE_SECONDS = 0
    assert get_guide(str(published.public_id)).handling_department.name == "林业和园林局"


@pytest.mark.parametrize("public_id", ["not-a-uuid", "00000000-0000-0000-0000-000000000000"])
def test_an_unknown_or_malformed_id_is_not_found(public_id: str, published: ItemVersion) -> None:
    with pytest.raises(Http404):
        get_guide(public_id)


def test_a_draft_is_never_a_guide(helen: User, departments: dict[str, Department]) -> None:
    draft = create_draft(helen, departments["water"], code_suffix="00002000")
    with pytest.raises(Http404):
        get_guide(str(draft.public_id))
