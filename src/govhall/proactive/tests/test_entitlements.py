"""免申即享: the platform finds the eligible, a person grants with a purpose, the holder is told and may decline."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.http import Http404
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from conftest import PASSWORD
from govhall.audit.models import AuditRecord
from govhall.cases import actions as case_actions
from govhall.cases.models import Case
from govhall.cases.tests.conftest import frank, material_files  # noqa: F401 - fixtures
from govhall.catalog.models import ItemVersion
from govhall.catalog.tests.conftest import grace, helen  # noqa: F401 - fixtures
from govhall.identity import actions as identity_actions
from govhall.identity.constants import EntityKind
from govhall.identity.models import Department, LegalEntity, User
from govhall.lib.errors import Conflict
from govhall.licences.constants import HolderCodeType
from govhall.licences.models import LicenceType
from govhall.licences.tests.conftest import (  # noqa: F401 - fixtures
    FORM,
    felling_type,
    forest_right_of,
    forest_right_type,
    licensed_felling,
)
from govhall.proactive import entitlements
from govhall.proactive.admin import EntitlementForm
from govhall.proactive.models import Entitlement, EntitlementGrant, GrantStatus, Notification, SubjectKind

pytestmark = pytest.mark.django_db


@pytest.fixture
def policy(departments: dict[str, Department], forest_right_type: LicenceType, alice: User) -> Entitlement:  # noqa: F811
    forest_right_of(alice.person, forest_right_type)  # type: ignore[arg-type]
    forest_right_of(
        alice.person, forest_right_type, serial="2019000999", holder_key="someone-else", holder_name="林大山"
    )  # type: ignore[arg-type]
    return Entitlement.objects.create(
        name="生态公益林损失补偿",
        description="补偿资金直接拨付。",
        legal_basis="《福建省生态公益林条例》",
        department=departments["forestry"],
        licence_type=forest_right_type,
    )


def test_finding_proposes_once_and_grants_nothing(policy: Entitlement, dan: User, alice: User) -> None:
    assert entitlements.find_eligible(policy, actor=dan) == 2
    assert entitlements.find_eligible(policy, actor=dan) == 0
    assert set(policy.grants.values_list("status", flat=True)) == {GrantStatus.PROPOSED}
    assert not Notification.objects.filter(recipient=alice).exists()
    assert AuditRecord.objects.filter(event="proactive.eligibility_searched").count() == 2
    assert not list(entitlements.grants_of(alice))  # a proposal is not a grant


def test_a_grant_needs_the_right_person_and_a_purpose_and_tells_the_holder(
    policy: Entitlement, dan: User, bob: User, alice: User
) -> None:
    entitlements.find_eligible(policy, actor=dan)
    ids = list(policy.grants.values_list("public_id", flat=True))
    with pytest.raises(PermissionDenied):
        entitlements.grant(policy, ids, actor=bob, purpose="2026年度补偿")
    with pytest.raises(ValidationError):
        entitlements.grant(policy, ids, actor=dan, purpose=" ")
    assert entitlements.grant(policy, ids, actor=dan, purpose="2026年度补偿") == 2
    assert Notification.objects.filter(recipient=alice, subject__contains="生态公益林损失补偿").count() == 1
    audit = AuditRecord.objects.get(event="proactive.entitlements_granted")
    assert audit.extra["purpose"] == "2026年度补偿" and audit.extra["count"] == 2
    with pytest.raises(Conflict):
        entitlements.grant(policy, ids, actor=dan, purpose="再兑现一次")


def test_the_holder_sees_and_may_decline_and_nobody_else_can(policy: Entitlement, dan: User, alice: User) -> None:
    entitlements.find_eligible(policy, actor=dan)
    mine = policy.grants.get(subject_name__startswith="陈")
    entitlements.grant(policy, [mine.public_id], actor=dan, purpose="2026年度补偿")
    bea = identity_actions.register_applicant(
        name="白雅", id_number="350205199001010010", phone="13800000002", password=PASSWORD
    )
    with pytest.raises(Http404):
        entitlements.decline(mine.public_id, user=bea)
    client = Client()
    client.force_login(alice)
    assert "生态公益林损失补偿" in client.get("/my/entitlements/").content.decode()
    done = client.post(f"/my/entitlements/{mine.public_id}/decline/", {"reason": "已迁出"}, follow=True)
    assert "您已放弃" in done.content.decode()
    mine.refresh_from_db()
    assert mine.status == GrantStatus.DECLINED and mine.decline_reason == "已迁出"
    again = client.post(f"/my/entitlements/{mine.public_id}/decline/", follow=True)
    assert "无需再次操作" in again.content.decode()
    assert EntitlementGrant.objects.filter(status=GrantStatus.GRANTED).count() == 0


# Eligibility over cases and subject attributes ---------------------------------------------------

COOP = "93350205MA2Y4GL0XK"  # alice_company: a farmers' cooperative registered in Haicang
ENTERPRISE = "91350200776049653A"  # an enterprise registered by the city (350200)


def _filed(version: ItemVersion, applicant: User, key: str, entity: LegalEntity | None = None) -> Case:
    return case_actions.submit_case(
        version, applicant=applicant, form_data=FORM, submit_key=key, files=material_files(version), entity=entity
    )


def _decided(case: Case, decision: str, *, clerk: User, reviewer: User, approver: User) -> Case:
    case = case_actions.accept_case(case, actor=clerk)
    case = case_actions.complete_step(case, actor=reviewer, opinion="已审查。")
    case = case_actions.decide_case(
        case, actor=approver, decision=decision, reason="经审查。", legal_basis="《森林法》"
    )
    return case_actions.close_case(case, actor=clerk)


@pytest.fixture
def felling_cases(
    licensed_felling: ItemVersion,  # noqa: F811
    alice: User,
    alice_company: LegalEntity,
    bob: User,
    frank: User,  # noqa: F811
    grace: User,  # noqa: F811
) -> dict[str, Any]:
    """Felling cases: approved for alice, her cooperative, dave (Jimei) and dave's enterprise; denied for
    bea; withdrawn for carl."""
    bea = identity_actions.register_applicant(
        name="白雅", id_number="350205199202020020", phone="13800000002", password=PASSWORD
    )
    carl = identity_actions.register_applicant(
        name="蔡林", id_number="350205198808080031", phone="13800000003", password=PASSWORD
    )
    dave = identity_actions.register_applicant(
        name="戴伟", id_number="350211199001010018", phone="13800000004", password=PASSWORD
    )
    enterprise = identity_actions.register_entity(name="厦门绿林木业有限公司", credit_code=ENTERPRISE)
    identity_actions.authorise_for_entity(dave, enterprise)
    staff = {"clerk": bob, "reviewer": frank, "approver": grace}
    cases = {
        "alice": _decided(_filed(licensed_felling, alice, "a"), "approve", **staff),
        "coop": _decided(_filed(licensed_felling, alice, "c", alice_company), "approve", **staff),
        "dave": _decided(_filed(licensed_felling, dave, "d"), "approve", **staff),
        "enterprise": _decided(_filed(licensed_felling, dave, "e", enterprise), "approve", **staff),
        "bea": _decided(_filed(licensed_felling, bea, "b"), "deny", **staff),
        "carl": case_actions.withdraw_case(_filed(licensed_felling, carl, "w"), applicant=carl, reason="暂不采伐"),
    }
    return {"version": licensed_felling, "cases": cases, "users": {"bea": bea, "carl": carl, "dave": dave}}


def _subject_keys(felling_cases: dict[str, Any]) -> dict[str, str]:
    """Who each case's subject is: the company it was filed for, else the applicant person."""
    return {
        name: case.entity.credit_code if case.entity else case.person.id_number_hash
        for name, case in felling_cases["cases"].items()
    }


