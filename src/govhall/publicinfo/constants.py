"""Choices and fixed values of 政务公开."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from govhall.identity.constants import Role

EDITOR = Role.CONTENT_EDITOR
APPROVER = Role.APPROVER
DISCLOSURE_DAYS = 20  # 条例 第二十六条 (proactive) and 第三十三条 (on request)
EXTENSION_DAYS = 20
WARNING_DAYS = 5  # working days before the disclosure deadline that an entry joins the warning list


class EntryKind(models.TextChoices):
    LAW = "law", _("法律法规")
    RULE = "rule", _("规章")
    POLICY = "policy", _("规范性文件/政策文件")
    INTERPRETATION = "interpretation", _("政策解读")
    NOTICE = "notice", _("通知公告")
    REVIEW_RULE = "review_rule", _("审查细则")
    FAQ = "faq", _("常见问题")
    # The intermediary services an item needs (中介服务事项) and the directory of the institutions
    # that provide them (中介机构), each linked to the items; their facts are structured (``details``):
    INTERMEDIARY_SERVICE = "intermediary_service", _("中介服务事项")
    INTERMEDIARY = "intermediary", _("中介机构")


class CreditGrade(models.TextChoices):
    """An intermediary's credit grade as last assessed (GB/T 39683-2020, 政务服务中介机构信用等级划分与评价规范)."""

    A = "A", _("A级（信用优秀）")
    B = "B", _("B级（信用良好）")
    C = "C", _("C级（信用一般）")
    D = "D", _("D级（信用较差）")


class Validity(models.TextChoices):
    VALID = "valid", _("有效")
    EXPIRED = "expired", _("失效")
    AMENDED = "amended", _("已修改")
    REPEALED = "repealed", _("废止")


class EntryStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    REVIEWED = "reviewed", _("已通过保密审查，待审批")
    PUBLISHED = "published", _("已发布")
    SUPERSEDED = "superseded", _("已被新版本替代")
    WITHDRAWN = "withdrawn", _("已撤回")


LIVE_STATUSES = (EntryStatus.DRAFT, EntryStatus.REVIEWED, EntryStatus.PUBLISHED)


class ApplicantKind(models.TextChoices):
    PERSON = "person", _("公民")
    ORGANISATION = "organisation", _("法人或者其他组织")


class FormWanted(models.TextChoices):
    PAPER = "paper", _("纸质文本")
    ELECTRONIC = "electronic", _("电子文件")
    EMAIL = "email", _("电子邮件")


class RequestStatus(models.TextChoices):
    RECEIVED = "received", _("已受理，办理中")
    EXTENDED = "extended", _("已延期答复")
    CORRECTION = "correction", _("待申请人补正")
    CONSULTING = "consulting", _("征求第三方意见中")
    ANSWERED = "answered", _("已答复")


class AnswerKind(models.TextChoices):
    DISCLOSED = "disclosed", _("予以公开")
    PARTLY = "partly", _("部分公开")
    REFUSED = "refused", _("不予公开")
    NOT_EXIST = "not_exist", _("信息不存在")
    NOT_OURS = "not_ours", _("非本机关负责公开")
    CORRECTION = "correction", _("告知补正")
    REPEATED = "repeated", _("重复申请")


# The answers that need a reason written into the letter:
ANSWERS_WITH_REASON = frozenset({AnswerKind.PARTLY, AnswerKind.REFUSED, AnswerKind.NOT_OURS, AnswerKind.CORRECTION})


class QuestionKind(models.TextChoices):
    """What reached the desk through the question model: a 咨询, or a 我要纠错 about a page."""

    QUESTION = "question", _("咨询")
    ERROR = "error", _("纠错")


class RuleDecision(models.TextChoices):
    """The clean-up of the bureau's own rules (规范性文件清理): what a review decided for one rule."""

    KEEP = "keep", _("继续有效")
    AMEND = "amend", _("拟修改")
    REPEAL = "repeal", _("拟废止")
