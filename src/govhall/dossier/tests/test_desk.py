"""Staff look a subject up by ID number or credit code, for a stated purpose, within their departments."""

from __future__ import annotations

import re
from typing import Any

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from conftest import ALICE_ID, PASSWORD
from govhall.audit.models import AuditRecord
from govhall.catalog.tests.factories import create_draft, publish
from govhall.dossier import queries
from govhall.dossier.tests.conftest import Held
from govhall.identity.models import Department, LegalEntity, User
from govhall.licences.tests.conftest import FOREST_RIGHT_TYPE, reusing_case


def look_up(client: Client, identifier: str, purpose: str = "consultation", case: str = "") -> str:
    response = client.post("/desk/dossier/", {"identifier": identifier, "purpose": purpose, "case_reference": case})
    assert response.status_code == 200
    return response.content.decode()


def test_a_forestry_clerk_sees_forestry_records_only(held: Held, bob: User, desk: Any) -> None:
    page = look_up(desk(bob), ALICE_ID)
    assert "陈爱丽" in page and "350205********0020" in page
    assert held.forestry_case.reference in page
    assert held.felling.number in page and held.forest_right.number in page  # issued here; accepted as material
    assert held.water_case.reference not in page
    assert held.company_case.reference not in page  # the company's own dossier, not hers


def test_a_water_clerk_sees_water_records_only(held: Held, carol: User, desk: Any) -> None:
    page = look_up(desk(carol), ALICE_ID)
    assert held.water_case.reference in page
    assert held.forestry_case.reference not in page
    assert held.felling.number not in page and held.forest_right.number not in page


def test_a_unit_sees_the_licences_its_items_accept_once_the_item_is_published(
    held: Held, helen: User, grace: User, carol: User, departments: dict[str, Department], desk: Any
) -> None:
    """The licence types a unit may see come from its published items (kept per process), not from drafts."""
    client = desk(carol)
    draft = create_draft(
        helen,
        departments["water"],
        code_suffix="00003000",
        overrides={"name": "水土保持方案审批"},
        materials=[
            {"order": 1, "name": "申请书", "need": "1", "source": "1"},
            {"order": 2, "name": "林权证", "need": "1", "source": "2", "licence_type_code": FOREST_RIGHT_TYPE},
        ],
    )
    assert held.forest_right.number not in look_up(client, ALICE_ID)  # a draft grants nothing
    publish(draft, helen, grace)
    page = look_up(client, ALICE_ID)
    assert held.forest_right.number in page  # the water unit now accepts it as a material
    assert held.felling.number not in page  # still the forestry unit's alone


def test_a_company_is_found_by_its_credit_code(held: Held, alice_company: LegalEntity, carol: User, desk: Any) -> None:
    page = look_up(desk(carol), alice_company.credit_code.lower())
    assert "绿源林业专业合作社" in page and held.company_case.reference in page
    assert held.water_case.reference not in page


def test_every_look_up_is_audited_with_its_purpose_and_count_but_never_the_full_number(
    held: Held, bob: User, desk: Any
) -> None:
    look_up(desk(bob), ALICE_ID, "complaint")
    entry = AuditRecord.objects.get(event="dossier.looked_up")
    assert entry.actor_label == "bob" and entry.outcome == "success"
    assert entry.extra["purpose"] == "complaint"
    # one case, two licences, two current materials of that case:
    assert entry.extra["count"] == 5
    assert not AuditRecord.objects.filter(extra__icontains=ALICE_ID).exists()
    assert ALICE_ID not in entry.target_label


def test_an_unknown_subject_and_one_with_nothing_in_scope_get_the_same_answer(
    held: Held, alice_company: LegalEntity, bob: User, desk: Any
) -> None:
    client = desk(bob)
    unknown = look_up(client, "11010519491231002X")
    assert "平台没有您有权查看的关于 110105********002X 的记录。" in unknown
    # The company has only a water case; to the forestry clerk it looks exactly as unknown:
    out_of_scope = look_up(client, alice_company.credit_code)
    assert f"平台没有您有权查看的关于 {alice_company.credit_code} 的记录。" in out_of_scope
    assert "绿源" not in out_of_scope
    counts = list(
        AuditRecord.objects.filter(event="dossier.looked_up")
        .order_by("sequence")
        .values_list("extra__count", flat=True)
    )
    assert counts == [0, 0]


