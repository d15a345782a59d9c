"""The application form speaks the applicant's language: every problem at its field, all in one round.

The page is read as the applicant's browser receives it: each message must stand in the
field's own error list (the one its input names in ``aria-describedby``), in Chinese or in
English, and in the list of problems at the top that links to the field.
"""

from __future__ import annotations

import html
import re
from typing import Any

import pytest

from django.test import Client

from conftest import ALICE_ID, PASSWORD
from govhall.audit.models import AuditRecord
from govhall.cases import actions
from govhall.cases.models import Case, CaseMaterial
from govhall.catalog.models import ItemVersion
from govhall.catalog.tests.conftest import grace, helen  # noqa: F401 - fixtures
from govhall.catalog.tests.factories import create_draft, publish
from govhall.identity.models import Department, LegalEntity, User
from govhall.licences.models import LicenceType
from govhall.licences.tests.conftest import FOREST_RIGHT_TYPE, forest_right_of

from .conftest import material_files

pytestmark = pytest.mark.django_db

PHONE_HINT = {
    "zh-hans": "请填写正确的手机号或座机号码（座机号码请带区号）。",
    "en": "Enter a valid mobile or landline number (a landline with its area code).",
}
SCHEMA = {
    "type": "object",
    "properties": {
        "applicant_name": {"type": "string", "title": "申请人名称", "maxLength": 100, "x-source": "applicant_name"},
        "credit_code": {"type": "string", "title": "统一社会信用代码", "x-source": "credit_code"},
        "location": {"type": "string", "title": "采伐地点", "maxLength": 10},
        "species": {"type": "string", "title": "树种", "enum": ["马尾松", "杉木"]},
        "volume": {"type": "number", "title": "采伐蓄积（立方米）", "exclusiveMinimum": 0},
        "trees": {"type": "integer", "title": "株数", "minimum": 1},
        "start": {"type": "string", "format": "date", "title": "计划开始日期"},
        "plan": {"type": "string", "title": "更新措施", "minLength": 10},
        "phone": {
            "type": "string",
            "title": "联系电话",
            "pattern": r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$",
            "x-hint": PHONE_HINT,
        },
    },
    "required": ["applicant_name", "location", "species", "volume", "trees", "start", "plan", "phone"],
}
UI = {"ui:order": list(SCHEMA["properties"]), "plan": {"ui:widget": "textarea"}}
EVERYTHING_WRONG = {
    "location": "东孚镇鼎美村三林班十二小班",  # 13 characters, at most 10
    "species": "橡树",
    "volume": "十二",
    "trees": "0",
    "start": "2026-02-30",
    "plan": "次年造林",
    "phone": "0592-12",
}
RIGHT = {
    "location": "东孚镇鼎美村",
    "species": "杉木",
    "volume": "12.5",
    "trees": "40",
    "start": "2026-12-20",
    "plan": "采伐后次年春季前完成杉木、木荷混交造林。",
    "phone": "0592-6050001",
}
# What the applicant reads at each field, (Chinese, English):
EXPECTED = {
    "location": (
        "“采伐地点”不能超过 10 个字，现在是 13 个字。",
        "“采伐地点” can have at most 10 characters; it now has 13.",
    ),
    "species": ("“树种”请从给出的选项中选择。", "“树种”: choose one of the options given."),
    "volume": ("“采伐蓄积（立方米）”请填写数字。", "“采伐蓄积（立方米）” must be a number."),
    "trees": ("“株数”不能小于 1。", "“株数” cannot be less than 1."),
    "start": (
        "“计划开始日期”请填写有效的日期，如 2026-12-04。",
        "“计划开始日期” must be a real date, such as 2026-12-04.",
    ),
    "plan": ("“更新措施”至少要写 10 个字。", "“更新措施” needs at least 10 characters."),
    "phone": (PHONE_HINT["zh-hans"], PHONE_HINT["en"]),
}


