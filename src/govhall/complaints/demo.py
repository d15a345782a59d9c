"""Demo complaints and a supervision order (idempotent): the lead calls ``load_complaints_demo`` from load_demo."""

from __future__ import annotations

from django.db import transaction

from govhall.complaints import actions
from govhall.complaints.constants import ComplaintChannel, ComplaintKind, Level, ObjectKind
from govhall.complaints.models import Complaint
from govhall.identity.models import Department, User

DEMO_HOTLINE = "12345-DEMO-0001"


@transaction.atomic
def load_complaints_demo() -> list[tuple[str, str]]:
    """Create the demo complaints unless they exist; return (tracking number, query code) of those made now.

    Needs the demo units and staff (identity.demo.load_demo) first. The query codes are shown
    only here, as to a real complainant.
    """
    if Complaint.objects.filter(hotline_number=DEMO_HOTLINE).exists():
        return []
    forestry = Department.objects.get(code="forestry")
    water = Department.objects.get(code="water")
    bob = User.objects.get(username="bob")
    carol = User.objects.get(username="carol")
    dan = User.objects.get(username="dan")
    made = []
    slow, code = actions.submit_complaint(
        kind=ComplaintKind.SLOWNESS,
        title="林木采伐许可证办理太慢",
        content="九月初提交的采伐申请，到现在还没有受理，电话也没人接。",
        about_department=forestry,
        phone="13800000009",
    )
    made.append((slow.tracking_number, code))
    actions.accept_complaint(slow, actor=bob)
    actions.assign_complaint(slow, actor=bob, department=forestry, assignee=bob)
    hotline, code = actions.submit_complaint(
        kind=ComplaintKind.ATTITUDE,
        title="窗口工作人员态度生硬",
        content="12345转来：群众反映取水许可窗口工作人员解释不耐心。",
        channel=ComplaintChannel.HOTLINE_12345,
        hotline_number=DEMO_HOTLINE,
        about_department=water,
        entered_by=carol,
    )
    made.append((hotline.tracking_number, code))
    actions.accept_complaint(hotline, actor=carol)
    actions.assign_complaint(hotline, actor=carol, department=water)
    actions.start_investigation(hotline, actor=carol)
    actions.answer_complaint(hotline, actor=carol, answer="已约谈窗口工作人员并加强培训，感谢您的监督。")
    consult, code = actions.submit_complaint(
        kind=ComplaintKind.CONSULTATION,
        title="农机购置补贴什么时候发放？",
        content="去年申请的补贴还没到账，想问一下进度。",
        is_anonymous=False,
        name="李明",
    )
    made.append((consult.tracking_number, code))
    actions.raise_supervision_order(
        object_kind=ObjectKind.COMPLAINT,
        object_id=slow.public_id,
        object_label=f"{slow.tracking_number} {slow.title}",
        department=forestry,
        level=Level.YELLOW,
        reason="群众反映采伐许可受理迟缓，请核查并回复。",
        raised_by=dan,
    )
    return made
