"""Demo data of 政务公开: a policy and its interpretation linked to the felling item, a notice, an FAQ, and an
intermediary service the item needs with the institution that provides it (idempotent)."""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction

from govhall.catalog.models import ServiceItem
from govhall.identity.models import Department, User
from govhall.publicinfo import actions
from govhall.publicinfo.constants import EntryKind, EntryStatus
from govhall.publicinfo.models import Entry

POLICY_NUMBER = "厦海农林水〔2026〕8号"

DEMO: list[dict[str, Any]] = [
    {
        "kind": EntryKind.POLICY,
        "title": "海沧区林木采伐管理实施办法",
        "doc_number": POLICY_NUMBER,
        "index_number": "XM00105-0200-2026-00008",
        "issuer": "厦门市海沧区农林水利局",
        "written_on": datetime.date(2026, 3, 2),
        "effective_on": datetime.date(2026, 4, 1),
        "body": "第一条 为规范本区林木采伐管理，保护森林资源，根据《中华人民共和国森林法》及其实施条例，制定本办法。\n"
        "第二条 采伐林地上的林木应当申请采伐许可证，并按照采伐许可证的规定进行采伐。\n"
        "第三条 申请采伐许可证，应当提交采伐申请书、林木权属证明和伐区调查设计材料。",
    },
    {
        "kind": EntryKind.INTERPRETATION,
        "title": "《海沧区林木采伐管理实施办法》政策解读",
        "issuer": "厦门市海沧区农林水利局",
        "written_on": datetime.date(2026, 3, 2),
        "body": "一、出台背景：落实新修订的森林法，简化林木采伐审批。\n二、主要内容：明确申请材料和办理时限，"
        "采伐许可证可在网上申请、全程网办。\n三、适用对象：本区林木所有者和经营者。",
        "interprets_policy": True,
    },
    {
        "kind": EntryKind.NOTICE,
        "title": "关于春节期间政务服务窗口办公时间的通知",
        "issuer": "厦门市海沧区农林水利局",
        "written_on": datetime.date(2026, 1, 20),
        "body": "春节期间（2月15日至2月23日）政务服务窗口暂停现场办理，网上办理不受影响。",
    },
    {
        "kind": EntryKind.FAQ,
        "title": "采伐自家承包山上的林木需要办理采伐许可证吗？",
        "issuer": "厦门市海沧区农林水利局",
        "body": "需要。除法律规定的情形外，采伐林地上的林木均应申请采伐许可证。农村居民采伐自留地和房前屋后个人所有的零星林木除外。",
        "felling": True,
    },
    # An intermediary institution and the service the felling item needs from it (institution first):
    {
        "kind": EntryKind.INTERMEDIARY,
        "title": "厦门绿测林业调查规划有限公司",
        "issuer": "厦门市海沧区农林水利局",
        "body": "可承接林木采伐作业设计（伐区调查设计）、使用林地可行性报告编制。",
        "details": {
            "credit_code": "93350205MA2Y4GL0XK",
            "contact": "林工",
            "phone": "0592-6000000",
            "address": "厦门市海沧区新阳街道新阳路 8 号",
            "service_area": "林木采伐作业设计；使用林地可行性报告",
            "credit_grade": "A",
            "credit_grade_on": "2026-06-30",
            "qualifications": [
                {
                    "name": "林业调查规划设计资质（乙级）",
                    "number": "林调乙-0088",
                    "issuer": "福建省林业局",
                    "valid_until": "2028-06-30",
                },
                {
                    "name": "工程咨询单位资信（丙级）",
                    "number": "咨丙-2023-117",
                    "issuer": "福建省工程咨询协会",
                    "valid_until": "2026-11-30",
                },
            ],
        },  # fmt: skip
    },
    {
        "kind": EntryKind.INTERMEDIARY_SERVICE,
        "title": "林木采伐作业设计（伐区调查设计）",
        "issuer": "厦门市海沧区农林水利局",
        "body": "采伐商品林的，申请人提交由具备资质的机构或本单位技术人员编制的伐区调查设计材料。",
        "felling": True,
        "details": {
            "legal_basis": "《中华人民共和国森林法实施条例》第三十条",
            "required": False,
            "time_limit_days": 10,
            "fee_basis": "市场调节价；申请人也可以自行编制",
            "institutions": ["厦门绿测林业调查规划有限公司"],
        },  # fmt: skip
    },
]


def _felling_item() -> ServiceItem | None:
    return ServiceItem.objects.filter(versions__name__contains="采伐").order_by("pk").first()


@transaction.atomic
def load_publicinfo_demo() -> list[Entry]:
    """Publish the demo entries (helen drafts and reviews, grace approves); entries already there are kept."""
    editor = User.objects.filter(username="helen").first()
    approver = User.objects.filter(username="grace").first()
    office = Department.objects.filter(code="office").first()
    if editor is None or approver is None or office is None:
        return []
    item = _felling_item()
    made: list[Entry] = []
    policy = Entry.objects.filter(doc_number=POLICY_NUMBER, status=EntryStatus.PUBLISHED).first()
    for spec in DEMO:
        spec = dict(spec)
        existing = Entry.objects.filter(title=spec["title"]).exclude(status=EntryStatus.WITHDRAWN).first()
        if existing is not None:
            if spec["kind"] == EntryKind.POLICY:
                policy = existing
            continue
        interprets = policy if spec.pop("interprets_policy", False) else None
        linked = spec.pop("felling", False) or spec["kind"] in (EntryKind.POLICY, EntryKind.INTERPRETATION)
        details = dict(spec.pop("details", {}))
        if "institutions" in details:  # named by title here, kept by lineage
            details["institutions"] = [
                str(lineage)
                for lineage in Entry.objects.filter(
                    title__in=details["institutions"], status=EntryStatus.PUBLISHED
                ).values_list("lineage", flat=True)
            ]
        entry = actions.create_draft(
            actor=editor,
            department=office,
            data=spec,
            items=[item] if item is not None and linked else [],
            interprets=interprets,
            details=details,
        )
        actions.record_secrecy_review(entry, actor=editor, passed=True, note="不涉及国家秘密")
        entry = actions.approve(entry, actor=approver)
        if spec["kind"] == EntryKind.POLICY:
            policy = entry
        made.append(entry)
    return made