def test_a_malformed_number_is_refused_clearly_and_nothing_is_looked_up(bob: User, desk: Any) -> None:
    page = look_up(desk(bob), "350205199001010011")
    assert "身份证号码校验位不正确（最后一位应为 0）" in page
    assert not AuditRecord.objects.filter(event="dossier.looked_up").exists()


def test_a_purpose_must_be_chosen(bob: User, desk: Any) -> None:
    page = look_up(desk(bob), ALICE_ID, purpose="")
    assert "查询目的" in page and 'id="dossier-result"' not in page


def test_handling_a_case_needs_a_case_of_this_subject_in_the_clerks_departments(
    held: Held, bob: User, desk: Any
) -> None:
    client = desk(bob)
    missing = look_up(client, ALICE_ID, "case_handling")
    assert "请填写所办理的办件编号" in missing and 'id="dossier-result"' not in missing
    not_hers = look_up(client, ALICE_ID, "case_handling", held.water_case.reference or "")
    assert "办件编号与所查询的主体不符，或不是您所在部门的办件。" in not_hers
    assert 'id="dossier-result"' not in not_hers
    ok = look_up(client, ALICE_ID, "case_handling", held.forestry_case.reference or "")
    assert 'id="dossier-result"' in ok
    outcomes = list(
        AuditRecord.objects.filter(event="dossier.looked_up").order_by("sequence").values_list("outcome", flat=True)
    )
    assert outcomes == ["denied", "denied", "success"]


def test_only_a_supervisor_may_look_up_for_supervision_and_sees_every_unit(
    held: Held, bob: User, dan: User, desk: Any
) -> None:
    refused = look_up(desk(bob), ALICE_ID, "supervision")
    assert "只有监督人员可以以“监督检查”为目的查询。" in refused and 'id="dossier-result"' not in refused
    page = look_up(desk(dan), ALICE_ID, "supervision")
    assert held.forestry_case.reference in page and held.water_case.reference in page


def test_applicants_cannot_open_the_staff_look_up(alice: User) -> None:
    client = Client()
    client.post("/login/", {"account": ALICE_ID, "password": PASSWORD})
    response = client.post("/desk/dossier/", {"identifier": ALICE_ID, "purpose": "consultation"})
    assert response.status_code == 302 and "/desk/login/" in response["Location"]
    assert not AuditRecord.objects.filter(event="dossier.looked_up").exists()


def test_a_content_editor_may_not_look_anyone_up_and_the_refusal_is_audited(held: Held, helen: User, desk: Any) -> None:
    page = look_up(desk(helen), ALICE_ID)
    assert "您的岗位不办理办件，无权查询一码档案。" in page and held.forestry_case.reference not in page
    entry = AuditRecord.objects.get(event="dossier.looked_up")
    assert entry.actor_label == "helen" and entry.outcome == "denied"


def test_a_long_dossier_lists_the_latest_with_the_totals_and_shows_all_on_request(
    held: Held, dan: User, desk: Any, monkeypatch: Any
) -> None:
    monkeypatch.setattr(queries, "PAGE", 1)
    client = desk(dan)
    page = look_up(client, ALICE_ID, "supervision")
    assert "办件（2）" in page and "显示最近 1 条，共 2 条。" in page
    assert (held.water_case.reference in page) != (held.forestry_case.reference in page)  # only the latest
    everything = client.post(
        "/desk/dossier/", {"identifier": ALICE_ID, "purpose": "supervision", "case_reference": "", "full": "cases"}
    ).content.decode()
    assert held.water_case.reference in everything and held.forestry_case.reference in everything
    counts = list(
        AuditRecord.objects.filter(event="dossier.looked_up")
        .order_by("sequence")
        .values_list("extra__count", flat=True)
    )
    assert counts == [counts[0], counts[0]] and counts[0] > 2  # each look-up audited with the whole count