def _aid(departments: dict[str, Department], **criteria: Any) -> Entitlement:
    return Entitlement.objects.create(
        name="采伐迹地更新造林补助",
        description="按采伐面积给予造林苗木补助。",
        legal_basis="《中华人民共和国森林法》",
        department=departments["forestry"],
        **criteria,
    )


def test_a_case_entitlement_proposes_the_approved_applicants_and_not_the_refused_or_withdrawn(
    felling_cases: dict[str, Any], departments: dict[str, Department], dan: User
) -> None:
    item = felling_cases["version"].item
    aid = _aid(departments, case_item=item)
    assert entitlements.find_eligible(aid, actor=dan) == 4
    keys = _subject_keys(felling_cases)
    found = {g.subject_key: g for g in aid.grants.select_related("case")}
    assert set(found) == {keys["alice"], keys["coop"], keys["dave"], keys["enterprise"]}
    assert keys["bea"] not in found and keys["carl"] not in found
    mine = found[keys["alice"]]
    case = felling_cases["cases"]["alice"]
    assert mine.case == case and mine.licence is None and mine.subject_name == "陈*丽"
    closed_on = timezone.localdate(case.closed_at).isoformat()
    assert mine.evidence == f"办件 {case.reference} 林木采伐许可证核发 已于 {closed_on} 办结（准予）"
    assert found[keys["coop"]].subject_name == "绿源林业专业合作社"
    # Closed before the day set: nobody.
    later = _aid(departments, case_item=item, case_closed_since=timezone.localdate() + datetime.timedelta(days=1))
    assert entitlements.find_eligible(later, actor=dan) == 0


