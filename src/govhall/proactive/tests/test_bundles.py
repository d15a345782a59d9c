"""一件事: two items of two units applied for with one form and one set of materials, filed all or none."""

from __future__ import annotations

import pytest

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from govhall.cases.models import Case, CaseMaterial
from govhall.cases.tests.conftest import pdf_bytes
from govhall.catalog import actions as catalog_actions
from govhall.catalog.constants import ItemStatus
from govhall.catalog.models import ItemVersion
from govhall.catalog.tests.conftest import grace, helen  # noqa: F401 - fixtures
from govhall.catalog.tests.factories import CONTENT, create_draft, publish
from govhall.identity.models import Department, User
from govhall.proactive import bundles
from govhall.proactive.models import Bundle, BundleFiling, BundleItem

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair(helen: User, grace: User, departments: dict[str, Department]) -> tuple[ItemVersion, ItemVersion]:  # noqa: F811
    felling = publish(create_draft(helen, departments["forestry"]), helen, grace)
    schema = {
        "type": "object",
        "properties": {
            "location": CONTENT["form_schema"]["properties"]["location"],  # the same field: asked once
            "annual_volume": {"type": "number", "title": "年取水量（万立方米）", "minimum": 0},
        },
        "required": ["location", "annual_volume"],
    }
    water = create_draft(
        helen, departments["water"], code_suffix="00002000", overrides={"name": "取水许可", "form_schema": schema}
    )
    return felling, publish(water, helen, grace)


@pytest.fixture
def bundle(pair: tuple[ItemVersion, ItemVersion]) -> Bundle:
    made = Bundle.objects.create(code="forest-water", name="林地取水一件事")
    for order, version in enumerate(pair, start=1):
        BundleItem.objects.create(bundle=made, item=version.item, order=order)
    return made


def _pdf(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, pdf_bytes(), content_type="application/pdf")


def test_one_form_and_one_set_of_materials_make_a_case_for_each_unit(bundle: Bundle, alice: User) -> None:
    client = Client()
    client.force_login(alice)
    page = client.get("/my/bundles/forest-water/").content.decode()
    assert page.count('name="location"') == 1 and 'name="volume"' in page and 'name="annual_volume"' in page
    # The application form and the forest-right certificate are the same for both items: asked once each:
    assert page.count("用于 2 个事项") == 2 and page.count('type="file"') == 2

    form = {"submit_key": "bundle-1", "location": "东孚镇鼎美村3林班", "volume": "12.5", "annual_volume": "3"}
    refused = client.post("/my/bundles/forest-water/", {**form, "annual_volume": "-1", "group_0": _pdf("申请表.pdf")})
    assert refused.status_code == 400
    text = refused.content.decode()
    assert "没有任何事项被提交" in text and "缺少必要材料：林权证" in text
    assert not Case.objects.exists() and not BundleFiling.objects.exists()

    filed = client.post(
        "/my/bundles/forest-water/", {**form, "group_0": _pdf("申请表.pdf"), "group_1": _pdf("林权证.pdf")}
    )
    filing = BundleFiling.objects.get()
    assert filed["Location"] == f"/my/bundles/filings/{filing.public_id}/"
    cases = sorted(filing.cases.all(), key=lambda c: c.item_version.name)
    assert [(c.item_version.name, c.department.code) for c in cases] == [
        ("取水许可", "water"),
        ("林木采伐许可证核发", "forestry"),
    ]
    assert cases[0].form_data == {"location": "东孚镇鼎美村3林班", "annual_volume": 3}
    assert cases[1].form_data == {"location": "东孚镇鼎美村3林班", "volume": 12.5}
    # Each case keeps its own copy of each material:
    stored = CaseMaterial.objects.filter(case__in=cases, is_current=True)
    assert stored.count() == 4 and len({m.file.name for m in stored}) == 4
    status = client.get(filed["Location"]).content.decode()
    assert "办理中：0 / 2 项已办结" in status and cases[0].reference in status and cases[1].reference in status
    # The same submit again (a double click) files nothing more:
    again = client.post("/my/bundles/forest-water/", {**form, "group_0": _pdf("a.pdf"), "group_1": _pdf("b.pdf")})
    assert again["Location"] == filed["Location"] and Case.objects.count() == 2
    # Counted in the indicators:
    from django.utils import timezone

    from govhall.stats import actions as stats_actions
    from govhall.stats import queries as stats_queries

    today = timezone.localdate()
    stats_actions.compute_day(today)
    figures = stats_queries.month_figures(today.replace(day=1), stats_queries.Scope(None, "海沧区农林水利局"))
    assert figures.values["bundle_filings"] == 1


def test_a_bundle_with_an_item_not_live_cannot_be_applied_for(
    bundle: Bundle,
    pair: tuple[ItemVersion, ItemVersion],
    alice: User,
    grace: User,  # noqa: F811
) -> None:
    catalog_actions.set_item_status(pair[1].item, ItemStatus.SUSPENDED, actor=grace, reason="取水许可暂停办理")
    with pytest.raises(ValidationError, match="暂不能一并申请"):
        bundles.file_bundle(bundle, applicant=alice, answers={}, uploads={}, licences={}, submit_key="x")
    client = Client()
    client.force_login(alice)
    answer = client.get("/my/bundles/forest-water/", follow=True).content.decode()
    assert "暂不能一并申请，请分别办理" in answer and not Case.objects.exists()