def _row_of(page: str, text: str) -> str:
    """The table row of ``page`` holding ``text``, with its whitespace collapsed."""
    rows = [re.sub(r"\s+", " ", row) for row in re.findall(r"<tr[ >].*?</tr>", page, flags=re.S)]
    rows = [row for row in rows if text in row]
    assert len(rows) == 1, rows
    return rows[0]


def test_each_row_shows_what_the_clerk_needs_with_links_to_the_staff_pages(
    held: Held, licensed_felling: Any, alice: User, bob: User, desk: Any
) -> None:
    # A second application that reuses her 林权证 from the library instead of uploading it:
    reusing = reusing_case(licensed_felling, alice, held.forest_right)
    page = look_up(desk(bob), ALICE_ID)
    case = held.forestry_case
    assert case.due_on is not None
    assert _row_of(page, case.reference + "</code></a>") == (
        f'<tr class="warn-none"> <td><a href="/desk/cases/{case.public_id}/"><code>{case.reference}</code></a></td>'
        f' <td>林木采伐许可证核发</td> <td>林业科</td> <td class="nowrap">准予许可</td>'
        f' <td><span class="due due-none">{case.due_on.isoformat()}</span></td> </tr>'
    )
    assert "待受理" in _row_of(page, f'<a href="/desk/cases/{reusing.public_id}/"><code>{reusing.reference}</code></a>')
    licence = held.forest_right
    assert _row_of(page, licence.number) == (
        f'<tr> <td><a href="/desk/licences/{licence.public_id}/">林权证</a></td> <td>{licence.number}</td>'
        ' <td>厦门市自然资源和规划局海沧分局</td> <td>2019-06-12 — 2069-06-11</td> <td class="nowrap">有效</td> </tr>'
    )
    assert "复用电子证照：林权证" in _row_of(page, f"<code>{reusing.reference}</code></td> <td>复用")
    assert "上传：林权证.pdf" in _row_of(page, f"<code>{case.reference}</code></td> <td>上传：林权证")
    assert "共 8 条记录 · 1 项材料复用电子证照，免于提交" in page  # 2 cases, 2 licences, 2 + 2 materials
    assert "办件（2）" in page and "电子证照（2）" in page and "已提供的材料（4）" in page

    # Each kind is one query (its page with its total), whatever the subject holds:
    subject = queries.find_subject(queries.parse_subject_code(ALICE_ID))
    assert subject is not None
    with CaptureQueriesContext(connection) as run:
        dossier = queries.assemble_dossier(subject, queries.scope_for_staff(bob), limit=1)
    # The viewer's units, whether they supervise (ratings and complaints), then one per kind
    # (cases, licences, materials, payments, deliveries):
    assert len(run.captured_queries) == 2 + 5
    assert dossier.totals == {"cases": 2, "licences": 2, "materials": 4, "payments": 0, "deliveries": 0}
    assert dossier.reused_count == 1
    assert [len(dossier.cases), len(dossier.licences), len(dossier.materials)] == [1, 1, 1]


def test_a_pilot_code_on_record_is_looked_up_and_its_typo_is_refused(dan: User, desk: Any) -> None:
    from govhall.identity.actions import register_entity

    register_entity(name="厦门试点合作社", credit_code="91350100M0001TGQXM")
    client = desk(dan)
    assert "校验位不正确" not in look_up(client, "91350100M0001TGQXM", purpose="supervision")
    page = look_up(client, "91350100M0001TGQXN", purpose="supervision")
    assert "统一社会信用代码校验位不正确（最后一位应为" in page
    assert AuditRecord.objects.filter(event="dossier.looked_up").count() == 1
