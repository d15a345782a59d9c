"""The consistency rules a version must pass before it is published (STANDARDS.md §1).

Each rule returns a problem in words an editor understands, naming the guide elements
involved. Codes: the credit-code part of 实施编码 is checked strictly, the rest of the code
structure only warns (the national structure is inferred, not standardised).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from govhall.catalog.constants import (
    LEVEL_BY_STARS,
    LICENSING_TYPE,
    SECRET_REFUSED,
    LimitUnit,
    MaterialSource,
    ProjectType,
    Secrecy,
    StepKind,
)
from govhall.catalog.models import ItemVersion
from govhall.identity.queries import is_credit_code_on_record
from govhall.lib.identifiers import parse_credit_code


@dataclass(frozen=True)
class Problem:
    rule: str
    message: str
    is_blocking: bool = True


def check_codes(basic_code: str, implementation_code: str, handling_code: str = "") -> list[Problem]:
    """Check the three codes: the credit code inside 实施编码 strictly, the rest as warnings."""
    problems: list[Problem] = []
    if len(implementation_code) != 31:
        problems.append(Problem("codes", _("实施编码应为31位（统一社会信用代码18位＋行使层级1位＋基本编码12位）。")))
        return problems
    try:
        parse_credit_code(implementation_code[:18], on_record=is_credit_code_on_record)
    except ValidationError as exc:
        problems.append(Problem("codes", _("实施编码中的实施主体统一社会信用代码有误：") + " ".join(exc.messages)))
    if implementation_code[18] not in "12345":
        problems.append(Problem("codes", _("实施编码第19位应为行使层级（1国家级…4县级、5乡镇级）。"), False))
    if implementation_code[19:] != basic_code:
        problems.append(Problem("codes", _("实施编码的后12位应与基本编码一致。")))
    if len(basic_code) != 12 or not basic_code.isalnum():
        problems.append(
            Problem("codes", _("基本编码通常为12位（省份2位＋类型2位＋主项5位＋子项3位），请核对。"), False)
        )
    if handling_code and not handling_code.startswith(implementation_code):
        problems.append(Problem("codes", _("业务办理项编码应以实施编码开头。")))
    return problems


def check_version(version: ItemVersion) -> list[Problem]:
    """Every consistency problem of ``version``; blocking ones prevent publication."""
    problems = check_codes(version.item.basic_code, version.item.implementation_code, version.item.handling_code)
    if version.secrecy != Secrecy.NONE:
        problems.append(Problem("secrecy", str(SECRET_REFUSED)))
    immediate = version.committed_unit == LimitUnit.IMMEDIATE
    if immediate != (version.project_type == ProjectType.IMMEDIATE):
        problems.append(Problem("immediate", _("承诺时限为“即办”的事项，办件类型必须是即办件；反之亦然。")))
    if version.visits and not version.visit_reason.strip():
        problems.append(Problem("visit_reason", _("到办事现场次数不为0时，必须说明需要到现场办理的原因。")))
    if version.visits == 0 and not version.is_online and "3" not in version.handling_forms:
        problems.append(Problem("postal", _("零跑动且不支持网办的事项，必须提供邮寄申请方式。")))
    if version.is_online and "2" not in version.handling_forms:
        problems.append(Problem("online_form", _("支持网办的事项，办理形式必须包含“网上办理”。")))
    declared_level = LEVEL_BY_STARS.get(version.star_level, "I")
    if declared_level == "IV" and version.visits != 0:
        problems.append(Problem("full_online", _("全程网办（IV级，4星及以上）事项的到办事现场次数必须为0。")))
    if declared_level != version.online_level:
        problems.append(
            Problem(
                "stars",
                _("星级（%(stars)d星，即%(declared)s级）与网上办理深度和到现场次数推出的等级（%(level)s级）不一致。")
                % {"stars": version.star_level, "declared": declared_level, "level": version.online_level},
            )
        )
    fees = list(version.fees.all())
    if version.has_fee and (not version.fee_basis.strip() or not fees):
        problems.append(Problem("fee", _("收费事项必须填写收费依据和至少一个收费项目。")))
    if not version.has_fee and (version.online_payment or fees):
        problems.append(Problem("fee", _("不收费的事项不能提供网上支付，也不能有收费项目。")))
    has_fee_step = version.steps.filter(kind=StepKind.FEE).exists()
    if version.has_fee and not has_fee_step:
        problems.append(Problem("fee", _("收费事项的办理流程须有“缴费”环节，在该环节核定费用并开具缴款通知。")))
    if has_fee_step and not version.has_fee:
        problems.append(Problem("fee", _("不收费的事项不能有“缴费”环节。")))
    if not version.consultation_phone.strip() or not version.supervision_phone.strip():
        problems.append(Problem("phones", _("咨询电话和监督投诉电话都必须填写。")))
    elif version.consultation_phone.strip() == version.supervision_phone.strip():
        problems.append(Problem("phones", _("咨询电话和监督投诉电话不能相同。")))
    if version.item_type == LICENSING_TYPE:
        if not version.questions.exists():
            problems.append(Problem("faq", _("行政许可事项至少要有一条常见问题解答。")))
        kinds = set(version.steps.values_list("kind", flat=True))
        missing = [
            str(label)
            for kind, label in StepKind.choices
            if kind in {StepKind.ACCEPT, StepKind.REVIEW, StepKind.DECISION, StepKind.CLOSE, StepKind.DELIVER}
            and kind not in kinds
        ]
        if missing:
            problems.append(
                Problem(
                    "licensing_steps", _("行政许可事项的办理流程缺少环节：%(steps)s。") % {"steps": "、".join(missing)}
                )
            )
    if version.result_name.strip() and not version.result_sample.strip():
        problems.append(Problem("result_sample", _("填写了审批结果名称，就必须提供审批结果样本。")))
    if (
        version.statutory_unit == version.committed_unit
        and version.statutory_unit != LimitUnit.IMMEDIATE
        and version.statutory_limit < version.committed_limit
    ):
        problems.append(
            Problem(
                "limits",
                _("法定办结时限（%(statutory)d）不能少于承诺办结时限（%(committed)d）。")
                % {"statutory": version.statutory_limit, "committed": version.committed_limit},
            )
        )
    if not version.name.strip():
        problems.append(Problem("name", _("事项名称不能为空。")))
    for material in version.materials.all():
        if material.source == MaterialSource.GOVERNMENT and not material.licence_type_code.strip():
            problems.append(
                Problem(
                    "material_source",
                    _("材料“%(name)s”来源为政府部门核发，必须填写对应的证照类型代码。") % {"name": material.name},
                    False,
                )
            )
    if version.form_schema:
        problems.extend(_check_form_schema(version.form_schema))
    return problems


def _check_form_schema(schema: dict) -> list[Problem]:
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import SchemaError

    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        return [Problem("form_schema", _("申请表的 JSON Schema 无效：%(error)s") % {"error": exc.message})]
    if schema.get("type") != "object":
        return [Problem("form_schema", _("申请表的 JSON Schema 顶层必须是 object。"))]
    untitled = [name for name, spec in schema.get("properties", {}).items() if not spec.get("title")]
    if untitled:
        return [
            Problem("form_schema", _("申请表字段缺少中文标题：%(fields)s。") % {"fields": "、".join(untitled)}, False)
        ]
    return []