def test_subject_kind_entity_kind_and_region_narrow_a_source(
    felling_cases: dict[str, Any], departments: dict[str, Department], dan: User
) -> None:
    item = felling_cases["version"].item
    keys = _subject_keys(felling_cases)
    expected = [
        ({"subject_kind": SubjectKind.PERSON}, {"alice", "dave"}),
        ({"subject_kind": SubjectKind.ENTITY}, {"coop", "enterprise"}),
        ({"entity_kinds": [EntityKind.COOPERATIVE]}, {"coop"}),
        ({"subject_kind": SubjectKind.ENTITY, "entity_kinds": [EntityKind.ENTERPRISE]}, {"enterprise"}),
        ({"region_prefix": "350205"}, {"alice", "coop"}),
        ({"region_prefix": "3502"}, {"alice", "coop", "dave", "enterprise"}),
        ({"subject_kind": SubjectKind.PERSON, "region_prefix": "350211"}, {"dave"}),
        ({"entity_kinds": [EntityKind.COOPERATIVE], "region_prefix": "350211"}, set()),
    ]
    for criteria, names in expected:
        aid = _aid(departments, case_item=item, **criteria)
        aid.full_clean()
        entitlements.find_eligible(aid, actor=dan)
        assert set(aid.grants.values_list("subject_key", flat=True)) == {keys[n] for n in names}, criteria
    coop = Entitlement.objects.filter(entity_kinds=[EntityKind.COOPERATIVE], region_prefix="").get()
    assert coop.grants.get().evidence.endswith("；单位类型：农民专业合作社")


def test_licence_and_case_sources_combine_with_and_and_an_unregistered_holder_is_known_by_its_code(
    felling_cases: dict[str, Any],
    departments: dict[str, Department],
    forest_right_type: LicenceType,  # noqa: F811
    alice: User,
    dan: User,
) -> None:
    forest_right_of(alice.person, forest_right_type)  # type: ignore[arg-type]
    dave = felling_cases["users"]["dave"]
    both = _aid(departments, licence_type=forest_right_type, case_item=felling_cases["version"].item)
    assert entitlements.find_eligible(both, actor=dan) == 1  # dave had a case approved, but holds no 林权证
    grant = both.grants.get()
    assert grant.subject_key == alice.person.id_number_hash and grant.case == felling_cases["cases"]["alice"]  # type: ignore[union-attr]
    assert grant.evidence.startswith("持有有效的林权证 闽（2019）海沧不动产权第2019000123号（2019-06-12 颁发）；办件 ")
    assert dave.person.id_number_hash not in set(both.grants.values_list("subject_key", flat=True))  # type: ignore[union-attr]
    # A sole trader holding a licence but never registered here: its kind is read from its code.
    forest_right_of(
        alice.person,  # type: ignore[arg-type]
        forest_right_type,
        serial="2020000456",
        holder_key="92350205MA2YXXXX0X",
        holder_name="海沧林记苗圃",
        holder_code_type=HolderCodeType.CREDIT_CODE,
        holder_masked="92350205MA2YXXXX0X",
    )
    traders = _aid(departments, licence_type=forest_right_type, entity_kinds=[EntityKind.SOLE_TRADER])
    assert entitlements.find_eligible(traders, actor=dan) == 1
    assert traders.grants.get().subject_name == "海沧林记苗圃"