@pytest.fixture
def forest_right_type(db: None) -> LicenceType:
    return LicenceType.objects.create(code=FOREST_RIGHT_TYPE, name="林权证", defining_body="自然资源部")


@pytest.fixture
def item(helen: User, grace: User, departments: dict[str, Department], forest_right_type: LicenceType) -> ItemVersion:  # noqa: F811
    """Two required materials (the second can come from a held 林权证) and a form with every kind of check."""
    draft = create_draft(helen, departments["forestry"], overrides={"form_schema": SCHEMA, "form_ui": UI})
    return publish(draft, helen, grace)


def _client(language: str) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.cookies["django_language"] = language
    assert client.post("/login/", {"account": ALICE_ID, "password": PASSWORD}).status_code == 302
    return client


def _url(item: ItemVersion) -> str:
    return f"/items/{item.public_id}/apply/"


def _uploads(item: ItemVersion) -> dict[str, Any]:
    return {f"material_{pk}": upload for pk, upload in material_files(item).items()}


def _at_field(page: str, field_id: str) -> list[str]:
    """The messages in the error list of the field with this id, which its input points to."""
    errors = re.search(rf'<ul class="errorlist" id="{field_id}_error">(.*?)</ul>', page, re.S)
    if errors is None:
        return []
    control = re.search(rf'<(?:input|select|textarea)[^>]*\bid="{field_id}"[^>]*>', page)
    assert control is not None and f"{field_id}_error" in control.group(0), field_id
    assert 'aria-invalid="true"' in control.group(0), field_id
    return [html.unescape(m) for m in re.findall(r"<li>(.*?)</li>", errors.group(1), re.S)]


def _summary(page: str) -> list[tuple[str, str]]:
    """The problems listed above the form: (the id each links to, its message)."""
    box = re.search(r'<div class="form-errors" role="alert"[^>]*>(.*?)</div>', page, re.S)
    assert box is not None
    return [(anchor, html.unescape(text)) for anchor, text in re.findall(r'<a href="#([^"]+)">(.*?)</a>', box.group(1))]


def _counts() -> tuple[int, int, int]:
    return Case.objects.count(), CaseMaterial.objects.count(), AuditRecord.objects.count()


@pytest.mark.parametrize(("language", "index"), [("zh-hans", 0), ("en", 1)])
def test_a_form_posted_with_everything_wrong_shows_every_error_at_its_field_at_once(
    item: ItemVersion, alice: User, language: str, index: int
) -> None:
    client = _client(language)
    before = _counts()
    response = client.post(_url(item), {**EVERYTHING_WRONG, "submit_key": "wrong"})
    assert response.status_code == 400
    page = response.content.decode()
    for name, messages in EXPECTED.items():
        assert _at_field(page, f"id_{name}") == [messages[index]], name
    # The missing uploads in the same answer, each at its upload box:
    missing = {
        m.pk: ("缺少必要材料：%s。" if index == 0 else "A required material is missing: %s.") % m.name
        for m in item.materials.all()
    }
    for pk, message in missing.items():
        assert _at_field(page, f"id_material_{pk}") == [message]
    # Above the form, every problem once, in the order of the page, each a link to its field:
    assert _summary(page) == [
        *[(f"id_{name}", messages[index]) for name, messages in EXPECTED.items()],
        *[(f"id_material_{pk}", message) for pk, message in missing.items()],
    ]
    assert ("有 9 处需要更正" if index == 0 else "9 things need correcting") in page
    # No regular expression and no jsonschema English reaches the applicant:
    assert r"\d" not in page and "is not valid under" not in page and "does not match" not in page
    assert _counts() == before


