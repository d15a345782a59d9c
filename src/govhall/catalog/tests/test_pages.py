"""What citizens, editors and approvers see: guides, the printed guide, the desk, the API."""

from __future__ import annotations

import json
import subprocess

import pytest

from django.test import Client

from conftest import PASSWORD
from govhall.catalog.constants import VersionState
from govhall.catalog.models import ItemVersion
from govhall.catalog.tests.factories import create_draft, publish
from govhall.identity.models import Department, User

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(helen: User, grace: User, departments: dict[str, Department]) -> ItemVersion:
    return publish(create_draft(helen, departments["forestry"]), helen, grace)


def _desk(client: Client, username: str, settings: object) -> Client:
    settings.STAFF_2FA_SKIP = True  # type: ignore[attr-defined]
    client.post("/desk/login/", {"username": username, "password": PASSWORD})
    return client


def test_the_portal_lists_and_shows_a_published_guide(published: ItemVersion, zh_client: Client) -> None:
    listing = zh_client.get("/items/").content.decode()
    assert "林木采伐许可证核发" in listing
    page = zh_client.get(f"/items/{published.public_id}/").content.decode()
    for text in ("设定依据", "中华人民共和国森林法", "林权证", "可用电子证照", "0592-6050002", "20个工作日", "IV级"):
        assert text in page, text


def test_drafts_are_not_on_the_portal(helen: User, departments: dict[str, Department], zh_client: Client) -> None:
    draft = create_draft(helen, departments["forestry"])
    assert "林木采伐许可证核发" not in zh_client.get("/items/").content.decode()
    assert zh_client.get(f"/items/{draft.public_id}/").status_code == 404


def test_the_portal_filters_by_audience_and_theme(published: ItemVersion, zh_client: Client) -> None:
    assert "林木采伐许可证核发" in zh_client.get("/items/?audience=personal").content.decode()
    assert "林木采伐许可证核发" not in zh_client.get("/items/?theme=水资源").content.decode()
    assert "林木采伐许可证核发" in zh_client.get("/items/?department=forestry").content.decode()
    assert "林木采伐许可证核发" not in zh_client.get("/items/?department=water").content.decode()


def test_the_printed_guide_embeds_a_cjk_font_and_names_version_and_date(
    published: ItemVersion, zh_client: Client, tmp_path: object
) -> None:
    response = zh_client.get(f"/items/{published.public_id}/guide.pdf")
    assert response["Content-Type"] == "application/pdf"
    path = f"{tmp_path}/guide.pdf"
    with open(path, "wb") as handle:
        handle.write(response.content)
    fonts = subprocess.run(["pdffonts", path], capture_output=True, text=True, check=True).stdout
    cjk = [line for line in fonts.splitlines() if "WenQuanYi" in line]
    assert cjk and all(line.split()[-5] == "yes" for line in cjk)  # embedded
    # reportlab lists Helvetica as a default resource of every document; no text uses it:
    others = [line for line in fonts.splitlines()[2:] if line.strip() and "WenQuanYi" not in line]
    assert all(line.startswith("Helvetica ") for line in others), fonts
    text = subprocess.run(["pdftotext", path, "-"], capture_output=True, text=True, check=True).stdout
    assert "林木采伐许可证核发" in text
    assert f"第{published.number}版" in text
    assert published.effective_from.isoformat() in text  # type: ignore[union-attr]


def test_an_editor_edits_a_draft_on_the_desk(helen: User, departments: dict[str, Department], settings: object) -> None:
    draft = create_draft(helen, departments["forestry"])
    client = _desk(Client(), "helen", settings)
    page = client.get(f"/desk/catalog/v/{draft.public_id}/edit/")
    assert page.status_code == 200
    form = page.context["form"]
    formsets = page.context["formsets"]
    data = {name: form[name].value() for name in form.fields}
    data = {k: ("" if v is None else v) for k, v in data.items()}
    for name in ("legal_basis", "form_schema", "form_ui"):
        data[name] = form.fields[name].prepare_value(form[name].value())
    data["themes"] = "林业生产、农技服务"
    data["committed_limit"] = 4
    data = {k: v for k, v in data.items() if v is not False}
    for prefix, formset in formsets.items():
        data.update({f"{prefix}-{k}": v for k, v in formset.management_form.initial.items()})
        for i, subform in enumerate(formset.forms):
            for name in subform.fields:
                value = subform[name].value()
                if value is not None and value is not False:
                    data[f"{prefix}-{i}-{name}"] = value.pk if hasattr(value, "pk") else value
    response = client.post(f"/desk/catalog/v/{draft.public_id}/edit/", data)
    assert response.status_code == 302, response.context and [
        response.context["form"].errors,
        [fs.errors for fs in response.context["formsets"].values()],
    ]
    draft.refresh_from_db()
    assert draft.committed_limit == 4
    assert draft.themes == ["林业生产", "农技服务"]
    assert draft.materials.count() == 2