def test_an_entitlement_without_a_source_or_with_a_bad_region_is_refused(departments: dict[str, Department]) -> None:
    no_source = Entitlement(
        name="无来源", description="-", legal_basis="-", department=departments["forestry"], region_prefix="350205"
    )
    with pytest.raises(ValidationError) as refused:
        no_source.full_clean()
    assert refused.value.message_dict == {"licence_type": ["请至少设定一个条件来源：持有的证照类型，或办结过的事项。"]}
    with pytest.raises(IntegrityError), transaction.atomic():
        no_source.save()
    form = EntitlementForm(
        data={
            "name": "x",
            "description": "x",
            "legal_basis": "x",
            "department": departments["forestry"].pk,
            "subject_kind": SubjectKind.PERSON,
            "entity_kinds": [EntityKind.COOPERATIVE],
            "region_prefix": "35a",
            "is_active": "on",
        }
    )
    assert not form.is_valid()
    assert form.errors["licence_type"] == ["请至少设定一个条件来源：持有的证照类型，或办结过的事项。"]
    assert form.errors["region_prefix"] == [
        "地区请填写行政区划代码的前 2 至 6 位数字，例如 35（福建省）、3502（厦门市）或 350205（海沧区）。"
    ]
    assert "主体类型已限定为自然人，不能再限定单位类型" in form.errors["entity_kinds"][0]
    assert not Entitlement.objects.exists()


def test_the_person_sees_why_and_the_desk_sees_the_criteria_in_words(
    felling_cases: dict[str, Any], departments: dict[str, Department], dan: User, alice: User, desk: Any
) -> None:
    aid = _aid(departments, case_item=felling_cases["version"].item, subject_kind=SubjectKind.PERSON)
    entitlements.find_eligible(aid, actor=dan)
    mine = aid.grants.get(subject_key=alice.person.id_number_hash)  # type: ignore[union-attr]
    page = desk(dan).get(f"/desk/entitlements/{aid.public_id}/").content.decode()
    assert "办结过（准予）：林木采伐许可证核发；主体：自然人" in page
    assert mine.evidence in page
    entitlements.grant(aid, [mine.public_id], actor=dan, purpose="2026年度造林补助")
    client = Client()
    client.force_login(alice)
    page = client.get("/my/entitlements/").content.decode()
    assert "为什么我能享受" in page and mine.evidence in page


def test_a_company_grant_tells_its_agents_in_one_look_up_and_the_audit_keeps_the_criteria(
    felling_cases: dict[str, Any],
    departments: dict[str, Department],
    dan: User,
    alice: User,
    alice_company: LegalEntity,
    django_assert_max_num_queries: Any,
) -> None:
    bea = felling_cases["users"]["bea"]
    identity_actions.authorise_for_entity(bea, alice_company)  # an agent (经办人) of the cooperative
    aid = _aid(departments, case_item=felling_cases["version"].item, subject_kind=SubjectKind.ENTITY)
    entitlements.find_eligible(aid, actor=dan)
    audit = AuditRecord.objects.get(event="proactive.eligibility_searched", target_id=str(aid.pk))
    assert audit.extra["found"] == 2
    assert audit.extra["criteria"] == {
        "licence_type": None,
        "issued_since": None,
        "case_item": felling_cases["version"].item.implementation_code,
        "case_closed_since": None,
        "subject_kind": "entity",
        "entity_kinds": [],
        "region_prefix": "",
        "in_words": "办结过（准予）：林木采伐许可证核发；主体：法人和其他组织",
    }
    coop = aid.grants.get(subject_key=COOP)
    assert entitlements.grant(aid, [coop.public_id], actor=dan, purpose="2026年度造林补助") == 1
    for user in (alice, bea):
        assert Notification.objects.filter(recipient=user, subject="您已享受：采伐迹地更新造林补助").count() == 1
    assert not Notification.objects.filter(recipient=felling_cases["users"]["dave"]).filter(
        subject__startswith="您已享受"
    )
    # The accounts of many subjects are read at once: two subjects cost no more queries than one.
    people = [_aid(departments, case_item=felling_cases["version"].item, subject_kind=SubjectKind.PERSON) for _ in "12"]
    for policy in people:
        assert entitlements.find_eligible(policy, actor=dan) == 2  # alice and dave
    with CaptureQueriesContext(connection) as one:
        entitlements.grant(people[0], [people[0].grants.first().public_id], actor=dan, purpose="第一批")  # type: ignore[union-attr]
    with django_assert_max_num_queries(len(one.captured_queries)):
        entitlements.grant(
            people[1], list(people[1].grants.values_list("public_id", flat=True)), actor=dan, purpose="第二批"
        )
