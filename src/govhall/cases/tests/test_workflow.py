"""A case moves through its item's steps on the legal clock; every action is checked and recorded."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from govhall.audit.models import AuditRecord
from govhall.cases import actions
from govhall.cases.constants import CaseStatus
from govhall.cases.models import Case, CaseEvent
from govhall.cases.queries import access_case_for_staff, inbox_for
from govhall.catalog.models import ItemVersion
from govhall.identity.models import Department, User

from .conftest import material_files

pytestmark = pytest.mark.django_db
D = datetime.date.fromisoformat
FORM = {"location": "东孚镇鼎美村3林班", "volume": 12.5}


def _submit(version: ItemVersion, alice: User, key: str = "k1") -> Case:
    return actions.submit_case(version, applicant=alice, form_data=FORM, submit_key=key, files=material_files(version))


def test_submitting_gives_a_case_number_of_code_date_and_serial(felling: ItemVersion, alice: User, on_day: Any) -> None:
    on_day("2026-09-24")
    first = _submit(felling, alice, "a")
    second = _submit(felling, alice, "b")
    code = felling.item.implementation_code
    assert first.reference == f"{code}202609240001"
    assert second.reference == f"{code}202609240002"
    assert first.status == CaseStatus.SUBMITTED


def test_a_filing_that_fails_gives_its_serial_back(
    felling: ItemVersion, alice: User, on_day: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The serial is taken inside the filing's transaction: a filing rolled back leaves no gap."""
    on_day("2026-09-24")
    _submit(felling, alice, "a")

    def fails(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("the disk is full")

    with monkeypatch.context() as patched:
        patched.setattr(actions, "move", fails)
        with pytest.raises(RuntimeError):
            _submit(felling, alice, "b")
    assert not Case.objects.filter(submit_key="b").exists()
    assert _submit(felling, alice, "c").reference.endswith("202609240002")
    on_day("2026-09-25")  # a new day starts from 1 again
    assert _submit(felling, alice, "d").reference.endswith("202609250001")


def test_an_item_suspended_elsewhere_takes_no_more_applications(
    felling: ItemVersion, alice: User, settings: Any
) -> None:
    """The guide a process keeps is for display: the filing asks the database whether it may."""
    from govhall.catalog.constants import ItemStatus
    from govhall.catalog.models import ServiceItem
    from govhall.catalog.queries import get_guide

    settings.CATALOG_RECHECK_SECONDS = 3600  # this process will not look at the catalog again soon
    guide = get_guide(str(felling.public_id))
    ServiceItem.objects.filter(pk=felling.item_id).update(status=ItemStatus.SUSPENDED)  # another server
    assert get_guide(str(felling.public_id)).item.status == ItemStatus.IN_USE  # still the kept guide
    with pytest.raises(ValidationError) as error:
        _submit(guide, alice)
    assert error.value.code == "not_live"
    assert not Case.objects.exists()


def test_a_double_click_returns_the_same_case(felling: ItemVersion, alice: User) -> None:
    assert _submit(felling, alice, "same") == _submit(felling, alice, "same")
    assert Case.objects.count() == 1


def test_an_invalid_form_is_refused_and_nothing_is_filed(felling: ItemVersion, alice: User) -> None:
    with pytest.raises(ValidationError) as error:
        actions.submit_case(felling, applicant=alice, form_data={"volume": -1}, submit_key="x")
    assert {"location", "volume"} <= set(error.value.message_dict)
    assert Case.objects.count() == 0


def test_an_unpublished_item_cannot_be_applied_for(
    helen: User, alice: User, departments: dict[str, Department]
) -> None:
    from govhall.catalog.tests.factories import create_draft

    draft = create_draft(helen, departments["forestry"])
    with translation.override("zh-hans"), pytest.raises(ValidationError, match="未发布"):
        actions.submit_case(draft, applicant=alice, form_data=FORM, submit_key="x")


def test_acceptance_sets_the_due_dates_on_working_days_across_national_day(
    felling: ItemVersion, alice: User, bob: User, on_day: Any
) -> None:
    on_day("2026-09-24")
    case = actions.accept_case(_submit(felling, alice), actor=bob)
    # Committed 5 working days (STANDARDS §5 worked example); statutory 20, counted by hand:
    # 09-28..30 (3), 10-08, 10-09 (5), Saturday 10-10 is a make-up workday (6), 10-12..16 (11),
    # 10-19..23 (16), 10-26..29 (20).
    assert case.due_on == D("2026-10-09")
    assert case.statutory_due_on == D("2026-10-29")
    assert case.status == CaseStatus.IN_PROGRESS
    assert case.step_order == 2  # the review step after 受理


def test_a_correction_pauses_the_clock_by_exactly_the_paused_working_days(
    felling: ItemVersion, alice: User, bob: User, on_day: Any
) -> None:
    on_day("2026-09-24")
    case = actions.accept_case(_submit(felling, alice), actor=bob)
    on_day("2026-09-29")
    case = actions.request_correction(case, actor=bob, items=["林权证复印件不清晰", "缺少采伐地点示意图"])
    assert case.status == CaseStatus.CORRECTION_REQUESTED
    on_day("2026-10-09")  # paused 09-30, 10-08, 10-09: three working days (holiday between)
    case = actions.answer_correction(case, applicant=alice, note="已补交清晰的林权证和示意图")
    assert case.paused_working_days == 3
    # 10-09 + 3 working days: make-up Saturday 10-10, then 10-12, 10-13.
    assert case.due_on == D("2026-10-13")
    assert case.status == CaseStatus.IN_PROGRESS


def test_a_correction_lists_every_item_at_once(felling: ItemVersion, alice: User, bob: User) -> None:
    case = _submit(felling, alice)
    with pytest.raises(ValidationError):
        actions.request_correction(case, actor=bob, items=["  "])
    case = actions.request_correction(case, actor=bob, items=["缺少林权证", "申请表未签字"])
    event = case.events.get(kind="correction_requested")
    assert event.data["corrections"] == ["缺少林权证", "申请表未签字"]


def test_the_whole_process_with_countersign_of_two_units(
    felling: ItemVersion,
    alice: User,
    bob: User,
    carol: User,
    frank: User,
    grace: User,
    departments: dict[str, Department],
) -> None:
    from govhall.identity import actions as identity_actions
    from govhall.identity.constants import Role

    agriculture = identity_actions.save_department(
        code="agriculture", name="农业科", credit_code="11350205MB0100005E", parent=departments["bureau"]
    )
    case = actions.accept_case(_submit(felling, alice), actor=bob)
    case = actions.complete_step(case, actor=frank, opinion="材料齐全，符合采伐限额。")
    case = actions.start_countersign(case, actor=frank, departments=[departments["water"], agriculture])
    assert case.status == CaseStatus.COUNTERSIGNING
    # Carol's water section is asked, so she can now see the case:
    assert case in inbox_for(carol)
    water_sign = case.countersigns.get(department=departments["water"])
    case = actions.answer_countersign(water_sign, actor=carol, agrees=True, opinion="不涉及河道管理范围。")
    assert case.status == CaseStatus.COUNTERSIGNING  # still waiting for agriculture
    farmer_clerk = identity_actions.create_staff(username="gao", full_name="高农", password="Test#Pass2026")
    identity_actions.grant_role(farmer_clerk, agriculture, Role.REVIEWER)
    case = actions.answer_countersign(
        case.countersigns.get(department=agriculture), actor=farmer_clerk, agrees=True, opinion="同意。"
    )
    assert case.status == CaseStatus.IN_PROGRESS
    case = actions.decide_case(
        case, actor=grace, decision="approve", reason="符合采伐条件", legal_basis="《森林法》第五十六条"
    )
    assert case.status == CaseStatus.APPROVED
    case = actions.close_case(case, actor=bob)
    assert case.status == CaseStatus.CLOSED
    kinds = list(case.events.values_list("kind", flat=True))
    assert kinds == [
        "submitted",
        "accepted",
        "step_completed",
        "countersign_requested",
        "countersign_answered",
        "countersign_answered",
        "decided",
        "closed",
    ]
    assert AuditRecord.objects.filter(target_id=str(case.pk), event="cases.decided").exists()


def test_a_clerk_cannot_skip_a_step_or_act_on_a_step_not_theirs(
    felling: ItemVersion, alice: User, bob: User, grace: User
) -> None:
    case = actions.accept_case(_submit(felling, alice), actor=bob)
    with translation.override("zh-hans"), pytest.raises(ValidationError, match="不能跳过"):
        actions.decide_case(case, actor=grace, decision="approve", reason="好", legal_basis="法")
    with pytest.raises(PermissionDenied):
        actions.complete_step(case, actor=bob, opinion="我来审查")
    case.refresh_from_db()
    assert case.step_order == 2 and case.events.count() == 2


def test_carol_cannot_see_or_touch_bob_s_case(felling: ItemVersion, alice: User, bob: User, carol: User) -> None:
    from django.http import Http404

    case = _submit(felling, alice)
    assert case in inbox_for(bob)
    assert case not in inbox_for(carol)
    with pytest.raises(Http404):
        access_case_for_staff(carol, str(case.public_id))
    with pytest.raises(PermissionDenied):
        actions.accept_case(case, actor=carol)
    case.refresh_from_db()
    assert case.status == CaseStatus.SUBMITTED


def test_an_action_out_of_order_is_refused_and_changes_nothing(felling: ItemVersion, alice: User, bob: User) -> None:
    case = _submit(felling, alice)
    with pytest.raises(ValidationError):
        actions.close_case(case, actor=bob)
    case.refresh_from_db()
    assert case.status == CaseStatus.SUBMITTED
    assert CaseEvent.objects.filter(case=case).count() == 1


def test_not_accepting_needs_reason_and_legal_basis(felling: ItemVersion, alice: User, bob: User) -> None:
    case = _submit(felling, alice)
    with pytest.raises(ValidationError):
        actions.not_accept_case(case, actor=bob, reason="不属于本机关职权", legal_basis="")
    case = actions.not_accept_case(case, actor=bob, reason="不属于本机关职权", legal_basis="《行政许可法》第三十二条")
    assert case.status == CaseStatus.NOT_ACCEPTED


def test_the_applicant_withdraws_but_not_someone_else(felling: ItemVersion, alice: User) -> None:
    from govhall.identity.actions import register_applicant

    other = register_applicant(
        name="王五", id_number="350205199001010010", phone="13900000001", password="Test#Pass2026"
    )
    case = _submit(felling, alice)
    with pytest.raises(PermissionDenied):
        actions.withdraw_case(case, applicant=other, reason="不要了")
    assert actions.withdraw_case(case, applicant=alice, reason="不再采伐").status == CaseStatus.WITHDRAWN


def test_the_sweep_marks_yellow_and_red(felling: ItemVersion, alice: User, bob: User, on_day: Any) -> None:
    on_day("2026-09-24")
    case = actions.accept_case(_submit(felling, alice), actor=bob)  # due 2026-10-09
    assert actions.sweep_time_limits(D("2026-09-25")) == {"red": 0, "yellow": 0}
    assert actions.sweep_time_limits(D("2026-10-08")) == {"red": 0, "yellow": 1}
    assert actions.sweep_time_limits(D("2026-10-12")) == {"red": 1, "yellow": 0}
    case.refresh_from_db()
    assert case.warning == "red"
    from govhall.proactive.models import Notification

    told = set(Notification.objects.filter(subject__contains="已超期").values_list("recipient__username", flat=True))
    assert told == {"bob"}  # the forestry clerk (no supervisor in this test)


def test_the_applicant_is_told_of_acceptance_and_corrections(
    felling: ItemVersion, alice: User, bob: User, on_day: Any
) -> None:
    from govhall.proactive.models import Notification

    on_day("2026-09-24")

    case = actions.accept_case(_submit(felling, alice), actor=bob)
    actions.request_correction(case, actor=bob, items=["补充采伐地点示意图"])
    subjects = list(Notification.objects.filter(recipient=alice).order_by("pk").values_list("subject", flat=True))
    # Each message names the item, the outcome and the next step (test_applicant_texts.py has them all):
    assert subjects == [
        "您的“林木采伐许可证核发”申请已提交，正在等待窗口受理；受理或需要补正时会再通知您。",
        "您的“林木采伐许可证核发”申请已受理，承诺于2026年10月9日前办结，目前不需要您做什么。",
        "您的“林木采伐许可证核发”申请需要补正1项内容，请在办件页面一次性补正后提交。",
    ]


def test_notifications_are_written_in_the_language_the_applicant_chose(
    felling: ItemVersion, alice: User, bob: User
) -> None:
    from django.test import Client

    from conftest import ALICE_ID, PASSWORD
    from govhall.proactive.models import Notification

    client = Client()
    client.post("/login/", {"account": ALICE_ID, "password": PASSWORD})
    client.post("/i18n/setlang/", {"language": "en", "next": "/my/"})
    alice.refresh_from_db()
    assert alice.language == "en"
    case = _submit(felling, alice)
    with translation.override("zh-hans"):  # the clerk works in Chinese
        actions.accept_case(case, actor=bob)
    subject = Notification.objects.filter(recipient=alice).order_by("-pk").values_list("subject", flat=True)[0]
    assert subject.startswith('Your application for "林木采伐许可证核发" has been accepted and will be decided by ')


def test_an_approved_extension_moves_the_due_date_by_working_days(
    felling: ItemVersion, alice: User, bob: User, grace: User, on_day: Any
) -> None:
    on_day("2026-09-24")
    case = actions.accept_case(_submit(felling, alice), actor=bob)  # due 2026-10-09
    with pytest.raises(ValidationError):
        actions.request_extension(case, actor=bob, days=11, reason="需要专家论证")
    case = actions.request_extension(case, actor=bob, days=10, reason="采伐量大，需要补充调查")
    with pytest.raises(PermissionDenied):
        actions.approve_extension(case, actor=bob)
    case = actions.approve_extension(case, actor=grace, note="同意延期")
    # 10-09 + 10 working days: 10-10 (make-up Saturday), 10-12..16, 10-19..22.
    assert case.due_on == D("2026-10-22")
    with pytest.raises(ValidationError):
        actions.request_extension(case, actor=bob, days=2, reason="再延")


def test_whoever_asked_for_a_countersign_cannot_answer_it_for_another_section(
    felling: ItemVersion, alice: User, bob: User, frank: User, departments: dict[str, Department]
) -> None:
    case = actions.accept_case(_submit(felling, alice), actor=bob)
    case = actions.complete_step(case, actor=frank, opinion="材料齐全。")
    case = actions.start_countersign(case, actor=frank, departments=[departments["water"]])
    with pytest.raises(PermissionDenied):
        actions.answer_countersign(case.countersigns.get(), actor=frank, agrees=True, opinion="同意")
    assert case.countersigns.get().answered_at is None


def test_the_yellow_line_is_configurable(
    felling: ItemVersion, alice: User, bob: User, on_day: Any, settings: Any
) -> None:
    on_day("2026-09-24")
    actions.accept_case(_submit(felling, alice), actor=bob)  # due 2026-10-09, 5 working days
    # On 09-30 two working days are left (10-08, 10-09): not yellow at the default of one day,
    assert actions.sweep_time_limits(D("2026-09-30")) == {"red": 0, "yellow": 0}
    # yellow when the bureau sets three:
    settings.CASE_WARN_YELLOW_DAYS = 3
    assert actions.sweep_time_limits(D("2026-09-30")) == {"red": 0, "yellow": 1}


def test_a_passed_statutory_date_turns_a_case_red_even_before_the_committed_one(
    felling: ItemVersion, alice: User, bob: User, on_day: Any
) -> None:
    on_day("2026-09-24")
    case = actions.accept_case(_submit(felling, alice), actor=bob)
    Case.objects.filter(pk=case.pk).update(due_on=D("2026-10-20"), statutory_due_on=D("2026-10-09"))
    assert actions.sweep_time_limits(D("2026-10-12")) == {"red": 1, "yellow": 0}


def test_only_the_supervisors_over_the_unit_are_told_of_a_late_case(
    felling: ItemVersion, alice: User, bob: User, dan: User, departments: dict[str, Department], on_day: Any
) -> None:
    from govhall.identity import actions as identity_actions
    from govhall.identity.constants import Role
    from govhall.proactive.models import Notification

    water_supervisor = identity_actions.create_staff(username="sam", full_name="苏安民", password="Test#Pass2026")
    identity_actions.grant_role(water_supervisor, departments["water"], Role.SUPERVISOR)
    on_day("2026-09-24")
    actions.accept_case(_submit(felling, alice), actor=bob)
    actions.sweep_time_limits(D("2026-10-12"))
    told = set(Notification.objects.filter(subject__contains="已超期").values_list("recipient__username", flat=True))
    assert told == {"bob", "dan"}


def test_whoever_asked_for_an_extension_cannot_grant_it_and_the_applicant_is_told_of_it(
    felling: ItemVersion, alice: User, grace: User, departments: dict[str, Department], on_day: Any
) -> None:
    from govhall.identity import actions as identity_actions
    from govhall.identity.constants import Role
    from govhall.proactive.models import Notification

    olga = identity_actions.create_staff(username="olga", full_name="欧丽华", password="Test#Pass2026")
    identity_actions.grant_role(olga, departments["forestry"], Role.CLERK)
    identity_actions.grant_role(olga, departments["forestry"], Role.APPROVER)
    on_day("2026-09-24")
    case = actions.accept_case(_submit(felling, alice), actor=olga)
    case = actions.request_extension(case, actor=olga, days=3, reason="需要补充调查")
    with translation.override("zh-hans"), pytest.raises(PermissionDenied, match="须由申请人以外的审批人员审批"):
        actions.approve_extension(case, actor=olga)
    case.refresh_from_db()
    assert not case.extension_approved and case.due_on == D("2026-10-09")
    actions.approve_extension(case, actor=grace, note="同意")
    subjects = list(Notification.objects.filter(recipient=alice).values_list("subject", flat=True))
    assert (
        "您的“林木采伐许可证核发”申请办理期限延长3个工作日，改为2026年10月13日前办结，目前不需要您做什么。" in subjects
    )


def test_a_special_procedure_pauses_the_clock_by_exactly_its_working_days(
    felling: ItemVersion, alice: User, bob: User, frank: User, on_day: Any
) -> None:
    on_day("2026-09-24")
    case = actions.accept_case(_submit(felling, alice), actor=bob)  # due 2026-10-09
    case = actions.complete_step(case, actor=frank, opinion="需要专家评审")
    on_day("2026-09-25")
    case = actions.start_special_procedure(case, actor=frank, procedure="专家评审", note="采伐量较大")
    assert case.status == CaseStatus.SPECIAL_PROCEDURE
    on_day("2026-10-09")
    case = actions.end_special_procedure(case, actor=frank, note="专家同意")
    # Paused 09-25 (Mid-Autumn holiday) to 10-09: the working days 09-28, 09-29, 09-30, 10-08 and
    # 10-09 (National Day in between) — 5; the due date 10-09 moves by 5 working days: 10-10 (the
    # make-up Saturday), 10-12, 10-13, 10-14, 10-15.
    assert case.paused_working_days == 5
    assert case.due_on == D("2026-10-15")
    assert case.status == CaseStatus.IN_PROGRESS


def test_the_supervisors_late_list_shows_red_and_yellow_cases_and_is_closed_to_clerks(
    felling: ItemVersion, alice: User, bob: User, dan: User, on_day: Any, settings: Any
) -> None:
    from django.test import Client

    from conftest import PASSWORD

    on_day("2026-09-24")
    case = actions.accept_case(_submit(felling, alice), actor=bob)
    actions.sweep_time_limits(D("2026-10-12"))
    settings.STAFF_2FA_SKIP = True
    supervisor = Client()
    supervisor.post("/desk/login/", {"username": "dan", "password": PASSWORD})
    page = supervisor.get("/desk/cases/late/").content.decode()
    assert case.reference in page and "已超期" in page
    clerk = Client()
    clerk.post("/desk/login/", {"username": "bob", "password": PASSWORD})
    refused = clerk.get("/desk/cases/late/")
    assert refused.status_code == 403 and "只有监督人员可以查看超期督办清单。" in refused.content.decode()


def test_a_sweep_sends_each_person_one_digest_of_their_cases(
    felling: ItemVersion, alice: User, bob: User, dan: User, on_day: Any, django_assert_max_num_queries: Any
) -> None:
    from govhall.proactive.models import Notification

    on_day("2026-09-24")
    cases = [actions.accept_case(_submit(felling, alice, key=f"k{n}"), actor=bob) for n in range(3)]
    with django_assert_max_num_queries(25):  # a fixed number, however many cases turn red
        assert actions.sweep_time_limits(D("2026-10-12")) == {"red": 3, "yellow": 0}
    digests = Notification.objects.filter(subject__contains="已超期")
    assert sorted(digests.values_list("recipient__username", flat=True)) == ["bob", "dan"]
    bob_digest = digests.get(recipient=bob)
    assert bob_digest.subject == "3 件办件需要关注：3 件已超期，0 件即将到期"
    assert all(case.reference in bob_digest.body for case in cases)
    assert bob_digest.link == "/desk/cases/" and digests.get(recipient=dan).link == "/desk/cases/late/"


def test_an_approver_refuses_an_extension_with_a_reason_and_a_new_request_may_follow(
    felling: ItemVersion, alice: User, bob: User, grace: User, on_day: Any
) -> None:
    on_day("2026-09-24")
    case = actions.accept_case(_submit(felling, alice), actor=bob)
    case = actions.request_extension(case, actor=bob, days=5, reason="需要补充调查")
    with translation.override("zh-hans"), pytest.raises(ValidationError, match="请写明不予延期的理由"):
        actions.refuse_extension(case, actor=grace, reason=" ")
    case = actions.refuse_extension(case, actor=grace, reason="调查可在时限内完成")
    assert case.extension_days == 0 and not case.extension_approved and case.due_on == D("2026-10-09")
    assert case.events.filter(kind="extension_refused", opinion="调查可在时限内完成").exists()
    case = actions.request_extension(case, actor=bob, days=2, reason="专家意见未到")
    assert case.extension_days == 2
