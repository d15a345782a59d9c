"""Demo documents and tasks (idempotent): the lead calls ``load_office_demo`` from load_demo.

Needs the demo units and staff (identity.demo.load_demo) first. Makes a notice drafted by
forestry and waiting for water's and agriculture's countersign, an issued (numbered, signed)
notice, a registered incoming document, and a supervised task from a meeting on two units.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction

from govhall.identity.models import Department, User
from govhall.office import actions
from govhall.office.constants import TaskSource
from govhall.office.models import Document, Task

DEMO_TITLE = "关于做好2026年秋季森林防火工作的通知"
DEMO_TASK = "排查辖区内防汛隐患点并建立整改台账"


@transaction.atomic
def load_office_demo() -> list[str]:
    """Create the demo documents and task unless they exist; return the titles made now."""
    if Document.objects.filter(title=DEMO_TITLE).exists() or Task.objects.filter(title=DEMO_TASK).exists():
        return []
    units = {d.code: d for d in Department.objects.filter(code__in=["forestry", "water", "agriculture"])}
    people = {u.username: u for u in User.objects.filter(username__in=["bob", "carol", "kate", "grace"])}
    authority = Department.objects.filter(parent__isnull=True).order_by("sort_order", "pk").first()
    issuer = authority.name if authority else settings.BUREAU_NAME
    routed = actions.draft_document(
        actor=people["bob"],
        department=units["forestry"],
        title=DEMO_TITLE,
        issuing_authority=issuer,
        series="厦海农林水",
        main_recipients="各镇（街）农业服务中心，局属各单位",
        copy_to="区应急管理局",
        body=(
            "为切实做好今年秋季森林防火工作，确保森林资源和人民群众生命财产安全，现将有关事项通知如下。\n"
            "一、压实防火责任。各单位要落实森林防火行政首长负责制，层层签订责任书。\n"
            "二、加强火源管控。严禁野外用火，重点时段加密巡护。\n"
            "三、做好应急准备。储备扑火物资，组织一次扑火演练。"
        ),
    )
    actions.send_for_countersign(
        routed, actor=people["bob"], lead=units["forestry"], co_units=[units["water"], units["agriculture"]], days=3
    )
    actions.sign_document(routed, actor=people["bob"], opinion="同意", department=units["forestry"])
    issued = actions.draft_document(
        actor=people["carol"],
        department=units["water"],
        title="关于开展汛后水利工程安全检查的通知",
        issuing_authority=issuer,
        series="厦海农林水",
        main_recipients="各镇（街）人民政府（街道办事处）",
        body="请于十月底前完成辖区内小型水库、山塘的汛后安全检查，并报送检查情况。",
    )
    actions.send_for_countersign(issued, actor=people["carol"], lead=units["water"], co_units=[], days=3)
    actions.sign_document(issued, actor=people["carol"], opinion="同意")
    actions.sign_off(issued, actor=people["grace"], note="同意印发")
    actions.issue_document(issued, actor=people["carol"])
    incoming = actions.register_incoming(
        actor=people["bob"],
        department=units["forestry"],
        title="关于开展松材线虫病疫情秋季普查的通知",
        issuing_authority="厦门市林业局",
        number="厦林〔2026〕33号",
    )
    actions.assign_incoming(
        incoming, actor=people["bob"], lead=units["forestry"], co_units=[units["agriculture"]], days=5
    )
    actions.create_task(
        actor=people["grace"],
        title=DEMO_TASK,
        source=TaskSource.MEETING,
        source_note="局务会议",
        description="各单位排查辖区内防汛隐患点，建立整改台账，按周报送进展。",
        units=[units["forestry"], units["water"]],
        days=10,
    )
    return [DEMO_TITLE, issued.title, incoming.title, DEMO_TASK]
