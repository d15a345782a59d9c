"""Applicants see everything held about them (and their companies) and can download it."""

from __future__ import annotations

import json

from django.test import Client

from conftest import ALICE_ID, PASSWORD
from govhall.audit.models import AuditRecord
from govhall.dossier.tests.conftest import Held
from govhall.identity import actions as identity_actions
from govhall.identity.models import LegalEntity, User


def _alice() -> Client:
    client = Client()
    client.post("/login/", {"account": ALICE_ID, "password": PASSWORD})
    return client


def test_the_applicant_sees_her_own_and_her_companys_records(held: Held, alice_company: LegalEntity) -> None:
    page = _alice().get("/my/dossier/").content.decode()
    mine, company = page.split("绿源林业专业合作社", 1)
    assert held.forestry_case.reference in mine and held.water_case.reference in mine
    assert held.felling.number in mine and held.forest_right.number in mine
    assert held.company_case.reference in company and held.forestry_case.reference not in company
    # Her rows link to her own pages, never to the staff's:
    assert (
        f'<a href="/my/cases/{held.forestry_case.public_id}/"><code>{held.forestry_case.reference}</code></a>' in mine
    )
    assert "/desk/" not in page and "<td>林权证</td>" in mine


def test_the_export_is_machine_readable_and_audited(held: Held, alice: User) -> None:
    response = _alice().get("/my/dossier/export.json")
    assert response["Content-Type"].startswith("application/json") and "attachment" in response["Content-Disposition"]
    data = json.loads(response.content)
    assert data["subject"] == {"kind": "person", "name": "陈爱丽", "code": "350205********0020"}
    assert {c["reference"] for c in data["cases"]} == {held.forestry_case.reference, held.water_case.reference}
    assert {lic["identifier"] for lic in data["licences"]} == {held.felling.identifier, held.forest_right.identifier}
    assert len(data["materials"]) == 3
    case = held.forestry_case
    assert case.submitted_at and case.accepted_on and case.due_on and case.closed_at is None
    assert next(c for c in data["cases"] if c["reference"] == case.reference) == {
        "reference": case.reference,
        "item": "林木采伐许可证核发",
        "department": "林业科",
        "status": "approved",
        "status_label": "准予许可",
        "submitted_at": case.submitted_at.isoformat(),
        "accepted_on": case.accepted_on.isoformat(),
        "due_on": case.due_on.isoformat(),
        "due_is_provisional": False,
        "decision": "approve",
        "closed_at": None,
    }
    forest_right = next(lic for lic in data["licences"] if lic["identifier"] == held.forest_right.identifier)
    assert forest_right["type"] == "林权证" and forest_right["valid_until"] == "2069-06-11"
    assert forest_right["status_label"] == "有效" and forest_right["issued_on"] == "2019-06-12"
    assert {m["file_name"] for m in data["materials"]} >= {"林权证.pdf"} and all(
        m["provided_at"] for m in data["materials"]
    )
    entry = AuditRecord.objects.get(event="dossier.exported")
    assert entry.actor_label == alice.username and entry.extra["count"] == 7


def test_a_company_she_does_not_act_for_is_not_found(held: Held) -> None:
    other = identity_actions.register_entity(name="别家水务有限公司", credit_code="91350200776049653A")
    response = _alice().get(f"/my/dossier/export.json?subject={other.public_id}")
    assert response.status_code == 404
    assert not AuditRecord.objects.filter(event="dossier.exported").exists()
