"""Codes of the service catalog (STANDARDS.md §1). The national code lists that provinces
extend (item types, service targets, …) are data in ``Dictionary``; what the code itself
branches on is here."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Secrecy(models.TextChoices):
    """密级 of an item. This platform is on the Internet side: only non-secret items may be on it."""

    NONE = "none", _("非涉密")
    SECRET = "secret", _("秘密")
    CONFIDENTIAL = "confidential", _("机密")
    TOP_SECRET = "top_secret", _("绝密")


# 涉密信息不上互联网: a secret item is never entered, published or applied for here:
SECRET_REFUSED = _("涉密事项不得在本平台（互联网政务服务平台）登记、发布或办理，请按保密规定通过涉密网络或线下办理。")


class VersionState(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("待审核")
    PUBLISHED = "published", _("已发布")
    SUPERSEDED = "superseded", _("已被替代")


class ItemStatus(models.TextChoices):
    """TASK_STATE of the national exchange: 1 in use, 2 suspended, 3 cancelled."""

    IN_USE = "1", _("在用")
    SUSPENDED = "2", _("暂停")
    CANCELLED = "3", _("取消")


class LimitUnit(models.TextChoices):
    WORKING_DAYS = "1", _("工作日")
    NATURAL_DAYS = "2", _("自然日")
    IMMEDIATE = "3", _("即办")


class ProjectType(models.TextChoices):
    IMMEDIATE = "1", _("即办件")
    COMMITTED = "2", _("承诺件")


class MaterialNeed(models.TextChoices):
    REQUIRED = "1", _("必要")
    OPTIONAL = "2", _("非必要")
    CONDITIONAL = "3", _("视情况提供")


class MaterialSource(models.TextChoices):
    APPLICANT = "1", _("申请人自备")
    GOVERNMENT = "2", _("政府部门核发")


class MaterialFormat(models.TextChoices):
    PAPER = "1", _("纸质")
    ELECTRONIC = "2", _("电子")
    BOTH = "3", _("纸质和电子")


class MaterialType(models.TextChoices):
    ORIGINAL = "1", _("原件")
    COPY = "2", _("复印件")
    BOTH = "3", _("原件和复印件")


class StepKind(models.TextChoices):
    """The kinds of process step the case workflow knows how to execute."""

    ACCEPT = "accept", _("受理")
    REVIEW = "review", _("审查")
    SITE_INSPECTION = "site_inspection", _("现场勘查")
    COUNTERSIGN = "countersign", _("会签")
    FEE = "fee", _("缴费")
    DECISION = "decision", _("决定")
    CLOSE = "close", _("办结")
    DELIVER = "deliver", _("送达")


class StepRole(models.TextChoices):
    CLERK = "clerk", _("窗口受理")
    REVIEWER = "reviewer", _("审核")
    APPROVER = "approver", _("审批")


class DictionaryKind(models.TextChoices):
    ITEM_TYPE = "item_type", _("事项类型")
    SERVICE_TARGET = "service_target", _("服务对象")
    HANDLING_FORM = "handling_form", _("办理形式")
    ONLINE_DEPTH = "online_depth", _("网上办理深度")
    EXERCISE_LEVEL = "exercise_level", _("行使层级")
    RESULT_TYPE = "result_type", _("审批结果类型")
    HANDLE_AREA = "handle_area", _("通办范围")


LICENSING_TYPE = "01"  # 行政许可
ONLINE_LEVELS = ("I", "II", "III", "IV")
# Fujian's star levels (a bureau may re-map them): level → stars.
STARS_BY_LEVEL = {"I": 1, "II": 2, "III": 3, "IV": 4}
LEVEL_BY_STARS = {1: "I", 2: "II", 3: "III", 4: "IV", 5: "IV"}
PERSONAL_TARGET = "1"
ENTERPRISE_TARGETS = frozenset({"2", "3", "4", "5"})
