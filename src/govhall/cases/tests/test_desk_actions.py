"""The desk offers only what the person can do: the case page's forms are exactly what the server takes.

Every persona is put in front of a felling case at every stage. What their page offers is
compared with a table written by hand (who may do what, and when), and then with the server
itself: each action is posted with good input, in a savepoint that is rolled back, and it
must succeed exactly when its form was on the page. Consequential answers (a decision, a
countersign opinion) start unchosen and must be chosen; a refusal must give its reason.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from django.db import transaction
from django.test import Client

from conftest import PASSWORD
from govhall.cases import actions
from govhall.cases.constants import CaseAction, CaseStatus
from govhall.cases.models import Case
from govhall.catalog.models import ItemVersion
from govhall.identity import actions as identity_actions
from govhall.identity.constants import Role
from govhall.identity.models import Department, User
from govhall.licences.models import Licence

from .conftest import material_files

pytestmark = pytest.mark.django_db

NO_ACTION = "当前没有需要您办理的操作。"
FORM = {"location": "东孚镇鼎美村3林班", "volume": 12.5}
A = CaseAction

# What each persona is offered at each stage of a felling case (受理 → 审查 → 会签 → 决定 → 办结,
# every step in the forestry unit). Bob: forestry clerk; Carol: water clerk; Frank: reviewer in
# forestry and water (he asks for the countersign); Wendy: reviewer in water; Grace: approver
# of the bureau (covers every unit); Dan: supervisor of the bureau (reads, never acts).
# Carol and Wendy cannot open a forestry case until water is asked to countersign it.
EXPECTED: dict[str, dict[str, set[CaseAction]]] = {
    "submitted": {"bob": {A.ACCEPT, A.CORRECTION, A.NOT_ACCEPT}},
    "correction requested": {},
    "review": {
        "bob": {A.CORRECTION, A.EXTENSION_REQUEST},
        "frank": {A.COMPLETE_STEP, A.SPECIAL_START, A.EXTENSION_REQUEST},
        "grace": {A.SPECIAL_START},
    },
    "special procedure": {"frank": {A.SPECIAL_END}, "grace": {A.SPECIAL_END}},
    "countersign step": {
        "bob": {A.CORRECTION, A.EXTENSION_REQUEST},
        "frank": {A.COUNTERSIGN, A.SPECIAL_START, A.EXTENSION_REQUEST},
        "grace": {A.SPECIAL_START},
    },
    # Water's people answer for water; not Frank, who asked, nor Grace, who is not of water:
    "countersigning": {
        "bob": {A.EXTENSION_REQUEST},
        "frank": {A.EXTENSION_REQUEST},
        "carol": {A.COUNTERSIGN_ANSWER},
        "wendy": {A.COUNTERSIGN_ANSWER},
    },
    # The decision step is the approver's: no reviewer (Frank, Wendy) sees the decision form:
    "decision": {
        "bob": {A.CORRECTION, A.EXTENSION_REQUEST},
        "frank": {A.SPECIAL_START, A.EXTENSION_REQUEST},
        "grace": {A.DECIDE, A.SPECIAL_START},
    },
    "decision, extension asked": {
        "bob": {A.CORRECTION},
        "frank": {A.SPECIAL_START},
        "grace": {A.DECIDE, A.SPECIAL_START, A.EXTENSION_APPROVE, A.EXTENSION_REFUSE},
    },
    "approved": {"bob": {A.CLOSE}},
    "closed": {},
}
PERSONAS = ("bob", "carol", "frank", "wendy", "grace", "dan")

# Good input for each action, as its form posts it:
GOOD: dict[CaseAction, dict[str, Any]] = {
    A.ACCEPT: {"note": "材料齐全，予以受理。"},
    A.CORRECTION: {"items": "林权证复印件不清晰"},
    A.NOT_ACCEPT: {"reason": "不属于本机关职权范围", "legal_basis": "《行政许可法》第三十二条"},
    A.COMPLETE_STEP: {"opinion": "材料齐全，符合采伐限额。"},
    A.COUNTERSIGN: {"departments": ["water"], "note": "邻近河道，请会签。"},
    A.COUNTERSIGN_ANSWER: {"agrees": "yes", "opinion": "不涉及河道管理范围，同意。"},
    A.DECIDE: {"decision": "approve", "reason": "符合采伐条件", "legal_basis": "《森林法》第五十六条"},
    A.FORWARD: {"opinion": "初审符合条件，报请上级审批。"},
    A.CLOSE: {},
    A.SPECIAL_START: {"procedure": "专家评审"},
    A.SPECIAL_END: {"note": "专家评审通过"},
    A.EXTENSION_REQUEST: {"days": "3", "reason": "需要补充调查"},
    A.EXTENSION_APPROVE: {"reason": "同意延期"},
    A.EXTENSION_REFUSE: {"reason": "理由不充分"},
}


@pytest.fixture
def people(
    departments: dict[str, Department], bob: User, carol: User, frank: User, grace: User, dan: User
) -> dict[str, User]:
    wendy = identity_actions.create_staff(username="wendy", full_name="王文迪", password=PASSWORD)
    identity_actions.grant_role(wendy, departments["water"], Role.REVIEWER)
    return {"bob": bob, "carol": carol, "frank": frank, "wendy": wendy, "grace": grace, "dan": dan}


@pytest.fixture
def case_at(
    felling: ItemVersion, alice: User, people: dict[str, User], departments: dict[str, Department], on_day: Any
) -> Callable[[str], Case]:
    """A felling case brought to a stage of EXPECTED, through the actions."""
    bob, carol, frank, grace = (people[name] for name in ("bob", "carol", "frank", "grace"))

    def build(stage: str) -> Case:
        case = actions.submit_case(
            felling, applicant=alice, form_data=FORM, submit_key=stage, files=material_files(felling)
        )
        if stage == "submitted":
            return case
        if stage == "correction requested":
            return actions.request_correction(case, actor=bob, items=["缺少林权证"])
        case = actions.accept_case(case, actor=bob)
        if stage == "review":
            return case
        if stage == "special procedure":
            return actions.start_special_procedure(case, actor=frank, procedure="专家评审", note="")
        case = actions.complete_step(case, actor=frank, opinion="材料齐全。")
        if stage == "countersign step":
            return case
        case = actions.start_countersign(case, actor=frank, departments=[departments["water"]])
        if stage == "countersigning":
            return case
        case = actions.answer_countersign(case.countersigns.get(), actor=carol, agrees=True, opinion="同意。")
        if stage == "decision":
            return case
        if stage == "decision, extension asked":
            return actions.request_extension(case, actor=bob, days=3, reason="需要补充调查")
        case = actions.decide_case(case, actor=grace, decision="approve", reason="符合条件", legal_basis="《森林法》")
        if stage == "approved":
            return case
        assert stage == "closed"
        return actions.close_case(case, actor=bob)

    return build


def _desk(user: User, settings: Any, language: str = "zh-hans") -> Client:
    settings.STAFF_2FA_SKIP = True
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    if language == "en":
        client.cookies["django_language"] = "en"
    client.force_login(user)
    return client


_FORM_ACTION = re.compile(r'(?:action|formaction)="/desk/cases/[0-9a-f-]+/([a-z-]+)/"')


def _offered(page: str) -> set[CaseAction]:
    """The actions whose forms (or buttons) the page offers."""
    return {CaseAction(name) for name in _FORM_ACTION.findall(page)}


def _fingerprint(case: Case) -> tuple[Any, ...]:
    """What a refused post must leave as it was."""
    case.refresh_from_db()
    countersigns = tuple(case.countersigns.order_by("pk").values_list("answered_at", "agrees", "opinion"))
    return case.status, case.events.count(), case.step_order, case.extension_days, case.decision, countersigns


def _post(client: Client, case: Case, action: CaseAction, extra: dict[str, Any] | None = None) -> Any:
    return client.post(f"/desk/cases/{case.public_id}/{action}/", {**GOOD[action], **(extra or {})})


@pytest.mark.parametrize("stage", list(EXPECTED))
def test_each_person_is_offered_exactly_what_the_server_takes_from_them(
    stage: str, case_at: Callable[[str], Case], people: dict[str, User], settings: Any
) -> None:
    case = case_at(stage)
    mismatches = []
    for persona in PERSONAS:
        client = _desk(people[persona], settings)
        response = client.get(f"/desk/cases/{case.public_id}/")
        page = response.content.decode() if response.status_code == 200 else ""
        offered = _offered(page)
        # What the page offers is the table's:
        assert offered == EXPECTED[stage].get(persona, set()), (stage, persona)
        # "Nothing to do" stands alone, and only when there is nothing to do:
        if response.status_code == 200:
            assert (NO_ACTION in page) == (not offered), (stage, persona)
        # And it is what the server takes: each action, with good input, in a savepoint rolled back:
        pending = list(case.countersigns.filter(answered_at__isnull=True).values_list("pk", flat=True))
        for action in CaseAction:
            attempts = [{"countersign": pk} for pk in pending] if action == A.COUNTERSIGN_ANSWER else [{}]
            for extra in attempts or [{"countersign": 0}]:
                before = _fingerprint(case)
                savepoint = transaction.savepoint()
                response = _post(client, case, action, extra)
                taken = _fingerprint(case) != before
                transaction.savepoint_rollback(savepoint)
                assert response.status_code in {302, 404}, (stage, persona, action, response.status_code)
                if taken != (action in offered):
                    mismatches.append((persona, str(action), "taken" if taken else "refused"))
    assert mismatches == [], stage


def test_the_countersign_form_names_the_department_and_each_pending_one_is_offered_once(
    case_at: Callable[[str], Case], people: dict[str, User], departments: dict[str, Department], settings: Any
) -> None:
    """Someone in two asked departments sees a form for each, answers one of them, and not the other too."""
    case = case_at("countersign step")
    agriculture = identity_actions.save_department(
        code="agriculture", name="农业科", credit_code="11350205MB0100005E", parent=departments["bureau"]
    )
    wendy = people["wendy"]
    identity_actions.grant_role(wendy, agriculture, Role.REVIEWER)
    case = actions.start_countersign(case, actor=people["frank"], departments=[departments["water"], agriculture])
    client = _desk(wendy, settings)
    page = client.get(f"/desk/cases/{case.public_id}/").content.decode()
    assert page.count('action="/desk/cases/' + str(case.public_id) + '/countersign-answer/"') == 2
    assert "水利科会签意见" in page and "农业科会签意见" in page and NO_ACTION not in page
    water = case.countersigns.get(department=departments["water"])
    farm = case.countersigns.get(department=agriculture)
    assert _post(client, case, A.COUNTERSIGN_ANSWER, {"countersign": water.pk}).status_code == 302
    page = client.get(f"/desk/cases/{case.public_id}/").content.decode()
    assert "countersign-answer" not in page and NO_ACTION in page
    # The server refuses the second answer as the page no longer offers it:
    before = _fingerprint(case)
    refused = client.post(
        f"/desk/cases/{case.public_id}/countersign-answer/",
        {"countersign": farm.pk, "agrees": "yes", "opinion": "同意"},
        follow=True,
    )
    assert "您已就本办件提交过会签意见，不能再代表另一个部门答复。" in refused.content.decode()
    assert _fingerprint(case) == before


# No pre-selected answer; a refusal gives its reason ---------------------------------------------


def _radios(page: str, name: str) -> list[str]:
    return re.findall(rf'<input type="radio" name="{name}"[^>]*>', page)


def test_the_decision_and_the_countersign_opinion_start_unchosen(
    case_at: Callable[[str], Case], people: dict[str, User], settings: Any
) -> None:
    decision = case_at("decision")
    page = _desk(people["grace"], settings).get(f"/desk/cases/{decision.public_id}/").content.decode()
    assert len(_radios(page, "decision")) == 2
    assert not [radio for radio in _radios(page, "decision") if "checked" in radio]
    countersigning = case_at("countersigning")
    page = _desk(people["carol"], settings).get(f"/desk/cases/{countersigning.public_id}/").content.decode()
    assert len(_radios(page, "agrees")) == 2
    assert not [radio for radio in _radios(page, "agrees") if "checked" in radio]


def _field_error(page: str, field_id: str) -> str:
    """The message shown at a field (Django's ``<id>_error`` list, which the field points to)."""
    match = re.search(rf'<ul class="errorlist" id="{field_id}_error">(.*?)</ul>', page, re.S)
    assert match, f"no error at {field_id}"
    return re.sub(r"<[^>]+>", "", match.group(1)).strip()


@pytest.mark.parametrize(
    ("language", "messages"),
    [
        ("zh-hans", ("请选择准予或不予。", "不予许可的，必须说明理由。", "请写明法律依据。")),
        ("en", ("Please choose approve or deny.", "A denial must state its reason.", "Please state the legal basis.")),
    ],
)
def test_a_decision_must_be_chosen_and_a_denial_must_give_its_reason(
    language: str,
    messages: tuple[str, str, str],
    case_at: Callable[[str], Case],
    people: dict[str, User],
    settings: Any,
) -> None:
    case = case_at("decision")
    client = _desk(people["grace"], settings, language)
    url = f"/desk/cases/{case.public_id}/decide/"
    before = _fingerprint(case)

    unchosen = client.post(url, {"decision": "", "reason": "符合条件", "legal_basis": "《森林法》"})
    assert unchosen.status_code == 400
    page = unchosen.content.decode()
    assert _field_error(page, "decide-decision") == messages[0]
    # The page keeps what was typed, and offers what it offered before:
    assert "符合条件" in page and _offered(page) == {A.DECIDE, A.SPECIAL_START}

    # Every problem at once: a denial with neither reason nor legal basis:
    bare = client.post(url, {"decision": "deny", "reason": " ", "legal_basis": ""}).content.decode()
    assert _field_error(bare, "decide-reason") == messages[1]
    assert _field_error(bare, "decide-legal_basis") == messages[2]
    assert re.search(r'<input type="radio" name="decision" value="deny"[^>]*checked', bare)

    assert _fingerprint(case) == before
    assert not Licence.objects.exists()
    assert case.events.filter(kind="decided").count() == 0


@pytest.mark.parametrize(
    ("language", "messages"),
    [
        ("zh-hans", ("请选择同意或不同意。", "不同意的，请写明理由。")),
        ("en", ("Please choose agree or disagree.", "If you disagree, please state why.")),
    ],
)
def test_a_countersign_opinion_must_be_chosen_and_a_disagreement_must_say_why(
    language: str, messages: tuple[str, str], case_at: Callable[[str], Case], people: dict[str, User], settings: Any
) -> None:
    case = case_at("countersigning")
    countersign = case.countersigns.get()
    client = _desk(people["carol"], settings, language)
    url = f"/desk/cases/{case.public_id}/countersign-answer/"
    before = _fingerprint(case)

    unchosen = client.post(url, {"countersign": countersign.pk, "opinion": "不涉及河道"})
    assert unchosen.status_code == 400
    assert _field_error(unchosen.content.decode(), f"countersign-{countersign.pk}-agrees") == messages[0]

    disagreeing = client.post(url, {"countersign": countersign.pk, "agrees": "no", "opinion": ""})
    assert _field_error(disagreeing.content.decode(), f"countersign-{countersign.pk}-opinion") == messages[1]

    assert _fingerprint(case) == before
    countersign.refresh_from_db()
    assert countersign.answered_at is None and countersign.agrees is None


def test_a_refusal_to_accept_must_give_its_reason_and_legal_basis(
    case_at: Callable[[str], Case], people: dict[str, User], settings: Any
) -> None:
    case = case_at("submitted")
    client = _desk(people["bob"], settings)
    before = _fingerprint(case)
    page = client.post(f"/desk/cases/{case.public_id}/not-accept/", {"reason": "", "legal_basis": ""})
    assert page.status_code == 400
    assert _field_error(page.content.decode(), "not-accept-reason") == "不予受理必须写明理由。"
    assert _field_error(page.content.decode(), "not-accept-legal_basis") == "请写明法律依据。"
    refused = client.post(f"/desk/cases/{case.public_id}/extension-refuse/", {"reason": ""})
    assert refused.status_code == 302  # no extension is pending: a refusal of the action, said above the page
    assert _fingerprint(case) == before
    assert case.status == CaseStatus.SUBMITTED


def test_a_refused_action_says_why_above_the_page_as_it_now_is(
    case_at: Callable[[str], Case], people: dict[str, User], settings: Any
) -> None:
    case = case_at("review")
    client = _desk(people["bob"], settings)
    before = _fingerprint(case)
    response = client.post(f"/desk/cases/{case.public_id}/complete-step/", {"opinion": "我来审查"}, follow=True)
    page = response.content.decode()
    assert "您在承办部门没有执行这个操作所需的岗位角色。" in page
    assert "完成本环节" not in page
    assert _fingerprint(case) == before


def test_a_mistyped_number_is_shown_at_its_field_only_to_whoever_may_act(
    case_at: Callable[[str], Case], people: dict[str, User], settings: Any
) -> None:
    case = case_at("review")
    before = _fingerprint(case)
    typed = {"days": "三", "reason": "需要补充调查"}
    mistyped = _desk(people["bob"], settings).post(f"/desk/cases/{case.public_id}/extension-request/", typed)
    assert mistyped.status_code == 400
    assert _field_error(mistyped.content.decode(), "extension-request-days")
    # Grace may not ask for an extension: she is told so, not asked to fix the number:
    refused = _desk(people["grace"], settings).post(
        f"/desk/cases/{case.public_id}/extension-request/", typed, follow=True
    )
    assert "您在承办部门没有执行这个操作所需的岗位角色。" in refused.content.decode()
    assert _fingerprint(case) == before


# The API: the same rule, the same messages ---------------------------------------------------


def _api(user: User, settings: Any) -> Client:
    return _desk(user, settings)


def test_the_api_lists_the_actions_the_desk_page_offers(
    case_at: Callable[[str], Case], people: dict[str, User], settings: Any
) -> None:
    for stage in ("decision, extension asked", "countersigning"):
        case = case_at(stage)
        for persona in PERSONAS:
            response = _api(people[persona], settings).get(f"/api/v1/desk/cases/{case.public_id}/")
            listed = set(response.json()["available_actions"]) if response.status_code == 200 else set()
            assert listed == {str(a) for a in EXPECTED[stage].get(persona, set())}, (stage, persona)


def test_the_api_asks_for_a_chosen_decision_and_opinion_at_their_fields(
    case_at: Callable[[str], Case], people: dict[str, User], settings: Any
) -> None:
    case = case_at("countersigning")
    before = _fingerprint(case)
    answer = _api(people["carol"], settings).post(
        f"/api/v1/desk/cases/{case.public_id}/actions/countersign-answer/",
        {"department": "water", "opinion": ""},
        content_type="application/json",
    )
    assert answer.status_code == 400
    assert answer.json() == {"errors": {"agrees": ["请选择同意或不同意。"], "opinion": ["请填写会签意见。"]}}
    assert _fingerprint(case) == before

    case = case_at("decision")
    before = _fingerprint(case)
    decided = _api(people["grace"], settings).post(
        f"/api/v1/desk/cases/{case.public_id}/actions/decide/",
        {"decision": "deny", "reason": "", "legal_basis": "《森林法》"},
        content_type="application/json",
    )
    assert decided.status_code == 400
    assert decided.json() == {"errors": {"reason": ["不予许可的，必须说明理由。"]}}
    assert _fingerprint(case) == before