def test_a_rejected_submission_of_a_draft_changes_nothing(item: ItemVersion, alice: User) -> None:
    client = _client("zh-hans")
    form = item.materials.get(name="林木采伐申请表")
    first = {f"material_{form.pk}": material_files(item)[form.pk]}
    saved = client.post(_url(item), {**RIGHT, "plan": "", "submit_key": "d", "save_draft": "1", **first})
    assert saved.status_code == 302
    draft = Case.objects.get()
    # Resumed, the page says at the material's box what the draft keeps:
    assert "草稿中已上传：林木采伐申请表.pdf" in client.get(saved["Location"]).content.decode()
    before = (_counts(), dict(draft.form_data), draft.updated_at)
    uploads = _uploads(item)
    response = client.post(saved["Location"], {**EVERYTHING_WRONG, "submit_key": "submit", **uploads})
    assert response.status_code == 400
    assert _at_field(response.content.decode(), "id_plan") == ["“更新措施”至少要写 10 个字。"]
    draft.refresh_from_db()
    assert (_counts(), draft.form_data, draft.updated_at) == before
    assert draft.status == "draft" and not draft.reference


def test_files_chosen_in_a_refused_round_are_asked_for_again(item: ItemVersion, alice: User) -> None:
    response = _client("zh-hans").post(_url(item), {**RIGHT, "phone": "1", "submit_key": "k", **_uploads(item)})
    page = response.content.decode()
    assert _at_field(page, "id_phone") == [PHONE_HINT["zh-hans"]]
    # A browser cannot keep a chosen file across a page; the applicant is told, at each box:
    assert page.count("本次选择的文件没有保存，请重新选择。") == item.materials.count()
    assert not Case.objects.exists()


def test_a_corrected_form_is_filed_with_the_applicant_s_own_name(item: ItemVersion, alice: User) -> None:
    client = _client("zh-hans")
    page = client.get(_url(item)).content.decode()
    # Her name is filled in from her record, read-only, to be checked rather than typed:
    name = re.search(r'<input[^>]*id="id_applicant_name"[^>]*>', page)
    assert name is not None and 'value="陈爱丽"' in name.group(0) and "readonly" in name.group(0)
    assert "平台已按登记信息填写，请核对" in page
    # A person has no credit code on record: that field stays an ordinary, empty one:
    code = re.search(r'<input[^>]*id="id_credit_code"[^>]*>', page)
    assert code is not None and "readonly" not in code.group(0) and "value=" not in code.group(0)
    # A changed name in the post is not taken: the platform uses its own:
    response = client.post(_url(item), {**RIGHT, "applicant_name": "李明", "submit_key": "k", **_uploads(item)})
    assert response.status_code == 302
    assert Case.objects.get().form_data["applicant_name"] == "陈爱丽"


def test_a_company_s_name_and_credit_code_come_from_its_record(
    item: ItemVersion, alice: User, alice_company: LegalEntity
) -> None:
    client = _client("zh-hans")
    client.post("/my/acting-for/", {"entity": str(alice_company.public_id)})
    page = client.get(_url(item)).content.decode()
    for field, value in (("applicant_name", "绿源林业专业合作社"), ("credit_code", "93350205MA2Y4GL0XK")):
        control = re.search(rf'<input[^>]*id="id_{field}"[^>]*>', page)
        assert control is not None and f'value="{value}"' in control.group(0) and "readonly" in control.group(0)
    posted = {**RIGHT, "applicant_name": "别的公司", "credit_code": "91350200000000000X", "submit_key": "k"}
    assert client.post(_url(item), {**posted, **_uploads(item)}).status_code == 302
    case = Case.objects.get()
    assert case.entity == alice_company
    assert (case.form_data["applicant_name"], case.form_data["credit_code"]) == (
        "绿源林业专业合作社",
        "93350205MA2Y4GL0XK",
    )


def test_the_action_itself_takes_the_known_values_over_what_an_api_client_sends(item: ItemVersion, alice: User) -> None:
    answers = {**RIGHT, "volume": 12.5, "trees": 40, "applicant_name": "李明"}
    files = material_files(item)
    case = actions.submit_case(item, applicant=alice, form_data=answers, submit_key="api", files=files)
    assert case.form_data["applicant_name"] == "陈爱丽"


