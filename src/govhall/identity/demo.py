"""Demo data: the bureau, its units, staff personas and applicant personas (idempotent).

Identifiers are valid but synthetic (computed check characters, made-up organisation codes).
Every persona shares DEMO_PASSWORD, which `make run` prints; never load this in production.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from govhall.identity import actions
from govhall.identity.constants import AuthorisationRole, Role
from govhall.identity.models import Department, User

DEMO_PASSWORD = "Govhall#2026"

# (code, name, English name, credit code, parent code)
DEPARTMENTS = [
    (
        "bureau",
        "厦门市海沧区农林水利局",
        "Haicang District Bureau of Agriculture, Forestry and Water",
        "11350205MB01000012",
        None,
    ),
    ("office", "办公室", "General Office", "11350205MB01000025", "bureau"),
    ("forestry", "林业科", "Forestry Section", "11350205MB01000038", "bureau"),
    ("water", "水利科", "Water Resources Section", "11350205MB0100004B", "bureau"),
    ("agriculture", "农业科", "Agriculture Section", "11350205MB0100005E", "bureau"),
    ("fisheries", "渔业科", "Fisheries Section", "11350205MB0100006H", "bureau"),
    ("service-hall", "政务服务窗口", "Service Hall Counter", "11350205MB0100007L", "bureau"),
]


@dataclass(frozen=True)
class StaffPersona:
    username: str
    full_name: str
    roles: tuple[tuple[str, str], ...]  # (department code, role)
    description: str


STAFF = [
    StaffPersona("bob", "林建波", (("forestry", Role.CLERK),), "林业科窗口受理 / forestry clerk"),
    StaffPersona("carol", "陈嘉欣", (("water", Role.CLERK),), "水利科窗口受理 / water clerk"),
    StaffPersona("hank", "黄海涛", (("bureau", Role.CLERK),), "大厅综合窗口，一窗受理 / hall general window clerk"),
    StaffPersona("ivy", "叶依依", (("service-hall", Role.CLERK),), "大厅出件与咨询窗口 / hall pick-up clerk"),
    StaffPersona("frank", "黄志峰", (("forestry", Role.REVIEWER), ("water", Role.REVIEWER)), "审核 / reviewer"),
    StaffPersona("grace", "吴佳慧", (("bureau", Role.APPROVER),), "审批 / approver"),
    StaffPersona("kate", "柯婷", (("agriculture", Role.REVIEWER),), "农业科审核 / agriculture reviewer"),
    StaffPersona("dan", "郑德安", (("bureau", Role.SUPERVISOR),), "监督 / supervisor"),
    StaffPersona("helen", "许海伦", (("office", Role.CONTENT_EDITOR),), "内容编辑 / content editor"),
    StaffPersona("erin", "王艺琳", (("bureau", Role.SYSTEM_ADMIN),), "系统管理员 / system administrator"),
    StaffPersona("ivan", "蔡一凡", (("bureau", Role.SECURITY_ADMIN),), "安全管理员 / security administrator"),
    StaffPersona("judy", "杨静", (("bureau", Role.AUDIT_ADMIN),), "审计管理员 / audit administrator"),
    StaffPersona("lucy", "卢秋云", (("office", Role.ARCHIVIST),), "档案管理员 / archivist"),
]


@dataclass(frozen=True)
class ApplicantPersona:
    full_name: str
    id_number: str
    phone: str
    description: str
    entity: tuple[str, str, str] | None  # (name, credit code, role)


APPLICANTS = [
    ApplicantPersona(
        "陈爱丽",
        "350205198503120020",
        "13800000001",
        "林农，绿源林业专业合作社法定代表人 / farmer, head of a forestry cooperative",
        ("厦门市海沧区绿源林业专业合作社", "93350205MA2Y4GL0XK", AuthorisationRole.LEGAL_REPRESENTATIVE),
    ),
    ApplicantPersona(
        "李明",
        "350205197809060038",
        "13800000002",
        "清泉食品公司经办人（取水用户） / agent of a water-using company",
        ("厦门海沧清泉食品有限公司", "91350205MA31WQ7K8H", AuthorisationRole.AGENT),
    ),
]


@transaction.atomic
def load_demo() -> list[tuple[str, str, str]]:
    """Create everything; return (surface, login, description) rows to print."""
    departments: dict[str, Department] = {}
    for code, name, name_en, credit_code, parent in DEPARTMENTS:
        existing = Department.objects.filter(code=code).first()
        departments[code] = existing or actions.save_department(
            code=code,
            name=name,
            name_en=name_en,
            credit_code=credit_code,
            parent=departments[parent] if parent else None,
            sort_order=len(departments),
            actor="demo",
        )
    logins: list[tuple[str, str, str]] = []
    for persona in STAFF:
        user = User.objects.filter(username=persona.username).first()
        if user is None:
            user = actions.create_staff(
                username=persona.username, full_name=persona.full_name, password=DEMO_PASSWORD, actor="demo"
            )
        for department_code, role in persona.roles:
            actions.grant_role(user, departments[department_code], role, actor="demo")
        logins.append(("desk", persona.username, f"{persona.full_name} · {persona.description}"))
    for applicant in APPLICANTS:
        person = actions.register_person(
            name=applicant.full_name, id_number=applicant.id_number, phone=applicant.phone, actor="demo"
        )
        user = User.objects.filter(person=person).first()
        if user is None:
            user = actions.register_applicant(
                name=applicant.full_name, id_number=applicant.id_number, phone=applicant.phone, password=DEMO_PASSWORD
            )
        if applicant.entity:
            name, credit_code, role = applicant.entity
            entity = actions.register_entity(
                name=name, credit_code=credit_code, legal_representative=applicant.full_name, actor="demo"
            )
            actions.authorise_for_entity(user, entity, role=role, actor="demo")
        logins.append(("portal", applicant.id_number, f"{applicant.full_name} · {applicant.description}"))
    return logins
