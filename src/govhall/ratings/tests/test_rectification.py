"""A bad rating's rectification runs new → classified → assigned → rectifying → followed up → closed, with its branches."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404

from govhall.cases.models import Case
from govhall.cases.tests.conftest import pdf_bytes
from govhall.identity.models import User
from govhall.proactive.models import Notification
from govhall.ratings import actions, queries
from govhall.ratings.constants import RatingLevel, RectificationStatus, Warning
from govhall.ratings.models import Rating, Rectification, RectificationEvent
from govhall.sharing.actions import queue_rating, save_platform
from govhall.sharing.constants import Adapter
from govhall.sharing.models import OutboxMessage

pytestmark = pytest.mark.django_db
S = RectificationStatus


@pytest.fixture
def rectification(closed_case: Case, alice: User) -> Rectification:
    rating = actions.rate_case(
        closed_case, rater=alice, level=RatingLevel.VERY_DISSATISFIED, reason_codes=["attitude"], comment="态度差"
    )
    return Rectification.objects.get(rating=rating)


def _assigned(rectification: Rectification, dan: User, ivy: User) -> Rectification:
    rectification = actions.classify_rectification(
        rectification, actor=dan, is_reasonable=True, is_true=True, is_malicious=False, note="反映属实。"
    )
    return actions.assign_rectification(rectification, actor=dan, handler=ivy, note="请一周内整改。")


def test_the_rectification_runs_to_its_follow_up_and_the_rater_is_told(
    rectification: Rectification, dan: User, ivy: User, grace: User, alice: User, on_day: Any
) -> None:
    on_day("2026-12-07")  # a Monday; five working days later is the next Monday
    rectification = _assigned(rectification, dan, ivy)
    assert rectification.rectify_due_on == datetime.date(2026, 12, 14)
    actions.instruct_rectification(rectification, actor=grace, instruction="认真整改，回访到位。")
    rectification = actions.start_rectifying(rectification, actor=ivy, measures="窗口服务规范培训。")
    upload = SimpleUploadedFile("培训签到表.pdf", pdf_bytes(), content_type="application/pdf")
    evidence = actions.add_evidence(rectification, actor=ivy, upload=upload)
    assert evidence.original_name == "培训签到表.pdf" and evidence.file.read().startswith(b"%PDF")
    rectification = actions.record_follow_up(
        rectification, actor=ivy, note="电话回访陈女士，已致歉。", result="已对窗口人员开展服务规范培训。"
    )
    rectification = actions.close_rectification(rectification, actor=dan)
    assert rectification.status == S.CLOSED and rectification.leader_instruction == "认真整改，回访到位。"
    assert list(RectificationEvent.objects.values_list("to_status", flat=True)) == [
        S.NEW,
        S.CLASSIFIED,
        S.ASSIGNED,
        "",
        S.RECTIFYING,
        "",
        S.FOLLOWED_UP,
        S.CLOSED,
    ]
    told = Notification.objects.get(recipient=alice, subject__contains="已处理完毕")
    assert "已对窗口人员开展服务规范培训。" in told.body and told.link.startswith("/my/ratings/cases/")
    # She may then rate again, once:
    follow_up = actions.rate_case(
        rectification.rating.case, rater=alice, level=RatingLevel.SATISFIED, is_follow_up=True
    )
    assert follow_up.is_follow_up


def test_the_rated_clerk_cannot_be_made_the_handler(rectification: Rectification, dan: User, bob: User) -> None:
    actions.classify_rectification(rectification, actor=dan, is_reasonable=True, is_true=True, is_malicious=False)
    with pytest.raises(ValidationError) as error:
        actions.assign_rectification(rectification, actor=dan, handler=bob)
    assert error.value.message_dict == {"handler": ["整改责任人应为本单位的工作人员，且不能是被评价的工作人员本人。"]}
    assert Rectification.objects.get().status == S.CLASSIFIED


def test_a_clerk_cannot_classify_and_nothing_changes(rectification: Rectification, ivy: User) -> None:
    with pytest.raises(PermissionDenied) as error:
        actions.classify_rectification(rectification, actor=ivy, is_reasonable=False, is_true=False, is_malicious=True)
    assert str(error.value) == "您没有处理这条差评整改的权限。"
    fresh = Rectification.objects.get()
    assert (fresh.status, fresh.is_reasonable) == (S.NEW, None)
    assert RectificationEvent.objects.count() == 1


def test_a_step_out_of_order_is_refused(rectification: Rectification, dan: User) -> None:
    with pytest.raises(actions.InvalidTransition) as error:
        actions.close_rectification(rectification, actor=dan)
    assert error.value.messages == ["差评整改当前为“待分类”，不能进行这个操作。"]


def test_an_explanation_of_no_fault_still_needs_the_follow_up_call(
    rectification: Rectification, dan: User, ivy: User
) -> None:
    rectification = _assigned(rectification, dan, ivy)
    rectification = actions.explain_rectification(rectification, actor=ivy, explanation="按规定需现场核查，非拖延。")
    assert rectification.status == S.EXPLAINED
    with pytest.raises(actions.InvalidTransition):
        actions.close_rectification(rectification, actor=dan)
    actions.record_follow_up(rectification, actor=ivy, note="已电话说明。", result="经核查，办理符合规定。")
    assert actions.close_rectification(rectification, actor=dan).status == S.CLOSED


def test_a_supervisor_removes_a_malicious_rating_with_reasons(
    rectification: Rectification, dan: User, ivy: User
) -> None:
    # The province holds the rating already (its message commits with the rating):
    province = save_platform(
        code="350000", name="省网上办事大厅", adapter=Adapter.PROVINCE, url="http://127.0.0.1:9", secret="s" * 32
    )
    rating = rectification.rating
    queue_rating(rating)
    rectification = _assigned(rectification, dan, ivy)
    rectification = actions.appeal_rectification(rectification, actor=ivy, reason="评价内容与办件无关，系恶意。")
    with pytest.raises(ValidationError) as error:
        actions.decide_appeal(rectification, actor=dan, remove=True, reason=" ")
    assert error.value.message_dict == {"reason": ["请填写审核意见。"]}
    rectification = actions.decide_appeal(rectification, actor=dan, remove=True, reason="经核实为恶意差评。")
    assert rectification.status == S.REMOVED
    assert Rating.objects.get().is_removed
    # …and is told to withdraw it, after the rating itself, in the case's stream:
    sent = OutboxMessage.objects.filter(platform=province, message_type="36").order_by("sequence")
    assert [(m.flag, m.payload["is_removed"]) for m in sent] == [("I", False), ("D", True)]
    assert len({m.stream for m in sent}) == 1


def test_an_appeal_refused_upholds_the_rating_and_the_unit_rectifies(
    rectification: Rectification, dan: User, ivy: User
) -> None:
    rectification = _assigned(rectification, dan, ivy)
    rectification = actions.appeal_rectification(rectification, actor=ivy, reason="恶意。")
    rectification = actions.decide_appeal(rectification, actor=dan, remove=False, reason="反映属实，维持差评。")
    assert rectification.status == S.ASSIGNED and not Rating.objects.get().is_removed


def test_only_the_handler_and_the_supervisors_see_who_rated(
    rectification: Rectification, dan: User, ivy: User, bob: User, alice: User
) -> None:
    rating = rectification.rating
    assert queries.get_rater_for(bob, rating) is None  # the clerk rated
    assert queries.get_rater_for(ivy, rating) is None  # not handling it yet
    assert queries.get_rater_for(dan, rating) == alice
    _assigned(rectification, dan, ivy)
    assert queries.get_rater_for(ivy, rating) == alice
    assert queries.get_rater_for(bob, rating) is None
    with pytest.raises(Http404):
        queries.access_rectification_for(bob, str(rectification.public_id))


def test_late_rectifications_turn_yellow_then_red_and_raise_a_supervision_order(
    rectification: Rectification, dan: User, ivy: User, on_day: Any
) -> None:
    from govhall.complaints.models import SupervisionOrder

    on_day("2026-12-07")
    rectification = _assigned(rectification, dan, ivy)  # due 2026-12-14
    assert actions.sweep_deadlines(datetime.date(2026, 12, 10)) == {"red": 0, "yellow": 0, "escalated": 0}
    assert actions.sweep_deadlines(datetime.date(2026, 12, 11))["yellow"] == 1
    assert Rectification.objects.get().warning == Warning.YELLOW
    assert actions.sweep_deadlines(datetime.date(2026, 12, 15)) == {"red": 1, "yellow": 0, "escalated": 1}
    assert actions.sweep_deadlines(datetime.date(2026, 12, 16))["escalated"] == 0  # once
    order = SupervisionOrder.objects.get()
    assert (order.object_kind, order.object_id, order.level) == ("rating", rectification.public_id, "red")
    assert order.department_id == rectification.department_id


def test_an_unclassified_bad_rating_is_escalated_yellow(rectification: Rectification, on_day: Any) -> None:
    from govhall.complaints.models import SupervisionOrder

    late = rectification.classify_due_on + datetime.timedelta(days=7)
    assert actions.sweep_deadlines(late)["escalated"] == 1
    assert SupervisionOrder.objects.get().level == "yellow"


def test_evidence_is_checked_kept_and_served_only_to_those_who_may_see_the_rectification(
    rectification: Rectification, dan: User, ivy: User, bob: User, desk: Any
) -> None:
    rectification = _assigned(rectification, dan, ivy)
    script = SimpleUploadedFile("说明.pdf", b"<script>alert(1)</script>", content_type="application/pdf")
    with pytest.raises(ValidationError) as error:
        actions.add_evidence(rectification, actor=ivy, upload=script)
    assert "file" in error.value.message_dict
    assert not rectification.evidence.exists()
    upload = SimpleUploadedFile("整改报告.pdf", pdf_bytes(), content_type="application/pdf")
    evidence = actions.add_evidence(rectification, actor=ivy, upload=upload)
    url = f"/desk/ratings/rectifications/{rectification.public_id}/evidence/{evidence.public_id}/"
    served = desk(dan).get(url)
    assert served.status_code == 200 and b"".join(served.streaming_content).startswith(b"%PDF")
    assert desk(bob).get(url).status_code == 404