def test_with_scripts_off_both_the_held_licence_and_the_upload_box_are_offered(
    item: ItemVersion, alice: User, forest_right_type: LicenceType
) -> None:
    assert alice.person is not None
    held = forest_right_of(alice.person, forest_right_type)
    material = item.materials.get(licence_type_code=FOREST_RIGHT_TYPE)
    client = _client("zh-hans")
    page = client.get(_url(item)).content.decode()
    # The held licence is chosen; the choice names the box the script hides, which is on the page:
    chosen = re.search(rf'<input[^>]*name="licence_{material.pk}"[^>]*value="{held.public_id}"[^>]*>', page)
    assert chosen is not None and "checked" in chosen.group(0)
    assert f'data-upload-box="upload-{material.pk}"' in chosen.group(0)
    assert f'id="upload-{material.pk}"' in page and f'id="id_material_{material.pk}"' in page
    assert "不使用，自行上传文件" in page
    assert '<script src="/static/govhall/apply.js" defer>' in page and "<script>" not in page
    # Both sent (a file picked, the licence left chosen): the server takes the licence:
    uploads = _uploads(item)
    data = {**RIGHT, "submit_key": "k", f"licence_{material.pk}": str(held.public_id), **uploads}
    assert client.post(_url(item), data).status_code == 302
    provided = Case.objects.get().materials.get(material=material)
    assert provided.licence == held and not provided.file


def test_a_refused_licence_choice_is_named_at_its_field_with_the_other_problems(
    item: ItemVersion, alice: User, forest_right_type: LicenceType
) -> None:
    assert alice.person is not None
    forest_right_of(alice.person, forest_right_type)
    material = item.materials.get(licence_type_code=FOREST_RIGHT_TYPE)
    other = item.materials.exclude(pk=material.pk).get()
    data = {**RIGHT, "phone": "", "submit_key": "k", f"licence_{material.pk}": "00000000-0000-0000-0000-000000000000"}
    page = _client("zh-hans").post(_url(item), data).content.decode()
    assert _at_field(page, "id_phone") == ["请填写“联系电话”。"]
    assert [message for anchor, message in _summary(page) if anchor == f"id_licence_{material.pk}_0"] == [
        "所选证照不能用于“林权证”：它不属于申请人、已失效，或类型不符。"
    ]
    # The refused choice is not also reported as a missing material; the other material is:
    assert _at_field(page, f"id_material_{material.pk}") == []
    assert _at_field(page, f"id_material_{other.pk}") == [f"缺少必要材料：{other.name}。"]
    assert not Case.objects.exists()


def test_an_upload_that_is_not_a_document_is_named_at_its_box(item: ItemVersion, alice: User) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    uploads = _uploads(item)
    first = next(iter(uploads))
    uploads[first] = SimpleUploadedFile("scan.pdf", b"MZ\x90\x00 a program" * 10)
    page = _client("zh-hans").post(_url(item), {**RIGHT, "submit_key": "k", **uploads}).content.decode()
    (message,) = _at_field(page, f"id_{first}")
    assert message.startswith(item.materials.get(pk=int(first.removeprefix("material_"))).name + "：")
    assert not Case.objects.exists()


def test_the_api_answers_every_problem_at_once_under_the_same_field_names(item: ItemVersion, alice: User) -> None:
    import json

    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(alice)
    answers = {**EVERYTHING_WRONG, "volume": "十二", "trees": 0}
    before = _counts()
    body = {"item_version": str(item.public_id), "form_data": json.dumps(answers), "submit_key": "api"}
    response = client.post("/api/v1/cases/", body)
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert errors["phone"] == [PHONE_HINT["zh-hans"]]
    assert errors["trees"] == ["“株数”不能小于 1。"]
    assert {f"material_{m.pk}" for m in item.materials.all()} <= set(errors)
    assert set(errors) == {*EXPECTED, *(f"material_{m.pk}" for m in item.materials.all())}
    assert _counts() == before