def test_the_approver_sees_every_failing_rule_when_publication_is_refused(
    helen: User, grace: User, departments: dict[str, Department], settings: object
) -> None:
    from govhall.catalog import actions

    draft = create_draft(helen, departments["forestry"], overrides={"supervision_phone": "0592-6050001"})
    actions.submit_version(draft, actor=helen)
    client = _desk(Client(), "grace", settings)
    response = client.post(f"/desk/catalog/v/{draft.public_id}/publish/", {"note": ""}, follow=True)
    page = response.content.decode()
    assert "不能发布" in page
    assert "咨询电话和监督投诉电话不能相同" in page
    draft.refresh_from_db()
    assert draft.state == VersionState.SUBMITTED


def test_a_clerk_cannot_open_the_catalog_desk(bob: User, settings: object) -> None:
    client = _desk(Client(), "bob", settings)
    assert client.get("/desk/catalog/").status_code == 403


def test_the_import_page_lists_problems_by_row_and_field(helen: User, settings: object) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = _desk(Client(), "helen", settings)
    document = {"format": "govhall-catalog-exchange", "format_version": 1, "items": [{"TASK_NAME": "缺很多字段"}]}
    upload = SimpleUploadedFile("bad.json", json.dumps(document).encode(), content_type="application/json")
    response = client.post("/desk/catalog/import/", {"file": upload})
    page = response.content.decode()
    assert response.status_code == 400
    assert "未导入任何内容" in page
    assert "第1条事项" in page and "TASK_CODE" in page and "ANTICIPATE_DAY" in page
    assert not ItemVersion.objects.exists()


def test_the_api_lists_published_guides_and_shows_one_in_exchange_names(
    published: ItemVersion, zh_client: Client
) -> None:
    items = zh_client.get("/api/v1/catalog/items/").json()
    assert [i["name"] for i in items] == ["林木采伐许可证核发"]
    assert items[0]["online_level"] == "IV"
    detail = zh_client.get(f"/api/v1/catalog/items/{published.public_id}/").json()
    assert detail["TASK_CODE"] == published.item.implementation_code
    assert detail["ONLINE_LEVEL"] == "IV"


def test_the_api_reports_the_online_level_indicators(published: ItemVersion, zh_client: Client) -> None:
    rows = zh_client.get("/api/v1/catalog/indicators/").json()
    total = rows[-1]
    assert total["department"] == "total"
    assert (total["items"], total["level_iv"], total["share_iv"]) == (1, 1, 1.0)


def test_anonymous_callers_cannot_import_through_the_api(zh_client: Client) -> None:
    response = zh_client.post("/api/v1/catalog/import/", {}, content_type="application/json")
    assert response.status_code == 403


def test_the_openapi_schema_describes_the_catalog_api(db: None, zh_client: Client) -> None:
    response = zh_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    schema = json.loads(response.content)
    assert "/api/v1/catalog/items/" in schema["paths"]
    assert "/api/v1/catalog/import/" in schema["paths"]


def test_an_oversized_import_is_refused_before_it_is_read(helen: User, settings: object) -> None:
    client = _desk(Client(), "helen", settings)
    response = client.post(
        "/desk/catalog/import/", data=b"x" * 100, content_type="application/json", CONTENT_LENGTH=str(11 * 1024**2)
    )
    assert response.status_code == 413
    assert "文件太大（最大 10 MB）" in response.content.decode()
    # Beyond any submission the platform takes, the request is refused before any view runs:
    huge = client.post(
        "/desk/catalog/import/", data=b"x" * 100, content_type="application/json", CONTENT_LENGTH=str(2 * 1024**3)
    )
    assert huge.status_code == 413 and "一次提交不能超过 100 MB" in huge.content.decode()
    assert not ItemVersion.objects.exists()
