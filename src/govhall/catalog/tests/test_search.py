"""Chinese search finds an item by any word of its name, materials or conditions, and forgives typos."""

from __future__ import annotations

import pytest

from django.test import Client

from govhall.catalog.queries import search_guides
from govhall.catalog.search import tokenize
from govhall.catalog.tests.factories import create_draft, publish
from govhall.identity.models import Department, User

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalog(helen: User, grace: User, departments: dict[str, Department]) -> None:
    publish(create_draft(helen, departments["forestry"]), helen, grace)
    publish(
        create_draft(
            helen,
            departments["water"],
            code_suffix="00002000",
            overrides={
                "name": "取水许可",
                "acceptance_conditions": "在本区行政区域内直接从江河、湖泊或者地下取用水资源的单位和个人。",
                "themes": ["水资源"],
                "result_name": "取水许可证",
                "result_sample": "取水许可证（样本）",
            },
            materials=[{"order": 1, "name": "取水许可申请书", "need": "1", "source": "1"}],
        ),
        helen,
        grace,
    )
    publish(
        create_draft(
            helen,
            departments["water"],
            code_suffix="00003000",
            overrides={
                "name": "生产建设项目水土保持方案审批",
                "acceptance_conditions": "在山区、丘陵区、风沙区开办可能造成水土流失的生产建设项目。",
                "themes": ["水土保持"],
                "result_name": "",
                "result_sample": "",
            },
            materials=[{"order": 1, "name": "水土保持方案报告书", "need": "1", "source": "1"}],
        ),
        helen,
        grace,
    )


def _names(query: str) -> list[str]:
    return [v.name for v in search_guides(query)]


def test_it_segments_chinese_into_words() -> None:
    assert {"水土", "保持", "水土保持", "方案", "审批"} <= set(tokenize("水土保持方案审批"))


def test_it_finds_an_item_by_a_word_of_its_name(catalog: None) -> None:
    assert _names("采伐") == ["林木采伐许可证核发"]
    assert _names("水土保持") == ["生产建设项目水土保持方案审批"]


def test_it_finds_an_item_by_its_conditions_or_materials(catalog: None) -> None:
    assert _names("地下取用水") == ["取水许可"]
    assert "林木采伐许可证核发" in _names("林权证")


def test_it_forgives_a_homophone_typo(catalog: None) -> None:
    assert _names("彩伐") == ["林木采伐许可证核发"]
    assert _names("水土保值") == ["生产建设项目水土保持方案审批"]


def test_it_ranks_items_matching_every_word_first(catalog: None) -> None:
    assert _names("取水 许可")[0] == "取水许可"


def test_nothing_found_says_so_on_the_page(catalog: None, zh_client: Client) -> None:
    page = zh_client.get("/items/", {"q": "航天发射"}).content.decode()
    assert "找到 0 个事项" in page
    assert "没有找到符合条件的事项" in page


def test_the_search_page_shows_matches(catalog: None, zh_client: Client) -> None:
    page = zh_client.get("/items/", {"q": "彩伐"}).content.decode()
    assert "林木采伐许可证核发" in page
    assert "取水许可" not in page.split("guide-list")[1]
